"""The training settings of one cell: one typed object, every default written once.

``params.yaml`` (validated by ``workflow/schemas/params.schema.yaml``) -> `zsiw.plan` builds
a cell's settings -> the rule sends them as one JSON string -> ``zsiw train`` rebuilds them
with `TrainSettings.from_dict`, which refuses an unknown key or a value of the wrong type by
name. ``tests/test_settings.py`` checks that the schema's ``train`` block and this class agree
field by field (names, defaults, types).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainSettings:
    """Every setting `zsiw.train` reads (see the schema for each one's meaning)."""

    # required: the schema has no default for these
    lr: float
    batch_size: int
    epochs: int
    max_length: int
    # required by the schema too, but IW only: a plain run is not given it (see IW_ONLY)
    target_batch_size: int | None = None
    # the schema's defaults
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_steps: int | None = None
    dropout: float = 0.1
    grad_clip: float | None = 1.0
    freeze_embeddings: bool = False
    prune_vocab: bool = False
    num_layers: int | None = None
    select_on_dev: bool = True
    eval_batch_size: int = 64
    temperature: float | None = None
    representation: str = "first_token"
    softmax_temperature: float = 0.05
    pool_momentum: float = 0.9
    weights_log_batches: int = 3
    log_every: int = 20
    device: str = "auto"
    precision: str = "auto"
    threads: int = 2
    keep_checkpoint: bool = False
    # from the `data` block, not `train` (see DATA_FIELDS)
    dev_fraction: float = 0.1
    target_split: str = "train"

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, where: str = "train settings") -> TrainSettings:
        """Build from plain values; an unknown key, a missing required key or a value of the
        wrong type raises ``ValueError`` naming the key and what was expected."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(known)}")
        missing = [
            name
            for name, f in known.items()
            if f.default is dataclasses.MISSING and name not in values
        ]
        if missing:
            raise ValueError(f"{where}: missing required key(s) {missing}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: _check(f"{where}.{k}", v, hints[k]) for k, v in values.items()})

    @classmethod
    def from_json(cls, text: str) -> TrainSettings:
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainSettings:
        """A copy with some values changed, checked like `from_dict`."""
        return TrainSettings.from_dict({**self.to_dict(), **changes})


#: Settings that only instance-weighted runs read. A plain run is not given them, so that
#: changing one retrains the IW cells only (Snakemake's params trigger compares settings).
IW_ONLY = frozenset(
    [
        "target_batch_size",
        "temperature",
        "softmax_temperature",
        "pool_momentum",
        "weights_log_batches",
    ]
)

#: Settings that come from params' `data` block rather than its `train` block.
DATA_FIELDS = ("dev_fraction", "target_split")


def _allowed(annotation: Any) -> tuple[type, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return tuple(a for a in typing.get_args(annotation))
    return (annotation,)


def _check(name: str, value: Any, annotation: Any) -> Any:
    """``value`` if it fits ``annotation`` (an int is a float too; a bool is not an int)."""
    allowed = _allowed(annotation)
    if value is None:
        if type(None) in allowed:
            return None
    elif isinstance(value, bool):
        if bool in allowed:
            return value
    elif isinstance(value, int) and int in allowed:
        return value
    elif isinstance(value, int | float) and float in allowed:
        return float(value)
    elif isinstance(value, str) and str in allowed:
        return value
    expected = " or ".join("null" if a is type(None) else a.__name__ for a in allowed)
    raise ValueError(f"{name}: expected {expected}, got {value!r}")


def training_steps(n_items: int, epochs: int, batch_size: int, max_steps: int | None = None) -> int:
    """Optimiser steps of a cell: ``epochs`` passes over ``n_items`` in batches of
    ``batch_size`` (the last one partial), capped at ``max_steps`` (the loop, the cost
    estimate and the benchmark all count them so)."""
    steps = epochs * -(-n_items // batch_size)
    return min(steps, max_steps) if max_steps else steps
