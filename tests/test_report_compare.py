"""`zsiw compare`: this run beside the paper and an earlier run, checked by hand."""

import pandas as pd
import pytest

from zsiw.report.compare import comparison_markdown, load_reference

REFERENCE = {
    "label": "4-layer",
    "source": "docs/x.md",
    "results": [
        {"task": "ote", "target": "es", "method": "none", "mean": 0.5},
        {"task": "ote", "target": "es", "method": "cosine", "mean": 0.5},
        {"task": "cls-books", "target": "mean", "method": "none", "mean": 0.6},
    ],
}


def frame():
    rows = []
    for seed, plain, iw in ((1, 0.6, 0.62), (2, 0.7, 0.71)):
        base = {"task": "ote", "encoder": "e", "sources": "en", "seed": seed}
        rows.append({**base, "method": "none", "target": "all", "eval_lang": "en", "score": 0.9})
        rows.append({**base, "method": "none", "target": "all", "eval_lang": "es", "score": plain})
        rows.append({**base, "method": "cosine", "target": "es", "eval_lang": "es", "score": iw})
    for seed in (1, 2):
        for lang, score in (("de", 0.7), ("fr", 0.8)):
            rows.append(
                {
                    "task": "cls-books",
                    "encoder": "e",
                    "sources": "en",
                    "seed": seed,
                    "method": "none",
                    "target": "all",
                    "eval_lang": lang,
                    "score": score,
                }
            )
    return pd.DataFrame(rows)


def test_rows_gaps_and_paired_gains_by_hand():
    text = comparison_markdown(frame(), REFERENCE)
    # plain es: mean 0.65, std 0.0707; paper XLMR 0.690; 4-layer 0.5; gap closed 0.15/0.19
    assert (
        "| ote | es | plain | 0.6500 ± 0.0707 (2) | 0.6900 | -0.0400 | 0.5000 | +0.1500 | 79% |"
        in text
    )
    assert "| ote | es | cosine | 0.6650 ± 0.0636 (2) | 0.7040 | -0.0390 |" in text
    # IW - plain per seed: +0.02, +0.01; the paper's +0.014; the reference's 0
    assert "| ote | es | cosine | +0.0150 ± 0.0071 (2/0) | +0.0140 | +0.0000 |" in text
    # CLS: per language without a paper number, and the mean over targets with one (0.8248)
    assert "| cls-books | de | plain | 0.7000 ± 0.0000 (2) | – |" in text
    assert "| cls-books | mean | plain | 0.7500 ± 0.0000 (2) | 0.8248 | -0.0748 | 0.6000 |" in text
    assert "| en |" not in text  # the source language is not a transfer result


def test_a_reference_file_without_results_is_named(tmp_path):
    bad = tmp_path / "ref.yaml"
    bad.write_text("label: x\nsource: y\n")
    with pytest.raises(ValueError, match=r"ref\.yaml: missing key 'results'"):
        load_reference(bad)


def test_a_partial_grid_has_no_cls_mean_and_no_pairs_where_seeds_are_missing():
    """While a grid runs: the CLS mean over targets only for seeds that have every target,
    and an IW cell whose seed has no plain model yet has no paired difference."""
    full = frame()
    cls = full["task"] == "cls-books"
    # seed 2 of plain lacks fr; an IW de cell exists for seed 2 only
    partial = full[~(cls & (full["seed"] == 2) & (full["eval_lang"] == "fr"))].copy()
    iw = {"task": "cls-books", "encoder": "e", "sources": "en", "method": "cosine"}
    partial = pd.concat(
        [
            partial,
            pd.DataFrame(
                [
                    {**iw, "seed": 3, "target": "de", "eval_lang": "de", "score": 0.9},
                    {**iw, "seed": 1, "target": "fr", "eval_lang": "fr", "score": 0.75},
                ]
            ),
        ],
        ignore_index=True,
    )
    text = comparison_markdown(partial, REFERENCE)
    # the plain mean: seed 1 only, (0.7 + 0.8) / 2; not seed 2's de alone (0.7)
    assert "| cls-books | mean | plain | 0.7500 (1 seed) | 0.8248 |" in text
    assert "| cls-books | mean | cosine |" not in text  # IW has de only
    assert (
        "| cls-books | de | cosine | – (no seed has both models yet) |" in text
    )  # seed 3: no plain
