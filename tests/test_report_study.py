import json
from pathlib import Path

import pytest

from zsiw.plan import Cell
from zsiw.report.study import write_study

GOLD = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]


def make_cell(root: Path, method: str, target: str, seed: int, preds: list[int]) -> Path:
    cell = Cell("cls-books", "enc", method, ("en",), target, seed)
    run = root / Path(*cell.run_dir.parts[2:])
    (run / "predictions").mkdir(parents=True)
    lines = [
        json.dumps({"id": f"i{k}", "gold": g, "pred": p})
        for k, (g, p) in enumerate(zip(GOLD, preds))
    ]
    (run / "predictions" / "de.jsonl").write_text("\n".join(lines) + "\n")
    acc = sum(g == p for g, p in zip(GOLD, preds)) / len(GOLD)
    result = {
        **cell.to_dict(),
        "eval_lang": "de",
        "score": acc,
        "accuracy": acc,
        "weight_dispersion": {"ess_ratio_mean": 0.99, "n_max_max": 1.2} if method != "none" else {},
    }
    (run / "metrics.json").write_text(json.dumps({"cell": cell.to_dict(), "results": [result]}))
    return run / "metrics.json"


def test_study_pairs_seeds_and_reports_intervals(tmp_path):
    root = tmp_path / "runs"
    wrong_plain = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1]  # 7/10
    metrics = [
        make_cell(root, "none", "all", 1, wrong_plain),
        make_cell(root, "none", "all", 2, wrong_plain),
        make_cell(root, "cosine", "de", 1, GOLD),  # 10/10
        make_cell(root, "cosine", "de", 2, [1] + GOLD[1:]),  # 9/10
    ]
    rows = write_study(metrics, root, tmp_path / "t.tex", tmp_path / "f.md", n_resamples=200)
    assert len(rows) == 1
    r = rows.iloc[0]
    assert r["seeds"] == 2 and r["plain_mean"] == pytest.approx(0.7)
    assert r["iw_mean"] == pytest.approx(0.95) and r["delta"] == pytest.approx(0.25)
    assert r["ci_low"] <= 0.25 <= r["ci_high"]
    assert r["ess_ratio"] == pytest.approx(0.99)
    table = (tmp_path / "t.tex").read_text()
    assert "$+0.2500$" in table and r"\begin{tabular}" in table
    text = (tmp_path / "f.md").read_text()
    assert "1 comparisons" in text and "+0.2500" in text
