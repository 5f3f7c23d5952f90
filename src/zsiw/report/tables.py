"""LaTeX versions of the paper's Tables 1-5 built from the pipeline's per-seed results.

Every function is pure: a DataFrame (or one logged batch) in, a LaTeX string out, so the
tables can be regenerated and diffed without rerunning anything. Cells are the mean and the
sample standard deviation (ddof=1) over seeds; where the paper prints the same cell, an extra
``paper`` line gives its value and our difference, so a reader sees the gap at a glance.
Every string that comes from data is LaTeX-escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zsiw import plan
from zsiw.paper import (
    SOURCE_LANG,
    load_paper_results,
    paper_baselines,
    paper_label,
    paper_value,
)
from zsiw.tasks import CLS_DOMAINS

__all__ = [
    "DECIMALS",
    "encoder_label",
    "format_cell",
    "latex_escape",
    "latex_row",
    "latex_table",
    "table_case_study",
    "table_main",
    "table_multisource",
    "wrap_document",
]

#: Decimals per task group, as the paper prints them.
DECIMALS: dict[str, int] = {"ote": 3, "mldoc": 4, "cls": 4}
MISSING = "--"

_TASK_TITLES = {
    "ote": ("span F1 on SemEval 2016 opinion target extraction", "Table 1"),
    "mldoc": ("accuracy on MLDoc cross-lingual document classification", "Table 2"),
    "cls": ("accuracy on Amazon Review (CLS) sentiment classification", "Table 3"),
}
_DOMAIN_TITLES = {"books": "Books", "dvd": "DVD", "music": "Music"}
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
_DAGGER_NOTE = (
    r"$^\dagger$ reported by the paper (Li et al.); "
    r"$^{\mathrm{H}}$ supervised or semi-supervised, as the paper marks it."
)


def latex_escape(text: Any) -> str:
    """Escape LaTeX specials in one pass, so a replacement is never escaped again."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], str(text))


def encoder_label(name: str) -> str:
    """Return the paper's name (mBERT, XLMR) or the escaped model name after the last ``/``."""
    return paper_label(name) or latex_escape(name.rsplit("/", 1)[-1])


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def format_cell(scores: Sequence[float], decimals: int) -> str:
    """Format per-seed scores as ``$m \\pm s$`` (sample std, ddof=1); one seed: ``m``."""
    values = [float(v) for v in scores if v is not None and not math.isnan(float(v))]
    if not values:
        return MISSING
    mean = float(np.mean(values))
    if len(values) == 1:
        return _fmt(mean, decimals)
    std = float(np.std(values, ddof=1))
    return f"${_fmt(mean, decimals)} \\pm {_fmt(std, decimals)}$"


def _fmt_delta(delta: float, decimals: int) -> str:
    text = _fmt(delta, decimals)
    if float(text) == 0.0:
        return f"$\\pm{_fmt(0.0, decimals)}$"
    return f"${'+' if delta > 0 else '-'}{_fmt(abs(delta), decimals)}$"


# --------------------------------------------------------------------------- data access


def multi_source_mask(frame: pd.DataFrame) -> pd.Series:
    """Which rows are multi-source cells (``sources`` joined by ``+``); all False for a
    frame without ``sources`` (e.g. a significance.csv written before they were compared)."""
    if "sources" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["sources"].astype(str).str.contains("+", regex=False)


def prepare_results(df: pd.DataFrame, source_lang: str = SOURCE_LANG) -> pd.DataFrame:
    """Fill the derivable columns so hand-made or older frames work too (a frame without
    ``sources`` was trained on ``source_lang``)."""
    required = {"encoder", "method", "eval_lang", "seed", "score"}
    missing = required - set(df.columns)
    if missing:
        raise ValueError(f"results frame lacks columns {sorted(missing)}")
    out = df.copy()
    if "task_group" not in out.columns:
        if "task" not in out.columns:
            raise ValueError("results frame needs 'task_group' or 'task'")
        out["task_group"] = [plan.task_group(str(t)) for t in out["task"]]
    task = out["task"].astype(str) if "task" in out.columns else None
    if "domain" not in out.columns:
        out["domain"] = None
    if task is not None:
        from_task = [plan.task_domain(t) for t in task]
        out["domain"] = [
            d if isinstance(d, str) else f for d, f in zip(out["domain"], from_task, strict=True)
        ]
    if "sources" not in out.columns:
        out["sources"] = source_lang
    out["sources"] = out["sources"].astype(str)
    if "multi_source" not in out.columns:
        out["multi_source"] = multi_source_mask(out)
    out["multi_source"] = out["multi_source"].fillna(False).astype(bool)
    out["score"] = out["score"].astype(float)
    return out


