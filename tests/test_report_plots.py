"""Report figures: the right bars/boxes/lines are drawn, and PNG + PDF files are written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zsiw.plan import Cell
from zsiw.report.plots import (
    iw_vs_plain_figure,
    plot_iw_vs_plain,
    plot_training_curves,
    plot_weight_dispersion,
    read_train_log,
    run_info,
    training_curves_figure,
    weight_dispersion_figure,
)

ENCODERS = ("bert-base-multilingual-cased", "xlm-roberta-base")


@pytest.fixture()
def per_seed() -> pd.DataFrame:
    rows = []
    for e, encoder in enumerate(ENCODERS):
        for t, lang in enumerate(("es", "nl")):
            for seed in (1, 2, 3):
                for method, bonus in (("none", 0.0), ("cosine", 0.02)):
                    rows.append(
                        {
                            "task": "ote",
                            "encoder": encoder,
                            "method": method,
                            "sources": "en",
                            "target": "all" if method == "none" else lang,
                            "eval_lang": lang,
                            "seed": seed,
                            "score": 0.6 + 0.05 * e + 0.01 * t + bonus + 0.01 * seed,
                        }
                    )
            # the plain model on the source language is not part of the comparison
            rows.append(
                {
                    "task": "ote",
                    "encoder": encoder,
                    "method": "none",
                    "sources": "en",
                    "target": "all",
                    "eval_lang": "en",
                    "seed": 1,
                    "score": 0.9,
                }
            )
    rows.append(
        {
            "task": "mldoc",
            "encoder": ENCODERS[0],
            "method": "none",
            "sources": "en",
            "target": "all",
            "eval_lang": "de",
            "seed": 1,
            "score": 0.8,
        }
    )
    return pd.DataFrame(rows)


def _assert_written(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        assert path.exists() and path.stat().st_size > 1000
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else head.startswith(b"%PDF")


def test_iw_vs_plain_bars_and_error_bars(per_seed):
    fig = iw_vs_plain_figure(per_seed, "ote")
    axes = [ax for ax in fig.axes if ax.patches]
    assert len(axes) == 2  # one panel per encoder
    for e, ax in enumerate(axes):
        # 2 targets x (plain, IW); no bar for the source language
        assert len(ax.patches) == 4
        assert [t.get_text() for t in ax.get_xticklabels()] == ["es", "nl"]
        bars = [c for c in ax.containers if hasattr(c, "errorbar")]
        heights = sorted(round(p.get_height(), 6) for p in ax.patches)
        base = 0.6 + 0.05 * e + 0.02  # mean over seeds 1..3 of 0.01 * seed
        expected = [base, base + 0.01, base + 0.02, base + 0.03]
        assert heights == pytest.approx(sorted(expected))
        # error bar half-length = sample std over seeds (0.01 * [1, 2, 3] -> 0.01)
        segments = bars[0].errorbar.lines[2][0].get_segments()
        half = [(s[1][1] - s[0][1]) / 2 for s in segments]
        assert half == pytest.approx([np.std([0.01, 0.02, 0.03], ddof=1)] * 2)
        labels = ax.get_legend_handles_labels()[1]
        assert "plain" in labels and "IW (cosine)" in labels and "paper" in labels
        assert ax.get_ylabel() == "span F1"
    assert fig.axes[0].get_title() == "mBERT"


def test_plot_iw_vs_plain_writes_one_figure_per_group(per_seed, tmp_path):
    paths = plot_iw_vs_plain(per_seed, tmp_path / "plots" / "iw_vs_plain")
    names = sorted(p.name for p in paths)
    assert names == [
        "iw_vs_plain_mldoc.pdf",
        "iw_vs_plain_mldoc.png",
        "iw_vs_plain_ote.pdf",
        "iw_vs_plain_ote.png",
    ]
    _assert_written(paths)


def test_pdfs_go_to_their_own_folder_when_asked(per_seed, tmp_path):
    # DVC renders every file of a plots folder and rejects PDFs: the workflow splits them.
    paths = plot_iw_vs_plain(per_seed, tmp_path / "plots" / "iw_vs_plain", tmp_path / "figures")
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "iw_vs_plain_mldoc.png",
        "iw_vs_plain_ote.png",
    ]
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "iw_vs_plain_mldoc.pdf",
        "iw_vs_plain_ote.pdf",
    ]
    _assert_written(paths)


def _write_run(root: Path, cell: Cell, steps: int, *, iw: bool, repeat: int = 0) -> Path:
    run = root / cell.run_dir
    run.mkdir(parents=True)
    records = []
    for step in list(range(steps)) + list(range(steps - repeat, steps)):
        rec = {"step": step, "epoch": 0, "loss": 1.0 / (1 + step), "lr": 1e-4}
        if iw:
            rec.update(
                ess_ratio=0.9 - 0.01 * step, n_min=0.5, n_max=1.5 + 0.1 * step, entropy_ratio=0.99
            )
        records.append(rec)
    (run / "train_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return run / "train_log.jsonl"


@pytest.fixture()
def logs(tmp_path) -> list[Path]:
    enc = "xlm-roberta-base"
    return [
        _write_run(tmp_path, Cell("ote", enc, "none", ("en",), "all", 1), 10, iw=False),
        _write_run(tmp_path, Cell("ote", enc, "cosine", ("en",), "es", 1), 10, iw=True),
        _write_run(tmp_path, Cell("ote", enc, "cosine", ("en",), "nl", 1), 8, iw=True, repeat=3),
        _write_run(tmp_path, Cell("cls-books", enc, "cosine", ("en",), "de", 2), 6, iw=True),
    ]


def test_run_info_from_path(logs):
    info = run_info(logs[2])
    assert info == {
        "task": "ote",
        "encoder": "xlm-roberta-base",
        "method": "cosine",
        "sources": "en",
        "target": "nl",
        "seed": 1,
    }
    assert run_info(logs[0])["target"] == "all"


def test_read_train_log_keeps_last_record_per_step(logs):
    log = read_train_log(logs[2])  # steps 5..7 were logged twice (a resumed run)
    assert log["step"].tolist() == list(range(8))


def test_weight_dispersion_boxes(logs, tmp_path):
    fig = weight_dispersion_figure(logs)
    ess_ax, nmax_ax = fig.axes
    # the plain run logs no weights: two groups (ote/XLMR/cosine pooled over es+nl, cls-books)
    assert len(ess_ax.patches) == 2 and len(nmax_ax.patches) == 2
    labels = [t.get_text() for t in nmax_ax.get_xticklabels()]
    assert labels == ["cls-books\nXLMR\ncosine", "ote\nXLMR\ncosine"]
    assert "ESS" in ess_ax.get_ylabel() and "max w" in nmax_ax.get_ylabel()
    # box elements span the data: ote pools 10 + 8 steps (ESS 0.90 .. 0.81), and the
    # pooled median is drawn; the dashed line at 1.0 marks uniform weights
    ys = np.concatenate([ln.get_ydata() for ln in ess_ax.lines if ln.get_linestyle() != "--"])
    assert ys.min() == pytest.approx(0.81) and ys.max() == pytest.approx(0.9)
    pooled = [0.9 - 0.01 * s for s in range(10)] + [0.9 - 0.01 * s for s in range(8)]
    assert np.any(np.isclose(ys, np.median(pooled)))
    _assert_written(plot_weight_dispersion(logs, tmp_path / "out" / "weight_dispersion"))


def test_weight_dispersion_without_iw_runs_still_writes(logs, tmp_path):
    fig = weight_dispersion_figure(logs[:1])
    assert "no instance-weighted runs" in fig.axes[0].texts[0].get_text()
    _assert_written(plot_weight_dispersion(logs[:1], tmp_path / "empty"))


def test_training_curves_one_line_per_run(logs, tmp_path):
    fig = training_curves_figure(logs, smooth=1)
    titled = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert set(titled) == {"cls-books", "ote"}
    assert len(titled["ote"].lines) == 3 and len(titled["cls-books"].lines) == 1
    raw = titled["cls-books"].lines[0]
    assert raw.get_xdata().tolist() == list(range(6))
    assert raw.get_ydata() == pytest.approx([1.0 / (1 + s) for s in range(6)])
    assert titled["ote"].get_xlabel() == "step"
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels == ["plain", "IW (cosine)", "XLMR"]
    _assert_written(plot_training_curves(logs, tmp_path / "curves"))
