"""The state of one cell's training: what the loop mutates (`CellRun`) and how far it got
(`Progress`). `zsiw.train` runs the loop over them; `zsiw.checkpoint` saves and restores them
(a module of its own so that neither of the two imports the other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from zsiw import weighting
from zsiw.batching import TargetStream
from zsiw.models import TaskModel


@dataclass
class CellRun:
    """Everything training mutates, which a checkpoint (`zsiw.checkpoint`) saves and restores."""

    model: TaskModel
    optimizer: torch.optim.Optimizer
    scheduler: Any
    source_gen: torch.Generator
    target_stream: TargetStream | None
    pool: weighting.TargetPool | None
    kept_ids: torch.Tensor | None


@dataclass
class Progress:
    """Where training stands; ``best_state`` is the trainable state of the best epoch."""

    epoch: int = 0
    step: int = 0
    best_dev: float = -1.0
    best_epoch: int = -1
    dev_history: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    dispersion: list[dict] = field(default_factory=list)
    log_lines: dict[str, list[str]] = field(
        default_factory=lambda: {"train_log.jsonl": [], "weights_examples.jsonl": []}
    )
    best_state: dict[str, torch.Tensor] | None = None

    def counters(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "step": self.step,
            "best_dev": self.best_dev,
            "best_epoch": self.best_epoch,
            "dev_history": self.dev_history,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
        }
