"""Sharing results through a DVC remote (issue 21): push once, pull in a fresh clone, retrain
nothing; then one changed parameter, pushed and pulled again.

The tiny project of tests/test_workflow_run.py is built in clone A with a local directory as
its DVC remote; clone B is a `git clone` of A that only pulls.
"""

import json
import shutil
from pathlib import Path

import pytest

from test_workflow_run import planned, run, set_param, stages_run, tiny_project

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH"),
    pytest.mark.skipif(shutil.which("dvc") is None, reason="dvc not on PATH (pip install .[dvc])"),
]

SHARED = [
    "results/metrics/summary.json",
    "results/metrics/per_seed.csv",
    "results/tables/table1.tex",
    "results/tables/table3.tex",
    "results/report/scorecard.md",
]


def get_results(clone: Path) -> None:
    """What a collaborator runs (docs/dvc.md): pull, then mark the pulled results up to date
    for Snakemake (a fresh clone has no Snakemake metadata, and checkout order sets mtimes)."""
    run(clone, "dvc", "pull", "-q")
    run(clone, "snakemake", "--touch", "--cores", "1")


def pushed_and_cloned(root: Path, *, real: bool = False) -> tuple[Path, Path]:
    """Clone A: the tiny project trained (`dvc repro`), committed and pushed to a local DVC
    remote; clone B: a `git clone` of A that has pulled nothing yet."""
    a = root / "a"
    a.mkdir()
    tiny_project(a, remote=root / "remote", real=real)
    run(a, "git", "add", "-A")
    run(a, "git", "commit", "-qm", "tiny project")
    run(a, "dvc", "repro")
    run(a, "git", "add", "-A")
    run(a, "git", "commit", "-qm", "results")
    run(a, "dvc", "push", "-q")
    b = root / "b"
    run(root, "git", "clone", "-q", str(a), str(b))
    return a, b


@pytest.fixture(scope="module")
def clones(tmp_path_factory):
    a, b = pushed_and_cloned(tmp_path_factory.mktemp("dvc-remote"))
    get_results(b)
    return a, b


def test_a_fresh_clone_pulls_the_results_and_plans_no_training(clones):
    a, b = clones
    for path in SHARED:
        assert (b / path).read_bytes() == (a / path).read_bytes(), path
    metrics = sorted(p.relative_to(b) for p in (b / "results/runs").rglob("metrics.json"))
    assert len(metrics) == 4 and all((b / m.parent / "predictions").is_dir() for m in metrics)
    assert list((b / "logs/train").rglob("*.log"))  # the job logs came along
    # the models and the raw benchmark files stayed out of the remote (the default switch)
    assert not list((b / "results/runs").rglob("model.safetensors"))
    assert not (b / "data/raw").exists()
    dry = run(b, "snakemake", "-n", "--cores", "2")
    assert "Nothing to be done" in dry and "train" not in planned(dry)
    assert "up to date" in run(b, "dvc", "status")
    assert stages_run(run(b, "dvc", "repro")) == {}


def test_a_changed_parameter_travels_through_the_remote(clones):
    a, b = clones
    cell = "results/runs/cls-books/zsiw-test--tiny-xlmr/none/en-all/seed1/train.json"
    before = json.loads((b / cell).read_text())
    set_param(a, "tasks.cls.train.epochs", 2)
    assert set(stages_run(run(a, "dvc", "repro"))) == {"experiments", "report"}
    run(a, "git", "add", "-A")
    run(a, "git", "commit", "-qm", "cls: 2 epochs")
    run(a, "dvc", "push", "-q")
    run(b, "git", "pull", "-q")
    get_results(b)
    for path in SHARED:
        assert (b / path).read_bytes() == (a / path).read_bytes(), path
    after = json.loads((b / cell).read_text())
    assert (b / cell).read_bytes() == (a / cell).read_bytes()
    assert (before["epochs"], after["epochs"]) == (1, 2)  # the retrained cell came across
    assert "Nothing to be done" in run(b, "snakemake", "-n", "--cores", "2")
    # history: both commits' metrics and plots are readable in the clone
    run(b, "dvc", "fetch", "-q", "--all-commits")
    diff = json.loads(run(b, "dvc", "metrics", "diff", "HEAD~1", "--all", "--json", json_out=True))[
        "results/metrics/summary.json"
    ]
    summary = json.loads((b / "results/metrics/summary.json").read_text())
    assert len(diff) == 3 * len(summary)  # mean, std, n_seeds of every cell, from both commits
    assert all(v["old"] is not None and v["new"] is not None for v in diff.values())
    run(b, "dvc", "plots", "diff", "HEAD~1", "-o", str(b / "plots-diff"))
    assert "iw_vs_plain_cls.png" in (b / "plots-diff/index.html").read_text()


@pytest.fixture(scope="module")
def paper_shaped(tmp_path_factory):
    """The same route with the paper run's shape: real mode, data sources where params.yaml
    puts them (`data/external/…`, never in git or DVC), so that the clone lacks them."""
    return pushed_and_cloned(tmp_path_factory.mktemp("dvc-paper"), real=True)


def test_the_paper_shaped_route_works_without_the_benchmarks(paper_shaped):
    a, b = paper_shaped
    assert not (b / "data/external").exists() and (a / "data/external/semeval2016").is_dir()
    run(b, "dvc", "pull", "-q")
    touched = run(b, "snakemake", "--touch", "--cores", "1")  # as docs/dvc.md types it
    # the missing benchmarks are named, and nothing stops: nothing needs them
    assert "SemEval-2016" in touched and "cannot be had now" in touched
    for path in SHARED:
        assert (b / path).read_bytes() == (a / path).read_bytes(), path
    dry = run(b, "snakemake", "-n", "--cores", "2")
    assert "Nothing to be done" in dry and "train" not in planned(dry)
