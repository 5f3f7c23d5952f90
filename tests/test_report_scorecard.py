"""Scorecard: ours vs the paper, IW-gain sign agreement, cls at the paper's level."""

from __future__ import annotations

import pandas as pd
import pytest

from zsiw.report.scorecard import scorecard, scorecard_rows

XLMR = "xlm-roberta-base"


def _rows(task, encoder, method, lang, scores, *, target=None, sources="en"):
    return [
        {
            "task": task,
            "encoder": encoder,
            "method": method,
            "sources": sources,
            "multi_source": "+" in sources,
            "target": target or ("all" if method == "none" else lang),
            "eval_lang": lang,
            "seed": seed,
            "score": score,
        }
        for seed, score in enumerate(scores, start=1)
    ]


@pytest.fixture()
def frame() -> pd.DataFrame:
    rows = []
    # Paper (Table 1): XLMR es 0.690 -> XLMR+IW 0.704 (gain +0.014); ours +0.015: match.
    rows += _rows("ote", XLMR, "none", "es", [0.68, 0.70])
    rows += _rows("ote", XLMR, "cosine", "es", [0.70, 0.71])
    # Paper: nl 0.700 -> 0.714 (positive); ours 0.72 -> 0.70 (negative): mismatch.
    rows += _rows("ote", XLMR, "none", "nl", [0.72, 0.72])
    rows += _rows("ote", XLMR, "cosine", "nl", [0.70, 0.70])
    # Multi-source (Table 4) row, compared against the paper's multi-source value.
    rows += _rows("ote", XLMR, "cosine", "es", [0.74, 0.74], sources="en+nl+ru+tr")
    # An encoder the paper does not report.
    rows += _rows("ote", "my/encoder", "none", "es", [0.5])
    rows += _rows("ote", "my/encoder", "cosine", "es", [0.6])
    # CLS books, all three paper languages: compared at the mean over de/fr/ja.
    for lang, plain, iw in (("de", 0.80, 0.84), ("fr", 0.82, 0.85), ("ja", 0.78, 0.80)):
        rows += _rows("cls-books", XLMR, "none", lang, [plain, plain + 0.01])
        rows += _rows("cls-books", XLMR, "cosine", lang, [iw, iw])
    # CLS dvd with only two languages: not comparable to the paper's three-language mean.
    for lang in ("de", "fr"):
        rows += _rows("cls-dvd", XLMR, "none", lang, [0.8])
        rows += _rows("cls-dvd", XLMR, "cosine", lang, [0.81])
    rows += _rows("cls-books", XLMR, "none", "en", [0.9, 0.9])  # source language: ignored
    return pd.DataFrame(rows)


@pytest.fixture()
def significance() -> pd.DataFrame:
    base = {"encoder": XLMR, "method": "cosine", "seeds": "1,2", "n_seeds": 2, "n_resamples": 1000}
    base["sources"] = "en"
    return pd.DataFrame(
        [
            {  # the multi-source model vs the same plain English model: not significant
                **base,
                "sources": "en+nl+ru+tr",
                "task": "ote",
                "eval_lang": "es",
                "mean_plain": 0.69,
                "mean_iw": 0.74,
                "delta": 0.05,
                "ci_low": -0.01,
                "ci_high": 0.09,
                "p_value": 0.3,
                "significant": False,
            },
            {
                **base,
                "task": "ote",
                "eval_lang": "es",
                "mean_plain": 0.69,
                "mean_iw": 0.705,
                "delta": 0.015,
                "ci_low": 0.004,
                "ci_high": 0.03,
                "p_value": 0.0,
                "significant": True,
            },
            {
                **base,
                "task": "ote",
                "eval_lang": "nl",
                "mean_plain": 0.72,
                "mean_iw": 0.70,
                "delta": -0.02,
                "ci_low": -0.05,
                "ci_high": 0.01,
                "p_value": 0.2,
                "significant": False,
            },
            {
                **base,
                "task": "cls-books",
                "eval_lang": "de",
                "mean_plain": 0.805,
                "mean_iw": 0.84,
                "delta": 0.035,
                "ci_low": 0.01,
                "ci_high": 0.06,
                "p_value": 0.004,
                "significant": True,
            },
        ]
    )


def _one(rows: pd.DataFrame, **match) -> pd.Series:
    mask = pd.Series(True, index=rows.index)
    for key, value in match.items():
        mask &= rows[key] == value
    assert mask.sum() == 1, match
    return rows[mask].iloc[0]


