"""Demo raw data (exact formats, determinism, round trip) and prepare_dataset on top of it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from zsiw.data.cls import parse_cls_review
from zsiw.data.demo import write_demo_raw
from zsiw.data.errors import DataFormatError
from zsiw.data.mldoc import parse_mldoc_file
from zsiw.data.prepare import prepare_dataset
from zsiw.data.semeval import parse_semeval_xml

ALL = {
    "ote_langs": ("en", "es", "fr", "nl", "de", "ru", "tr"),
    "cls_langs": ("en", "de", "fr", "ja"),
    "mldoc_langs": ("en", "de", "fr", "es", "it", "ja", "ru", "zh"),
    "cls_domains": ("books", "dvd", "music"),
}
CLS_FIELDS = {
    "en": ["summary", "rating", "text", "category"],
    "de": ["category", "rating", "realname", "asin", "url", "text", "title", "summary", "date",
           "location", "helpfulness_votes", "reviewer"],
    "fr": ["category", "rating", "asin", "url", "text", "title", "summary", "date", "location",
           "helpfulness_votes", "reviewer", "badges"],
}  # fmt: skip
CLS_FIELDS["jp"] = CLS_FIELDS["fr"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo")
    return root, write_demo_raw(root, n_train=40, n_test=20, **ALL)


def test_layout_and_determinism(demo, tmp_path):
    root, counts = demo
    assert "semeval2016/tr/dev.xml" in counts and counts["semeval2016/en/dev.xml"] == 10
    assert "webis-cls-10/jp/music/test.review" in counts
    assert counts["mldoc/chinese.train.1000"] == 40 and "mldoc/japanese.dev" in counts
    again = write_demo_raw(tmp_path / "again", n_train=40, n_test=20, **ALL)
    assert again == counts
    for rel in counts:
        assert (tmp_path / "again" / rel).read_bytes() == (root / rel).read_bytes(), rel
    other = write_demo_raw(tmp_path / "other", seed=1, n_train=40, n_test=20)
    assert (tmp_path / "other/semeval2016/en/train.xml").read_bytes() != (
        root / "semeval2016/en/train.xml"
    ).read_bytes()
    assert set(other) <= set(counts)


def test_unknown_demo_language(tmp_path):
    with pytest.raises(ValueError, match="no demo lexicon for ote"):
        write_demo_raw(tmp_path, ote_langs=("xx",))


def test_semeval_round_trip(demo):
    """Every opinion's covering words are tagged B then I; nothing else is tagged."""
    root, counts = demo
    seen = {"null": 0, "no_opinions_elem": 0, "empty_opinions_elem": 0, "two_targets": 0}
    for rel, n in counts.items():
        if not rel.startswith("semeval2016/"):
            continue
        records, stats = parse_semeval_xml(root / rel)
        assert stats["sentences_kept"] == len(records) == n
        by_id = {r["id"]: r for r in records}
        for sent in ET.parse(root / rel).getroot().iter("sentence"):
            rec = by_id[sent.get("id")]
            text = sent.findtext("text")
            assert rec["text"] == text and len(rec["words"]) <= 20
            opinions_el = sent.find("Opinions")
            seen["no_opinions_elem" if opinions_el is None else "empty_opinions_elem"] += (
                opinions_el is None or len(opinions_el) == 0
            )
            expected = ["O"] * len(rec["words"])
            explicit = [o for o in sent.iter("Opinion") if o.get("target") != "NULL"]
            seen["null"] += len(list(sent.iter("Opinion"))) - len(explicit)
            seen["two_targets"] += len(explicit) == 2
            for o in explicit:
                start, end = int(o.get("from")), int(o.get("to"))
                assert text[start:end] == o.get("target")
                idx = [
                    i
                    for i, (s, e) in enumerate(zip(rec["starts"], rec["ends"]))
                    if s < end and e > start
                ]
                assert rec["starts"][idx[0]] == start and rec["ends"][idx[-1]] == end
                for k, i in enumerate(idx):
                    expected[i] = "B" if k == 0 else "I"
            assert rec["tags"] == expected, rec
    assert all(v > 0 for v in seen.values()), seen


