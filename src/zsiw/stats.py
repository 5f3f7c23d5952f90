"""Seed aggregation: per-seed evaluation files -> one table of rows and a DVC metrics file."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from zsiw.atomic import atomic_path

ROW_KEYS = (
    "task",
    "task_group",
    "domain",
    "encoder",
    "method",
    "sources",
    "multi_source",
    "target",
    "eval_lang",
    "seed",
    "score",
    "f1",
    "precision",
    "recall",
    "accuracy",
    "macro_f1",
    "n",
    "source_dev_score",
)
CELL_KEYS = ["task", "encoder", "method", "sources", "eval_lang"]


def load_rows(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (trained model, evaluation language, seed) from cells' metrics.json."""
    rows = []
    for path in paths:
        for data in json.loads(Path(path).read_text())["results"]:
            row = {key: data.get(key) for key in ROW_KEYS}
            for key, value in (data.get("weight_dispersion") or {}).items():
                row[f"w_{key}"] = value
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise ValueError("no evaluation results to aggregate")
    return frame.sort_values(CELL_KEYS + ["seed"]).reset_index(drop=True)


def cell_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std (ddof=1; 0 for a single seed) and seed count per table cell."""
    grouped = frame.groupby(CELL_KEYS, dropna=False)["score"]
    out = grouped.agg(mean="mean", std="std", n_seeds="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def write_summary(frame: pd.DataFrame, json_path: str | Path, csv_path: str | Path) -> dict:
    """Per-seed rows as CSV; per-cell mean/std as a flat JSON DVC can diff."""
    summary = cell_summary(frame)
    metrics = {
        "/".join(str(r[k]) for k in CELL_KEYS): {
            "mean": round(float(r["mean"]), 6),
            "std": round(float(r["std"]), 6),
            "n_seeds": int(r["n_seeds"]),
        }
        for _, r in summary.iterrows()
    }
    for path, write in ((csv_path, None), (json_path, metrics)):
        with atomic_path(path) as tmp:
            if write is None:
                frame.to_csv(tmp, index=False)
            else:
                tmp.write_text(json.dumps(write, indent=2, sort_keys=True))
    return metrics
