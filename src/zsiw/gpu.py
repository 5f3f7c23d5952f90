"""Give each concurrent job its own GPU.

``snakemake --resources gpu=2`` only counts tokens: it never tells a job *which* GPU to use, so
two jobs would both land on device 0. A job therefore claims a free slot itself with an
exclusive, non-blocking file lock per device, and exports ``CUDA_VISIBLE_DEVICES`` for it. The
operating system drops the lock when the holder exits, crashed or not, so a slot is never
leaked. Where ``CUDA_VISIBLE_DEVICES`` is already set (SLURM, or by hand) nothing is claimed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout


def lock_dir() -> Path:
    return Path(os.environ.get("ZSIW_GPU_LOCK_DIR", Path(tempfile.gettempdir(), "zsiw-gpu-locks")))


@contextlib.contextmanager
def claim_slot(
    n_slots: int, *, directory: Path | None = None, wait: float = 3600.0, poll: float = 2.0
) -> Iterator[int]:
    """Hold the lowest free slot in ``range(n_slots)`` for the duration of the block."""
    directory = directory or lock_dir()
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for slot in range(n_slots):
            lock = FileLock(str(directory / f"gpu{slot}.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            try:
                yield slot
            finally:
                lock.release()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free GPU slot among {n_slots} after {wait:.0f} s ({directory})")
        time.sleep(poll)


@contextlib.contextmanager
def claim_device(setting: str = "auto") -> Iterator[str]:
    """Resolve ``auto``/``cuda``/``cpu`` to a device string, claiming a GPU slot if needed."""
    import torch

    if setting == "cpu" or (setting == "auto" and not torch.cuda.is_available()):
        yield "cpu"
        return
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        yield "cuda"
        return
    with claim_slot(torch.cuda.device_count()) as slot:
        # Address the device by index: CUDA may already have read CUDA_VISIBLE_DEVICES in this
        # process (device_count), so changing it now would not take effect here.
        yield f"cuda:{slot}"


def resolve_device(name: str) -> Any:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; other names unchanged."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def uses_bf16(device: Any, precision: str = "auto") -> bool:
    """``bf16``: always; ``fp32``: never; ``auto``: on a CUDA device that supports bf16."""
    import torch

    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    if precision == "auto":
        return device.type == "cuda" and torch.cuda.is_bf16_supported()
    return precision == "bf16"


def autocast(device: Any, precision: str = "auto") -> contextlib.AbstractContextManager:
    """The forward passes' precision, one switch for every device: bf16 autocast on
    ``device.type`` (CUDA or CPU alike) when `uses_bf16`, full precision otherwise. Training
    and the benchmarks take it from here; the weights are computed in float32 regardless
    (`zsiw.weighting.pairwise_scores`)."""
    import torch

    if uses_bf16(device, precision):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
