"""Publish a grid's small per-cell outputs into the repository, as each cell finishes.

A trained grid's files live under ``results/`` (ignored by git) on the machine that trained
them; when that machine goes, so do they. ``zsiw publish`` copies what the report needs of
every *finished* cell (``metrics.json`` written and the resume checkpoint gone, so a cell in
progress is never copied half-done) into a tracked tree that mirrors ``results/runs``::

    published/<grid>/runs/<task>/<encoder>/<method>/<sources>-<target>/seed<N>/
        metrics.json train.json train_log.jsonl weights_examples.jsonl model_spec.json
        predictions/<lang>.jsonl   job.log   geometry.json   provenance.json

``<grid>`` is the config file's stem (``config/full-cpu.yaml`` -> ``full-cpu``), and
``provenance.json`` names the config file (and its hash), the commit of the code that trained
the cell, the CPU and the library versions; ``published/<grid>/configs/<hash>.yaml`` keeps
that config file as it was. ``geometry.json`` is the trained encoder's weight
geometry (`zsiw.geometry`), computed here from the model while it still exists (or copied
from the run directory, where the training route's ``cell_geometry`` rule measured the same
model), so that the geometry summary later needs no model. Models and checkpoints stay out
(100+ MB each).

The workflow reads such a tree back with ``--config published=published/<grid>`` and rebuilds
every table, plot and page from it without training (``docs/results.md``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zsiw import kernels, plan
from zsiw.atomic import atomic_path, write_text

#: The small files of a run directory that every product of the report is built from.
CELL_FILES = (
    "metrics.json",
    "train.json",
    "train_log.jsonl",
    "weights_examples.jsonl",
    "model_spec.json",
)
CELL_DIRS = ("predictions",)
JOB_LOG = "job.log"
GEOMETRY = "geometry.json"
PROVENANCE = "provenance.json"


def grid_name(config_path: Path) -> str:
    """``config/full-cpu.yaml`` -> ``full-cpu``: the published tree is named after its config."""
    return Path(config_path).stem


def is_finished(run_dir: Path) -> bool:
    """A job writes its outputs once training is over and deletes ``checkpoint.pt`` last."""
    return (run_dir / "metrics.json").is_file() and not (run_dir / "checkpoint.pt").exists()


def cpuinfo_fields(cpuinfo: str | None = None) -> dict[str, str]:
    """The first CPU's fields of ``/proc/cpuinfo`` ("model name", "cpu family", "model", …);
    empty where there is no such file."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), for the provenance of timings."""
    return cpuinfo_fields().get("model name") or platform.processor() or platform.machine()


def cpu_generation(cpuinfo: str | None = None) -> str:
    """The CPU's family and model from ``/proc/cpuinfo`` ("family 25, model 17"): virtual
    machines often name every AMD EPYC the same, and these two numbers tell a Zen 3 (AVX2)
    from a Zen 4 (AVX-512) apart; empty where there is no such file."""
    fields = cpuinfo_fields(cpuinfo)
    if "cpu family" not in fields or "model" not in fields:
        return ""
    return f"family {fields['cpu family']}, model {fields['model']}"


def git_commit(cwd: Path) -> str:
    """The commit checked out in ``cwd`` (``+dirty`` when tracked files differ from it)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "src", "workflow"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def provenance(config_path: Path, workdir: Path, run_dir: Path | None = None) -> dict[str, Any]:
    """What produced a cell: config file and hash, code commit, machine, library versions,
    and torch's vector kernels (``cpu_capability``, with ``kernel_env`` where caps held them
    lower). The kernels are those recorded by the training process in ``run_dir``'s
    ``train.json``; a cell trained by code that did not record them gets this process's,
    and ``kernels_recorded_by`` says which (they agree when the same environment publishes
    as trained, as `scripts/rerun-grid.sh` does)."""
    import torch
    import transformers

    summary = Path(run_dir, "train.json") if run_dir is not None else None
    trained = (
        json.loads(summary.read_text()).get("kernels") if summary and summary.is_file() else None
    )
    return {
        # fp32 results are bit-identical only between CPUs that run the same vector kernels
        # (docs/results.md): torch picks AVX2 or AVX-512 code by what the CPU has, unless
        # held lower (zsiw.kernels)
        **(trained or kernels.in_force()),
        "kernels_recorded_by": "training" if trained else "zsiw publish",
        "config": str(config_path),
        "config_sha256": hashlib.sha256(Path(workdir, config_path).read_bytes()).hexdigest(),
        "commit": git_commit(workdir),
        "cpu": cpu_model(),
        "cpu_generation": cpu_generation(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def cell_geometry(
    config: dict, run_dir: Path, *, batch_size: int, batches: int = 10, seed: int = 0
) -> dict[str, Any]:
    """The trained encoder's weight geometry on its target(s), layer by layer, and whether
    its cosine weights follow the target batch's class mix (`zsiw.geometry`)."""
    from zsiw.geometry import trained_cell_geometry

    layers, mixes = trained_cell_geometry(
        config,
        run_dir,
        batch_size=batch_size,
        batches=batches,
        class_mix_batches=2 * batches,
        seed=seed,
    )
    return {
        "batch_size": batch_size,
        "batches": batches,
        "seed": seed,
        "layers": layers,
        "class_mix": mixes,
    }


