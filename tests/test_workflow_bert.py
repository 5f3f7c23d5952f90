"""The mBERT path through the whole workflow (issue 20): a tiny BERT-architecture encoder
with a WordPiece tokenizer next to the tiny XLM-R one, from tokenisation to the tables."""

import shutil
from pathlib import Path

import pytest
import yaml

from test_resume_workflow import make_project

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH"),
]

BOTH = {
    "encoders": ["zsiw-test/tiny-xlmr", "zsiw-test/tiny-bert"],
    "seeds": [1],
    "methods": ["none", "cosine"],
    "tasks": {
        "ote": {"targets": ["es"], "multi_source": {"enabled": False}, "train": {"epochs": 1}},
        "mldoc": {"enabled": False},
        "cls": {"enabled": True, "domains": ["books"], "targets": ["de"], "train": {"epochs": 1}},
    },
    "data": {"mode": "demo", "demo_train": 16, "demo_test": 8},
    "ablation": {"enabled": False},
    "train": {"batch_size": 8, "target_batch_size": 8, "device": "cpu", "threads": 1},
    "resources": {"train": {"threads": 1}},
    "tables": {
        "case_study": {
            "task": "cls-books",
            "encoder": "zsiw-test/tiny-bert",
            "method": "cosine",
            "target": "de",
            "seed": 1,
        }
    },
}


def test_both_architectures_reach_every_table(tmp_path):
    import subprocess

    project = make_project(tmp_path / "both", BOTH)
    done = subprocess.run(
        ["snakemake", "--cores", "2"], cwd=project, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for table in ("table1.tex", "table3.tex"):
        text = (project / "results/tables" / table).read_text()
        assert "tiny-bert" in text and "tiny-xlmr" in text, table
    runs = project / "results/runs/ote/zsiw-test--tiny-bert"
    assert (runs / "cosine/en-es/seed1/metrics.json").exists()
    spec = yaml.safe_load((runs / "none/en-all/seed1/model_spec.json").read_text())
    assert Path(spec["model_dir"]).name == "zsiw-test--tiny-bert"
    # Table 5, the case study, comes from the BERT run's logged batch
    assert r"\begin{tabular}" in (project / "results/tables/table5.tex").read_text()
