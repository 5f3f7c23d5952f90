"""The whole DAG for real on a tiny configuration, driven the way users drive it with DVC:
outputs, no-op reruns, reruns limited to the cells a changed parameter touches (also after
DVC-style mtime rewrites), metrics and plots diffs between commits, `dvc exp run -S`."""

import json
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
    pytest.mark.skipif(shutil.which("dvc") is None, reason="dvc not on PATH (pip install .[dvc])"),
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
    # one core per job, so that the 2 cores run 2 jobs at once (params.yaml asks 4 per job)
    "resources": {"train": {"threads": 1}},
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


def run(workdir: Path, *cmd: str, json_out: bool = False) -> str:
    """Run a command in the project; its output with stderr merged in order (DVC prints its
    stage headers on stdout, Snakemake its jobs on stderr), or stdout alone for JSON.
    DVC runs without coverage's subprocess tracing: tracing DVC and the Snakemake runs under
    it cost minutes of CI, and the same zsiw commands are measured in the SLURM test's jobs
    and the unit tests."""
    env = {k: v for k, v in os.environ.items() if not (cmd[0] == "dvc" and k.startswith("COV"))}
    out = subprocess.run(
        cmd,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if json_out else subprocess.STDOUT,
        text=True,
        timeout=900,
        env={
            **env,
            "DVC_NO_ANALYTICS": "1",
            "GIT_AUTHOR_NAME": "t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )
    assert out.returncode == 0, (
        " ".join(cmd) + "\n" + out.stdout[-3000:] + (out.stderr or "")[-3000:]
    )
    return out.stdout


def snakemake(workdir: Path, *args: str) -> str:
    return run(workdir, "snakemake", *args, "--cores", "2")


def planned(log: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", log, re.M) if k != "total"}


def stages_run(log: str) -> dict[str, str]:
    """The output of each DVC stage that ran, by stage name."""
    parts = re.split(r"^Running stage '(\w+)':", log, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def set_param(workdir: Path, keys: str, value) -> None:
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    *parents, last = keys.split(".")
    node = params
    for key in parents:
        node = node[key]
    node[last] = value
    (workdir / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def tiny_project(work: Path, *, remote: Path | None = None, real: bool = False) -> Path:
    """The workflow with the tiny configuration as params.yaml, in a new git + DVC project
    (with ``remote`` as its default DVC remote), nothing committed yet. ``real``: shaped like
    the paper run instead, in real mode with params.yaml's data sources (`data/external/…`,
    which git ignores), holding small files in the benchmarks' formats."""
    from snakemake.utils import update_config

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("Snakefile", "dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(REPO / name, work)
    for name in ("workflow", "src"):
        shutil.copytree(REPO / name, work / name, ignore=ignore, symlinks=True)
    (work / "profiles").symlink_to("workflow/profiles")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    update_config(params, TINY)
    if real:
        from zsiw.data.demo import write_demo_raw

        params["data"]["mode"] = "real"
        write_demo_raw(
            work / "data" / "external",
            ote_langs=("en", "es", "fr"),  # params.yaml parses SemEval French too
            cls_langs=("en", "de"),
            mldoc_langs=(),
            n_train=TINY["data"]["demo_train"],
            n_test=TINY["data"]["demo_test"],
        )
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(work, "git", "init", "-q")
    run(work, "dvc", "init", "-q")
    if remote is not None:
        run(work, "dvc", "remote", "add", "-d", "shared", str(remote))
    return work


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A git + DVC project holding the workflow, with the tiny configuration as params.yaml,
    after one `dvc repro` (committed)."""
    work = tiny_project(tmp_path_factory.mktemp("tiny"))
    run(work, "git", "add", "-A")
    run(work, "git", "commit", "-qm", "tiny project")
    work.joinpath("first_repro.log").write_text(run(work, "dvc", "repro"))
    run(work, "git", "add", "-A")
    run(work, "git", "commit", "-qm", "first results")
    return work


def test_full_run_leaves_tables_metrics_report_and_logs(workdir):
    assert set(stages_run((workdir / "first_repro.log").read_text())) == {
        "data",
        "features",
        "experiments",
        "report",
    }
    for i in range(1, 6):
        assert (workdir / f"results/tables/table{i}.tex").stat().st_size > 0
    table5 = (workdir / "results/tables/table5.tex").read_text()
    assert "\\begin{tabular}" in table5
    assert "Target $j{=}0$ (de)" in table5  # the language comes from tables.case_study
    runs = list((workdir / "results/runs").rglob("metrics.json"))
    assert len(runs) == 4  # ote/cls x (none once, cosine per target)
    assert (workdir / "results/report/scorecard.md").exists()
    # one log per job; a cell's log ends with its test scores (the job trains, then tests)
    assert len(list((workdir / "logs").rglob("*.log"))) >= 15
    for metrics in runs:
        cell = metrics.parent.relative_to(workdir / "results/runs")
        log = (workdir / "logs/train" / cell.parent / f"{cell.name}.log").read_text()
        assert "source-dev score" in log and ": score " in log, cell


def test_second_repro_does_nothing(workdir):
    log = run(workdir, "dvc", "repro")
    assert stages_run(log) == {} and "up to date" in log
    assert "Nothing to be done" in snakemake(workdir)


def test_mtime_rewrites_do_not_rerun(workdir):
    # A DVC checkout rewrites mtimes; contents, params and code are unchanged.
    for root in ("data", "results"):
        for path in (workdir / root).rglob("*"):
            os.utime(path, None)
    assert "Nothing to be done" in snakemake(workdir, "-n")
    assert stages_run(run(workdir, "dvc", "repro")) == {}


def test_changing_one_training_param_reruns_only_its_cells(workdir):
    before = json.loads((workdir / "results/metrics/summary.json").read_text())
    set_param(workdir, "tasks.cls.train.epochs", 2)
    stages = stages_run(run(workdir, "dvc", "repro"))
    assert set(stages) == {"experiments", "report"}  # data and features are untouched
    jobs = planned(stages["experiments"])
    # the two cls-books cells only (each job also tests its cell), then the target rule
    assert jobs == {"train": 2, "experiments_all": 1}
    assert "task=ote" not in stages["experiments"]
    after = json.loads((workdir / "results/metrics/summary.json").read_text())
    assert {k for k in after if after[k] != before[k]} <= {k for k in after if "cls" in k}
    assert stages_run(run(workdir, "dvc", "repro")) == {}  # and again: a no-op
    run(workdir, "git", "add", "-A")
    run(workdir, "git", "commit", "-qm", "cls: 2 epochs")


def test_an_iw_only_param_leaves_the_plain_models_alone(workdir):
    original = (workdir / "params.yaml").read_text()
    set_param(workdir, "train.target_batch_size", 4)
    try:
        log = snakemake(workdir, "-n")
    finally:
        (workdir / "params.yaml").write_text(original)
    assert planned(log)["train"] == 2  # cosine es and cosine de; both plain models stay
    assert "method=none" not in log


def test_metrics_and_plots_diff_between_two_commits(workdir):
    diff = json.loads(
        run(workdir, "dvc", "metrics", "diff", "HEAD~1", "--all", "--json", json_out=True)
    )
    entries = diff["results/metrics/summary.json"]
    assert len(entries) == 3 * len(
        json.loads((workdir / "results/metrics/summary.json").read_text())
    )
    # both commits were read (no value missing), and nothing outside cls-books moved
    assert all(v["old"] is not None and v["new"] is not None for v in entries.values())
    assert all(v["old"] == v["new"] for k, v in entries.items() if not k.startswith("cls-books/"))
    out = workdir / "plots-diff"
    run(workdir, "dvc", "plots", "diff", "HEAD~1", "-o", str(out))
    html = (out / "index.html").read_text()
    assert "iw_vs_plain_cls.png" in html and "HEAD~1" in html


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


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdflatex", "pdftoppm", "pdfinfo")),
    reason="needs pdflatex and poppler-utils",
)
def test_generated_tables_compile_with_the_tables_pdf_rule(workdir):
    """`snakemake tables_pdf`, as a user runs it: every table one page, page 1 as PNG."""
    assert len(sorted((workdir / "results/tables").glob("*.tex"))) == 6
    snakemake(workdir, "tables_pdf")
    pdf = workdir / "results/tables/tables.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+6$", info.stdout, re.M), info.stdout
    assert (workdir / "results/tables/tables.png").read_bytes()[:4] == b"\x89PNG"


def test_dvc_exp_run_sets_a_param_and_reruns_what_reads_it(workdir):
    # `-S` works for any dotted key; a report parameter keeps this test to the report jobs
    # (a training key such as train.lr goes through the same path, as the repro test shows).
    log = run(workdir, "dvc", "exp", "run", "-S", "report.bootstrap_resamples=200", "-n", "b200")
    assert set(stages_run(log)) == {"report"}
    jobs = planned(stages_run(log)["report"])
    assert "train" not in jobs and jobs["report"] == 1
    shown = json.dumps(json.loads(run(workdir, "dvc", "exp", "show", "--json", json_out=True)))
    assert '"b200"' in shown and '"bootstrap_resamples": 200' in shown


def test_study_iw_trains_the_paired_grid_and_writes_table_and_findings(workdir, tmp_path):
    """`snakemake study_iw` (issue 10) on a copy of the tiny project: the missing paired cells
    are trained, the cells the default grid already has are reused, and both outputs are
    written with one row per method and target."""
    study = tmp_path / "study"
    shutil.copytree(workdir, study, symlinks=True)  # keeps mtimes: finished cells stay done
    (study / "study.yaml").write_text(
        yaml.safe_dump(
            {"study": {"tasks": ["ote"], "methods": ["cosine", "cosine_softmax"], "seeds": [1, 2]}}
        )
    )
    log = run(study, "snakemake", "study_iw", "--cores", "2", "--configfile", "study.yaml")
    # seed 1's plain and cosine cells come from the default grid; the rest are new; every
    # cell's geometry is measured from its model (what its weights follow)
    assert planned(log) == {"train": 4, "cell_geometry": 6, "study_iw": 1}
    findings = (study / "results/report/findings.md").read_text()
    assert not (study / "docs").exists()  # a generated page never lands in docs/
    assert "What was trained (seeds [1, 2]" in findings
    assert "2 comparisons (task × target × method)" in findings
    for method in ("cosine", "cosine_softmax"):
        row = re.search(rf"^\| ote \| es \| {method} \| 2 \| .*\|$", findings, re.M)
        assert row, method
        assert row.group(0).count("[") == 2  # the bootstrap and the per-seed t-interval
    for model in ("plain", "cosine", "cosine_softmax"):  # what each model's weights follow
        assert re.search(
            rf"^\| ote \| es \| {model} \| 2 \| ", findings.split("weights follow")[-1], re.M
        )
    table = (study / "results/tables/study_iw.tex").read_text()
    assert table.count(r"\\") >= 3 and r"cosine\_softmax" in table
    if shutil.which("pdflatex"):
        from zsiw.report.pdf import compile_tables

        pdf = compile_tables([study / "results/tables/study_iw.tex"], tmp_path / "study.pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"  # raises with pdflatex's first error line
    assert "Nothing to be done" in run(
        study, "snakemake", "study_iw", "--cores", "2", "--configfile", "study.yaml"
    )
    # the geometry summary reads the same per-cell files: the study measured its OTE cells
    # already; the CLS cells and the pretrained encoder (per task) are measured now
    log = run(study, "snakemake", "geometry", "--cores", "2", "--configfile", "study.yaml")
    assert planned(log) == {"pretrained_geometry": 2, "cell_geometry": 2, "geometry": 1}
    summary = (study / "results/geometry/geometry.md").read_text()
    for task in ("ote", "cls-books"):
        assert re.search(
            rf"^\| zsiw-test/tiny-xlmr \| {task} \| .* \| trained cosine \(1\) \|", summary, re.M
        )
