"""Write a file so that a reader never sees it half-written.

Every output of the pipeline is written to a temporary name beside its destination and
renamed onto it in one step once complete (a rename within a folder is atomic on POSIX file
systems): a job killed mid-write leaves the old file or none, never a truncated one that looks
complete, which Snakemake and DVC would then take for a result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block ends
    without an error, and is removed when it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)


def write_text(path: str | Path, text: str) -> Path:
    """``path.write_text(text)``, atomically (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)