def test_sign_agreement_per_cell(frame, significance):
    rows = scorecard_rows(frame, significance)
    es = _one(
        rows, task_group="ote", encoder=XLMR, method="cosine", target="es", multi_source=False
    )
    assert es["paper"] == pytest.approx(0.704)
    assert es["paper_gain"] == pytest.approx(0.014)
    assert es["our_gain"] == pytest.approx(0.015)
    assert es["sign_match"] is True
    assert es["abs_diff"] == pytest.approx(abs(0.705 - 0.704))
    assert es["sig_note"].startswith("yes")
    multi = _one(rows, task_group="ote", method="cosine", target="es", multi_source=True)
    assert multi["sig_note"] == "no (p=0.3)"  # its own comparison, not the single-source one
    legacy = scorecard_rows(frame, significance.drop(columns="sources").iloc[1:])
    single = _one(legacy, encoder=XLMR, method="cosine", target="es", multi_source=False)
    assert single["sig_note"] == "yes (p<0.002)"
    assert _one(legacy, encoder=XLMR, target="es", multi_source=True)["sig_note"] == ""
    nl = _one(rows, task_group="ote", encoder=XLMR, method="cosine", target="nl")
    assert nl["our_gain"] == pytest.approx(-0.02) and nl["paper_gain"] > 0
    assert nl["sign_match"] is False
    plain = _one(rows, task_group="ote", encoder=XLMR, method="none", target="es")
    assert plain["paper"] == pytest.approx(0.690)
    assert plain["ours_mean"] == pytest.approx(0.69)
    assert plain["ours_std"] == pytest.approx(pd.Series([0.68, 0.70]).std())
    assert plain["sign_match"] is None
    multi = _one(rows, task_group="ote", method="cosine", target="es", multi_source=True)
    assert multi["paper"] == pytest.approx(0.735)
    assert multi["paper_gain"] == pytest.approx(0.735 - 0.690)
    assert multi["sign_match"] is True


def test_unreported_and_cls_levels(frame):
    rows = scorecard_rows(frame)
    mine = _one(rows, encoder="my/encoder", method="cosine")
    assert mine["paper"] is None and mine["sign_match"] is None
    assert mine["paper_note"] == "not reported by the paper"
    assert mine["our_gain"] == pytest.approx(0.1)
    # cls: one row per domain, the mean of per-language seed means over de/fr/ja
    books = rows[(rows["task_group"] == "cls") & (rows["domain"] == "books")]
    assert set(books["target"]) == {"mean"}
    plain = _one(books, method="none")
    assert plain["ours_mean"] == pytest.approx((0.805 + 0.825 + 0.785) / 3)
    assert plain["ours_std"] == pytest.approx(pd.Series([0.8, 0.81]).std())
    assert plain["paper"] == pytest.approx(0.8248)
    iw = _one(books, method="cosine")
    assert iw["paper_gain"] == pytest.approx(0.8452 - 0.8248)
    assert iw["sign_match"] is True
    dvd = _one(rows, domain="dvd", method="cosine")
    assert dvd["paper"] is None and "not comparable" in dvd["paper_note"]
    assert dvd["sign_match"] is None


def _table_row(md: str, *cells: str) -> list[str]:
    """The Markdown table row whose cells start with ``cells``."""
    for line in md.splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split(" | ")]
        if line.startswith("|") and parts[: len(cells)] == list(cells):
            return parts
    raise AssertionError(f"no row {cells}")


def test_markdown(frame, significance):
    md = scorecard(frame, significance)
    assert md.startswith("# Reproduction scorecard")
    # ote es + nl (single), ote es multi, cls books: 4 IW cells with a paper gain, 3 match
    assert "3 of 4 IW cells" in md
    header = _table_row(md, "Task", "Encoder")
    sign_col = header.index("Sign")
    es = _table_row(md, "ote", "XLMR", "cosine (IW)", "es")
    nl = _table_row(md, "ote", "XLMR", "cosine (IW)", "nl")
    assert es[sign_col] == "yes" and nl[sign_col] == "no"
    assert es[header.index("Paper")] == "0.704"
    assert es[header.index("Ours")] == "0.705 ± 0.007"
    assert _table_row(md, "ote", "my/encoder", "cosine (IW)")[header.index("Paper")] == (
        "not reported by the paper"
    )
    books = _table_row(md, "cls-books", "XLMR", "cosine (IW)")
    assert books[header.index("Target")] == "mean(de, fr, ja)"
    assert books[header.index("Significant")] == "1/1 langs"
    # every significance result is listed, with p=0 shown at the bootstrap's resolution
    section = md.split("## Significance", 1)[1]
    assert section.count("| ote |") == 3 and section.count("| cls-books |") == 1
    sig_es = _table_row(section, "ote", "XLMR", "cosine (IW)", "es")
    assert "<0.002" in sig_es and sig_es[-1] == "yes"
    assert _table_row(section, "ote", "XLMR", "cosine (IW)", "nl")[-1] == "no"
    assert _table_row(section, "ote", "XLMR", "cosine (multi-source)", "es")[-1] == "no"


def test_markdown_without_significance(frame):
    md = scorecard(frame)
    assert "No significance results" in md
    assert "3 of 4 IW cells" in md
