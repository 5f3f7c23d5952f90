"""Obtain a raw data set from a local directory, a local archive or a URL, atomically.

The benchmarks are licensed restrictively, so users usually point at their own copy; when a URL
is used, downloads resume (HTTP ``Range``), retry and are verified by SHA-256 so that a flaky
connection or a changed upstream file never yields a silently different data set.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
_CHUNK = 1 << 20


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the configured one."""


class DownloadError(OSError):
    """A download failed after all retries (or with a non-retryable HTTP status)."""


def sha256sum(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str | None) -> None:
    """Raise :class:`ChecksumError` naming the file and both digests on a mismatch."""
    if not expected:
        return
    actual = sha256sum(path)
    if actual != expected.lower():
        raise ChecksumError(f"{path}: SHA-256 mismatch: expected {expected.lower()}, got {actual}")


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _strip(name: str, n: int) -> str | None:
    """Drop the first ``n`` path components (like ``tar --strip-components``)."""
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    return "/".join(parts[n:]) or None


def extract_archive(archive: Path, target: Path, strip_components: int = 0) -> None:
    """Extract a tar or zip archive into ``target``, refusing paths that escape it."""
    target.mkdir(parents=True, exist_ok=True)
    if archive.name.lower().endswith(".zip"):
        root = target.resolve()
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = _strip(info.filename, strip_components)
                if name is None:
                    continue
                dest = (target / name).resolve()
                if not dest.is_relative_to(root):
                    raise ValueError(f"{archive}: member {info.filename!r} escapes the target")
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
        return

    def _filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        name = _strip(member.name, strip_components)
        if name is None:
            return None
        link = member.linkname
        if member.islnk() and link:
            link = _strip(link, strip_components) or link
        return tarfile.data_filter(member.replace(name=name, linkname=link, deep=False), dest)

    with tarfile.open(archive) as tf:
        tf.extractall(target, filter=_filter)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    return isinstance(exc, (urllib.error.URLError, OSError, _ShortRead))


class _ShortRead(OSError):
    """The connection closed before the announced number of bytes arrived."""


def _fetch_once(url: str, part: Path, timeout: float) -> None:
    """One request, resuming ``part`` with a ``Range`` header when it has data."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "zsiw-data/1"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        status = getattr(resp, "status", 200)
        if have and status != 206:
            log.info("%s: server ignored Range; restarting the download", url)
            have = 0
        elif have and not resp.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            part.unlink()
            raise _ShortRead(f"{url}: unexpected Content-Range {resp.headers['Content-Range']!r}")
        length = resp.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        got = 0
        with part.open("ab" if have else "wb") as out:
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
                got += len(chunk)
    if expected is not None and got < expected:
        raise _ShortRead(f"{url}: got {got} of {expected} bytes")


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` via ``dest.part`` (resumed), retrying with backoff.

    A complete ``dest`` whose checksum matches is reused. On a checksum mismatch the partial
    file is deleted (so the next run starts afresh) and :class:`ChecksumError` is raised.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        try:
            verify_sha256(dest, sha256)
            return dest
        except ChecksumError:
            dest.unlink()
    part = dest.with_name(dest.name + ".part")
    for attempt in range(retries + 1):
        try:
            _fetch_once(url, part, timeout)
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and part.exists():  # range beyond the end: maybe complete
                break
            if not _retryable(exc) or attempt == retries:
                raise DownloadError(f"{url}: download failed: {exc}") from exc
            log.warning("%s: %s; retry %d/%d", url, exc, attempt + 1, retries)
        except OSError as exc:
            if not _retryable(exc) or attempt == retries:
                raise DownloadError(f"{url}: download failed: {exc}") from exc
            log.warning("%s: %s; retry %d/%d", url, exc, attempt + 1, retries)
        time.sleep(backoff * 2**attempt)
    try:
        verify_sha256(part, sha256)
    except ChecksumError as exc:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"{dest.name} (from {url}): {exc}") from None
    if not sha256:
        log.warning("%s: no sha256 configured; the download is not verified", url)
    part.replace(dest)
    return dest


def _local_path(source: dict) -> Path | None:
    if "path" in source:
        return Path(source["path"]).expanduser()
    parsed = urlparse(source["url"])
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(unquote(parsed.path)))
    return None


def _place(tree: Path, dest: Path) -> None:
    """Rename ``tree`` to ``dest``, replacing what was there."""
    if dest.exists():
        trash = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.old-"))
        dest.rename(trash / "old")
        tree.rename(dest)
        shutil.rmtree(trash)
    else:
        tree.rename(dest)


def obtain(
    source: dict,
    dest: Path,
    *,
    name: str,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> Path:
    """Materialise the raw data set ``name`` described by ``source`` as directory ``dest``.

    ``source`` is ``{"path": dir-or-archive}`` or ``{"url": "file://…" | "https://…"}``, with
    optional ``sha256`` (archives), ``strip_components`` and ``subdir`` (pick a folder inside
    the tree or archive). Local sources never touch the network. ``dest`` appears atomically:
    everything is built in a temporary directory beside it and renamed at the end. Archives
    downloaded from a URL are kept in ``dest.parent/.downloads`` for reuse and resumption.
    """
    if ("path" in source) == ("url" in source):
        raise ValueError(f"source for {name!r} needs exactly one of 'path' or 'url': {source}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sha = source.get("sha256")
    strip = int(source.get("strip_components", 0))
    subdir = source.get("subdir")
    local = _local_path(source)
    if local is None:
        url = source["url"]
        filename = Path(unquote(urlparse(url).path)).name or f"{name}.download"
        local = download(
            url,
            dest.parent / ".downloads" / filename,
            sha256=sha,
            retries=retries,
            backoff=backoff,
            timeout=timeout,
        )
    elif not local.exists():
        raise FileNotFoundError(f"source for {name!r}: {local} does not exist")
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.tmp-"))
    try:
        tree = work / "tree"
        if local.is_dir():
            shutil.copytree(local, tree, symlinks=True)
        elif _is_archive(local):
            verify_sha256(local, sha)
            extract_archive(local, tree, strip)
        else:
            raise ValueError(
                f"source for {name!r}: {local} is neither a directory nor an archive "
                f"({', '.join(ARCHIVE_SUFFIXES)})"
            )
        if subdir:
            picked = tree / subdir
            if not picked.is_dir():
                found = sorted(p.name for p in tree.iterdir())
                raise FileNotFoundError(
                    f"source for {name!r}: no folder {subdir!r} in {local}; top level: {found}"
                )
            tree = picked
        _place(tree, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("obtained %s from %s into %s", name, local, dest)
    return dest
