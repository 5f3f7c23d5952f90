"""What a grid costs before it is submitted: jobs per table and estimated GPU-hours.

``zsiw plan --cost`` prints, for the current params, how many training jobs each of the
paper's tables needs and an *estimate* of their GPU time. The basis is stated with the
numbers: floating-point operations counted from the encoder's size and the tokens each job
processes, divided by an assumed achieved throughput (``--tflops``), plus a fixed start-up
per job. No GPU run of this project has been measured yet, so this is an estimate for
planning, not a measurement; ``zsiw bench`` on the GPU replaces the assumed throughput with a
measured one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from zsiw import plan
from zsiw.settings import training_steps

#: Training sentences/documents per language (real counts where known, docs/data.md).
TRAIN_SIZES = {
    "ote": {"en": 2000, "es": 2070, "nl": 1722, "ru": 3655, "tr": 1232, "fr": 1664},
    "mldoc": {},  # 1000 per language (paper Sec. 3)
    "cls": {},  # 2000 per language and domain
}
DEFAULT_TRAIN = {"ote": 2000, "mldoc": 1000, "cls": 2000}
TEST_SIZES = {"ote": 700, "mldoc": 4000, "cls": 2000}
#: Mean sub-tokens per item (XLM-R tokenizer). OTE: 20.6 (en) and 25.2 (es), measured on the
#: real SemEval copies. Reviews and news stories are taken to fill max_length: 60 % of the
#: English book reviews exceed 128 pieces (measured); MLDoc stories are longer still.
MEAN_TOKENS = {"ote": 23, "mldoc": 10_000, "cls": 10_000}
#: Transformer parameters outside the embeddings of the paper's encoders (12 x 7.1M).
BASE_NON_EMBEDDING = 85_000_000


@dataclass
class TableCost:
    table: str
    jobs: int = 0
    train_tokens: float = 0.0
    hours: float = 0.0


def table_of(cell: plan.Cell) -> str:
    group = plan.task_group(cell.task)
    if cell.multi_source:
        return "Table 4 (multi-source OTE)"
    if cell.method not in (plan.PLAIN, "cosine"):
        return "ablation / study"
    return {"ote": "Table 1 (OTE)", "mldoc": "Table 2 (MLDoc)", "cls": "Table 3 (Webis-CLS-10)"}[
        group
    ]


def non_embedding_parameters(config: dict, encoder: str) -> int:
    """From the local copy's config.json when there is one, else a base-size encoder's."""
    path = plan.model_dir(config, encoder) / "config.json"
    if not path.exists():
        return BASE_NON_EMBEDDING
    spec = json.loads(path.read_text())
    hidden, inter = spec["hidden_size"], spec["intermediate_size"]
    layers = spec.get("num_hidden_layers", 12)
    return layers * (4 * hidden * hidden + 2 * hidden * inter)


def train_items(cell: plan.Cell) -> int:
    """Training sentences/documents of a cell: those of each of its source languages."""
    group = plan.task_group(cell.task)
    return sum(TRAIN_SIZES[group].get(lang, DEFAULT_TRAIN[group]) for lang in cell.sources)


def cell_steps(config: dict, cell: plan.Cell) -> int:
    """Optimiser steps of one cell under the params (epochs, batch size, step cap)."""
    settings = plan.train_settings(config, cell.task)
    return training_steps(
        train_items(cell), settings["epochs"], settings["batch_size"], settings.get("max_steps")
    )


def from_step_times(config: dict, step_seconds: dict[str, float]) -> dict[str, dict]:
    """Device-hours per task group from *measured* step times (`zsiw bench`): seconds per step
    keyed ``"{group}@{max_length}/{method}"`` (or without the method), times each cell's
    steps. The measured counterpart of :func:`estimate`."""
    out: dict[str, dict] = {}
    for cell in plan.cells(config):
        settings = plan.train_settings(config, cell.task)
        group = plan.task_group(cell.task)
        key = f"{group}@{settings['max_length']}"
        per_step = step_seconds.get(f"{key}/{cell.method}", step_seconds.get(key, 0.0))
        entry = out.setdefault(group, {"cells": 0, "hours": 0.0})
        entry["cells"] += 1
        entry["hours"] += cell_steps(config, cell) * per_step / 3600
    return out


def estimate(
    config: dict, *, tflops: float = 40.0, job_overhead_s: float = 60.0
) -> list[TableCost]:
    """Per table: jobs, training tokens and GPU-hours (6 x params x tokens per trained token,
    2 x params x tokens for IW's target pass and for testing, at ``tflops`` achieved)."""
    tables: dict[str, TableCost] = {}
    for cell in plan.cells(config):
        group = plan.task_group(cell.task)
        settings = plan.train_settings(config, cell.task)
        length = min(settings["max_length"], MEAN_TOKENS[group])
        items = train_items(cell)
        steps = cell_steps(config, cell)
        tokens = steps * settings["batch_size"] * length
        params = non_embedding_parameters(config, cell.encoder)
        flops = 6 * params * tokens
        if cell.method != plan.PLAIN:
            flops += 2 * params * steps * settings["target_batch_size"] * length
        tested = len(plan.eval_langs(config, cell)) * TEST_SIZES[group] * length
        flops += 2 * params * (tested + settings["epochs"] * items * 0.1 * length)  # + dev
        entry = tables.setdefault(table_of(cell), TableCost(table_of(cell)))
        entry.jobs += 1
        entry.train_tokens += tokens
        entry.hours += (flops / (tflops * 1e12) + job_overhead_s) / 3600
    return sorted(tables.values(), key=lambda t: t.table)


def cost_text(config: dict, *, tflops: float = 40.0, job_overhead_s: float = 60.0) -> str:
    rows = estimate(config, tflops=tflops, job_overhead_s=job_overhead_s)
    lines = [
        f"{'table':28s} {'jobs':>5s} {'train tokens':>13s} {'GPU-hours (estimated)':>22s}",
    ]
    for r in rows:
        lines.append(f"{r.table:28s} {r.jobs:5d} {r.train_tokens:13.3g} {r.hours:22.2f}")
    total = sum(r.hours for r in rows)
    lines.append(f"{'total':28s} {sum(r.jobs for r in rows):5d} {'':13s} {total:22.2f}")
    lines += [
        "",
        f"Basis (an estimate, not a measurement: no GPU run of zsiw has been timed yet): "
        f"6 x non-embedding parameters x trained tokens, + 2 x parameters x tokens for IW's "
        f"target pass, the source-dev passes and testing, at {tflops:g} TFLOP/s achieved, "
        f"+ {job_overhead_s:g} s start-up per job; tokens = items x min(max_length, mean "
        f"length per task); one GPU per job. `zsiw bench` on the GPU measures the real step "
        f"time.",
    ]
    return "\n".join(lines) + "\n"


def write(config: dict, out: Path | None, **kwargs: float) -> str:
    text = cost_text(config, **kwargs)
    if out is not None:
        out.write_text(text)
    return text