def test_cls_files_have_the_corpus_layout(demo):
    root, counts = demo
    for rel, n in counts.items():
        if not rel.startswith("webis-cls-10/"):
            continue
        code = rel.split("/")[1]
        raw = (root / rel).read_text(encoding="utf-8")
        assert raw.startswith('<?xml version="1.0" encoding="utf-8"?>\n<items><item>')
        items = ET.fromstring(raw).findall("item")
        assert len(items) == n
        assert all([child.tag for child in item] == CLS_FIELDS[code] for item in items)
        ratings = {item.findtext("rating") for item in items}
        assert ratings <= {"1.0", "2.0", "4.0", "5.0"}
        records, stats = parse_cls_review(root / rel)
        assert stats["positive"] == stats["negative"] == n // 2
        labels = [r["label"] for r in records]
        assert labels != sorted(labels)  # shuffled
        assert all(len(r["text"].split()) <= 40 for r in records)
    en = (root / "webis-cls-10/en/books/train.review").read_text(encoding="utf-8")
    assert "&amp;quot;" in en and "\t<summary>" in en
    texts = [r["text"] for r in parse_cls_review(root / "webis-cls-10/en/books/train.review")[0]]
    assert any('"' in t for t in texts) and not any("&quot;" in t for t in texts)
    assert "<category>DVD &amp;amp; Blu-ray</category>" in (
        root / "webis-cls-10/de/dvd/test.review"
    ).read_text(encoding="utf-8")


def test_mldoc_files_use_python3_bytes_reprs(demo):
    root, counts = demo
    for rel, n in counts.items():
        if not rel.startswith("mldoc/"):
            continue
        lines = (root / rel).read_text(encoding="utf-8").splitlines()
        assert len(lines) == n
        assert all(re.fullmatch(r"[CEGM]CAT\tb(['\"]).*\1", line) for line in lines)
        records, stats = parse_mldoc_file(root / rel)
        assert stats["bytes_literals"] == n
        assert all(len(r["text"].split()) <= 40 for r in records)
        if n >= 20:
            assert min(stats[k] for k in ("CCAT", "ECAT", "GCAT", "MCAT")) >= n // 4
    de = parse_mldoc_file(root / "mldoc/german.test")[0]
    assert any("ä" in r["text"] or "ü" in r["text"] for r in de)


def load(out_dir: Path):
    from datasets import load_from_disk

    return load_from_disk(str(out_dir))


def test_prepare_ote(demo, tmp_path):
    root, _ = demo
    out, stats_path = tmp_path / "ote_es", tmp_path / "stats" / "ote_es.json"
    stats = prepare_dataset("ote", "es", root / "semeval2016", out, stats_path)
    data = load(out)
    assert set(data) == {"train", "test"}
    assert data["train"].num_rows == 50 and data["test"].num_rows == 20  # train = train + dev
    feats = data["train"].features
    assert feats["tags"].feature.names == ["O", "B", "I"]
    assert feats["starts"].feature.dtype == "int32"
    row = data["train"][0]
    assert row["lang"] == "es" and len(row["words"]) == len(row["tags"]) == len(row["starts"])
    assert json.loads(stats_path.read_text(encoding="utf-8")) == stats
    assert set(stats["splits"]["train"]["files"]) == {"es/train.xml", "es/dev.xml"}
    assert stats["splits"]["test"]["rows"] == 20


def test_prepare_cls_maps_ja_to_jp_and_adds_unlabeled(demo, tmp_path):
    root, _ = demo
    raw = tmp_path / "raw"
    (raw / "jp").mkdir(parents=True)
    (raw / "jp" / "dvd").symlink_to(root / "webis-cls-10" / "jp" / "dvd")
    out = tmp_path / "cls"
    with pytest.raises(ValueError, match="domain"):
        prepare_dataset("cls", "ja", raw, out, tmp_path / "s.json")
    stats = prepare_dataset("cls", "ja", raw, out, tmp_path / "s.json", domain="dvd")
    assert set(load(out)) == {"train", "test"} and stats["lang"] == "ja"
    copy = tmp_path / "copy" / "jp" / "dvd"
    copy.mkdir(parents=True)
    for split in ("train", "test"):
        (copy / f"{split}.review").write_bytes((raw / "jp/dvd" / f"{split}.review").read_bytes())
    (copy / "unlabeled.review").write_bytes((copy / "test.review").read_bytes())
    prepare_dataset(
        "cls", "ja", tmp_path / "copy", out, tmp_path / "s.json", domain="dvd", cls_unlabeled=True
    )
    data = load(out)
    assert data["train"].features["label"].names == ["negative", "positive"]
    assert set(data["unlabeled"]["label"]) == {-1} and data["unlabeled"].num_rows == 20
    assert set(data["train"]["label"]) == {0, 1}


