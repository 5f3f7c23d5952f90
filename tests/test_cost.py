"""`zsiw plan --cost`: jobs per table and the estimate's arithmetic, by hand."""

import copy
import math
from pathlib import Path

import pytest
import yaml

from zsiw import cost

REPO = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def test_jobs_per_table_cover_the_paper_grid():
    rows = {r.table: r.jobs for r in cost.estimate(PARAMS)}
    assert rows == {
        "Table 1 (OTE)": 2 * 3 * (1 + 4),
        "Table 2 (MLDoc)": 2 * 3 * (1 + 7),
        "Table 3 (Webis-CLS-10)": 3 * 2 * 3 * (1 + 3),
        "Table 4 (multi-source OTE)": 4 * 3,
        "ablation / study": 2 * 2 * 4 * 3,
    }
    assert sum(rows.values()) == 210


def test_one_plain_mldoc_cell_by_hand(tmp_path):
    config = copy.deepcopy(PARAMS)
    config["data"]["models_dir"] = str(tmp_path)  # no local copy: a base-size encoder
    config.update(encoders=["xlm-roberta-base"], methods=["none"], seeds=[1])
    config["tasks"]["ote"]["enabled"] = config["tasks"]["cls"]["enabled"] = False
    config["ablation"]["enabled"] = False
    (row,) = cost.estimate(config, tflops=10.0, job_overhead_s=0.0)
    steps = 3 * math.ceil(1000 / 32)  # 3 epochs of 1000 documents
    tokens = steps * 32 * 256  # stories fill max_length 256
    tested = 8 * 4000 * 256  # en + 7 targets
    dev = 3 * 1000 * 0.1 * 256
    flops = 6 * 85e6 * tokens + 2 * 85e6 * (tested + dev)
    assert row.jobs == 1 and row.train_tokens == tokens
    assert row.hours == pytest.approx(flops / 10e12 / 3600)
    assert "an estimate, not a measurement" in cost.cost_text(config)
