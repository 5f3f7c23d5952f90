"""scripts/rerun-grid.sh on stand-ins for `zsiw` and `snakemake`: a grid that goes on on a
new machine trains only the cells not yet published, commits what `zsiw publish` wrote, and
checks the published tree at the end when some cells were trained elsewhere."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "rerun-grid.sh"
DONE = "results/runs/ote/e/none/en-all/seed1/metrics.json"
TODO = "results/runs/ote/e/cosine/en-es/seed1/metrics.json"


def stand_in(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


@pytest.mark.skipif(subprocess.run(["which", "git"]).returncode, reason="git not on PATH")
def test_cells_already_published_are_not_trained_again_and_new_ones_are_committed(tmp_path):
    repo, work, bin_dir = tmp_path / "repo", tmp_path / "work", tmp_path / "bin"
    for d in (repo, work, bin_dir):
        d.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    published = repo / "published/g/runs/ote/e/none/en-all/seed1"
    published.mkdir(parents=True)
    (published / "provenance.json").write_text("{}")
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "one cell"], check=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-q", "--allow-empty", "-m", "w"], check=True)
    # `zsiw plan --phase` lists both cells; `zsiw publish` publishes the other one;
    # `snakemake` records what it was asked to make
    stand_in(bin_dir, "zsiw", f'[[ $1 == plan ]] && printf "%s\\n" {DONE} {TODO}; exit 0\n')
    publish_new = repo / "published/g/runs/ote/e/cosine/en-es/seed1"
    pretrained = repo / "published/g/pretrained"
    stand_in(
        bin_dir,
        "publisher",
        f"mkdir -p {publish_new} {pretrained} && echo '{{}}' > {publish_new}/provenance.json"
        f" && echo '{{}}' > {pretrained}/ote.geometry.json\n",
    )
    stand_in(bin_dir, "snakemake", f'printf "%s\\n" "$*" >> {tmp_path}/asked\n')
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PUBLISH_ZSIW": str(bin_dir / "publisher"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    run = subprocess.run(
        ["bash", str(SCRIPT), "config/g.yaml", str(repo), "study", "final"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    study, *final = (tmp_path / "asked").read_text().splitlines()
    assert TODO in study.split() and DONE not in study.split()
    grid_log = (work / "logs/rerun-grid.log").read_text()
    assert "study: 1 cell(s) not yet published" in grid_log
    # `final`: the cells are not all trained in this checkout (one was published from an
    # earlier machine), so the plain command, which would train them, is not run; the
    # published tree is rebuilt and dry-run in the repository instead
    assert "final: 8 cell(s) not trained here" in grid_log
    assert [line.split()[-1] for line in final] == ["published=published/g"] * 2
    assert final[1].startswith("-n ")
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s", "-1"], capture_output=True, text=True
    ).stdout
    assert log.startswith("published/g: 1 finished cell(s) from ")
    assert log.rstrip().endswith("; pretrained geometry of ote")