@contextmanager
def exclusive(root: Path) -> Iterator[None]:
    """Hold the published tree for one `zsiw publish` at a time. Two at once (a watcher's and
    the one at the end of a grid phase, in `scripts/rerun-grid.sh`) used to assemble the same
    cell in the same ``.publishing`` directory, one deleting the other's files, and left a
    cell of geometry.json and provenance.json alone; the second now waits, and then finds
    the cell published. The lock is on the directory itself (flock): no file to commit or
    leave behind, and the kernel drops it when a killed process exits."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logging.info("%s: another zsiw publish is writing here; waiting for it", root)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def publish_cell(
    config: dict,
    cell: plan.Cell,
    root: Path,
    *,
    workdir: Path,
    config_path: Path,
    geometry: bool = True,
) -> Path:
    """Copy one finished cell's small outputs into ``root``; returns its published directory.

    Files are assembled in a temporary directory beside the destination and moved into place
    in one rename, so an interrupted publish never leaves a cell that looks complete."""
    run_dir = Path(workdir) / cell.run_dir
    if not is_finished(run_dir):
        raise FileNotFoundError(f"{run_dir}: not finished (no metrics.json, or a checkpoint)")
    dest = plan.published_dir(root, cell)
    tmp = dest.with_name(dest.name + ".publishing")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in CELL_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, tmp / name)
    for name in CELL_DIRS:
        if (run_dir / name).is_dir():
            # not Snakemake's marker file of a directory output
            shutil.copytree(
                run_dir / name, tmp / name, ignore=shutil.ignore_patterns(".snakemake_timestamp")
            )
    job_log = Path(workdir) / plan.train_log_path(cell)
    if job_log.is_file():
        shutil.copy2(job_log, tmp / JOB_LOG)
    if geometry:
        if _geometry_is_current(run_dir):  # the training route's cell_geometry measured it
            shutil.copy2(run_dir / GEOMETRY, tmp / GEOMETRY)
        else:
            write_json(tmp / GEOMETRY, _measured_geometry(config, run_dir))
    record = provenance(config_path, workdir, run_dir)
    keep_config(root, Path(workdir, config_path), record["config_sha256"])
    write_json(tmp / PROVENANCE, record)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def _geometry_is_current(run_dir: Path) -> bool:
    """Whether the run directory holds a ``geometry.json`` (written by the training route's
    `cell_geometry` rule, the same measurement) newer than the model and metrics it was
    measured from: then publishing copies it instead of measuring the model again (minutes
    per CLS cell); a file older than the model is of an earlier model and is measured again."""
    path = run_dir / GEOMETRY
    if not path.is_file():
        return False
    made_from = [run_dir / name for name in ("metrics.json", "model.safetensors")]
    return all(path.stat().st_mtime >= p.stat().st_mtime for p in made_from if p.is_file())


def _measured_geometry(config: dict, run_dir: Path) -> dict[str, Any]:
    return cell_geometry(config, run_dir, batch_size=int(config["train"]["target_batch_size"]))


def refresh_geometry(config: dict, cell: plan.Cell, root: Path, *, workdir: Path) -> bool:
    """Measure a published cell's ``geometry.json`` again from its model, which must still be
    in ``workdir`` (for cells published before a measurement was added, e.g. the class mix
    of OTE models). Returns whether its per-layer figures differ from the published ones:
    they should not (the same model and batches give the same numbers on one machine)."""
    path = plan.published_dir(root, cell) / GEOMETRY
    before = json.loads(path.read_text())["layers"] if path.is_file() else None
    run_dir = Path(workdir) / cell.run_dir
    if not is_finished(run_dir):
        raise FileNotFoundError(f"{run_dir}: no finished model to measure")
    fresh = _measured_geometry(config, run_dir)
    write_json(path, fresh)
    return bool(before) and before != fresh["layers"]  # none before: measured for the first time


def config_copy_path(root: Path, sha256: str) -> Path:
    """Where a published tree keeps the config file a cell was trained with, by its hash."""
    return Path(root) / "configs" / f"{sha256[:12]}.yaml"


def keep_config(root: Path, config_file: Path, sha256: str) -> Path:
    """A copy of the exact config file behind ``provenance.json``'s ``config_sha256``: the
    file may change later in the repository (or, in a training worktree, never be
    committed), and a reader must still be able to see what each cell was trained with."""
    out = config_copy_path(root, sha256)
    if not out.is_file():
        write_text(out, config_file.read_text())
    return out


def unpublished(root: Path, workdir: Path, cells: Sequence[plan.Cell]) -> list:
    """Finished cells of ``cells`` that ``root`` does not hold yet."""
    return [
        c
        for c in cells
        if is_finished(Path(workdir) / c.run_dir) and not plan.is_published(root, c)
    ]


def write_json(path: Path, data: Any) -> None:
    """JSON as every published file is written: sorted keys, one space indent, atomic."""
    write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def pretrained_geometry_record(config: dict, task: str, *, batches: int = 10) -> dict[str, Any]:
    """The pretrained encoders' geometry on every target of ``task``, as one JSON record:
    what the published tree and the training route's `pretrained_geometry` rule store."""
    from zsiw.geometry import pretrained_geometry

    size = int(config["train"]["target_batch_size"])
    records = pretrained_geometry(config, batch_size=size, batches=batches, seed=0, tasks=[task])
    return {"batch_size": size, "batches": batches, "seed": 0, "layers": records}


