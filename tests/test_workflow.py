"""The Snakemake workflow: schema validation and the planned DAG (dry runs, no training)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/params.schema.yaml").read_text())


def merged(*paths):
    from snakemake.utils import update_config

    cfg = {}
    for p in paths:
        update_config(cfg, yaml.safe_load((REPO / p).read_text()))
    return cfg


def test_params_and_demo_validate():
    jsonschema.validate(merged("params.yaml"), SCHEMA)
    jsonschema.validate(merged("params.yaml", "config/demo.yaml"), SCHEMA)


def test_bad_params_name_the_key():
    cfg = merged("params.yaml")
    cfg["methods"] = ["none", "cosinus"]
    with pytest.raises(jsonschema.ValidationError) as err:
        jsonschema.validate(cfg, SCHEMA)
    assert "cosinus" in str(err.value) and "methods" in str(err.value)


def job_counts(*args):
    out = subprocess.run(
        ["snakemake", "-n", "--cores", "8", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.stdout, re.M))
    return {k: int(v) for k, v in counts.items()}, out.stdout


@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_dry_run_plans_every_paper_cell(tmp_path):
    shutil.copy(REPO / "params.yaml", tmp_path)
    counts, log = job_counts(
        "--resources",
        "gpu=2",
        "--directory",
        str(tmp_path),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--config",
        "preflight=False",  # no data here: plan the grid only
    )
    # (14 + 16 + 3 x 8) paper cells + 16 ablation cells, x 3 seeds
    assert counts["train"] == 210  # one job per cell: it trains and then tests the cell
    assert "evaluate" not in counts
    assert counts["tokenise"] == 2 * (5 + 8 + 3 * 4)  # encoder x task x language, once
    assert counts["fetch_encoder"] == 2
    for cell in (
        "results/runs/ote/xlm-roberta-base/cosine/en+es+nl+tr-ru/seed3/train.json",
        "results/runs/mldoc/bert-base-multilingual-cased/none/en-all/seed1/train.json",
        "results/runs/cls-music/xlm-roberta-base/cosine/en-ja/seed2/train.json",
    ):
        assert cell in log
    assert "/none/en-es/" not in log  # plain models are never trained per target


@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_bad_configfile_fails_before_any_job(tmp_path):
    shutil.copy(REPO / "params.yaml", tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {lr: -1}\n")
    out = subprocess.run(
        [
            "snakemake",
            "-n",
            "--cores",
            "1",
            "--configfile",
            str(bad),
            "--directory",
            str(tmp_path),
            "--snakefile",
            str(REPO / "Snakefile"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "lr" in out.stderr + out.stdout


@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_missing_data_and_encoders_are_named_at_once_and_stop_a_run_before_any_job(tmp_path):
    """Issue 20, as issue 33 refined it: the paper run on a machine without its data names
    every missing data set, where it is expected and the docs that say how to get it, fast;
    a dry run still shows the plan (the list is a warning), and a real run stops before its
    first job."""
    import time

    shutil.copy(REPO / "params.yaml", tmp_path)

    def snakemake(*args: str) -> tuple[subprocess.CompletedProcess, float]:
        start = time.monotonic()
        out = subprocess.run(
            [
                "snakemake",
                *args,
                "--directory",
                str(tmp_path),
                "--snakefile",
                str(REPO / "Snakefile"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        return out, time.monotonic() - start

    dry, elapsed = snakemake("-n", "--cores", "8", "--resources", "gpu=2")
    text = dry.stderr + dry.stdout
    assert dry.returncode == 0 and "Job stats" in text  # the plan is shown
    for name, path in (
        ("SemEval-2016", "data/external/semeval2016"),
        ("Webis-CLS-10", "data/external/webis-cls-10"),
        ("MLDoc", "data/external/mldoc"),
    ):
        assert re.search(rf"{name}[^\n]*expected at {path}[^\n]*docs/data\.md", text), name
    assert "encoder xlm-roberta-base" in text and "encoder bert-base-multilingual-cased" in text
    assert "5 input(s)" in text
    assert elapsed < 60  # the acceptance asks < 30 s; this is the outer bound for a busy CI
    run, _ = snakemake("--cores", "1", "data_all")
    text = run.stderr + run.stdout
    assert run.returncode != 0 and "3 input(s)" in text and "so no job was started" in text
    assert not (tmp_path / "logs").exists() and not (tmp_path / "data").exists()
