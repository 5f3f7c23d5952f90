"""Our run beside the paper and beside an earlier run of ours, cell by cell.

The scorecard compares a run with the paper; this page answers a different question: how much
of the distance between an earlier, cheaper run (say the 4-layer CPU study) and the paper does
this run close? For every task x target x method it prints this run's mean +- std over seeds,
the paper's number for ``paper_encoder`` (XLM-R for an XLM-R-family encoder), the reference
run's number (read from a small YAML file, ``report.compare_with`` in params), the two
differences and the share of the gap closed; then IW - plain per target for all three.
Webis-CLS-10 rows are per language, plus the mean over the targets, which is the only number
the paper prints for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from zsiw import markdown
from zsiw.atomic import write_text
from zsiw.paper import SOURCE_LANG, paper_value
from zsiw.plan import PLAIN, task_domain, task_group
from zsiw.report.tables import prepare_results, seed_scores

MEAN = "mean"


def load_reference(path: str | Path) -> dict[str, Any]:
    """``{label, source, results: [{task, target, method, multi_source?, mean, std, seeds}]}``."""
    data = yaml.safe_load(Path(path).read_text())
    for key in ("label", "source", "results"):
        if key not in data:
            raise ValueError(f"{path}: missing key {key!r}")
    return data


def _reference_value(reference: dict, task: str, target: str, method: str, multi: bool):
    for row in reference["results"]:
        if (
            row["task"] == task
            and row["target"] == target
            and row["method"] == method
            and bool(row.get("multi_source", False)) == multi
        ):
            return float(row["mean"])
    return None


def _cells(frame: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    """Per task x target x method x seed: the score (CLS also averaged over its targets)."""
    frame = prepare_results(frame)
    frame = frame[frame["eval_lang"] != source_lang]
    records = []
    for (task, method, multi, target), part in frame.groupby(
        ["task", "method", "multi_source", "eval_lang"], sort=True
    ):
        for seed, score in seed_scores(part).items():
            records.append((task, method, multi, target, seed, score))
    cells = pd.DataFrame(records, columns=["task", "method", "multi", "target", "seed", "score"])
    cls = cells[cells["task"].str.startswith("cls-")]
    if not cls.empty:  # the paper's CLS number: the mean over the targets, per seed ...
        targets = cls.groupby("task")["target"].agg(set)
        grouped = cls.groupby(["task", "method", "multi", "seed"], as_index=False)
        means = grouped.agg(score=("score", "mean"), targets=("target", set))
        # ... only where that seed has every target (a grid still running has holes: a
        # mean over some of them is not the paper's number)
        complete = [t == targets[task] for task, t in zip(means["task"], means["targets"])]
        means = means[complete]
        means["target"] = MEAN
        cells = pd.concat([cells, means[cells.columns]], ignore_index=True)
    return cells


def _paper(encoder: str, task: str, target: str, method: str, multi: bool) -> float | None:
    """The paper's number for a row (for CLS only the mean over targets exists)."""
    return paper_value(
        task_group(task),
        encoder,
        method,
        None if target == MEAN else target,
        domain=task_domain(task),
        multi_source=multi,
    )


def _fmt(x: float | None, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return f"{x:+.4f}" if signed else f"{x:.4f}"


def comparison_markdown(
    per_seed: str | Path | pd.DataFrame,
    reference: dict[str, Any],
    *,
    source_lang: str = SOURCE_LANG,
    paper_encoder: str = "xlm-roberta-base",
) -> str:
    frame = per_seed if isinstance(per_seed, pd.DataFrame) else pd.read_csv(per_seed)
    cells = _cells(frame, source_lang)
    label = reference["label"]
    lines = [
        f"This run beside the paper ({paper_encoder}) and beside {label} "
        f"(`{reference['source']}`). Mean ± std over seeds (n); gap closed = (this − "
        f"{label}) / (paper − {label}).",
        "",
    ]
    rows, gains = [], []
    for (task, target, multi, method), part in cells.groupby(
        ["task", "target", "multi", "method"], sort=True
    ):
        scores = part["score"].to_numpy(dtype=float)
        mean = float(scores.mean())
        std = float(scores.std(ddof=1)) if len(scores) > 1 else float("nan")
        paper = _paper(paper_encoder, task, target, method, bool(multi))
        ref = _reference_value(reference, task, target, method, bool(multi))
        closed = (
            f"{(mean - ref) / (paper - ref):.0%}"
            if paper is not None and ref is not None and paper != ref
            else "–"
        )
        name = ("multi-source " if multi else "") + ("plain" if method == PLAIN else method)
        # one seed has no spread: say so rather than print "± –"
        ours = (
            f"{mean:.4f} ± {_fmt(std)} ({len(scores)})"
            if len(scores) > 1
            else f"{mean:.4f} (1 seed)"
        )
        rows.append(
            [task, target, name, ours, _fmt(paper)]
            + [_fmt(None if paper is None else mean - paper, True), _fmt(ref)]
            + [_fmt(None if ref is None else mean - ref, True), closed]
        )
        if method != PLAIN and not multi:
            plain = cells[
                (cells["task"] == task)
                & (cells["target"] == target)
                & (cells["method"] == PLAIN)
                & ~cells["multi"].astype(bool)
            ].set_index("seed")["score"]
            paired = part.set_index("seed")["score"]
            common = paired.index.intersection(plain.index)
            delta = (paired[common] - plain[common]).to_numpy(dtype=float)
            paper_plain = _paper(paper_encoder, task, target, PLAIN, False)
            ref_plain = _reference_value(reference, task, target, PLAIN, False)
            gains.append(
                (
                    task,
                    target,
                    method,
                    delta,
                    None if paper is None or paper_plain is None else paper - paper_plain,
                    None if ref is None or ref_plain is None else ref - ref_plain,
                )
            )
    header = ["task", "target", "method", "this run", "paper", "this − paper", label]
    lines += markdown.table([*header, f"this − {label}", "gap closed"], rows)
    lines += [
        "",
        "IW − plain, paired by seed (this run: mean ± std of the per-seed differences, "
        "seeds where IW won/lost):",
        "",
    ]
    gain_rows = []
    for task, target, method, delta, paper_gain, ref_gain in gains:
        wins, losses = int((delta > 0).sum()), int((delta < 0).sum())
        if not len(delta):  # a grid still running: no seed has both models yet
            ours = "– (no seed has both models yet)"
        elif len(delta) == 1:
            ours = f"{_fmt(float(delta[0]), True)} (1 seed, {wins}/{losses})"
        else:
            spread = _fmt(float(delta.std(ddof=1)))
            ours = f"{_fmt(float(delta.mean()), True)} ± {spread} ({wins}/{losses})"
        gain_rows.append([task, target, method, ours, _fmt(paper_gain, True)])
        gain_rows[-1].append(_fmt(ref_gain, True))
    lines += markdown.table(["task", "target", "method", "this run", "paper", label], gain_rows)
    return "\n".join(lines) + "\n"


def write_comparison(
    per_seed: str | Path, reference_path: str | Path, out: str | Path, **kwargs: Any
) -> Path:
    return write_text(out, comparison_markdown(per_seed, load_reference(reference_path), **kwargs))
