"""The whole DAG for real on a tiny configuration: outputs, no-op reruns, and reruns limited
to the cells a changed parameter touches (also after DVC-style mtime rewrites)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH"),
]

TINY = {
    "encoders": ["zsiw-test/tiny-xlmr"],
    "seeds": [1],
    "tasks": {
        "ote": {"targets": ["es"], "multi_source": {"enabled": False}, "train": {"epochs": 1}},
        "mldoc": {"enabled": False},
        "cls": {"domains": ["books"], "targets": ["de"], "train": {"epochs": 1}},
    },
    "data": {"mode": "demo", "demo_train": 16, "demo_test": 8},
    "ablation": {"enabled": False},
    "train": {
        "batch_size": 8,
        "target_batch_size": 8,
        "device": "cpu",
        "threads": 1,
        "max_length": 32,
        "eval_batch_size": 16,
    },
    "tables": {
        "case_study": {
            "task": "cls-books",
            "encoder": "zsiw-test/tiny-xlmr",
            "method": "cosine",
            "target": "de",
            "seed": 1,
        }
    },
}


def snakemake(workdir: Path, *args: str) -> str:
    out = subprocess.run(
        [
            "snakemake",
            *args,
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(workdir),
            "--cores",
            "2",
            "--workflow-profile",
            str(REPO / "workflow/profiles/default"),
            "--configfile",
            str(workdir / "tiny.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def planned(log: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", log, re.M) if k != "total"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("tiny")
    shutil.copy(REPO / "params.yaml", work)
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    snakemake(work)
    return work


def test_full_run_leaves_tables_metrics_report_and_logs(workdir):
    for i in range(1, 6):
        assert (workdir / f"results/tables/table{i}.tex").stat().st_size > 0
    assert "\\begin{tabular}" in (workdir / "results/tables/table5.tex").read_text()
    runs = list((workdir / "results/runs").rglob("metrics.json"))
    assert len(runs) == 4  # ote/cls x (none once, cosine per target)
    assert (workdir / "results/report/scorecard.md").exists()
    logs = list((workdir / "logs").rglob("*.log"))
    assert len(logs) >= 20 and all(p.stat().st_size >= 0 for p in logs)


def test_second_run_does_nothing(workdir):
    assert "Nothing to be done" in snakemake(workdir)


def test_mtime_rewrites_do_not_rerun(workdir):
    # A DVC checkout rewrites mtimes; contents, params and code are unchanged.
    for root in ("data", "results"):
        for path in (workdir / root).rglob("*"):
            os.utime(path, None)
    assert "Nothing to be done" in snakemake(workdir, "-n")


def test_changing_one_training_param_reruns_only_its_cells(workdir):
    changed = {
        **TINY,
        "tasks": {**TINY["tasks"], "cls": {**TINY["tasks"]["cls"], "train": {"epochs": 2}}},
    }
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(changed))
    try:
        log = snakemake(workdir, "-n")
    finally:
        (workdir / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    jobs = planned(log)
    assert jobs["train"] == 2 and jobs["evaluate"] == 2  # the two cls-books cells only
    assert "task=ote" not in log.split("Job stats")[0].replace("tokenise", "")
    assert "tokenise" not in jobs and "prepare_dataset" not in jobs


def test_snakemake_report_collects_tables_plots_and_scorecard(workdir):
    html = workdir / "report.html"
    snakemake(workdir, "--report", str(html))
    text = html.read_text(errors="replace")
    for name in (
        "scorecard.md",
        "table1.tex",
        "table5.tex",
        "ablation.tex",
        "iw_vs_plain_ote.png",
        "weight_dispersion.png",
        "training_curves.png",
    ):
        assert name in text, name


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not on PATH")
def test_generated_tables_compile_with_pdflatex(workdir, tmp_path):
    from zsiw.report.tables import wrap_document

    tables = sorted((workdir / "results/tables").glob("*.tex"))
    assert len(tables) == 6
    (tmp_path / "all.tex").write_text(wrap_document(*(t.read_text() for t in tables)))
    out = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-2000:]
    assert (tmp_path / "all.pdf").stat().st_size > 0