def publish_pretrained_geometry(config: dict, root: Path, *, batches: int = 10) -> list[Path]:
    """The pretrained encoders' geometry on every target of each task whose tokenised data
    exist now (and is not published yet): the same measurement as `zsiw geometry`."""
    written = []
    for task in plan.tasks(config):
        out = plan.pretrained_geometry_path(root, task)
        langs = [config["source_lang"], *plan.targets(config, task)]
        if out.is_file() or not all(
            plan.manifest_of(plan.features_dir(config, e, task, lang)).is_file()
            for e in config["encoders"]
            for lang in langs
        ):
            continue
        write_json(out, pretrained_geometry_record(config, task, batches=batches))
        written.append(out)
    return written


def load_geometry_records(
    paths: Sequence[str | Path],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The per-layer records and the class-mix records of published geometry files
    (pretrained and cells), as `zsiw geometry` measures them from models."""
    layers: list[dict[str, Any]] = []
    mixes: list[dict[str, Any]] = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        layers += data["layers"]
        mixes += data.get("class_mix", [])  # pretrained geometry has none
    return layers, mixes


def publish_products(
    products: Sequence[str | Path], root: Path, *, pages: dict[str, str] | None = None
) -> list[Path]:
    """Copy products rebuilt under ``results/`` to the same place under ``root``; each of
    ``pages`` (``results path: docs page``) also to its docs page, which then starts with the
    generated-page marker (a generated page is generated whole, and says so first)."""
    from zsiw.plan import GENERATED

    written = []
    for product in products:
        rel = Path(product).relative_to(plan.RESULTS_DIR)
        with atomic_path(Path(root) / rel) as tmp:
            shutil.copyfile(product, tmp)
        written.append(Path(root) / rel)
    for name, page in (pages or {}).items():
        text = (Path(plan.RESULTS_DIR) / name).read_text()
        if not text.startswith(GENERATED):
            text = f"{GENERATED}\n{text}"
        written.append(write_text(page, text))
    return written
