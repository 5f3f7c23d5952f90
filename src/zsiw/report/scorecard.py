"""A Markdown scorecard: does the reproduction agree with the paper, and is IW's gain real?

The LaTeX tables show numbers; this page answers the reproduction questions directly. For
every cell it puts our mean +- sample std (ddof=1) over seeds beside the paper's value and
the absolute gap, and for every IW cell whether the *sign* of the IW gain (IW - plain, same
task, encoder and target) matches the paper's -- the paper's claim is the direction of the
effect more than its third decimal. The paired-bootstrap results (``zsiw.significance``)
follow, so a reader sees whether each gain is larger than test-set noise.

For ``cls`` the paper prints only the mean over de/fr/ja per domain, so we compare at that
level: our cell is the mean over languages of the per-language seed means, its spread the
std over seeds of the language-averaged accuracy (as ``zsiw.report.tables`` does). A cell
whose languages differ from the paper's is marked not comparable rather than compared.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zsiw import markdown
from zsiw.paper import (
    SOURCE_LANG,
    canonical_encoder,
    load_paper_results,
    paper_label,
    paper_value,
)
from zsiw.plan import PLAIN, task_group
from zsiw.report.tables import domain_stats, multi_source_mask, prepare_results, seed_scores

__all__ = ["scorecard", "scorecard_rows"]

_GROUP_ORDER = {"ote": 0, "mldoc": 1, "cls": 2}
_DECIMALS = {"ote": 3, "mldoc": 4, "cls": 4}
_DASH = "–"
ROW_COLUMNS = [
    "task_group",
    "domain",
    "encoder",
    "method",
    "multi_source",
    "target",
    "langs",
    "n_seeds",
    "ours_mean",
    "ours_std",
    "paper",
    "abs_diff",
    "paper_note",
    "our_gain",
    "paper_gain",
    "sign_match",
    "sig_note",
]


def _label(encoder: str) -> str:
    return paper_label(encoder) or encoder


def _md(text: Any) -> str:
    """Escape the characters that would break a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _prepare(frame: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    """The tables' column filling, with an empty-string domain for tasks without one."""
    out = prepare_results(frame, source_lang)
    out["domain"] = out["domain"].fillna("")
    return out


def _sign(x: float) -> int:
    return 0 if x == 0 else (1 if x > 0 else -1)


def _stats(seeds: pd.Series) -> tuple[float, float, int]:
    values = seeds.to_numpy(dtype=float)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return float(values.mean()), std, len(values)


def scorecard_rows(
    per_seed: str | Path | pd.DataFrame,
    significance_df: pd.DataFrame | None = None,
    *,
    source_lang: str = SOURCE_LANG,
) -> pd.DataFrame:
    """The scorecard as a frame: one row per compared cell (what :func:`scorecard` prints).

    Columns: task_group, domain, encoder, method, multi_source, target (``mean`` for cls),
    langs, n_seeds, ours_mean, ours_std, paper, abs_diff, paper_note, our_gain, paper_gain,
    sign_match (None where there is nothing to compare), sig_note.
    """
    raw = per_seed if isinstance(per_seed, pd.DataFrame) else pd.read_csv(per_seed)
    data = _prepare(raw, source_lang)
    data = data[data["multi_source"] | (data["sources"] == source_lang)]
    paper_cls_langs = sorted(load_paper_results()["tables"]["table3"]["averaged_over"])
    units: list[dict[str, Any]] = []
    keys = ["task_group", "domain", "encoder", "method", "multi_source"]
    for (group, domain, encoder, method, multi), rows in data.groupby(
        keys, dropna=False, sort=False
    ):
        domain = domain if isinstance(domain, str) else ""
        base = {
            "task_group": group,
            "domain": domain,
            "encoder": encoder,
            "method": method,
            "multi_source": bool(multi),
        }
        if group == "cls":
            langs = sorted(lang for lang in rows["eval_lang"].unique() if lang != source_lang)
            stats = domain_stats(rows, langs)
            if stats is None:
                continue
            mean, std, n_seeds = stats
            comparable = langs == paper_cls_langs
            pv = (
                paper_value(
                    "cls", encoder, method, None, domain=domain or None, multi_source=bool(multi)
                )
                if comparable
                else None
            )
            note = "" if comparable else f"not comparable (ours averages {', '.join(langs)})"
            units.append(
                {
                    **base,
                    "target": "mean",
                    "langs": ",".join(langs),
                    "n_seeds": n_seeds,
                    "ours_mean": mean,
                    "ours_std": std,
                    "paper": pv,
                    "paper_note": note,
                }
            )
        else:
            for lang, lang_rows in rows.groupby("eval_lang", sort=False):
                mean, std, n_seeds = _stats(seed_scores(lang_rows))
                pv = paper_value(group, encoder, method, str(lang), multi_source=bool(multi))
                units.append(
                    {
                        **base,
                        "target": str(lang),
                        "langs": str(lang),
                        "n_seeds": n_seeds,
                        "ours_mean": mean,
                        "ours_std": std,
                        "paper": pv,
                        "paper_note": "",
                    }
                )
    plain = {
        (u["task_group"], u["domain"], u["encoder"], u["target"]): u
        for u in units
        if u["method"] == PLAIN and not u["multi_source"]
    }
    for u in units:
        pv = u["paper"]
        u["paper_note"] = u["paper_note"] or ("not reported by the paper" if pv is None else "")
        u["abs_diff"] = None if pv is None else abs(u["ours_mean"] - pv)
        ref = plain.get((u["task_group"], u["domain"], u["encoder"], u["target"]))
        u["our_gain"] = u["paper_gain"] = u["sign_match"] = None
        if u["method"] != PLAIN and ref is not None:
            u["our_gain"] = u["ours_mean"] - ref["ours_mean"]
            if pv is not None and ref["paper"] is not None:
                u["paper_gain"] = pv - ref["paper"]
                u["sign_match"] = _sign(u["our_gain"]) == _sign(u["paper_gain"])
        u["sig_note"] = _sig_note(u, significance_df)
    units.sort(
        key=lambda u: (
            _GROUP_ORDER.get(u["task_group"], 9),
            u["domain"],
            paper_label(u["encoder"]) is None,
            canonical_encoder(u["encoder"]),
            u["target"] != source_lang,
            u["target"],
            u["multi_source"],
            u["method"] != PLAIN,
            u["method"],
        )
    )
    # object dtype keeps None as None (not NaN), which the printing code relies on
    return pd.DataFrame(units, columns=ROW_COLUMNS, dtype=object)


def _task(unit: dict[str, Any]) -> str:
    return f"{unit['task_group']}-{unit['domain']}" if unit["domain"] else unit["task_group"]


def _sig_note(unit: dict[str, Any], sig: pd.DataFrame | None) -> str:
    """Short significance summary of one IW row (per-language results for a cls domain)."""
    if sig is None or sig.empty or unit["method"] == PLAIN:
        return ""
    hits = sig[
        (sig["task"] == _task(unit))
        & (sig["encoder"] == unit["encoder"])
        & (sig["method"] == unit["method"])
        & (multi_source_mask(sig) == unit["multi_source"])
    ]
    if unit["target"] != "mean":
        hits = hits[hits["eval_lang"] == unit["target"]]
        if hits.empty:
            return ""
        h = hits.iloc[0]
        p = _fmt_p(h)
        return f"{'yes' if h['significant'] else 'no'} (p{p if p.startswith('<') else '=' + p})"
    if hits.empty:
        return ""
    n_sig = int(hits["significant"].astype(bool).sum())
    return f"{n_sig}/{len(hits)} langs"


def _fmt_p(row: Any) -> str:
    p = float(row["p_value"])
    n = row.get("n_resamples") if hasattr(row, "get") else None
    if p == 0 and n is not None and not pd.isna(n):
        return f"<{2 / float(n):.3g}"
    return f"{p:.3g}"


def _fmt(value: float | None, decimals: int, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _DASH
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def _method_label(method: str, multi: bool) -> str:
    if method == PLAIN:
        return "plain"
    return f"{method} (multi-source)" if multi else f"{method} (IW)"


def scorecard(
    per_seed_csv: str | Path | pd.DataFrame,
    significance_df: pd.DataFrame | None = None,
    *,
    source_lang: str = SOURCE_LANG,
) -> str:
    """Markdown: ours vs the paper per cell, IW-gain sign agreement, significance results."""
    frame = scorecard_rows(per_seed_csv, significance_df, source_lang=source_lang)
    sig = significance_df if significance_df is not None else pd.DataFrame()
    lines = ["# Reproduction scorecard", ""]
    if frame.empty:
        return "\n".join([*lines, "No results to compare.", ""])
    iw = frame[frame["method"] != PLAIN]
    judged = iw[iw["sign_match"].notna()]
    n_match = int(judged["sign_match"].astype(bool).sum())
    reported = frame["paper"].notna()
    n_sig = int(sig["significant"].astype(bool).sum()) if not sig.empty else 0
    lines += [
        (
            "Each cell compares our result -- mean ± sample std (ddof=1) over seeds -- with the "
            "number Li et al. print in Tables 1-4 (span F1 for `ote`, accuracy for `mldoc` and "
            "`cls`), and gives the absolute difference |Δ|. For `cls` the paper reports only the "
            "mean over de/fr/ja per domain, so those cells average our per-language seed means. "
            "For each IW cell, *IW gain* is IW − plain (same task, encoder and target) and "
            "*sign* says whether our gain has the paper's sign."
        ),
        "",
        f"**Sign agreement: {n_match} of {len(judged)} IW cells with a paper value match the "
        f"paper's sign of the IW gain.** {int(reported.sum())} of {len(frame)} cells have a "
        f"paper value; {len(frame) - int(reported.sum())} are not reported by the paper (or "
        "not comparable). "
        + (
            f"Paired bootstrap: {n_sig} of {len(sig)} IW-vs-plain comparisons are significant "
            "(p < 0.05 and a 95% CI excluding 0)."
            if not sig.empty
            else "No significance results were given."
        ),
        "",
        "## Ours vs. the paper",
        "",
    ]
    header = [
        "Task",
        "Encoder",
        "Method",
        "Target",
        "Seeds",
        "Ours",
        "Paper",
        "|Δ|",
        "IW gain (ours)",
        "IW gain (paper)",
        "Sign",
        "Significant",
    ]
    body = []
    for r in frame.itertuples():
        d = _DECIMALS.get(r.task_group, 4)
        task = _task(r._asdict())
        target = f"mean({r.langs.replace(',', ', ')})" if r.target == "mean" else r.target
        ours = _fmt(r.ours_mean, d)
        if r.ours_std is not None and not math.isnan(r.ours_std):
            ours += f" ± {_fmt(r.ours_std, d)}"
        sign = _DASH if r.sign_match is None else ("yes" if r.sign_match else "no")
        body.append(
            [
                task,
                _label(r.encoder),
                _method_label(r.method, r.multi_source),
                target,
                str(r.n_seeds),
                ours,
                r.paper_note or _fmt(r.paper, d),
                _fmt(r.abs_diff, d),
                _fmt(r.our_gain, d, signed=True),
                _fmt(r.paper_gain, d, signed=True),
                sign,
                r.sig_note or _DASH,
            ]
        )
    lines += markdown.table(header, body)
    lines += ["", "## Significance (paired bootstrap, IW vs. plain)", ""]
    if sig.empty:
        lines += ["No significance results.", ""]
        return "\n".join(lines)
    lines += [
        (
            "Test items are resampled jointly for both models (and shared across seeds); the "
            "statistic is the seed-averaged metric difference IW − plain. The 95% CI is the "
            "percentile interval; p is two-sided (2 × the share of resamples whose difference is "
            "zero or of the opposite sign). The bootstrap holds the trained models fixed. "
            "Multi-source IW models are compared with the same plain English-source model "
            "(the baseline of the paper's Table 4)."
        ),
        "",
    ]
    header = [
        "Task",
        "Encoder",
        "Method",
        "Lang",
        "Seeds",
        "Plain",
        "IW",
        "Δ",
        "95% CI",
        "p",
        "Significant",
    ]
    body = []
    for (_, s), multi in zip(sig.iterrows(), multi_source_mask(sig), strict=True):
        d = _DECIMALS.get(task_group(str(s["task"])), 4)
        body.append(
            [
                str(s["task"]),
                _label(str(s["encoder"])),
                _method_label(str(s["method"]), bool(multi)),
                str(s["eval_lang"]),
                str(s["seeds"]),
                _fmt(float(s["mean_plain"]), d),
                _fmt(float(s["mean_iw"]), d),
                _fmt(float(s["delta"]), d, signed=True),
                f"[{_fmt(float(s['ci_low']), d, signed=True)}, "
                + f"{_fmt(float(s['ci_high']), d, signed=True)}]",
                _fmt_p(s),
                "yes" if bool(s["significant"]) else "no",
            ]
        )
    lines += markdown.table(header, body)
    lines.append("")
    return "\n".join(lines)
