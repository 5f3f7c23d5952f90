"""Paired bootstrap significance of instance weighting (IW) against plain fine-tuning.

The paper reports single numbers; whether an IW gain of a point or two is more than test-set
noise is the question this module answers. Both models are scored on the *same* test items,
so items are resampled jointly: one resample draws ``n`` item indices with replacement and
scores plain (``a``) and IW (``b``) on exactly those items (Koehn 2004; Berg-Kirkpatrick et
al. 2012). The bootstrap is over test items only: it holds the trained models fixed and says
nothing about training randomness, which the spread over seeds in the scorecard shows.

Metrics are computed from additive per-item counts, so a resample is one matrix product of
resample counts and per-item statistics instead of a Python loop:

* ``accuracy`` -- per item ``(correct, 1)``;
* ``span_f1`` (task ``ote``) -- per item ``(tp, n_pred_spans, n_gold_spans)`` with spans taken
  exactly as seqeval does for ``zsiw.evaluate.span_scores`` (CoNLL chunking: ``B`` starts a
  span, ``I`` after ``O`` starts one too, a span never crosses a sentence), and micro F1
  ``2 tp / (n_pred + n_gold)`` (0 when both are 0, seqeval's ``zero_division=0``). On the
  full sample this equals the pipeline's reported F1.

Definitions (``delta*`` are the ``n_resamples`` resampled deltas, ``delta`` the observed one):

* ``delta = metric(b) - metric(a)`` on the full sample;
* ``ci_low``/``ci_high`` -- 2.5th/97.5th percentiles of ``delta*`` (numpy's linear
  interpolation);
* ``p_value`` -- two-sided: ``k`` = number of resamples with ``delta*`` of the opposite sign
  of ``delta`` *or exactly zero* (ties count against the effect, conservatively);
  ``p = min(1, 2 k / n_resamples)``; ``p = 1`` when ``delta == 0``. ``p == 0`` means below
  the resolution ``2 / n_resamples``, not "impossible".

Everything is deterministic given ``seed`` (numpy ``default_rng``).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zsiw.plan import ALL_TARGETS, PLAIN, RESULTS_DIR, Cell, task_domain, task_group

__all__ = [
    "METRICS",
    "compare_runs",
    "item_stats",
    "load_predictions",
    "metric_for",
    "metric_from_stats",
    "paired_bootstrap",
    "significance_table",
    "spans",
]

#: Metrics with a vectorised (count-based) bootstrap.
METRICS = ("accuracy", "span_f1")
#: Significance level used for the ``significant`` column.
ALPHA = 0.05
#: Bootstrap resamples when none are given: params.yaml's `report.bootstrap_resamples` default
#: (tests/test_defaults.py checks that they agree).
N_RESAMPLES = 1000
# Resample-count matrices are built in blocks of about this many cells (bounded memory).
_BLOCK_CELLS = 2_000_000

Metric = str | Callable[[Sequence[Any], Sequence[Any]], float]

SIGNIFICANCE_COLUMNS = [
    "task",
    "task_group",
    "domain",
    "encoder",
    "method",
    "sources",
    "eval_lang",
    "seeds",
    "n_seeds",
    "n_items",
    "mean_plain",
    "mean_iw",
    "delta",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
    "n_resamples",
]


def metric_for(group: str) -> str:
    """The paper's metric of a task group: span F1 for ``ote``, accuracy otherwise."""
    return "span_f1" if task_group(group) == "ote" else "accuracy"


# --------------------------------------------------------------------------- per-item counts


def spans(tags: Sequence[int | str]) -> set[tuple[int, int]]:
    """(start, end) word spans of one sentence of ``0/1/2`` (or ``O/B/I``) tags, seqeval-style.

    Mirrors seqeval's default (non-strict) chunking for a single entity type, so counts taken
    from these sets reproduce ``zsiw.evaluate.span_scores`` exactly.
    """
    out: set[tuple[int, int]] = set()
    start: int | None = None
    for i, tag in enumerate(tags):
        name = ("O", "B", "I")[tag] if isinstance(tag, int) else str(tag)[:1]
        if name == "B" or (name == "I" and start is None):
            if start is not None:
                out.add((start, i - 1))
            start = i
        elif name != "I" and start is not None:
            out.add((start, i - 1))
            start = None
    if start is not None:
        out.add((start, len(tags) - 1))
    return out


