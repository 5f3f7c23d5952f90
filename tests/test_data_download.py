"""obtain(): local trees and archives, file:// URLs, and HTTP resume/retry/checksum paths."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from zsiw.data import download
from zsiw.data.download import ChecksumError, DownloadError, obtain

FILES = {"en/train.xml": b"<Reviews/>\n", "en/test.xml": b"<Reviews></Reviews>\n"}


def make_tar(path: Path, prefix: str = "pkg/") -> bytes:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in FILES.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path.read_bytes()


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_local_directory_is_copied(tmp_path, no_network):
    src = tmp_path / "src"
    for name, data in FILES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    dest = tmp_path / "out" / "semeval2016"
    assert obtain({"path": str(src)}, dest, name="semeval2016") == dest
    assert tree(dest) == FILES
    (src / "en" / "train.xml").write_bytes(b"changed")
    obtain({"path": str(src)}, dest, name="semeval2016")  # a second run replaces the copy
    assert (dest / "en" / "train.xml").read_bytes() == b"changed"
    assert leftovers(dest.parent) == []


def test_local_archive_with_checksum_strip_and_subdir(tmp_path, no_network):
    archive = tmp_path / "data.tar.gz"
    digest = hashlib.sha256(make_tar(archive)).hexdigest()
    dest = tmp_path / "a"
    obtain({"path": str(archive), "sha256": digest, "strip_components": 1}, dest, name="x")
    assert tree(dest) == FILES
    dest2 = tmp_path / "b"
    obtain({"url": archive.as_uri(), "subdir": "pkg/en"}, dest2, name="x")
    assert tree(dest2) == {"train.xml": FILES["en/train.xml"], "test.xml": FILES["en/test.xml"]}


def test_zip_archive(tmp_path, no_network):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in FILES.items():
            zf.writestr("top/" + name, data)
    dest = tmp_path / "z"
    obtain({"path": str(archive), "strip_components": 1}, dest, name="z")
    assert tree(dest) == FILES


def test_checksum_mismatch_on_local_archive_leaves_nothing(tmp_path, no_network):
    archive = tmp_path / "data.tar.gz"
    make_tar(archive)
    dest = tmp_path / "out" / "d"
    with pytest.raises(ChecksumError) as err:
        obtain({"path": str(archive), "sha256": "0" * 64}, dest, name="d")
    assert "data.tar.gz" in str(err.value) and "0" * 64 in str(err.value)
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in str(err.value)
    assert not dest.exists() and leftovers(dest.parent) == []


def test_missing_subdir_and_bad_sources(tmp_path, no_network):
    archive = tmp_path / "data.tar.gz"
    make_tar(archive)
    dest = tmp_path / "out" / "d"
    with pytest.raises(FileNotFoundError, match="nope"):
        obtain({"path": str(archive), "subdir": "nope"}, dest, name="d")
    assert not dest.exists() and leftovers(dest.parent) == []
    with pytest.raises(FileNotFoundError):
        obtain({"path": str(tmp_path / "absent")}, dest, name="d")
    (tmp_path / "plain.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a directory nor an archive"):
        obtain({"path": str(tmp_path / "plain.txt")}, dest, name="d")
    with pytest.raises(ValueError, match="exactly one"):
        obtain({}, dest, name="d")


class Server:
    """A local HTTP server serving one payload, with scripted failures and a request log."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.fail_first = 0  # answer this many requests with HTTP 500
        self.truncate_first = 0  # send only half the body on this many requests
        self.requests: list[str | None] = []  # the Range header of each request
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.headers.get("Range"))
                if outer.fail_first:
                    outer.fail_first -= 1
                    self.send_error(500)
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].split("=")[1].rstrip("-"))
                body = outer.payload[start:]
                self.send_response(206 if start else 200)
                if start:
                    total = len(outer.payload)
                    self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.truncate_first:
                    outer.truncate_first -= 1
                    body = body[: len(body) // 2]
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cls-acl10.tar.gz"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def archive_bytes(tmp_path) -> bytes:
    return make_tar(tmp_path / "src.tar.gz")


def test_http_resumes_a_partial_download(tmp_path, archive_bytes):
    digest = hashlib.sha256(archive_bytes).hexdigest()
    part = tmp_path / "out" / ".downloads" / "cls-acl10.tar.gz.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(archive_bytes[:100])
    with Server(archive_bytes) as server:
        dest = obtain(
            {"url": server.url, "sha256": digest, "strip_components": 1},
            tmp_path / "out" / "cls",
            name="cls",
            backoff=0,
        )
    assert server.requests == ["bytes=100-"]
    assert tree(dest) == FILES
    assert not part.exists() and part.with_suffix("").read_bytes() == archive_bytes


def test_http_retries_server_errors_and_short_reads(tmp_path, archive_bytes):
    digest = hashlib.sha256(archive_bytes).hexdigest()
    with Server(archive_bytes) as server:
        server.fail_first, server.truncate_first = 2, 1
        obtain({"url": server.url, "sha256": digest}, tmp_path / "d", name="d", backoff=0)
    half = len(archive_bytes) // 2
    assert server.requests == [None, None, None, f"bytes={half}-"]
    assert (tmp_path / ".downloads" / "cls-acl10.tar.gz").read_bytes() == archive_bytes


def test_http_gives_up_after_retries(tmp_path, archive_bytes):
    with Server(archive_bytes) as server:
        server.fail_first = 10
        with pytest.raises(DownloadError, match="500"):
            obtain({"url": server.url}, tmp_path / "d", name="d", retries=3, backoff=0)
    assert len(server.requests) == 4 and not (tmp_path / "d").exists()


def test_http_checksum_mismatch_names_file_and_digests(tmp_path, archive_bytes):
    actual = hashlib.sha256(archive_bytes).hexdigest()
    with Server(archive_bytes) as server, pytest.raises(ChecksumError) as err:
        obtain({"url": server.url, "sha256": "ab" * 32}, tmp_path / "d", name="d", backoff=0)
    message = str(err.value)
    assert "cls-acl10.tar.gz" in message and "ab" * 32 in message and actual in message
    assert not (tmp_path / "d").exists()
    assert list((tmp_path / ".downloads").iterdir()) == []  # the bad part file is removed


def test_completed_download_is_reused(tmp_path, archive_bytes, monkeypatch):
    digest = hashlib.sha256(archive_bytes).hexdigest()
    cached = tmp_path / ".downloads" / "cls-acl10.tar.gz"
    cached.parent.mkdir()
    cached.write_bytes(archive_bytes)
    monkeypatch.setattr(download, "_fetch_once", lambda *a: pytest.fail("downloaded again"))
    url = "https://example.invalid/cls-acl10.tar.gz"
    obtain({"url": url, "sha256": digest, "subdir": "pkg"}, tmp_path / "d", name="d")
    assert tree(tmp_path / "d") == FILES
