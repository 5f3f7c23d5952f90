"""Webis-CLS-10 reader: per-language field sets, double escaping, label rule, faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from zsiw.data.cls import parse_cls_review
from zsiw.data.errors import DataFormatError

EN_ITEM = (
    "<item>\n\t<summary>{summary}\n</summary>\n\t<rating>{rating}</rating>\n"
    "\t<text>{text}\n</text>\n\t<category>books</category>\n\t</item>"
)
DE_ITEM = (
    "<item><category>DVD &amp;amp; Blu-ray</category><rating>{rating}</rating>"
    "<realname>True</realname><asin>B0024OOKYW</asin>"
    "<url>http://www.amazon.de/product-reviews/B0024OOKYW/</url><text>{text}</text>"
    "<title>T</title><summary>{summary}</summary><date>11. April 2009</date><location />"
    "<helpfulness_votes><value>49</value><value>104</value></helpfulness_votes>"
    "<reviewer>K</reviewer></item>"
)
FR_ITEM = (
    "<item><category>Livres</category><rating>{rating}</rating><asin>2864972301</asin>"
    "<url>http://www.amazon.fr/product-reviews/2864972301/</url><text>{text}</text>"
    "<title>T</title><summary>{summary}</summary><date>28 octobre 2009</date>"
    "<location>Paris, France</location><helpfulness_votes><value>9</value><value>10</value>"
    "</helpfulness_votes><reviewer>R</reviewer><badges><value>TOP 500 REVIEWER</value>"
    "</badges></item>"
)


def write(tmp_path: Path, template: str, items: list[tuple], sep: str, name: str) -> Path:
    body = sep.join(template.format(rating=r, summary=s, text=t) for r, s, t in items)
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<items>{body}{sep}</items>', "utf-8")
    return path


def test_english_layout_strip_and_label_rule(tmp_path):
    path = write(
        tmp_path,
        EN_ITEM,
        [("1.0", "Worst book", "Dull &amp;quot;plot&amp;quot;"), ("5.0", "Great", "Loved it")],
        "\n",
        "train.review",
    )
    recs, stats = parse_cls_review(path)
    assert recs == [
        {"id": "train-0", "text": 'Worst book Dull "plot"', "label": "negative"},
        {"id": "train-1", "text": "Great Loved it", "label": "positive"},
    ]
    assert stats["items"] == 2 and stats["positive"] == 1 and stats["negative"] == 1
    assert stats["entities_unescaped"] == 2


def test_german_layout_with_blank_line_inside_text(tmp_path):
    items = [
        ("2.0", "Der Preis ist eine Frechheit! ", "Teuer.\n\nZu teuer &amp;amp; kurz."),
        ("4.0", "Gut", "Schön &amp;#8212; wirklich"),
    ]
    recs, stats = parse_cls_review(write(tmp_path, DE_ITEM, items, "\n\n", "test.review"))
    assert [r["label"] for r in recs] == ["negative", "positive"]
    assert recs[0]["text"] == "Der Preis ist eine Frechheit! Teuer.\n\nZu teuer & kurz."
    assert recs[1]["text"] == "Gut Schön \u2014 wirklich"
    assert stats["entities_unescaped"] == 2


def test_french_layout_rating_three_dropped_and_empty_fields(tmp_path):
    items = [
        ("3.0", "Bof", "Moyen"),
        ("2.0", "", "Texte seul"),
        ("4.0", "Résumé seul", ""),
        ("1.0", "", ""),
    ]
    recs, stats = parse_cls_review(write(tmp_path, FR_ITEM, items, "\n\n\n", "x.review"))
    assert [(r["id"], r["text"], r["label"]) for r in recs] == [
        ("x-1", "Texte seul", "negative"),
        ("x-2", "Résumé seul", "positive"),
    ]
    assert stats["dropped_neutral"] == 1 and stats["dropped_empty"] == 1
    assert stats["empty_summary"] == 2 and stats["empty_text"] == 2
    assert stats["items"] == 4 and stats["kept"] == 2


def test_unlabelled_file_ignores_rating(tmp_path):
    path = write(
        tmp_path, FR_ITEM, [("3.0", "A", "B"), ("n/a", "C", "D")], "\n", "unlabeled.review"
    )
    recs, stats = parse_cls_review(path, labelled=False)
    assert [r["label"] for r in recs] == [None, None]
    assert stats["kept"] == 2 and stats["positive"] == stats["negative"] == 0


def test_non_numeric_rating_names_file_item_and_value(tmp_path):
    path = write(tmp_path, EN_ITEM, [("5.0", "a", "b"), ("five", "c", "d")], "\n", "r.review")
    with pytest.raises(DataFormatError) as err:
        parse_cls_review(path)
    assert (
        "r.review" in str(err.value) and "item 1" in str(err.value) and "'five'" in str(err.value)
    )


def test_malformed_empty_and_truncated_files(tmp_path):
    bad = tmp_path / "bad.review"
    bad.write_text("<items><item><rating>1.0</rating></itm></items>", "utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.review.*line 1"):
        parse_cls_review(bad)
    empty = tmp_path / "empty.review"
    empty.write_text("\n", "utf-8")
    with pytest.raises(DataFormatError, match=r"empty\.review.*empty"):
        parse_cls_review(empty)
    full = write(tmp_path, EN_ITEM, [("5.0", "a", "b")] * 3, "\n", "full.review").read_bytes()
    cut = tmp_path / "cut.review"
    cut.write_bytes(full[: len(full) - 30])
    with pytest.raises(DataFormatError, match=r"cut\.review.*line \d+"):
        parse_cls_review(cut)


def test_nan_rating_missing_rating_and_no_items_are_errors(tmp_path):
    from zsiw.data.cls import parse_cls_review, rating_to_label
    from zsiw.data.errors import DataFormatError

    with pytest.raises(DataFormatError, match="x: rating 'nan' is not a number"):
        rating_to_label("nan", "x")
    no_rating = tmp_path / "train.review"
    no_rating.write_text("<items><item><summary>s</summary><text>t</text></item></items>")
    with pytest.raises(DataFormatError, match=r"train\.review: item 0: no <rating> element"):
        parse_cls_review(no_rating)
    empty = tmp_path / "test.review"
    empty.write_text("<items></items>")
    with pytest.raises(DataFormatError, match=r"test\.review: no <item> elements"):
        parse_cls_review(empty)
