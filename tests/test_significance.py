"""Paired bootstrap: exact deltas, CI/p conventions, seqeval-equal span F1, seed pooling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zsiw.plan import RESULTS_DIR, Cell
from zsiw.significance import (
    compare_runs,
    item_stats,
    metric_from_stats,
    paired_bootstrap,
    significance_table,
    spans,
)

# Hand-made IOB sentences (0=O, 1=B, 2=I) covering seqeval's corner cases: an I after O
# starts a span, B B is two spans, a span ending the sentence, partial overlaps, no spans.
GOLD = [
    [0, 1, 2, 0, 1],
    [1, 2, 2, 0, 0],
    [0, 0, 0],
    [1, 1, 0, 2, 2],
    [0, 1, 0, 0, 1, 2],
    [2, 0, 1],
]
PRED = [
    [0, 1, 2, 0, 0],  # one of two spans
    [1, 2, 0, 0, 0],  # boundary error
    [0, 2, 0],  # spurious span from a bare I
    [1, 1, 0, 2, 2],  # exact
    [0, 1, 0, 0, 1, 2],  # exact
    [0, 0, 1],  # misses the leading I-span
]


def _seqeval_f1(gold, pred) -> float:
    from zsiw.evaluate import span_scores

    return span_scores(gold, pred)["f1"]


def test_spans_follow_conll_chunking():
    assert spans([0, 2, 2, 0, 1, 1, 2]) == {(1, 2), (4, 4), (5, 6)}
    assert spans([1, 2, 2]) == {(0, 2)}
    assert spans([0, 0]) == set()
    assert spans(["O", "B", "I", "O"]) == {(1, 2)}


def test_vectorised_span_f1_equals_seqeval_on_full_and_resampled_samples():
    stats = item_stats(GOLD, PRED, "span_f1")
    assert stats.shape == (len(GOLD), 3)
    full = float(metric_from_stats(stats.sum(axis=0), "span_f1"))
    expected = _seqeval_f1(GOLD, PRED)
    assert 0 < expected < 1
    assert full == pytest.approx(expected, abs=1e-12)
    # Additivity is what makes a resample a sum: check it on resamples with duplicates.
    rng = np.random.default_rng(7)
    for _ in range(10):
        idx = rng.integers(0, len(GOLD), size=len(GOLD))
        vec = float(metric_from_stats(stats[idx].sum(axis=0), "span_f1"))
        ref = _seqeval_f1([GOLD[i] for i in idx], [PRED[i] for i in idx])
        assert vec == pytest.approx(ref, abs=1e-12)


def test_bootstrap_span_f1_matches_seqeval_resample_by_resample():
    # The callable path calls seqeval on every resample and draws the same index stream, so
    # the two bootstrap distributions (hence CI and p) must coincide.
    fast = paired_bootstrap(GOLD, GOLD, PRED, "span_f1", n_resamples=40, seed=3)
    slow = paired_bootstrap(GOLD, GOLD, PRED, _seqeval_f1, n_resamples=40, seed=3)
    assert fast["metric_a"] == pytest.approx(1.0)
    assert fast["metric_b"] == pytest.approx(_seqeval_f1(GOLD, PRED))
    for key in ("delta", "ci_low", "ci_high", "p_value"):
        assert fast[key] == pytest.approx(slow[key], abs=1e-12), key


def test_b_better_on_every_item():
    gold = [i % 3 for i in range(40)]
    pred_a = [g if i < 20 else (g + 1) % 3 for i, g in enumerate(gold)]  # half right
    pred_b = list(gold)  # all right
    res = paired_bootstrap(gold, pred_a, pred_b, "accuracy", n_resamples=500, seed=1)
    assert res["delta"] == 0.5
    assert res["metric_a"] == 0.5 and res["metric_b"] == 1.0
    assert res["ci_low"] > 0 and res["ci_high"] <= 1.0
    assert res["ci_low"] <= res["delta"] <= res["ci_high"]
    assert res["p_value"] < 0.01
    assert res["n"] == 40


def test_a_better_gives_negative_delta_and_small_p():
    gold = [0, 1] * 15
    res = paired_bootstrap(gold, gold, [1 - g for g in gold], "accuracy", n_resamples=200)
    assert res["delta"] == -1.0
    assert res["ci_high"] < 0
    assert res["p_value"] == 0.0


@pytest.mark.parametrize(
    ("gold", "pred", "metric"),
    [([0, 1, 1, 0, 1], [0, 0, 1, 1, 1], "accuracy"), (GOLD, PRED, "span_f1")],
)
def test_identical_predictions(gold, pred, metric):
    res = paired_bootstrap(gold, pred, list(pred), metric, n_resamples=300, seed=5)
    assert res["delta"] == 0.0
    assert res["ci_low"] == 0.0 and res["ci_high"] == 0.0
    assert res["p_value"] == 1.0


def test_p_value_counts_opposite_signs_two_sided():
    # One item where b wins, one where a wins, the rest ties: the resampled delta is often
    # negative or zero, so p must be large (and is capped at 1).
    gold = [1] * 10
    pred_a = [1] * 9 + [0]  # a misses item 9
    pred_b = [0] + [1] * 9  # b misses item 0
    res = paired_bootstrap(gold, pred_a, pred_b, "accuracy", n_resamples=400, seed=0)
    assert res["delta"] == 0.0 and res["p_value"] == 1.0
    pred_b2 = [1] * 10  # b wins one item: delta = 0.1, but the win is often not drawn
    res2 = paired_bootstrap(gold, pred_a, pred_b2, "accuracy", n_resamples=400, seed=0)
    assert res2["delta"] == pytest.approx(0.1)
    # P(item 9 not drawn in 10 draws) = 0.9**10 ~ 0.35 -> p ~ 0.70
    assert 0.5 < res2["p_value"] < 0.9


def test_deterministic_given_seed():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, 60).tolist()
    a = [g if rng.random() < 0.7 else 1 - g for g in gold]
    b = [g if rng.random() < 0.8 else 1 - g for g in gold]
    one = paired_bootstrap(gold, a, b, "accuracy", n_resamples=300, seed=11)
    two = paired_bootstrap(gold, a, b, "accuracy", n_resamples=300, seed=11)
    other = paired_bootstrap(gold, a, b, "accuracy", n_resamples=300, seed=12)
    assert one == two
    assert (one["ci_low"], one["ci_high"], one["p_value"]) != (
        other["ci_low"],
        other["ci_high"],
        other["p_value"],
    )
    assert one["delta"] == other["delta"]


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        paired_bootstrap([0, 1], [0], [0, 1], "accuracy")
    with pytest.raises(ValueError):
        paired_bootstrap([0, 1], [0, 1], [0, 1], "bleu")
    with pytest.raises(ValueError):
        paired_bootstrap([], [], [], "accuracy")


# --------------------------------------------------------------------------- several seeds


def _write(path: Path, ids, gold, pred) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for i, g, p in zip(ids, gold, pred, strict=True):
            fh.write(json.dumps({"id": i, "gold": g, "pred": p}) + "\n")
    return path


def test_compare_runs_single_pair_equals_paired_bootstrap(tmp_path):
    ids = [f"s{i}" for i in range(len(GOLD))]
    a = _write(tmp_path / "a.jsonl", ids, GOLD, GOLD)
    # IW file in another order: items must be matched by id, not by line.
    order = list(reversed(range(len(GOLD))))
    b = _write(
        tmp_path / "b.jsonl",
        [ids[i] for i in order],
        [GOLD[i] for i in order],
        [PRED[i] for i in order],
    )
    pooled = compare_runs([(a, b)], task_group="ote", n_resamples=200, seed=4)
    # ids sort as s0..s5 = file order of a, so the draws match paired_bootstrap's
    direct = paired_bootstrap(GOLD, GOLD, PRED, "span_f1", n_resamples=200, seed=4)
    for key in ("delta", "ci_low", "ci_high", "p_value"):
        assert pooled[key] == pytest.approx(direct[key]), key
    assert pooled["n_seeds"] == 1 and pooled["shared_items"] is True


def test_compare_runs_averages_seeds(tmp_path):
    ids = [str(i) for i in range(30)]
    gold = [i % 2 for i in range(30)]
    plain1 = [g if i < 15 else 1 - g for i, g in enumerate(gold)]  # 0.5
    plain2 = [g if i < 21 else 1 - g for i, g in enumerate(gold)]  # 0.7
    iw1 = [g if i < 24 else 1 - g for i, g in enumerate(gold)]  # 0.8
    iw2 = list(gold)  # 1.0
    pairs = [
        (
            _write(tmp_path / "p1.jsonl", ids, gold, plain1),
            _write(tmp_path / "i1.jsonl", ids, gold, iw1),
        ),
        (
            _write(tmp_path / "p2.jsonl", ids, gold, plain2),
            _write(tmp_path / "i2.jsonl", ids, gold, iw2),
        ),
    ]
    res = compare_runs(pairs, task_group="mldoc", n_resamples=300, seed=0)
    assert res["per_seed_plain"] == pytest.approx([0.5, 0.7])
    assert res["per_seed_iw"] == pytest.approx([0.8, 1.0])
    assert res["delta"] == pytest.approx(0.3)
    assert res["mean_plain"] == pytest.approx(0.6) and res["mean_iw"] == pytest.approx(0.9)
    assert res["ci_low"] > 0 and res["p_value"] < 0.05
    assert res["shared_items"] is True and res["n"] == 30 and res["n_seeds"] == 2


def test_compare_runs_rejects_mismatched_items(tmp_path):
    a = _write(tmp_path / "a.jsonl", ["1", "2"], [0, 1], [0, 1])
    b = _write(tmp_path / "b.jsonl", ["1", "3"], [0, 1], [0, 1])
    with pytest.raises(ValueError, match="different test items"):
        compare_runs([(a, b)], task_group="mldoc", n_resamples=10)
    c = _write(tmp_path / "c.jsonl", ["1", "2"], [1, 1], [0, 1])
    with pytest.raises(ValueError, match="gold"):
        compare_runs([(a, c)], task_group="mldoc", n_resamples=10)


def _pred_path(root: Path, cell: Cell, lang: str) -> Path:
    return (
        root / cell.run_dir.relative_to(Path(RESULTS_DIR, "runs")) / "predictions" / f"{lang}.jsonl"
    )


def test_significance_table_pairs_iw_with_plain(tmp_path):
    root = tmp_path / "runs"
    enc = "xlm-roberta-base"
    ids = [str(i) for i in range(40)]
    gold = [i % 2 for i in range(40)]
    rows = []
    for seed in (1, 2):
        plain_pred = [g if i < 24 else 1 - g for i, g in enumerate(gold)]  # 0.6
        iw_pred = [g if i < 36 else 1 - g for i, g in enumerate(gold)]  # 0.9
        _write(
            _pred_path(root, Cell("mldoc", enc, "none", ("en",), "all", seed), "de"),
            ids,
            gold,
            plain_pred,
        )
        _write(
            _pred_path(root, Cell("mldoc", enc, "none", ("en",), "all", seed), "en"),
            ids,
            gold,
            gold,
        )
        _write(
            _pred_path(root, Cell("mldoc", enc, "cosine", ("en",), "de", seed), "de"),
            ids,
            gold,
            iw_pred,
        )
        _write(
            _pred_path(root, Cell("mldoc", enc, "cosine", ("en", "es"), "de", seed), "de"),
            ids,
            gold,
            gold if seed == 1 else plain_pred,  # 1.0 and 0.6: a mean of 0.8
        )
        base = {"task": "mldoc", "encoder": enc, "multi_source": False, "seed": seed}
        rows += [
            {
                **base,
                "method": "none",
                "sources": "en",
                "target": "all",
                "eval_lang": "de",
                "score": 0.6,
            },
            {
                **base,
                "method": "none",
                "sources": "en",
                "target": "all",
                "eval_lang": "en",
                "score": 1.0,
            },
            {
                **base,
                "method": "cosine",
                "sources": "en",
                "target": "de",
                "eval_lang": "de",
                "score": 0.9,
            },
            # multi-source IW: compared with the same plain English model
            {
                **base,
                "method": "cosine",
                "sources": "en+es",
                "multi_source": True,
                "target": "de",
                "eval_lang": "de",
                "score": 0.95,
            },
        ]
    csv = tmp_path / "per_seed.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    table = significance_table(csv, root, n_resamples=300, seed=0)
    assert len(table) == 2
    row = table.iloc[0]
    assert (row["task"], row["encoder"], row["method"], row["sources"], row["eval_lang"]) == (
        "mldoc",
        enc,
        "cosine",
        "en",
        "de",
    )
    assert row["seeds"] == "1,2" and row["n_seeds"] == 2
    assert row["mean_plain"] == pytest.approx(0.6) and row["mean_iw"] == pytest.approx(0.9)
    assert row["delta"] == pytest.approx(0.3)
    assert row["ci_low"] > 0 and bool(row["significant"])
    multi = table.iloc[1]
    assert multi["sources"] == "en+es" and multi["seeds"] == "1,2"
    assert multi["mean_plain"] == pytest.approx(0.6) and multi["mean_iw"] == pytest.approx(0.8)
    assert multi["delta"] == pytest.approx(0.2)
    for col in (
        "task",
        "encoder",
        "method",
        "eval_lang",
        "seeds",
        "mean_plain",
        "mean_iw",
        "delta",
        "ci_low",
        "ci_high",
        "p_value",
        "significant",
    ):
        assert col in table.columns


def test_significance_table_skips_seeds_without_predictions(tmp_path):
    root = tmp_path / "runs"
    ids = ["a", "b", "c"]
    _write(
        _pred_path(root, Cell("ote", "m", "none", ("en",), "all", 1), "es"),
        ids,
        [[0, 1], [1, 0], [0, 0]],
        [[0, 1], [1, 0], [0, 0]],
    )
    _write(
        _pred_path(root, Cell("ote", "m", "cosine", ("en",), "es", 1), "es"),
        ids,
        [[0, 1], [1, 0], [0, 0]],
        [[0, 1], [0, 0], [0, 0]],
    )
    frame = pd.DataFrame(
        [
            {
                "task": "ote",
                "encoder": "m",
                "method": m,
                "sources": "en",
                "target": t,
                "eval_lang": "es",
                "seed": s,
                "score": 0.5,
            }
            for m, t in (("none", "all"), ("cosine", "es"))
            for s in (1, 2)
        ]
    )
    with pytest.warns(UserWarning, match="seed 2"):
        table = significance_table(frame, root, n_resamples=50)
    assert list(table["seeds"]) == ["1"]
    assert table.iloc[0]["mean_plain"] == pytest.approx(1.0)
    assert table.iloc[0]["mean_iw"] == pytest.approx(2 / 3)
