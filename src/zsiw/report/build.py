"""Write Tables 1-5 from the per-seed results (the `zsiw tables` command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from zsiw.atomic import write_text
from zsiw.paper import SOURCE_LANG
from zsiw.plan import PLAIN, task_domain, task_group
from zsiw.report.tables import (
    DECIMALS,
    encoder_label,
    format_cell,
    latex_escape,
    latex_row,
    latex_table,
    multi_source_mask,
    table_case_study,
    table_main,
    table_multisource,
)

TABLE_TASKS = {1: "ote", 2: "mldoc", 3: "cls"}


def dispersion_note(rows: pd.DataFrame, group: str, iw_method: str) -> str | None:
    """A footnote on how far the IW weights were from uniform in this table's IW runs.

    ``ess/n`` is the effective sample size over the batch size (1 = uniform weights) and
    ``n max w`` the batch size times the largest weight, per step, summarised over runs.
    """
    if "w_ess_ratio_mean" not in rows.columns:
        return None
    in_group = rows["task"].map(task_group) == group
    part = rows[in_group & (rows["method"] == iw_method)]
    part = part.dropna(subset=["w_ess_ratio_mean"])
    if part.empty:
        return None
    return (
        f"IW weight dispersion over {part['seed'].nunique()} seed(s): ESS/$n$ mean "
        f"{part['w_ess_ratio_mean'].mean():.4f} (lowest step {part['w_ess_ratio_min'].min():.4f}); "
        f"$n\\cdot\\max w$ mean {part['w_n_max_mean'].mean():.3f} "
        f"(highest step {part['w_n_max_max'].max():.3f}); 1 = uniform weights."
    )


def add_note(latex: str, note: str | None) -> str:
    """Put a footnote line under the tabular of a generated table."""
    if not note:
        return latex
    return latex.replace(
        "\\end{tabular}\n", f"\\end{{tabular}}\n\\par\\smallskip{{\\footnotesize {note}\\par}}\n", 1
    )


def placeholder(number: int, reason: str) -> str:
    """A compilable table that says why it is empty, so a partial grid still builds."""
    return (
        "\\begin{table}[t]\n\\centering\n"
        f"\\caption{{Table {number}: not produced. {latex_escape(reason)}}}\n"
        f"\\label{{tab:paper{number}}}\n\\end{{table}}\n"
    )


def significant_cells(significance_csv: str | Path | None, group: str) -> set[tuple[str, str]]:
    """``(encoder, column)`` pairs whose IW gain is significant and positive; for cls the
    column is the domain, marked only when every language of it is."""
    if not significance_csv or not Path(significance_csv).exists():
        return set()
    sig = pd.read_csv(significance_csv)
    if sig.empty:
        return set()
    sig = sig[sig["task"].map(task_group) == group]
    sig = sig[~multi_source_mask(sig)]  # Tables 1-3 are single-source; multi-source is Table 4
    good = sig["significant"].astype(bool) & (sig["delta"] > 0)
    if group != "cls":
        return {(e, lang) for e, lang in zip(sig[good]["encoder"], sig[good]["eval_lang"])}
    out = set()
    for (encoder, task), part in sig.assign(good=good).groupby(["encoder", "task"]):
        if part["good"].all():
            out.add((encoder, task_domain(task) or ""))  # cls tasks always name one
    return out


def case_study_record(path: str | Path, spec: dict) -> dict | None:
    """The first logged IW batch of the case-study run, or None when it logged none.

    The training log does not name the target language; the table builder's spec does
    (``case_study_target``, from ``tables.case_study``), so it is filled in here."""
    path = Path(path)
    if not path.exists():
        return None
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    if not lines:
        return None
    record = json.loads(lines[0])
    if "target_lang" not in record and spec.get("case_study_target"):
        record["target_lang"] = spec["case_study_target"]
    return record


def write_tables(
    rows_csv: str | Path,
    spec: dict,
    out_dir: Path,
    *,
    case_study: str | Path | None = None,
    significance: str | Path | None = None,
) -> list[Path]:
    """Write ``table1.tex`` ... ``table5.tex`` into ``out_dir`` (each atomically)."""
    rows = pd.read_csv(rows_csv)
    tasks: dict[str, list[str]] = spec["tasks"]
    source_lang = spec.get("source_lang", SOURCE_LANG)
    texts: dict[int, str] = {}
    for number, group in TABLE_TASKS.items():
        instances = [t for t in tasks if task_group(t) == group]
        if not instances:
            texts[number] = placeholder(number, f"task {group} is not enabled in params.yaml")
            continue
        kwargs: dict[str, Any] = {}
        if group == "cls":
            kwargs["domains"] = [task_domain(t) for t in instances]
        latex = table_main(
            rows,
            group,
            targets=tasks[instances[0]],
            encoders=spec["encoders"],
            iw_method=spec["iw_method"],
            significant=significant_cells(significance, group),
            source_lang=source_lang,
            **kwargs,
        )
        texts[number] = add_note(latex, dispersion_note(rows, group, spec["iw_method"]))
    multi = spec.get("multi_source") or {}
    if multi and "ote" in tasks:
        texts[4] = table_multisource(
            rows,
            targets=tasks["ote"],
            encoder=multi["encoder"],
            iw_method=multi["method"],
            source_lang=source_lang,
        )
    else:
        texts[4] = placeholder(4, "multi-source OTE is not enabled in params.yaml")
    record = case_study_record(case_study, spec) if case_study else None
    texts[5] = (
        table_case_study(record)
        if record
        else placeholder(5, "no logged IW batch (tables.case_study names no run of the grid)")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, text in sorted(texts.items()):
        written.append(write_text(out_dir / f"table{number}.tex", text))
    return written


def table_ablation(
    rows: pd.DataFrame,
    *,
    task: str,
    targets: list[str],
    encoders: list[str],
    methods: list[str],
    source_lang: str = SOURCE_LANG,
) -> str:
    """Scoring functions side by side (beyond the paper): rows encoder x method, columns
    targets, mean ± std over seeds, single-source cells only."""
    data = rows[(rows["task"] == task) & (rows["sources"] == source_lang)]
    body = []
    for encoder in encoders:
        for method in methods:
            model = data[(data["encoder"] == encoder) & (data["method"] == method)]
            cells = [
                format_cell(
                    model[model["eval_lang"] == t]["score"].tolist(), DECIMALS[task_group(task)]
                )
                for t in targets
            ]
            body.append(latex_row([f"{encoder_label(encoder)} {latex_escape(method)}", *cells]))
    return latex_table(
        "l" + "c" * len(targets),
        ["Encoder, scoring", *[latex_escape(t) for t in targets]],
        body,
        f"Scoring-function ablation on {latex_escape(task)} (beyond the paper): plain "
        f"fine-tuning ({PLAIN}) and instance weighting with each scoring function, mean "
        "$\\pm$ sample std over seeds.",
        "tab:ablation",
    )


def write_ablation(rows_csv: str | Path, spec: dict, out: Path) -> Path:
    rows = pd.read_csv(rows_csv)
    ablation = spec.get("ablation") or {}
    if not ablation.get("enabled"):
        text = placeholder(0, "the ablation is not enabled in params.yaml").replace(
            "Table 0: ", "Ablation: "
        )
    else:
        task = ablation["tasks"][0]
        text = table_ablation(
            rows,
            task=task,
            targets=spec["tasks"].get(task, []),
            encoders=spec["encoders"],
            methods=[PLAIN, "cosine", *ablation["methods"]],
            source_lang=spec.get("source_lang", SOURCE_LANG),
        )
    return write_text(out, text)
