"""Reader for Webis-CLS-10 ``.review`` files (cross-lingual sentiment, Prettenhofer & Stein 2010).

The field set differs per language and item separators are inconsistent, so a real XML parser
is used; entities in the corpus are escaped twice, so strings are ``html.unescape``-d after
parsing. The label follows the rule used by UFD and FLUE: rating > 3 positive, < 3 negative.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from zsiw.data.errors import DataFormatError, load_xml

STAT_KEYS = (
    "items",  # <item> elements in the file
    "kept",  # records returned
    "positive",
    "negative",
    "dropped_neutral",  # rating == 3 (none in the real corpus)
    "dropped_empty",  # summary and text both empty
    "entities_unescaped",  # HTML entities left after XML parsing in summary/text
    "empty_text",  # items with an empty <text> (kept if the summary is not empty)
    "empty_summary",  # items with an empty <summary>
)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")


def _field(item: ET.Element, name: str, stats: dict) -> str:
    """Stripped, unescaped text of a child element ('' when missing)."""
    raw = (item.findtext(name) or "").strip()
    stats["entities_unescaped"] += len(_ENTITY_RE.findall(raw))
    return html.unescape(raw)


def rating_to_label(rating: str, where: str) -> str | None:
    """'positive' for > 3, 'negative' for < 3, ``None`` for 3; error if not a number."""
    try:
        value = float(rating)
    except ValueError:
        raise DataFormatError(f"{where}: rating {rating!r} is not a number") from None
    if math.isnan(value):
        raise DataFormatError(f"{where}: rating {rating!r} is not a number")
    return "positive" if value > 3 else "negative" if value < 3 else None


def _load(path: Path) -> ET.Element:
    return load_xml(path, "Webis-CLS-10 review")


def parse_cls_review(path: str | Path, *, labelled: bool = True) -> tuple[list[dict], dict]:
    """Parse one ``.review`` file into ``{"id", "text", "label"}`` records plus counts.

    ``text`` is ``summary + " " + text`` (each stripped and unescaped; the space is omitted
    when one part is empty). With ``labelled=False`` (``unlabeled.review``) the rating is
    ignored and ``label`` is ``None``.
    """
    path = Path(path)
    items = _load(path).findall("item")
    if not items:
        raise DataFormatError(f"{path}: no <item> elements (truncated or not a .review file?)")
    stats = dict.fromkeys(STAT_KEYS, 0)
    records = []
    for index, item in enumerate(items):
        where = f"{path}: item {index}"
        stats["items"] += 1
        summary, body = _field(item, "summary", stats), _field(item, "text", stats)
        stats["empty_summary"] += not summary
        stats["empty_text"] += not body
        label = None
        if labelled:
            rating = item.findtext("rating")
            if rating is None:
                raise DataFormatError(f"{where}: no <rating> element")
            label = rating_to_label(rating.strip(), where)
            if label is None:
                stats["dropped_neutral"] += 1
                continue
        if not summary and not body:
            stats["dropped_empty"] += 1
            continue
        if label:
            stats[label] += 1
        stats["kept"] += 1
        text = " ".join(part for part in (summary, body) if part)
        records.append({"id": f"{path.stem}-{index}", "text": text, "label": label})
    return records, stats
