"""SemEval-2016 Task 5 reader: every quirk of the released XML, with exact expected tags."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from zsiw.data.errors import DataFormatError
from zsiw.data.semeval import parse_semeval_xml, tokenize, utf16_to_index


def op(target: str, start: int | str, end: int | str, category: str = "FOOD#QUALITY") -> str:
    return (
        f'<Opinion target="{target}" category="{category}" polarity="positive" '
        f'from="{start}" to="{end}"/>'
    )


def sentence(sid: str, text: str | None, *opinions: str, opinions_tag: bool = True, **attrs):
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    text_xml = "<text/>" if text is None else f"<text>{text}</text>"
    if opinions:
        ops = "<Opinions>" + "".join(opinions) + "</Opinions>"
    else:
        ops = "<Opinions/>" if opinions_tag else ""
    return f'<sentence id="{sid}"{extra}>{text_xml}{ops}</sentence>'


def write(tmp_path: Path, *sentences: str, name: str = "t.xml") -> Path:
    path = tmp_path / name
    body = "\n".join(sentences)
    path.write_text(
        f"<?xml version='1.0' encoding='UTF-8'?>\n<Reviews><sentences>\n{body}\n"
        "</sentences></Reviews>\n",
        encoding="utf-8",
    )
    return path


def parse_one(tmp_path: Path, *sentences: str) -> tuple[list[dict], dict]:
    return parse_semeval_xml(write(tmp_path, *sentences))


def pairs(record: dict) -> list[tuple[str, str]]:
    return list(zip(record["words"], record["tags"]))


def test_tokenize_keeps_offsets():
    words, starts, ends = tokenize("Prime Rib, très-bon!")
    assert words == ["Prime", "Rib", ",", "très", "-", "bon", "!"]
    assert starts == [0, 6, 9, 11, 15, 16, 19]
    assert ends == [5, 9, 10, 15, 16, 19, 20]


def test_utf16_to_index():
    text = "😎 Etleri"
    assert utf16_to_index(text, 3) == 2
    assert utf16_to_index(text, 1) is None  # inside the surrogate pair
    assert utf16_to_index(text, 9) == 8
    assert utf16_to_index(text, 10) is None


def test_multiword_target_gets_b_then_i(tmp_path):
    recs, stats = parse_one(
        tmp_path,
        sentence("s1", "My boyfriend had Prime Rib it was good .", op("Prime Rib", 17, 26)),
    )
    assert pairs(recs[0]) == [
        ("My", "O"), ("boyfriend", "O"), ("had", "O"), ("Prime", "B"), ("Rib", "I"),
        ("it", "O"), ("was", "O"), ("good", "O"), (".", "O"),
    ]  # fmt: skip
    assert recs[0]["id"] == "s1"
    assert recs[0]["starts"][3] == 17 and recs[0]["ends"][4] == 26
    assert stats["spans"] == 1 and stats["opinions"] == 1 and stats["sentences_kept"] == 1


def test_adjacent_targets_each_start_with_b(tmp_path):
    recs, _ = parse_one(
        tmp_path, sentence("s", "pizza pasta ok", op("pizza", 0, 5), op("pasta", 6, 11))
    )
    assert recs[0]["tags"] == ["B", "B", "O"]


def test_null_and_empty_targets_add_no_span_whatever_the_offsets(tmp_path):
    recs, stats = parse_one(
        tmp_path,
        sentence("a", "Para repetir", op("NULL", 0, 12)),
        sentence("b", "Lezzetliydi.", op("", 0, 0)),
        sentence("c", "Good food .", op("NULL", 0, 0), op("food", 5, 9)),
    )
    assert [r["tags"] for r in recs] == [["O", "O"], ["O", "O"], ["O", "B", "O"]]
    assert stats["null_targets"] == 2
    assert stats["empty_targets"] == 1
    assert stats["null_nonzero_offsets"] == 1
    assert stats["spans"] == 1


def test_duplicates_on_one_span_count_once(tmp_path):
    recs, stats = parse_one(
        tmp_path,
        sentence(
            "s",
            "The sushi rocks .",
            op("sushi", 4, 9),
            op("sushi", 4, 9),  # identical tuple
            op("sushi", 4, 9, category="FOOD#PRICES"),  # same span, other category
        ),
    )
    assert recs[0]["tags"] == ["O", "B", "O", "O"]
    assert stats["identical_opinions"] == 1
    assert stats["duplicates_dropped"] == 2
    assert stats["spans"] == 1


def test_overlapping_spans_keep_the_longer(tmp_path):
    text = "Los segundos platos bien ."
    recs, stats = parse_one(
        tmp_path, sentence("s", text, op("egundos platos", 5, 19), op("segundos platos", 4, 19))
    )
    assert recs[0]["tags"] == ["O", "B", "I", "O", "O"]
    assert stats["overlaps_dropped"] == 1 and stats["spans"] == 1


def test_overlapping_spans_of_equal_length_keep_the_earlier(tmp_path):
    text = "aa bb cc"
    recs, stats = parse_one(tmp_path, sentence("s", text, op("bb cc", 3, 8), op("aa bb", 0, 5)))
    assert recs[0]["tags"] == ["B", "I", "O"]
    assert stats["overlaps_dropped"] == 1


def test_turkish_utf16_offsets_are_converted(tmp_path):
    recs, stats = parse_one(
        tmp_path,
        sentence("e1", "😎 Etleri muhteşem lezzetliydi.", op("Etleri", 3, 9)),
        sentence("e2", "şok yaşamıştık😩 güzel ama çay pahalı", op("çay", 27, 30)),
    )
    assert pairs(recs[0])[:2] == [("😎", "O"), ("Etleri", "B")]
    assert [w for w, t in pairs(recs[1]) if t != "O"] == ["çay"]
    assert stats["utf16_fixed"] == 2 and stats["offsets_fixed"] == 0


def test_lowercased_target_with_right_offsets_is_accepted(tmp_path):
    recs, stats = parse_one(tmp_path, sentence("nl", "Vlees was prima .", op("vlees", 0, 5)))
    assert recs[0]["tags"] == ["B", "O", "O", "O"]
    assert stats["case_insensitive_targets"] == 1 and stats["offsets_fixed"] == 0


def test_broken_minus_one_span_is_repaired_from_the_target(tmp_path):
    text = "ahtapot, karides, kalamar, somon füme ; ne ararsanız var içinde."
    recs, stats = parse_one(
        tmp_path, sentence("e37", text, op("ahtapot karides kalamar somon", -1, 28))
    )
    assert recs[0]["tags"][:9] == ["B", "I", "I", "I", "I", "I", "I", "O", "O"]
    assert stats["broken_repaired"] == 1 and stats["spans"] == 1


def test_broken_span_that_cannot_be_repaired_is_dropped(tmp_path):
    recs, stats = parse_one(tmp_path, sentence("x", "balık ve balık", op("balık", -1, 5)))
    assert recs[0]["tags"] == ["O", "O", "O"]
    assert stats["broken_dropped"] == 1 and stats["spans"] == 0


def test_wrong_offsets_fixed_when_target_occurs_once(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="zsiw.data.semeval"):
        recs, stats = parse_one(
            tmp_path, sentence("fix-me", "The wine list is long .", op("wine list", 0, 9))
        )
    assert recs[0]["tags"] == ["O", "B", "I", "O", "O", "O"]
    assert stats["offsets_fixed"] == 1
    assert "fix-me" in caplog.text


@pytest.mark.parametrize("text", ["wine and wine", "beer only"])
def test_unrepairable_offset_mismatch_names_file_sentence_and_fault(tmp_path, text):
    path = write(tmp_path, sentence("bad-id", text, op("wine", 2, 6)))
    with pytest.raises(DataFormatError) as err:
        parse_semeval_xml(path)
    message = str(err.value)
    assert str(path) in message and "bad-id" in message and "offset mismatch" in message


def test_target_cutting_inside_a_word_tags_the_whole_word(tmp_path):
    recs, stats = parse_one(
        tmp_path, sentence("tr", "Yemek kalitesinde sorun yok", op("kalite", 6, 12))
    )
    assert recs[0]["tags"] == ["O", "B", "O", "O"]
    assert stats["partial_word_spans"] == 1


def test_empty_texts_skipped_and_sentences_without_opinions_all_o(tmp_path):
    recs, stats = parse_one(
        tmp_path,
        sentence("e1", None),
        sentence("e2", "   "),
        sentence("n1", "No opinions here .", opinions_tag=False),
        sentence("n2", "Empty opinions .", opinions_tag=True),
        sentence("o1", "Too bad Latin Quarters closed.", opinions_tag=False, OutOfScope="TRUE"),
    )
    assert [r["id"] for r in recs] == ["n1", "n2", "o1"]
    assert all(set(r["tags"]) == {"O"} for r in recs)
    assert stats["sentences"] == 5 and stats["sentences_kept"] == 3
    assert stats["empty_text_skipped"] == 2
    assert stats["no_opinions"] == 3 and stats["out_of_scope"] == 1


def test_official_layout_with_review_level(tmp_path):
    path = tmp_path / "official.xml"
    path.write_text(
        '<Reviews><Review rid="1"><sentences><sentence id="1:0"><text>Great food</text>'
        '<Opinions><Opinion target="food" category="FOOD#QUALITY" polarity="positive" '
        'from="6" to="10"/></Opinions></sentence></sentences></Review></Reviews>',
        encoding="utf-8",
    )
    recs, _ = parse_semeval_xml(path)
    assert recs[0]["id"] == "1:0" and recs[0]["tags"] == ["O", "B"]


def test_malformed_xml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<Reviews>\n<sentences>\n<sentence id='x'><text>a</txt>\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.xml.*line 3"):
        parse_semeval_xml(path)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"empty\.xml.*empty"):
        parse_semeval_xml(path)


def test_truncated_file_names_file_and_line(tmp_path):
    full = write(tmp_path, sentence("a", "x y", op("x", 0, 1)), sentence("b", "z"), name="full.xml")
    cut = tmp_path / "cut.xml"
    cut.write_bytes(full.read_bytes()[: len(full.read_bytes()) // 2])
    with pytest.raises(DataFormatError, match=r"cut\.xml.*(truncated|line \d+)"):
        parse_semeval_xml(cut)


def test_non_integer_offset_is_an_error(tmp_path):
    path = write(tmp_path, sentence("s9", "good food", op("food", "five", 9)))
    with pytest.raises(DataFormatError, match=r"s9.*from='five'"):
        parse_semeval_xml(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        parse_semeval_xml(tmp_path / "nope.xml")