def test_prepare_mldoc(demo, tmp_path):
    root, _ = demo
    stats = prepare_dataset("mldoc", "de", root / "mldoc", tmp_path / "m", tmp_path / "m.json")
    data = load(tmp_path / "m")
    assert {k: v.num_rows for k, v in data.items()} == {"train": 40, "dev": 10, "test": 20}
    assert data["test"].features["label"].names == ["CCAT", "ECAT", "GCAT", "MCAT"]
    assert stats["splits"]["train"]["labels"] == dict.fromkeys(("CCAT", "ECAT", "GCAT", "MCAT"), 10)


BROKEN = {
    "malformed XML": ("ote", "train.xml", lambda b: b.replace(b"</text>", b"</txt>", 1),
                      r"train\.xml.*line \d+"),
    "empty file": ("ote", "test.xml", lambda b: b"", r"test\.xml.*empty"),
    "truncated file": ("ote", "test.xml", lambda b: b[: len(b) // 2], r"test\.xml.*line \d+"),
    "offset mismatch": ("ote", "dev.xml",
                        lambda b: re.sub(rb'target="[^"N]+"', b'target="zzz"', b, count=1),
                        r"dev\.xml: sentence [0-9a-f-]+: offset mismatch"),
    "unknown label": ("mldoc", "german.dev", lambda b: b.replace(b"CCAT", b"XCAT", 1),
                      r"german\.dev: line \d+: unknown label 'XCAT'"),
    "bad rating": ("cls", "train.review", lambda b: b.replace(b"<rating>1.0", b"<rating>x", 1),
                   r"train\.review: item \d+: rating 'x'"),
}  # fmt: skip


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_prepare_errors_leave_no_output(demo, tmp_path, fault):
    root, _ = demo
    task, name, corrupt, pattern = BROKEN[fault]
    sub = {"ote": "semeval2016/en", "mldoc": "mldoc", "cls": "webis-cls-10/en/books"}[task]
    raw_dir = tmp_path / "raw" / sub
    raw_dir.mkdir(parents=True)
    for src in (root / sub).iterdir():
        data = src.read_bytes()
        (raw_dir / src.name).write_bytes(corrupt(data) if src.name == name else data)
    raw_root = {
        "ote": tmp_path / "raw/semeval2016",
        "mldoc": raw_dir,
        "cls": tmp_path / "raw/webis-cls-10",
    }
    lang = {"ote": "en", "mldoc": "de", "cls": "en"}[task]
    out_parent = tmp_path / "out"
    with pytest.raises(DataFormatError, match=pattern):
        prepare_dataset(task, lang, raw_root[task], out_parent / "ds", out_parent / "ds.json",
                        domain="books")  # fmt: skip
    assert not out_parent.exists() or list(out_parent.iterdir()) == []


def test_failure_while_saving_leaves_no_output_and_keeps_old_one(demo, tmp_path, monkeypatch):
    from datasets import DatasetDict

    root, _ = demo
    out, stats_path = tmp_path / "ds", tmp_path / "ds.json"

    def broken_save(self, path, **kwargs):
        Path(path).mkdir(parents=True)
        (Path(path) / "half-written").write_text("x")
        raise OSError("disk full")

    monkeypatch.setattr(DatasetDict, "save_to_disk", broken_save)
    with pytest.raises(OSError, match="disk full"):
        prepare_dataset("mldoc", "fr", root / "mldoc", out, stats_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    prepare_dataset("mldoc", "fr", root / "mldoc", out, stats_path)
    before = stats_path.read_text(encoding="utf-8")
    monkeypatch.setattr(DatasetDict, "save_to_disk", broken_save)
    with pytest.raises(OSError):
        prepare_dataset("mldoc", "en", root / "mldoc", out, stats_path)
    assert stats_path.read_text(encoding="utf-8") == before  # old outputs untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "ds.json"]
