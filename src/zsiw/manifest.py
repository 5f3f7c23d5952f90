"""Small JSON manifests next to directory outputs.

Snakemake cannot checksum a directory, so after a DVC checkout (which rewrites mtimes) every
job downstream of a directory would rerun. Each directory-producing rule therefore also writes
a manifest — file names, sizes and a content digest — and downstream rules depend on the
manifest: a small file whose checksum Snakemake records and compares, so an mtime rewrite with
unchanged content reruns nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from zsiw.atomic import write_text


def directory_digest(directory: Path) -> tuple[str, list[dict[str, Any]]]:
    """sha256 over (relative path, size, file digest) of every file, in sorted order."""
    files = []
    total = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        rel = path.relative_to(directory).as_posix()
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": digest.hexdigest()})
        total.update(f"{rel}\0{digest.hexdigest()}\n".encode())
    return total.hexdigest(), files


def write_manifest(directory: str | Path, manifest: str | Path, **extra: Any) -> dict:
    """Describe ``directory`` in ``manifest`` (atomically) and return the description."""
    directory, manifest = Path(directory), Path(manifest)
    digest, files = directory_digest(directory)
    data = {"directory": str(directory), "sha256": digest, "files": files, **extra}
    write_text(manifest, json.dumps(data, indent=2, sort_keys=True))
    return data
