"""Figures for the report: IW vs plain per target, weight dispersion, training curves.

Each figure has a builder (``*_figure``) that returns a matplotlib ``Figure`` -- so tests and
notebooks can inspect what is drawn -- and a ``plot_*`` function that writes it as PNG and
PDF and returns the paths. Figures are made with ``matplotlib.figure.Figure`` and the Agg
canvas directly, never through ``pyplot``: no global state, no display needed, nothing to
close, and the caller's backend is left alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from zsiw.atomic import atomic_path
from zsiw.paper import SOURCE_LANG, canonical_encoder, paper_label, paper_value
from zsiw.plan import PLAIN, encoder_name, task_group

__all__ = [
    "find_train_logs",
    "iw_vs_plain_figure",
    "plot_iw_vs_plain",
    "plot_training_curves",
    "plot_weight_dispersion",
    "read_train_log",
    "run_info",
    "save_figure",
    "training_curves_figure",
    "weight_dispersion_figure",
]

_METRIC_LABEL = {"ote": "span F1", "mldoc": "accuracy", "cls": "accuracy"}
_GROUP_ORDER = ("ote", "mldoc", "cls")
_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")
_LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.")


def _encoder_label(encoder: str) -> str:
    return paper_label(encoder) or encoder.rsplit("/", 1)[-1]


def _method_label(method: str) -> str:
    return "plain" if method == PLAIN else f"IW ({method})"


def save_figure(fig: Figure, out_stem: str | Path, pdf_dir: str | Path | None = None) -> list[Path]:
    """Write ``<out_stem>.png`` (150 dpi) and the PDF, each atomically. The PDF goes to
    ``pdf_dir`` when given: DVC renders a plots directory and rejects PDFs in it."""
    stem = Path(out_stem)
    folders = {"png": stem.parent, "pdf": Path(pdf_dir) if pdf_dir is not None else stem.parent}
    FigureCanvasAgg(fig)
    written = []
    for ext in ("png", "pdf"):
        folders[ext].mkdir(parents=True, exist_ok=True)
        path = folders[ext] / f"{stem.name}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")
        written.append(path)
    return written


def _empty_figure(title: str, message: str) -> Figure:
    """A placeholder figure, so a partial grid still yields every declared output."""
    fig = Figure(figsize=(6, 2.5))
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    return fig


# --------------------------------------------------------------------------- IW vs plain


def _results(per_seed: str | Path | pd.DataFrame) -> pd.DataFrame:
    frame = per_seed if isinstance(per_seed, pd.DataFrame) else pd.read_csv(per_seed)
    frame = frame.copy()
    frame["task_group"] = [task_group(str(t)) for t in frame["task"]]
    if "sources" not in frame.columns:
        frame["sources"] = SOURCE_LANG
    frame["sources"] = frame["sources"].astype(str)
    return frame


def iw_vs_plain_figure(
    per_seed: str | Path | pd.DataFrame, group: str, *, source_lang: str = SOURCE_LANG
) -> Figure:
    """Bars of plain vs each IW method per target language, error bars = std over seeds.

    One panel per encoder (and, for ``cls``, per domain: rows). Single-source cells only;
    the source language itself is left out (IW is trained per target). Bar heights are seed
    means, error bars the sample std (ddof=1; none for one seed). Black crosses mark the
    paper's value where it prints one for that language. The y axis is zoomed to the data,
    because the effects are a few points wide.
    """
    frame = _results(per_seed)
    data = frame[
        (frame["task_group"] == group)
        & (frame["sources"] == source_lang)
        & (frame["eval_lang"] != source_lang)
    ]
    if data.empty:
        return _empty_figure(f"IW vs plain: {group}", "no single-source results")
    tasks = sorted(data["task"].unique())
    encoders = sorted(data["encoder"].unique(), key=canonical_encoder)
    methods = [PLAIN] * (PLAIN in set(data["method"])) + sorted(
        m for m in data["method"].unique() if m != PLAIN
    )
    targets = list(dict.fromkeys(data.sort_values("eval_lang")["eval_lang"]))
    fig = Figure(figsize=(max(4.0, 0.9 * len(targets) + 1.5) * len(encoders), 3.2 * len(tasks)))
    axes = np.atleast_2d(fig.subplots(len(tasks), len(encoders), squeeze=False))
    width = 0.8 / len(methods)
    for i, task in enumerate(tasks):
        for j, encoder in enumerate(encoders):
            ax = axes[i, j]
            cell = data[(data["task"] == task) & (data["encoder"] == encoder)]
            lows, highs = [], []
            for k, method in enumerate(methods):
                x, means, errs, paper_x, paper_y = [], [], [], [], []
                for t, target in enumerate(targets):
                    seeds = cell[(cell["method"] == method) & (cell["eval_lang"] == target)]
                    seed_means = seeds.groupby("seed")["score"].mean()
                    if seed_means.empty:
                        continue
                    pos = t - 0.4 + width * (k + 0.5)
                    std = float(seed_means.std(ddof=1)) if len(seed_means) > 1 else 0.0
                    x.append(pos)
                    means.append(float(seed_means.mean()))
                    errs.append(std)
                    pv = None if group == "cls" else paper_value(group, encoder, method, target)
                    if pv is not None:
                        paper_x.append(pos)
                        paper_y.append(pv)
                if not x:
                    continue
                ax.bar(
                    x,
                    means,
                    width=width,
                    yerr=errs,
                    capsize=3,
                    label=_method_label(method),
                    color=_COLORS[k % len(_COLORS)],
                    edgecolor="black",
                    linewidth=0.5,
                )
                lows += [m - e for m, e in zip(means, errs, strict=True)] + paper_y
                highs += [m + e for m, e in zip(means, errs, strict=True)] + paper_y
                if paper_x:
                    ax.scatter(
                        paper_x,
                        paper_y,
                        marker="x",
                        color="black",
                        zorder=3,
                        label=None if _has_label(ax, "paper") else "paper",
                    )
            if lows:
                span = max(highs) - min(lows)
                pad = max(0.02, 0.15 * span)
                ax.set_ylim(max(0.0, min(lows) - pad), min(1.0, max(highs) + pad))
            ax.set_xticks(range(len(targets)), targets)
            ax.set_xlabel("target language")
            ax.set_ylabel(_METRIC_LABEL.get(group, "score"))
            title = _encoder_label(encoder)
            ax.set_title(f"{task}: {title}" if group == "cls" else title)
            ax.grid(axis="y", alpha=0.3)
            ax.legend(loc="best", fontsize="small", framealpha=0.8)
    fig.suptitle(
        f"Plain vs instance-weighted fine-tuning from {source_lang}: {group} "
        "(mean ± std over seeds)"
    )
    fig.tight_layout()
    return fig


def _has_label(ax: Any, label: str) -> bool:
    return label in ax.get_legend_handles_labels()[1]


def plot_iw_vs_plain(
    per_seed_csv: str | Path | pd.DataFrame,
    out_stem: str | Path,
    pdf_dir: str | Path | None = None,
) -> list[Path]:
    """One figure per task group present: ``<out_stem>_<group>.{png,pdf}``."""
    frame = _results(per_seed_csv)
    groups = [g for g in _GROUP_ORDER if g in set(frame["task_group"])]
    groups += sorted(set(frame["task_group"]) - set(_GROUP_ORDER))
    stem = Path(out_stem)
    written: list[Path] = []
    for group in groups:
        fig = iw_vs_plain_figure(frame, group)
        written += save_figure(fig, stem.with_name(f"{stem.name}_{group}"), pdf_dir)
    return written


# --------------------------------------------------------------------------- train logs


def read_train_log(path: str | Path) -> pd.DataFrame:
    """A run's ``train_log.jsonl`` as a frame, one row per step (last record wins).

    The log is appended to, so a resumed run can repeat steps; keeping the last record per
    step gives the history of the run that finished.
    """
    with open(path) as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    frame = pd.DataFrame(records)
    if frame.empty or "step" not in frame.columns:
        return frame
    return frame.drop_duplicates("step", keep="last").sort_values("step").reset_index(drop=True)


def run_info(log_path: str | Path) -> dict[str, Any]:
    """Task, encoder, method, sources, target and seed of the run that wrote ``log_path``.

    Read from the run's ``train.json`` when it has a ``cell``; otherwise parsed from the path
    ``<task>/<encoder-slug>/<method>/<sources>-<target>/seed<N>/train_log.jsonl``.
    """
    path = Path(log_path)
    train_json = path.parent / "train.json"
    if train_json.exists():
        cell = json.loads(train_json.read_text()).get("cell")
        if cell:
            return {
                k: cell.get(k) for k in ("task", "encoder", "method", "sources", "target", "seed")
            }
    parts = path.parent.parts
    if len(parts) < 5 or not parts[-1].startswith("seed"):
        raise ValueError(f"cannot tell which run wrote {path}")
    sources, _, target = parts[-2].rpartition("-")
    return {
        "task": parts[-5],
        "encoder": encoder_name(parts[-4]),
        "method": parts[-3],
        "sources": sources,
        "target": target,
        "seed": int(parts[-1][4:]),
    }


def _run_label(info: dict[str, Any]) -> str:
    method = str(info["method"])
    if "+" in str(info.get("sources") or ""):
        method += " (multi)"
    return f"{info['task']}\n{_encoder_label(str(info['encoder']))}\n{method}"


def weight_dispersion_figure(train_log_paths: Iterable[str | Path]) -> Figure:
    """Box plots of per-step ESS ratio and ``n * max w`` per task x encoder x method.

    Both are 1.0 for uniform weights; an ESS ratio far below 1 or a large ``n * max w`` means
    a few source instances dominate the batch. Steps of all targets and seeds of a
    task/encoder/method are pooled. Plain runs log no weights and are skipped.
    """
    groups: dict[str, dict[str, list[float]]] = {}
    for path in train_log_paths:
        log = read_train_log(path)
        if log.empty or "ess_ratio" not in log.columns:
            continue
        label = _run_label(run_info(path))
        entry = groups.setdefault(label, {"ess_ratio": [], "n_max": []})
        for key in entry:
            if key in log.columns:
                entry[key] += log[key].dropna().astype(float).tolist()
    if not groups:
        return _empty_figure("Instance-weight dispersion", "no instance-weighted runs")
    labels = sorted(groups)
    fig = Figure(figsize=(max(6.0, 0.9 * len(labels) + 2), 7.0))
    axes = fig.subplots(2, 1, sharex=True)
    panels = (
        ("ess_ratio", "ESS ratio (1/Σw²)/n", "effective sample size ratio per step"),
        ("n_max", "n · max w", "largest weight relative to uniform per step"),
    )
    for ax, (key, ylabel, title) in zip(axes, panels, strict=True):
        values = [groups[lab][key] or [math.nan] for lab in labels]
        ax.boxplot(
            values,
            patch_artist=True,
            showfliers=True,
            widths=0.6,
            boxprops={"facecolor": _COLORS[0], "alpha": 0.6},
            flierprops={"markersize": 2},
        )
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="uniform weights")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    axes[-1].set_xticks(range(1, len(labels) + 1), labels, fontsize="small")
    axes[-1].set_xlabel("task / encoder / method (all targets and seeds pooled)")
    fig.suptitle("Instance-weight dispersion during training")
    fig.tight_layout()
    return fig


def plot_weight_dispersion(
    train_log_paths: Iterable[str | Path],
    out_stem: str | Path,
    pdf_dir: str | Path | None = None,
) -> list[Path]:
    """Write :func:`weight_dispersion_figure` as ``<out_stem>.{png,pdf}``."""
    return save_figure(weight_dispersion_figure(train_log_paths), out_stem, pdf_dir)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    head = np.cumsum(values[: window - 1]) / np.arange(1, window)
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def training_curves_figure(
    train_log_paths: Iterable[str | Path], *, smooth: int | None = None
) -> Figure:
    """Training loss vs step, one line per run, one panel per task.

    Colour = method, line style = encoder (legend), so diverging or flat runs stand out.
    The (weighted) loss is noisy per step, so each line is a trailing moving average over
    ``smooth`` steps (default: 1% of the run's steps; ``smooth=1`` plots the raw loss).
    """
    runs: list[tuple[dict[str, Any], pd.DataFrame]] = []
    for path in train_log_paths:
        log = read_train_log(path)
        if not log.empty and "loss" in log.columns:
            runs.append((run_info(path), log))
    if not runs:
        return _empty_figure("Training curves", "no training logs")
    tasks = sorted({str(info["task"]) for info, _ in runs})
    methods = sorted({str(info["method"]) for info, _ in runs}, key=lambda m: (m != PLAIN, m))
    encoders = sorted({str(info["encoder"]) for info, _ in runs}, key=canonical_encoder)
    ncols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    fig = Figure(figsize=(5.0 * ncols, 3.5 * nrows + 0.8))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for info, log in sorted(runs, key=lambda r: tuple(str(v) for v in r[0].values())):
        ax = axes[tasks.index(str(info["task"]))]
        loss = log["loss"].to_numpy(dtype=float)
        window = smooth if smooth is not None else max(1, len(loss) // 100)
        multi = "+" in str(info.get("sources") or "")
        ax.plot(
            log["step"].to_numpy(),
            _smooth(loss, window),
            linewidth=0.8,
            alpha=0.7,
            color=_COLORS[methods.index(str(info["method"])) % len(_COLORS)],
            linestyle=_LINESTYLES[encoders.index(str(info["encoder"])) % len(_LINESTYLES)],
            marker="." if multi else None,
            markevery=max(1, len(loss) // 10),
        )
    for ax, task in zip(axes, tasks, strict=False):
        ax.set_title(task)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss (moving avg.)" if smooth != 1 else "training loss")
        ax.grid(alpha=0.3)
    for ax in axes[len(tasks) :]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], color=_COLORS[i % len(_COLORS)], label=_method_label(m))
        for i, m in enumerate(methods)
    ]
    handles += [
        Line2D(
            [],
            [],
            color="black",
            linestyle=_LINESTYLES[i % len(_LINESTYLES)],
            label=_encoder_label(e),
        )
        for i, e in enumerate(encoders)
    ]
    if any("+" in str(info.get("sources") or "") for info, _ in runs):
        handles.append(
            Line2D([], [], color="black", marker=".", linestyle="", label="multi-source")
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        ncols=min(len(handles), 6),
        fontsize="small",
        frameon=False,
    )
    fig.suptitle(f"Training loss per run ({len(runs)} runs; all seeds and targets)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_training_curves(
    train_log_paths: Iterable[str | Path],
    out_stem: str | Path,
    pdf_dir: str | Path | None = None,
    *,
    smooth: int | None = None,
) -> list[Path]:
    """Write :func:`training_curves_figure` as ``<out_stem>.{png,pdf}``."""
    return save_figure(training_curves_figure(train_log_paths, smooth=smooth), out_stem, pdf_dir)


def find_train_logs(runs_root: str | Path) -> list[Path]:
    """Every ``train_log.jsonl`` under ``runs_root`` (sorted, for deterministic figures)."""
    return sorted(Path(runs_root).glob("*/*/*/*/seed*/train_log.jsonl"))
