"""Parse every real file in ../shared/data and check the counts documented in SOURCES.md.

Skips cleanly when ../shared/data (relative to the repository root) is absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from zsiw.data.cls import parse_cls_review
from zsiw.data.semeval import parse_semeval_xml

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent"),
]
OTE_LANGS = ("en", "es", "fr", "nl", "ru", "tr")
#: lang -> ((train+dev), test) values of: sentences, opinions, kept sentences, kept spans.
OTE_COUNTS = {
    "en": {"sentences": (2000, 676), "opinions": (2507, 859), "kept": (2000, 676), "spans": (1743, 612)},
    "es": {"sentences": (2070, 881), "opinions": (2720, 1072), "kept": (2070, 881), "spans": (1859, 713)},
    "fr": {"sentences": (1733, 694), "opinions": (2530, 954), "kept": (1664, 668), "spans": (1641, 650)},
    "nl": {"sentences": (1722, 575), "opinions": (1860, 613), "kept": (1722, 575), "spans": (1231, 373)},
    "ru": {"sentences": (3655, 1209), "opinions": (4089, 1300), "kept": (3655, 1209), "spans": (3078, 952)},
    "tr": {"sentences": (1232, 144), "opinions": (1535, 159), "kept": (1232, 144), "spans": (1374, 145)},
}  # fmt: skip


@pytest.fixture(scope="module")
def semeval() -> dict[tuple[str, str], tuple[list[dict], dict]]:
    return {
        (lang, split): parse_semeval_xml(SHARED / "semeval2016" / lang / f"{split}.xml")
        for lang in OTE_LANGS
        for split in ("train", "dev", "test")
    }


def totals(semeval, lang: str, splits: tuple[str, ...]) -> Counter:
    out: Counter = Counter()
    for split in splits:
        out.update(semeval[lang, split][1])
    return out


@pytest.mark.parametrize("lang", OTE_LANGS)
def test_semeval_counts(semeval, lang):
    expected = OTE_COUNTS[lang]
    for i, splits in enumerate((("train", "dev"), ("test",))):
        stats = totals(semeval, lang, splits)
        assert stats["sentences"] == expected["sentences"][i]
        assert stats["opinions"] == expected["opinions"][i]
        assert stats["sentences_kept"] == expected["kept"][i]
        assert stats["spans"] == expected["spans"][i]
        records = [r for s in splits for r in semeval[lang, s][0]]
        assert len(records) == expected["kept"][i]
        assert sum(r["tags"].count("B") for r in records) == expected["spans"][i]
        explicit = stats["opinions"] - stats["null_targets"] - stats["empty_targets"]
        dropped = stats["duplicates_dropped"] + stats["overlaps_dropped"] + stats["broken_dropped"]
        assert explicit == stats["spans"] + dropped
        assert stats["offsets_fixed"] == 0  # no file needs the "occurs once" repair


def test_semeval_quirk_counts(semeval):
    every = ("train", "dev", "test")
    per_lang = {lang: totals(semeval, lang, every) for lang in OTE_LANGS}
    assert {k: v["null_nonzero_offsets"] for k, v in per_lang.items()} == {
        "en": 9, "es": 7, "fr": 6, "nl": 0, "ru": 0, "tr": 0,
    }  # fmt: skip
    assert {k: v["identical_opinions"] for k, v in per_lang.items()} == {
        "en": 0, "es": 11, "fr": 5, "nl": 4, "ru": 0, "tr": 0,
    }  # fmt: skip
    assert {k: v["overlaps_dropped"] for k, v in per_lang.items()} == {
        "en": 0, "es": 2, "fr": 0, "nl": 1, "ru": 4, "tr": 0,
    }  # fmt: skip
    assert [semeval["nl", s][1]["case_insensitive_targets"] for s in every] == [117, 10, 72]
    assert sum(v["case_insensitive_targets"] for v in per_lang.values()) == 199
    assert [semeval["fr", s][1]["empty_text_skipped"] for s in every] == [61, 8, 26]
    assert sum(v["empty_text_skipped"] for v in per_lang.values()) == 95
    assert semeval["tr", "train"][1]["utf16_fixed"] == 2
    assert sum(v["utf16_fixed"] for v in per_lang.values()) == 2
    tr_test = semeval["tr", "test"][1]
    assert tr_test["empty_targets"] == 13 and tr_test["null_targets"] == 0
    assert tr_test["broken_repaired"] == 1 and tr_test["broken_dropped"] == 0


def tagged_words(record: dict) -> list[str]:
    return [w for w, t in zip(record["words"], record["tags"]) if t != "O"]


def test_semeval_turkish_utf16_targets(semeval):
    records = {r["id"][:8]: r for r in semeval["tr", "train"][0]}
    assert "çay" in tagged_words(records["de3cacfa"])
    assert tagged_words(records["6e0e8dc5"]) == ["Etleri"]
    broken = {r["id"][:8]: r for r in semeval["tr", "test"][0]}["e37bcef6"]
    assert tagged_words(broken) == ["ahtapot", ",", "karides", ",", "kalamar", ",", "somon"]


@pytest.fixture(scope="module")
def cls_stats() -> dict[Path, dict]:
    return {p: parse_cls_review(p)[1] for p in sorted(SHARED.glob("webis-cls-10/*/*/*.review"))}


def test_cls_every_file_has_2000_balanced_items(cls_stats):
    assert len(cls_stats) == 24
    for path, stats in cls_stats.items():
        assert stats["items"] == stats["kept"] == 2000, path
        assert stats["positive"] == stats["negative"] == 1000, path
        assert stats["dropped_neutral"] == stats["dropped_empty"] == 0, path
    langs = {p.parts[-3] for p in cls_stats}
    assert langs == {"en", "de", "fr", "jp"}
    empty = {p.relative_to(SHARED).as_posix(): s for p, s in cls_stats.items()}
    assert empty["webis-cls-10/jp/books/test.review"]["empty_text"] == 1
    assert empty["webis-cls-10/jp/music/test.review"]["empty_summary"] == 1
    assert sum(s["empty_text"] + s["empty_summary"] for s in cls_stats.values()) == 2
    assert sum(s["entities_unescaped"] for s in cls_stats.values()) == 4419
