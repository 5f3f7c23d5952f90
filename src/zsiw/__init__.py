"""zsiw: zero-shot instance weighting for cross-lingual text classification.

The public API (``docs/api.md``) is re-exported here from `zsiw.iw`, loaded on first use so
that ``import zsiw`` stays cheap for the pipeline's jobs.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_PUBLIC = (
    "METHODS",
    "IWTrainer",
    "Method",
    "TargetBatches",
    "TargetPool",
    "dispersion",
    "instance_weights",
    "per_instance_loss",
    "weighted_loss",
)
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        from zsiw import iw

        return getattr(iw, name)
    raise AttributeError(f"module 'zsiw' has no attribute {name!r}")