def seed_scores(rows: pd.DataFrame) -> pd.Series:
    """Per-seed score (duplicate rows of one seed are averaged first)."""
    return rows.groupby("seed")["score"].mean()


def _select(
    df: pd.DataFrame,
    task_group: str,
    encoder: str,
    method: str,
    *,
    multi_source: bool = False,
    source_lang: str = SOURCE_LANG,
) -> pd.DataFrame:
    """Rows of one model kind; single-source means trained on ``source_lang`` alone."""
    mask = (
        (df["task_group"] == task_group)
        & (df["encoder"] == encoder)
        & (df["method"] == method)
        & (df["multi_source"] == multi_source)
    )
    if not multi_source:
        mask &= df["sources"] == source_lang
    return df[mask]


def _target_cell(rows: pd.DataFrame, target: str, decimals: int) -> tuple[str, float | None, int]:
    """Cell text, mean (for the paper delta) and number of seeds for one eval language."""
    seeds = seed_scores(rows[rows["eval_lang"] == target])
    if seeds.empty:
        return MISSING, None, 0
    return format_cell(seeds.tolist(), decimals), float(seeds.mean()), len(seeds)


def domain_stats(rows: pd.DataFrame, langs: Sequence[str]) -> tuple[float, float, int] | None:
    """The paper's Table 3 statistic for one domain, computed here only: the mean over
    ``langs`` of each language's seed mean, the sample std (ddof=1; NaN below two seeds) over
    seeds of the language-averaged score, and the number of seeds. Only the seeds that have
    every language count, for the mean too: while a grid fills, a language with more seeds
    than the others would otherwise make the mean one of more seeds than the caption says
    (as `zsiw.report.compare` does). None when no seed has every language or ``langs`` is
    empty: an average over fewer languages would not be comparable."""
    per_lang = {t: seed_scores(rows[rows["eval_lang"] == t]) for t in langs}
    if not per_lang:
        return None
    complete = pd.concat(per_lang, axis=1).dropna()
    if complete.empty:
        return None
    mean = float(np.mean([complete[lang].mean() for lang in complete.columns]))
    std = float(complete.mean(axis=1).std(ddof=1)) if len(complete) >= 2 else math.nan
    return mean, std, len(complete)


def _domain_cell(
    rows: pd.DataFrame, targets: Sequence[str], decimals: int
) -> tuple[str, float | None, int]:
    """Table 3's cell text (:func:`domain_stats`), its mean and number of seeds."""
    stats = domain_stats(rows, targets)
    if stats is None:
        return MISSING, None, 0
    mean, std, n_seeds = stats
    if n_seeds >= 2:
        text = f"${_fmt(mean, decimals)} \\pm {_fmt(std, decimals)}$"
    else:
        text = _fmt(mean, decimals)
    return text, mean, max(n_seeds, 1)


# --------------------------------------------------------------------------- LaTeX pieces


def latex_row(cells: Iterable[str]) -> str:
    return " & ".join(cells) + r" \\"


def _paper_row(
    paper: Sequence[float | None], ours: Sequence[float | None], decimals: int
) -> str | None:
    """The ``paper`` line under one of our rows, or None when the paper has none of it."""
    if all(p is None for p in paper):
        return None
    cells = [r"\quad\textit{paper} ($\Delta$)"]
    for p, o in zip(paper, ours, strict=True):
        if p is None:
            cells.append(MISSING)
        elif o is None:
            cells.append(_fmt(p, decimals))
        else:
            cells.append(f"{_fmt(p, decimals)} ({_fmt_delta(o - p, decimals)})")
    return latex_row(cells)


def _model_rows(
    cells: Sequence[str],
    means: Sequence[float | None],
    paper: Sequence[float | None] | None,
    decimals: int,
) -> list[str]:
    """One model's row and, under it, the ``paper`` line when ``paper`` is given and the
    paper prints any of the row."""
    paper_line = _paper_row(paper, means, decimals) if paper is not None else None
    return [latex_row(cells), *([paper_line] if paper_line else [])]


_PAPER_ROWS = (
    " Rows \\textit{paper} give the value printed by the paper and, in parentheses, ours minus it."
)


