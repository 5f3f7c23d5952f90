"""Generated files never overwrite hand-written ones: no rule of any preset writes a tracked
file that is not marked as generated, and no command's default output path is one.

Generated territory: `results/`, `data/`, `logs/` (ignored by git), the published trees under
`published/` (written by `zsiw publish` and the workflow only), and tracked pages whose first
line is the generated-page marker (`docs/results.md`, `docs/findings-full-cpu.md`)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from zsiw.plan import GENERATED

REPO = Path(__file__).resolve().parents[1]
TARGETS = ["all", "study_iw", "geometry", "tables_pdf", "data_all", "encoders_all"]


def tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True)
    return set(out.stdout.split())


def hand_written(path: str, files: set[str]) -> bool:
    """A tracked file outside the published trees that does not say it is generated."""
    path = os.path.normpath(path)
    if path not in files or path.startswith("published/"):
        return False
    with open(REPO / path, encoding="utf-8", errors="replace") as f:
        return f.readline().rstrip("\n") != GENERATED


def rule_outputs(*args: str, targets: list[str] = TARGETS) -> set[str]:
    """Every output file of every job the targets would run, by a forced dry run."""
    out = subprocess.run(
        ["snakemake", "-n", "--forceall", "--cores", "1", *targets, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    paths = set()
    for line in (out.stdout + out.stderr).splitlines():
        if line.strip().startswith("output:"):
            paths.update(p.strip() for p in line.split(":", 1)[1].split(","))
    assert paths
    return paths


PRESETS = [[]] + [
    ["--configfile", str(p.relative_to(REPO))] for p in sorted((REPO / "config").glob("*.yaml"))
]
PUBLISHED = [
    ["--configfile", "config/demo.yaml", "--config", "published=published/demo"],
    ["--configfile", "config/full-cpu.yaml", "--config", "published=published/full-cpu"],
]


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
@pytest.mark.parametrize("args", PRESETS + PUBLISHED, ids=lambda a: " ".join(a) or "params")
def test_no_rule_of_any_preset_writes_a_hand_written_file(args):
    if (
        "published=published/full-cpu" in args
        and not (REPO / "published/full-cpu/pretrained/ote.geometry.json").is_file()
    ):
        pytest.skip("the full-cpu grid is not published yet")
    targets = TARGETS
    if any(a.startswith("published=") for a in args) and not study_published(args):
        # asked for by name, the study of a tree without all its cells stops with a message
        # (tests/test_published.py); it writes nothing until then
        targets = [t for t in TARGETS if t != "study_iw"]
    files = tracked()
    bad = sorted(p for p in rule_outputs(*args, targets=targets) if hand_written(p, files))
    assert not bad, f"rule outputs that are hand-written tracked files: {bad}"


def study_published(args: list[str]) -> bool:
    """Whether the published tree named in ``args`` holds every cell of its preset's study."""
    from zsiw import plan
    from zsiw.config import load_config

    config = load_config(REPO / "params.yaml", [REPO / args[args.index("--configfile") + 1]])
    root = REPO / next(a for a in args if a.startswith("published=")).split("=", 1)[1]
    return all(plan.is_published(root, c) for c in plan.study_cells(config))


def default_paths(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(f"{name} {opt}", path) for opt, path in default_paths(sub)]
        elif isinstance(action.default, str) and re.search(r"\w/\w|\.\w+$", action.default):
            found.append(
                (
                    action.option_strings[-1] if action.option_strings else action.dest,
                    action.default,
                )
            )
    return found


def test_no_command_defaults_to_a_hand_written_file():
    from zsiw import bench, cli

    defaults = default_paths(cli.build_parser()) + default_paths(bench.build_parser())
    assert any(path == "results/report/findings.md" for _, path in defaults)
    files = tracked()
    # inputs a command reads by default (params, schema, models, data) are fine; outputs not
    outputs = [(o, p) for o, p in defaults if re.search(r"out|findings|table|json|csv", o)]
    bad = [(o, p) for o, p in outputs if hand_written(p, files)]
    assert not bad, bad


def test_the_generated_pages_say_so_in_their_first_line():
    for page in ("docs/results.md", "docs/findings-full-cpu.md"):
        if (REPO / page).exists():
            assert (REPO / page).read_text().splitlines()[0] == GENERATED, page
