"""dvc.yaml: each stage's deps cover every zsiw module that its Snakemake target's commands
import, so that DVC never calls a stage up to date after a change to code it runs."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
#: The modules each stage's `zsiw` commands start from (`zsiw.cli` dispatches to them).
ENTRY = {
    "data": ["zsiw.cli", "zsiw.data.download", "zsiw.data.prepare", "zsiw.data.demo"],
    "features": ["zsiw.cli", "zsiw.features", "zsiw.models"],
    "experiments": ["zsiw.cli", "zsiw.train"],
    "report": [
        "zsiw.cli",
        "zsiw.stats",
        "zsiw.significance",
        "zsiw.report.build",
        "zsiw.report.plots",
        "zsiw.report.scorecard",
        "zsiw.report.study",
        "zsiw.report.compare",
        "zsiw.report.results_page",
        "zsiw.geometry",
        "zsiw.publish",
    ],
}


def imported_files(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items()"
        " if n == 'zsiw' or n.startswith('zsiw.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {str(Path(f).resolve().relative_to(REPO)) for f in json.loads(out.stdout)}


def test_every_stage_depends_on_the_code_it_runs():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    assert set(ENTRY) == set(stages)
    for name, entry in ENTRY.items():
        deps = [d for d in stages[name]["deps"] if d.startswith("src/")]
        uncovered = sorted(
            f
            for f in imported_files(entry)
            if not any(f == d or f.startswith(d + "/") for d in deps)
        )
        assert not uncovered, f"dvc.yaml stage {name!r} lacks deps: {uncovered}"
