"""zsiw.atomic: a destination is replaced whole or not at all."""

import pytest

from zsiw.atomic import atomic_path, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "deep" / "metrics.json"
    write_text(out, "old")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert out.read_text() == "old"
    assert sorted(p.name for p in out.parent.iterdir()) == ["metrics.json"]


def test_a_finished_write_replaces_the_file(tmp_path):
    out = tmp_path / "new" / "table1.tex"  # the folder is made
    with atomic_path(out) as tmp:
        assert tmp != out and not out.exists()
        tmp.write_text("done")
    assert out.read_text() == "done" and not tmp.exists()