def _seed_phrase(counts: Iterable[int]) -> str:
    values = sorted({c for c in counts if c > 0})
    if not values:
        return "seeds"
    if len(values) == 1:
        return f"{values[0]} seed{'s' if values[0] != 1 else ''}"
    return f"{values[0]}--{values[-1]} seeds (varies by cell)"


def latex_table(
    colspec: str,
    header: Sequence[str],
    body: Sequence[str],
    caption: str,
    label: str,
    note: str | None = None,
) -> str:
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\small",
        rf"\begin{{tabular}}{{{colspec}}}",
        r"\toprule",
        latex_row(header),
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular}",
    ]
    if note:
        lines += [r"\par\smallskip", rf"{{\footnotesize {note}\par}}"]
    lines += [rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _baseline_rows(task_group: str, columns: Sequence[str], decimals: int) -> list[str]:
    rows = []
    for base in paper_baselines(task_group):
        mark = r"$^{\dagger,\mathrm{H}}$" if base.get("supervised") else r"$^{\dagger}$"
        cells = [latex_escape(base["name"]) + mark]
        for col in columns:
            value = base["scores"].get(col)
            cells.append(MISSING if value is None else _fmt(float(value), decimals))
        rows.append(latex_row(cells))
    return rows


# --------------------------------------------------------------------------- tables


def table_main(
    df: pd.DataFrame,
    task_group: str,
    *,
    targets: Sequence[str],
    encoders: Sequence[str],
    iw_method: str = "cosine",
    with_paper: bool = True,
    domains: Sequence[str] = CLS_DOMAINS,
    label: str | None = None,
    significant: Collection[tuple[str, str]] = (),
    source_lang: str = SOURCE_LANG,
) -> str:
    """Table 1 (``ote``), 2 (``mldoc``) or 3 (``cls``): plain vs. IW fine-tuning from
    ``source_lang``.

    ``significant`` holds ``(encoder, column)`` pairs whose IW gain over plain is significant
    (paired bootstrap); those IW cells get a ``*``.

    Columns are ``targets`` (``mldoc`` adds ``source_lang``: the plain model on it; IW models
    are trained per target, so their source-language cell is ``--``) or, for ``cls``,
    ``domains``, each cell averaging the per-language seed means over ``targets`` as the
    paper does.
    """
    if task_group not in DECIMALS:
        raise ValueError(f"unknown task group {task_group!r}; expected one of {list(DECIMALS)}")
    data = prepare_results(df, source_lang)
    decimals = DECIMALS[task_group]
    targets = list(targets)
    is_cls = task_group == "cls"
    if is_cls:
        columns = list(domains)
        header_cols = [_DOMAIN_TITLES.get(d, latex_escape(d)) for d in columns]
    else:
        columns = targets
        if task_group == "mldoc":
            columns = [source_lang, *[t for t in targets if t != source_lang]]
        header_cols = [latex_escape(c) for c in columns]
    paper_cls_targets = load_paper_results()["tables"]["table3"]["averaged_over"]
    paper_comparable = not is_cls or sorted(targets) == sorted(paper_cls_targets)

    body: list[str] = []
    if with_paper:
        body += _baseline_rows(task_group, columns, decimals)
        if body:
            body.append(r"\midrule")
    seed_counts: list[int] = []
    for encoder in encoders:
        for method in ("none", iw_method):
            name = encoder_label(encoder) + ("" if method == "none" else "+IW")
            rows = _select(data, task_group, encoder, method, source_lang=source_lang)
            cells, means, paper_vals = [name], [], []
            for col in columns:
                if is_cls:
                    text, mean, n = _domain_cell(rows[rows["domain"] == col], targets, decimals)
                    pv = paper_value("cls", encoder, method, None, domain=col)
                elif col == source_lang and method != "none":
                    text, mean, n, pv = MISSING, None, 0, None
                else:
                    text, mean, n = _target_cell(rows, col, decimals)
                    pv = paper_value(task_group, encoder, method, col)
                if method != "none" and text != MISSING and (encoder, col) in significant:
                    text += "$^{*}$"
                cells.append(text)
                means.append(mean)
                paper_vals.append(pv if paper_comparable else None)
                seed_counts.append(n)
            body += _model_rows(cells, means, paper_vals if with_paper else None, decimals)

    title, paper_table = _TASK_TITLES[task_group]
    seeds = _seed_phrase(seed_counts)
    caption = (
        f"Zero-shot cross-lingual transfer from English: {title} "
        f"(cf.\\ {paper_table} of Li et al.). "
    )
    if is_cls:
        caption += (
            "Each cell is the mean over the target languages "
            f"({latex_escape(', '.join(targets))}) of the per-language mean over {seeds}, as in "
            "the paper, $\\pm$ the sample standard deviation (ddof=1) over seeds of the "
            "language-averaged accuracy; a domain missing a language is left empty."
        )
    else:
        caption += f"Each cell is the mean $\\pm$ sample standard deviation (ddof=1) over {seeds}."
    caption += (
        " A cell from one seed shows the mean only; -- marks a cell without results. "
        f"+IW: instance weighting with the {latex_escape(iw_method)} scoring function."
    )
    if significant:
        caption += (
            " $^{*}$: IW gain over plain significant (paired bootstrap over test items, "
            "$p<0.05$, 95\\% interval excluding 0; for a domain, in every language)."
        )
    if task_group == "mldoc":
        caption += (
            " Column en: the plain fine-tuned model evaluated on English; IW models are "
            "trained per target language, so they have no en entry."
        )
    if with_paper and paper_comparable:
        caption += _PAPER_ROWS
    elif with_paper:
        caption += (
            " No per-cell paper comparison: the paper's cells average over "
            f"{', '.join(paper_cls_targets)}."
        )
    colspec = "l" + "c" * len(columns)
    note = _DAGGER_NOTE if with_paper and paper_baselines(task_group) else None
    return latex_table(
        colspec,
        ["Method", *header_cols],
        body,
        caption,
        label or f"tab:{task_group}",
        note,
    )


def _multi_source_rows(data: pd.DataFrame, encoder: str, method: str, target: str) -> pd.DataFrame:
    """IW rows trained on several sources that exclude ``target``; the widest union wins."""
    rows = _select(data, "ote", encoder, method, multi_source=True)
    rows = rows[rows["eval_lang"] == target]
    excludes_target = np.array([target not in s.split("+") for s in rows["sources"]], dtype=bool)
    rows = rows.loc[excludes_target]
    if rows.empty:
        return rows
    widest = max(rows["sources"].unique(), key=lambda s: (len(s.split("+")), s))
    return rows[rows["sources"] == widest]


def table_multisource(
    df: pd.DataFrame,
    *,
    targets: Sequence[str],
    encoder: str,
    iw_method: str = "cosine",
    with_paper: bool = True,
    label: str = "tab:multisource",
    source_lang: str = SOURCE_LANG,
) -> str:
    """Table 4: plain, single-source IW (en) and multi-source IW (all other languages) on OTE.

    If several multi-source runs exist for a target, the one with the most source languages
    is shown, matching the paper's "union of all other available languages".
    """
    data = prepare_results(df, source_lang)
    decimals = DECIMALS["ote"]
    targets = list(targets)
    specs = [
        (encoder_label(encoder), "none", False),
        ("Single-source", iw_method, False),
        ("Multi-source", iw_method, True),
    ]
    body: list[str] = []
    seed_counts: list[int] = []
    sources_used: dict[str, str] = {}
    for name, method, multi in specs:
        cells, means, paper_vals = [name], [], []
        for target in targets:
            if multi:
                rows = _multi_source_rows(data, encoder, method, target)
                if not rows.empty:
                    sources_used[target] = str(rows["sources"].iloc[0])
            else:
                rows = _select(data, "ote", encoder, method, source_lang=source_lang)
            text, mean, n = _target_cell(rows, target, decimals)
            cells.append(text)
            means.append(mean)
            seed_counts.append(n)
            paper_vals.append(paper_value("ote", encoder, method, target, multi_source=multi))
        body += _model_rows(cells, means, paper_vals if with_paper else None, decimals)

    src = latex_escape(source_lang)
    caption = (
        f"Multi-source transfer for opinion target extraction (span F1, SemEval 2016; cf.\\ "
        f"Table 4 of Li et al.) with {encoder_label(encoder)}: plain fine-tuning on {src}, IW "
        f"({latex_escape(iw_method)}) from {src} only, and IW from all other languages. Mean "
        f"$\\pm$ sample standard deviation (ddof=1) over {_seed_phrase(seed_counts)}."
    )
    if sources_used:
        pairs = "; ".join(
            f"{latex_escape(t)} $\\leftarrow$ {latex_escape(s)}" for t, s in sources_used.items()
        )
        caption += f" Multi-source training languages: {pairs}."
    if with_paper and any(line.startswith(r"\quad\textit{paper}") for line in body):
        caption += _PAPER_ROWS
    return latex_table(
        "l" + "c" * len(targets), ["Method", *map(latex_escape, targets)], body, caption, label
    )


def _truncate(text: str, max_chars: int) -> str:
    """Collapse whitespace and cut at a word boundary near ``max_chars`` (escaped after)."""
    flat = " ".join(str(text).split())
    if len(flat) <= max_chars:
        return latex_escape(flat)
    cut = flat[:max_chars]
    space = cut.rfind(" ")
    if space >= max_chars - 30:
        cut = cut[:space]
    return latex_escape(cut.rstrip()) + r"\ldots{}"


def table_case_study(
    record: Mapping[str, Any],
    *,
    k: int = 2,
    max_chars: int = 200,
    label: str = "tab:case-study",
) -> str:
    """Table 5: target instance 0 of one logged batch and its k most/least similar sources.

    Sources are ranked by ``pair_scores[i][0]`` = score(i, 0); the weight column is the
    normalised w_i, which sums score(i, j) over all targets of the batch, so the two orders
    can differ.
    """
    sources = list(record["source_texts"])
    labels = list(record["source_labels"])
    targets = list(record["target_texts"])
    scores = np.asarray(record["pair_scores"], dtype=float)
    weights = np.asarray(record["weights"], dtype=float)
    n_src = len(sources)
    if not targets:
        raise ValueError("record has no target texts")
    if scores.shape != (n_src, len(targets)):
        raise ValueError(f"pair_scores has shape {scores.shape}, expected {(n_src, len(targets))}")
    if len(labels) != n_src or weights.shape != (n_src,):
        raise ValueError("source_labels and weights must have one entry per source text")
    if k < 1:
        raise ValueError("k must be at least 1")

    to_target = scores[:, 0]
    top = [int(i) for i in np.argsort(-to_target, kind="stable")[:k]]
    bottom = [int(i) for i in np.argsort(to_target, kind="stable") if int(i) not in top][:k]
    lang = latex_escape(record.get("target_lang", "?"))
    target_labels = record.get("target_labels")
    target_label = latex_escape(target_labels[0]) if target_labels else MISSING

    body = [
        latex_row(
            [
                f"Target $j{{=}}0$ ({lang})",
                target_label,
                MISSING,
                MISSING,
                _truncate(targets[0], max_chars),
            ]
        ),
        r"\midrule",
    ]
    for group, picks in (("Highest", top), ("Lowest", bottom)):
        for rank, i in enumerate(picks, start=1):
            body.append(
                latex_row(
                    [
                        f"{group} {rank} (source $i{{=}}{i}$)",
                        latex_escape(labels[i]),
                        f"{to_target[i]:.4f}",
                        f"{weights[i]:.4f}",
                        _truncate(sources[i], max_chars),
                    ]
                )
            )
        if group == "Highest" and bottom:
            body.append(r"\midrule")

    caption = (
        f"Case study (cf.\\ Table 5 of Li et al.): batch at step {int(record['step'])}, target "
        f"language {lang}. Target instance 0 and the {k} source instances with the highest "
        f"and the {k} with the lowest score$(i,0)$ to it, out of {n_src} sources and "
        f"{len(targets)} targets. $w_i$: normalised instance weight, which sums score$(i,j)$ "
        f"over all targets of the batch. Texts are cut to about {max_chars} characters."
    )
    case = load_paper_results().get("case_study")
    if case:
        printed = ", ".join(
            f"{s['score']:.4f} ({latex_escape(s['label'])})" for s in case["sources"]
        )
        caption += f" The paper's example prints scores {printed}."
    return latex_table(
        r"llrrp{0.5\linewidth}",
        ["Instance", "Label", "score$(i,0)$", "$w_i$", "Content"],
        body,
        caption,
        label,
    )


def wrap_document(*tables: str) -> str:
    """A standalone pdfLaTeX document around ``tables``, for compile checks and previews.

    pdfLaTeX has no fonts for scripts such as Japanese or Cyrillic; rather than fail, the
    document prints ``?`` for a character it cannot set.
    """
    preamble = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{booktabs}
\usepackage{array}
\usepackage[margin=1.5cm]{geometry}
\makeatletter
\ifdefined\UTFviii@undefined@err
  \def\UTFviii@undefined@err#1{\textbf{?}}
\fi
\makeatother
\begin{document}
"""
    return preamble + "\n\\clearpage\n".join(tables) + "\n\\end{document}\n"
