"""docs/gpu.md: its tested commands run as written here, and its numbers are theirs."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs/gpu.md").read_text()

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")


def section(title: str) -> str:
    return re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", DOC, re.S | re.M).group(0)


def commands(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.split("  #")[0].strip() for b in blocks for line in b.splitlines() if line]


def test_preflight_and_cost_commands_run_as_documented(tmp_path):
    preflight, cost = commands(section("3. Preflight and cost"))
    shutil.copy(REPO / "params.yaml", tmp_path)  # a clone without data or encoders
    out = subprocess.run(
        shlex.split(preflight),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode != 0 and "zsiw preflight: 5 input(s)" in out.stderr + out.stdout
    printed = subprocess.run(shlex.split(cost), cwd=REPO, capture_output=True, text=True).stdout
    # the doc's table is this command's output
    for table, jobs, hours in re.findall(
        r"^\| (Table \d[^|]*?) \| (\d+) \| ([\d.]+) \|", DOC, re.M
    ):
        assert re.search(rf"^{re.escape(table)}\s+{jobs}\s+\S+\s+{hours}$", printed, re.M), table
    assert "an estimate, not a measurement" in printed


def test_the_smoke_preset_plans_one_short_cell_of_every_kind(tmp_path):
    (smoke,) = commands(section("4. Smoke test"))
    shutil.copy(REPO / "params.yaml", tmp_path)
    shutil.copytree(REPO / "config", tmp_path / "config")
    out = subprocess.run(
        [
            *shlex.split(smoke),
            "-n",
            "--config",
            "preflight=False",
            "--snakefile",
            str(REPO / "Snakefile"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.stdout, re.M))
    assert int(counts["train"]) == 2 * 3 * 2  # encoders x tasks x (plain, IW)
    assert 'max_steps\\": 30' in out.stdout or '"max_steps": 30' in out.stdout