def item_stats(gold: Sequence[Any], pred: Sequence[Any], metric: str) -> np.ndarray:
    """Additive per-item statistics (``n x k`` float array) from which ``metric`` follows."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items but pred has {len(pred)}")
    if metric == "accuracy":
        correct = np.fromiter(
            (g == p for g, p in zip(gold, pred, strict=True)), dtype=float, count=len(gold)
        )
        return np.column_stack([correct, np.ones(len(gold))])
    if metric == "span_f1":
        rows = []
        for g, p in zip(gold, pred, strict=True):
            gs, ps = spans(g), spans(p)
            rows.append((len(gs & ps), len(ps), len(gs)))
        return np.asarray(rows, dtype=float).reshape(len(gold), 3)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS} or a callable")


def metric_from_stats(sums: np.ndarray, metric: str) -> np.ndarray:
    """Metric from summed statistics (last axis = the ``item_stats`` columns)."""
    sums = np.asarray(sums, dtype=float)
    if metric == "accuracy":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sums[..., 1] > 0, sums[..., 0] / sums[..., 1], np.nan)
    if metric == "span_f1":
        denom = sums[..., 1] + sums[..., 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, 2.0 * sums[..., 0] / denom, 0.0)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


# --------------------------------------------------------------------------- resampling


def _count_blocks(rng: np.random.Generator, n: int, n_resamples: int) -> Iterator[np.ndarray]:
    """Per-resample item multiplicities (``block x n`` ints), drawn as index vectors."""
    block = max(1, min(n_resamples, _BLOCK_CELLS // max(n, 1)))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        idx = rng.integers(0, n, size=(size, n))
        flat = idx + (np.arange(size)[:, None] * n)
        yield np.bincount(flat.ravel(), minlength=size * n).reshape(size, n)
        done += size


def _summary(delta: float, resampled: np.ndarray) -> dict[str, float]:
    """Observed delta, percentile CI and the two-sided sign p-value (module docstring)."""
    ci_low, ci_high = (float(x) for x in np.percentile(resampled, [2.5, 97.5]))
    if delta == 0.0:
        p_value = 1.0
    else:
        against = int(np.count_nonzero(resampled * math.copysign(1.0, delta) <= 0.0))
        p_value = min(1.0, 2.0 * against / len(resampled))
    return {"delta": float(delta), "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value}


def _check_n_resamples(n_resamples: int) -> None:
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")


def paired_bootstrap(
    gold: Sequence[Any],
    pred_a: Sequence[Any],
    pred_b: Sequence[Any],
    metric: Metric,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, float]:
    """Paired bootstrap of ``metric(b) - metric(a)`` on one test set (a = plain, b = IW).

    ``metric`` is ``"accuracy"``, ``"span_f1"`` (lists of tags per item) or any callable
    ``(gold, pred) -> float``; a callable is evaluated once per resample (slow, but general).
    Returns ``delta``, ``ci_low``, ``ci_high``, ``p_value`` (see the module docstring),
    ``metric_a``, ``metric_b`` and ``n``.
    """
    _check_n_resamples(n_resamples)
    n = len(gold)
    if n == 0:
        raise ValueError("no items to compare")
    if not (len(pred_a) == len(pred_b) == n):
        raise ValueError("gold, pred_a and pred_b must have the same length")
    rng = np.random.default_rng(seed)
    if callable(metric):
        score_a, score_b = float(metric(gold, pred_a)), float(metric(gold, pred_b))
        resampled = np.empty(n_resamples)
        for r in range(n_resamples):
            idx = rng.integers(0, n, size=n)
            g = [gold[i] for i in idx]
            resampled[r] = metric(g, [pred_b[i] for i in idx]) - metric(g, [pred_a[i] for i in idx])
    else:
        stats_a, stats_b = item_stats(gold, pred_a, metric), item_stats(gold, pred_b, metric)
        score_a = float(metric_from_stats(stats_a.sum(axis=0), metric))
        score_b = float(metric_from_stats(stats_b.sum(axis=0), metric))
        both = np.hstack([stats_a, stats_b])
        k = stats_a.shape[1]
        parts = []
        for counts in _count_blocks(rng, n, n_resamples):
            sums = counts @ both
            parts.append(
                metric_from_stats(sums[:, k:], metric) - metric_from_stats(sums[:, :k], metric)
            )
        resampled = np.concatenate(parts)
    out = _summary(score_b - score_a, resampled)
    return {**out, "metric_a": score_a, "metric_b": score_b, "n": n}


# --------------------------------------------------------------------------- several seeds


def load_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Rows ``{"id", "gold", "pred"}`` of one ``predictions/<lang>.jsonl`` file."""
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _paired_stats(
    plain_path: Path, iw_path: Path, metric: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Item ids (sorted) and per-item stats of both files, aligned by id; gold must agree."""
    plain = {str(r["id"]): r for r in load_predictions(plain_path)}
    iw = {str(r["id"]): r for r in load_predictions(iw_path)}
    if len(plain) == 0:
        raise ValueError(f"{plain_path} has no predictions")
    if set(plain) != set(iw):
        raise ValueError(f"{plain_path} and {iw_path} hold different test items")
    ids = sorted(plain)
    gold = [plain[i]["gold"] for i in ids]
    if any(iw[i]["gold"] != g for i, g in zip(ids, gold, strict=True)):
        raise ValueError(f"{plain_path} and {iw_path} disagree on gold labels")
    stats_a = item_stats(gold, [plain[i]["pred"] for i in ids], metric)
    stats_b = item_stats(gold, [iw[i]["pred"] for i in ids], metric)
    return ids, stats_a, stats_b


def compare_runs(
    pairs: Sequence[tuple[str | Path, str | Path]],
    *,
    task_group: str,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired bootstrap of IW vs plain pooled over seeds.

    Each pair is ``(plain predictions, IW predictions)`` of one seed on one language; items
    are matched by ``id``. The statistic is the *mean over seeds* of the per-seed metric,
    ``delta = mean_s metric_s(IW) - mean_s metric_s(plain)``. Each resample redraws the items
    of every seed; when all seeds hold the same test items (the normal case: one test set,
    several trained seeds), every seed gets the *same* resampled items, because the test set
    is a single sample and its item difficulty is shared by all seeds -- independent draws
    per seed would understate the item noise. Otherwise each seed is resampled on its own.

    Returns the keys of :func:`paired_bootstrap` (``n`` = test items per seed, summed over
    seeds when they differ) plus ``mean_plain``, ``mean_iw``, ``per_seed_plain``,
    ``per_seed_iw``, ``n_seeds`` and ``shared_items``.
    """
    _check_n_resamples(n_resamples)
    if not pairs:
        raise ValueError("no (plain, IW) prediction pairs to compare")
    metric = metric_for(task_group)
    loaded = [_paired_stats(Path(a), Path(b), metric) for a, b in pairs]
    per_a = [float(metric_from_stats(sa.sum(axis=0), metric)) for _, sa, _ in loaded]
    per_b = [float(metric_from_stats(sb.sum(axis=0), metric)) for _, _, sb in loaded]
    mean_a, mean_b = float(np.mean(per_a)), float(np.mean(per_b))
    shared = all(ids == loaded[0][0] for ids, _, _ in loaded)
    rng = np.random.default_rng(seed)
    k = loaded[0][1].shape[1]
    if shared:
        # One matrix product per block for all seeds: stack the seeds' stats side by side.
        stacked = np.hstack([np.hstack([sa, sb]) for _, sa, sb in loaded])
        n = len(loaded[0][0])
        parts = []
        for counts in _count_blocks(rng, n, n_resamples):
            sums = (counts @ stacked).reshape(counts.shape[0], len(loaded), 2, k)
            scores = metric_from_stats(sums, metric)  # (block, seeds, 2)
            parts.append(scores[:, :, 1].mean(axis=1) - scores[:, :, 0].mean(axis=1))
        resampled = np.concatenate(parts)
        n_items = n
    else:
        per_seed = []
        for ids, sa, sb in loaded:
            both = np.hstack([sa, sb])
            sums = np.concatenate([c @ both for c in _count_blocks(rng, len(ids), n_resamples)])
            per_seed.append(
                metric_from_stats(sums[:, k:], metric) - metric_from_stats(sums[:, :k], metric)
            )
        resampled = np.mean(per_seed, axis=0)
        n_items = sum(len(ids) for ids, _, _ in loaded)
    out = _summary(mean_b - mean_a, resampled)
    return {
        **out,
        "metric_a": mean_a,
        "metric_b": mean_b,
        "mean_plain": mean_a,
        "mean_iw": mean_b,
        "per_seed_plain": per_a,
        "per_seed_iw": per_b,
        "n": n_items,
        "n_seeds": len(loaded),
        "shared_items": shared,
    }


# --------------------------------------------------------------------------- results table


def _run_dir(runs_root: Path, cell: Cell) -> Path:
    """``cell.run_dir`` re-rooted at ``runs_root`` (``run_dir`` starts with results/runs)."""
    return runs_root / cell.run_dir.relative_to(Path(RESULTS_DIR, "runs"))


def significance_table(
    per_seed_csv: str | Path | pd.DataFrame,
    runs_root: str | Path,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    source_lang: str = "en",
) -> pd.DataFrame:
    """One row per IW cell vs the plain model: same task, encoder, language.

    IW cells are rows with ``method != "none"`` trained on ``source_lang`` alone or on several
    sources (multi-source, ``sources`` joined by ``+``); the partner is always the plain
    ``source_lang`` model (``method == "none"``, target ``all``) with the same task, encoder
    and seed -- the baseline of the paper's Table 4 and of the scorecard's gain column.
    Seeds missing either predictions file are left out (with a warning); a pair with no seed
    left is dropped. ``seeds`` is the comma-separated list of seeds used; ``significant`` is
    ``p_value < 0.05`` and a CI that excludes 0; ``n_resamples`` gives the p-value's resolution.
    """
    rows = per_seed_csv if isinstance(per_seed_csv, pd.DataFrame) else pd.read_csv(per_seed_csv)
    root = Path(runs_root)
    rows = rows.copy()
    rows["sources"] = rows["sources"].astype(str)
    multi = rows["sources"].str.contains("+", regex=False)
    iw = rows[(rows["method"] != PLAIN) & ((rows["sources"] == source_lang) | multi)]
    plain = rows[(rows["method"] == PLAIN) & (rows["sources"] == source_lang)]
    plain_keys = set(
        zip(plain["task"], plain["encoder"], plain["eval_lang"], plain["seed"], strict=True)
    )
    out = []
    keys = ["task", "encoder", "method", "sources", "eval_lang"]
    for (task, encoder, method, sources, lang), group in iw.groupby(keys, sort=True):
        pairs, seeds = [], []
        for _, r in group.sort_values("seed").iterrows():
            s = int(r["seed"])
            if (task, encoder, lang, r["seed"]) not in plain_keys:
                continue
            a = _run_dir(root, Cell(task, encoder, PLAIN, (source_lang,), ALL_TARGETS, s))
            src = tuple(sources.split("+"))
            b = _run_dir(root, Cell(task, encoder, method, src, str(r["target"]), s))
            pa, pb = a / "predictions" / f"{lang}.jsonl", b / "predictions" / f"{lang}.jsonl"
            if not (pa.exists() and pb.exists()):
                warnings.warn(f"no predictions for seed {s}: {pa} / {pb}", stacklevel=2)
                continue
            pairs.append((pa, pb))
            seeds.append(s)
        if not pairs:
            warnings.warn(
                f"no plain/IW prediction pairs for {task} {encoder} {method} {sources} {lang}",
                stacklevel=2,
            )
            continue
        res = compare_runs(pairs, task_group=task_group(task), n_resamples=n_resamples, seed=seed)
        excludes_zero = res["ci_low"] > 0 or res["ci_high"] < 0
        out.append(
            {
                "task": task,
                "task_group": task_group(task),
                "domain": task_domain(task),
                "encoder": encoder,
                "method": method,
                "sources": sources,
                "eval_lang": lang,
                "seeds": ",".join(str(s) for s in seeds),
                "n_seeds": len(seeds),
                "n_items": res["n"],
                "mean_plain": res["mean_plain"],
                "mean_iw": res["mean_iw"],
                "delta": res["delta"],
                "ci_low": res["ci_low"],
                "ci_high": res["ci_high"],
                "p_value": res["p_value"],
                "significant": bool(res["p_value"] < ALPHA and excludes_zero),
                "n_resamples": n_resamples,
            }
        )
    return pd.DataFrame(out, columns=SIGNIFICANCE_COLUMNS)
