"""zsiw: zero-shot instance weighting for cross-lingual text classification.

The public API (``docs/api.md``, the names in `zsiw.iw.__all__`) is re-exported here, loaded
on first use so that ``import zsiw`` stays cheap for the pipeline's jobs.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # `from zsiw import plan` asks for the attribute first: a submodule is left to the import
    # system, so that importing one never loads the API (and torch) behind `zsiw.iw`.
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is None:
        iw = importlib.import_module("zsiw.iw")
        if name in iw.__all__:
            return getattr(iw, name)
    raise AttributeError(f"module 'zsiw' has no attribute {name!r}")
