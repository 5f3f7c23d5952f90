"""MLDoc reader: bytes-literal and plain lines, both label forms, file naming, faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zsiw.data.errors import DataFormatError
from zsiw.data.mldoc import MLDOC_LANGUAGES, MLDocMissingError, mldoc_paths, parse_mldoc_file

SYNTHETIC = Path(__file__).resolve().parents[2] / "shared" / "data" / "mldoc" / "synthetic"


@pytest.mark.skipif(not (SYNTHETIC / "expected.json").is_file(), reason="no shared synthetic MLDoc")
def test_synthetic_examples_match_expected_json():
    expected = json.loads((SYNTHETIC / "expected.json").read_text(encoding="utf-8"))
    assert expected
    for name, items in expected.items():
        records, stats = parse_mldoc_file(SYNTHETIC / name)
        assert [{"label": r["label"], "text": r["text"]} for r in records] == items, name
        assert stats["kept"] == len(items)


def write(tmp_path: Path, text: str, name: str = "english.train.1000") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_both_label_forms_and_both_text_forms(tmp_path):
    doc = 'Ökonomen sagten: "gut", das ist\'s.\tTab'
    lines = [
        "CCAT\t" + str(b"Prices fell."),
        "E\t" + str(doc.encode("utf-8")),
        "G\tplain text with\ta tab",
        "",
        "MCAT\tb'",  # too short for a literal: kept as plain text
    ]
    records, stats = parse_mldoc_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert [(r["label"], r["text"]) for r in records] == [
        ("CCAT", "Prices fell."),
        ("ECAT", doc),
        ("GCAT", "plain text with\ta tab"),
        ("MCAT", "b'"),
    ]
    assert records[0]["id"] == "english.train.1000-0"
    assert stats["bytes_literals"] == 2 and stats["plain"] == 2 and stats["blank_lines"] == 1
    assert stats["CCAT"] == stats["ECAT"] == stats["GCAT"] == stats["MCAT"] == 1


def test_double_quoted_bytes_literal(tmp_path):
    records, _ = parse_mldoc_file(write(tmp_path, "GCAT\tb\"It's the mayor's plan\"\n"))
    assert records[0]["text"] == "It's the mayor's plan"


def test_unknown_label_names_file_line_and_label(tmp_path):
    path = write(tmp_path, "CCAT\tb'ok'\nXCAT\tb'no'\n", name="german.dev")
    with pytest.raises(DataFormatError) as err:
        parse_mldoc_file(path)
    assert "german.dev" in str(err.value) and "line 2" in str(err.value)
    assert "'XCAT'" in str(err.value)


def test_line_without_tab_is_an_error(tmp_path):
    with pytest.raises(DataFormatError, match=r"german\.test: line 1: no TAB"):
        parse_mldoc_file(write(tmp_path, "CCAT b'x'\n", name="german.test"))


def test_broken_bytes_literal_and_empty_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"line 1: cannot decode"):
        parse_mldoc_file(write(tmp_path, "CCAT\tb'\\xff'\n"))
    with pytest.raises(DataFormatError, match="empty"):
        parse_mldoc_file(write(tmp_path, "\n\n", name="empty"))


def test_mldoc_paths_default_and_laser_patterns(tmp_path):
    for name in ("french.train.1000", "french.dev", "french.test"):
        (tmp_path / name).write_text("C\tx\n", encoding="utf-8")
    paths = mldoc_paths(tmp_path, "fr")
    assert {k: p.name for k, p in paths.items()} == {
        "train": "french.train.1000",
        "dev": "french.dev",
        "test": "french.test",
    }
    for name in ("mldoc.train1000.fr", "mldoc.dev.fr", "mldoc.test.fr"):
        (tmp_path / name).write_text("C\tx\n", encoding="utf-8")
    laser = mldoc_paths(tmp_path, "french", pattern="mldoc.{split_name}{size}.{lang}")
    assert laser["train"].name == "mldoc.train1000.fr" and laser["dev"].name == "mldoc.dev.fr"
    assert set(MLDOC_LANGUAGES) == {"en", "de", "es", "fr", "it", "ja", "ru", "zh"}


def test_missing_mldoc_explains_how_to_obtain_it(tmp_path):
    (tmp_path / "german.train.1000").write_text("C\tx\n", encoding="utf-8")
    with pytest.raises(MLDocMissingError) as err:
        mldoc_paths(tmp_path, "de", train_size=1000)
    message = str(err.value)
    for part in (
        "cannot be redistributed",
        "https://trec.nist.gov/data/reuters/reuters.html",
        "generate_documents.py",
        "german.dev",
        "german.test",
        str(tmp_path),
        "params.yaml",
        "mldoc",
    ):
        assert part in message
    with pytest.raises(MLDocMissingError, match="does not exist"):
        mldoc_paths(tmp_path / "absent", "ja")
    assert isinstance(err.value, FileNotFoundError)


def test_unknown_language(tmp_path):
    with pytest.raises(ValueError, match="unknown MLDoc language"):
        mldoc_paths(tmp_path, "xx")


def test_bytes_literal_that_does_not_decode_and_non_utf8_file(tmp_path):
    from zsiw.data.errors import DataFormatError
    from zsiw.data.mldoc import parse_mldoc_file

    bad_literal = tmp_path / "a.train"
    bad_literal.write_text("CCAT\tb'\\xff\\xfe not utf-8'\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"a\.train.*cannot decode bytes literal"):
        parse_mldoc_file(bad_literal)
    latin = tmp_path / "b.train"
    latin.write_bytes("CCAT\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=r"b\.train: not valid UTF-8"):
        parse_mldoc_file(latin)
    with pytest.raises(FileNotFoundError, match="MLDoc file not found"):
        parse_mldoc_file(tmp_path / "missing.train")
