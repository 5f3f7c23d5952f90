import json

from zsiw.manifest import write_manifest


def test_manifest_digest_tracks_content_not_mtime(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("alpha")
    (d / "sub" / "b.bin").write_bytes(b"\x00\x01")
    first = write_manifest(d, tmp_path / "m.json", kind="test")
    assert [f["path"] for f in first["files"]] == ["a.txt", "sub/b.bin"]
    assert first["files"][0]["bytes"] == 5 and first["kind"] == "test"
    (d / "a.txt").touch()  # mtime only
    assert write_manifest(d, tmp_path / "m2.json", kind="test")["sha256"] == first["sha256"]
    (d / "a.txt").write_text("alphA")
    assert write_manifest(d, tmp_path / "m3.json")["sha256"] != first["sha256"]
    assert json.loads((tmp_path / "m.json").read_text()) == first
