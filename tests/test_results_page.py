"""The generated results page: both intervals computed by hand, every earlier per-seed score
compared, what the grid lacks named with its command."""

import numpy as np
import pandas as pd
import pytest

from zsiw.plan import GENERATED
from zsiw.report.results_page import differences, not_covered, rerun_markdown, results_page

KEY = {"task": "ote", "encoder": "e", "eval_lang": "es"}


def per_seed_rows():
    rows = []
    for seed, (plain, iw) in enumerate([(0.50, 0.52), (0.60, 0.61), (0.55, 0.55)], start=1):
        rows.append(
            {
                **KEY,
                "method": "none",
                "sources": "en",
                "multi_source": False,
                "seed": seed,
                "score": plain,
            }
        )
        rows.append(
            {
                **KEY,
                "method": "cosine",
                "sources": "en",
                "multi_source": False,
                "seed": seed,
                "score": iw,
            }
        )
    return pd.DataFrame(rows)


def significance_rows():
    return pd.DataFrame(
        [
            {
                **KEY,
                "method": "cosine",
                "sources": "en",
                "delta": 0.01,
                "ci_low": -0.002,
                "ci_high": 0.021,
            }
        ]
    )


def test_both_intervals_and_the_seed_tally_by_hand():
    (row,) = differences(per_seed_rows(), significance_rows()).to_dict("records")
    # per-seed differences 0.02, 0.01, 0.00: mean 0.01, sd 0.01, t(0.975, 2) = 4.3027
    half = 4.302652729911275 * 0.01 / np.sqrt(3)
    assert row["t"] == pytest.approx((0.01 - half, 0.01 + half), abs=1e-9)
    assert row["boot"] == (-0.002, 0.021)
    assert (row["seeds"], row["wins"], row["losses"]) == (3, 2, 0)


def test_every_earlier_score_is_set_beside_this_run():
    earlier = {
        "label": "first run",
        "source": "x.md",
        "cells": [
            {"task": "ote", "method": "none", "target": "es", "seeds": [0.5, 0.6001, 0.55]},
            {"task": "ote", "method": "cosine", "target": "es", "seeds": [0.52, 0.61, 0.55, 0.7]},
        ],
    }
    text = rerun_markdown(per_seed_rows(), earlier)
    assert "7 per-seed scores" in text and "6 are in this grid so far" in text
    assert "5 identical" in text and "1 different (largest |difference| 0.0001)" in text
    assert "1 not trained yet" in text
    assert "| ote | es | plain | 2 | 0.6001 | 0.6000 | -0.0001 |" in text


def test_the_page_names_what_it_does_not_cover():
    config = {
        "encoders": ["small/enc"],
        "methods": ["none", "cosine"],
        "seeds": [1, 2, 3],
        "source_lang": "en",
        "tasks": {
            "ote": {"targets": ["es"]},
            "mldoc": {"enabled": False},
            "cls": {"domains": ["books"], "targets": ["de"]},
        },
        "published": None,
    }
    items = "\n".join(not_covered(config, "full-cpu"))
    assert "bert-base-multilingual-cased, xlm-roberta-base" in items
    assert "Table 2 (MLDoc)" in items and "domains dvd, music" in items
    page = results_page(
        config=config,
        config_name="full-cpu",
        per_seed=per_seed_rows(),
        significance=significance_rows(),
        comparison=None,
        provenance=[],
        command="cmd",
    )
    assert page.startswith(GENERATED + "\n# Results of `config/full-cpu.yaml`")
    assert "| ote | es | cosine | 3 | +0.0100 | [-0.0020, +0.0210] |" in page


def test_a_config_changed_during_the_grid_shows_each_hash_with_its_cells_and_copy():
    from zsiw.report.results_page import provenance_markdown

    base = {"config": "config/g.yaml", "commit": "a" * 40, "cpu": "c", "torch": "2"}
    records = [{**base, "config_sha256": "1" * 64}] * 3 + [{**base, "config_sha256": "2" * 64}]
    text = provenance_markdown(records, "published/g")
    assert (
        "* config: config/g.yaml (sha256 111111111111, kept as "
        "`published/g/configs/111111111111.yaml`; 3 cells), config/g.yaml (sha256 "
        "222222222222, kept as `published/g/configs/222222222222.yaml`; 1 cell)" in text
    )
    assert "kept as" not in provenance_markdown(records)  # no published tree: no copy


def test_cells_trained_with_capped_kernels_show_the_caps_beside_their_cpu():
    from zsiw.report.results_page import provenance_markdown

    base = {"config": "c.yaml", "config_sha256": "1" * 64, "commit": "a" * 40, "cpu": "EPYC"}
    capped = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    zen4 = {"cpu_generation": "family 25, model 17", "kernel_env": capped}
    records = [{**base, "cpu_capability": "AVX2"}] * 2 + [
        {**base, "cpu_capability": "AVX2", **zen4}
    ]
    cpu_line = next(line for line in provenance_markdown(records).splitlines() if "CPU" in line)
    assert cpu_line == (
        "* CPU: EPYC (family 25, model 17), torch kernels AVX2 (held there by "
        "`ATEN_CPU_CAPABILITY=avx2`, `ONEDNN_MAX_CPU_ISA=AVX2`) (1 cell), "
        "EPYC, torch kernels AVX2 (2 cells)"
    )
