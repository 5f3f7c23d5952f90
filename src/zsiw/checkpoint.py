"""The resume checkpoint of one cell: everything training needs to continue, in one file.

A job writes ``checkpoint.pt`` in its run directory at the end of every epoch, replacing it
atomically. It is not a declared output, so Snakemake's clean-up of a failed job leaves it,
and it holds the best-on-dev model so far: a rerun after a kill at any point continues from
the last epoch end, or (killed after training) only writes and tests the best model again.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zsiw.atomic import atomic_path
from zsiw.cellstate import CellRun, Progress
from zsiw.models import frozen_parameter_names, load_trainable_state, trainable_state_dict
from zsiw.settings import TrainSettings

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


def rng_state() -> dict:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def atomic_torch_save(obj: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def remove(out_dir: Path, settings: TrainSettings) -> None:
    """Drop a finished cell's resume checkpoint (unless ``keep_checkpoint``): the last act of
    a cell's job, after every output is written."""
    if not settings.keep_checkpoint:
        (Path(out_dir) / CHECKPOINT).unlink(missing_ok=True)


def save(run: CellRun, progress: Progress, path: Path) -> None:
    """One atomic file holds everything resume needs, the best model included (unless it is
    the model of the epoch just finished): a kill leaves the previous checkpoint or this one,
    never a mix."""
    is_best = progress.best_epoch == progress.epoch - 1
    atomic_torch_save(
        {
            "model": trainable_state_dict(run.model),
            "best_model": None if is_best else progress.best_state,
            "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(),
            "source_gen": run.source_gen.get_state(),
            "target_stream": run.target_stream.state_dict() if run.target_stream else None,
            "pool": run.pool.state_dict() if run.pool else None,
            "rng": rng_state(),
            "state": progress.counters(),
            "dispersion": progress.dispersion,
            "log_lines": progress.log_lines,
            "kept_token_ids": run.kept_ids,
        },
        path,
    )


def load(run: CellRun, path: Path, device: torch.device) -> dict[str, Any] | None:
    """Restore ``run`` from ``path`` if it exists; the progress it had reached, as the
    fields of a :class:`zsiw.cellstate.Progress`."""
    if not path.exists():
        return None
    ckpt = torch.load(path, map_location=device, weights_only=False)
    saved_ids = ckpt.get("kept_token_ids")
    if (saved_ids is None) != (run.kept_ids is None) or (
        run.kept_ids is not None and not torch.equal(saved_ids, run.kept_ids)
    ):
        raise ValueError(
            f"{path} was written with another vocabulary (prune_vocab or the data changed "
            "since); delete it to train the cell from the start"
        )
    load_trainable_state(
        run.model,
        ckpt["model"],
        frozen=frozen_parameter_names(run.model),
        source=path,
        fix="it was written with other `num_layers` or `freeze_embeddings`; delete it "
        "to train the cell from the start",
    )
    run.optimizer.load_state_dict(ckpt["optimizer"])
    run.scheduler.load_state_dict(ckpt["scheduler"])
    run.source_gen.set_state(ckpt["source_gen"])
    if run.target_stream is not None:
        run.target_stream.load_state_dict(ckpt["target_stream"])
    if run.pool is not None:
        run.pool.load_state_dict(ckpt["pool"])
    set_rng_state(ckpt["rng"])
    state = ckpt["state"]
    # The best model is stored only when it is not the checkpoint's own model.
    best_state = ckpt.get("best_model") or (
        cpu_copy(ckpt["model"]) if state["best_epoch"] == state["epoch"] - 1 else None
    )
    if best_state is None and state["best_epoch"] >= 0:
        raise ValueError(
            f"{path} holds no best model (written by an older zsiw); delete it to train the "
            "cell from the start"
        )
    log.info("resumed from %s at epoch %d, step %d", path, state["epoch"], state["step"])
    return {
        **state,
        "dispersion": ckpt["dispersion"],
        "log_lines": ckpt["log_lines"],
        "best_state": best_state,
    }
