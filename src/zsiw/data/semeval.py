"""Reader for SemEval-2016 Task 5 restaurant XML (sentence level), slot 2: opinion targets.

The released files carry several quirks (NULL targets with offsets, UTF-16 offsets in Turkish,
lower-cased Dutch targets, a ``from="-1"`` span, duplicate and overlapping opinions, empty
French texts). They are normalised here once, with counts in the returned stats, so every
language yields comparable word-level IOB labels. ``docs/data.md`` documents each rule.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from zsiw.data.errors import DataFormatError, load_xml

log = logging.getLogger(__name__)

#: Words are maximal runs of word characters, or single other non-space characters. This keeps
#: character offsets, is deterministic and language independent, and puts a boundary at every
#: space and punctuation mark, where SemEval target boundaries almost always fall.
TOKEN_RE = re.compile(r"\w+|[^\w\s]")
STAT_KEYS = (
    "sentences",  # every <sentence>, including empty-text and OutOfScope ones
    "sentences_kept",  # sentences returned as records
    "empty_text_skipped",  # <text/> or whitespace-only text
    "out_of_scope",  # OutOfScope="TRUE" (kept)
    "no_opinions",  # kept sentences without <Opinions> or with an empty one (all-O)
    "opinions",  # <Opinion> elements (incl. NULL ones and those in skipped sentences)
    "null_targets",  # target="NULL"
    "null_nonzero_offsets",  # NULL target whose from/to are not 0/0 (ignored)
    "empty_targets",  # target="" (treated as NULL)
    "case_insensitive_targets",  # slice equals target only ignoring case (surface = slice)
    "utf16_fixed",  # offsets were UTF-16 code units; converted to str indices
    "offsets_fixed",  # offsets wrong, target found exactly once in the text
    "broken_repaired",  # negative offsets, span recovered from the target string
    "broken_dropped",  # negative offsets, target not recoverable
    "identical_opinions",  # opinions identical to an earlier one in the sentence
    "duplicates_dropped",  # explicit opinions whose span was already present (any category)
    "overlaps_dropped",  # distinct spans overlapping a kept (longer / earlier) span
    "spans_without_words",  # spans covering no word (whitespace only)
    "spans_sharing_words",  # spans whose first word was already tagged by another span
    "partial_word_spans",  # kept spans starting or ending inside a word
    "spans",  # kept target spans, i.e. B tags
    "tokens",  # words in kept sentences
)


def tokenize(text: str) -> tuple[list[str], list[int], list[int]]:
    """Split ``text`` with :data:`TOKEN_RE`; return words and their start/end character offsets."""
    matches = list(TOKEN_RE.finditer(text))
    return [m.group() for m in matches], [m.start() for m in matches], [m.end() for m in matches]


def utf16_to_index(text: str, offset: int) -> int | None:
    """Map a UTF-16 code-unit offset to a ``str`` index; ``None`` inside a pair or past the end."""
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def _unique_occurrence(text: str, pattern: str) -> tuple[int, int] | None:
    """Span of the only match of ``pattern`` (exact case first, then ignoring case), else None."""
    for flags in (0, re.IGNORECASE):
        hits = [m.span(1) for m in re.finditer(f"(?=({pattern}))", text, flags)]
        if hits:
            return hits[0] if len(hits) == 1 else None
    return None


def _same(a: str, b: str) -> tuple[bool, bool]:
    """(equal, equal ignoring case)."""
    return a == b, a.casefold() == b.casefold()


def _resolve(
    text: str, target: str, start: int, end: int, where: str, stats: dict
) -> tuple[int, int] | None:
    """Return the ``str`` span of an explicit target, fixing known offset faults (module doc)."""
    if start < 0 or end < 0:
        span = _unique_occurrence(text, re.escape(target))
        if span is None and target.split():
            words = r"\W+".join(re.escape(w) for w in target.split())
            span = _unique_occurrence(text, words)
        key = "broken_repaired" if span else "broken_dropped"
        stats[key] += 1
        log.warning("%s: target %r with offsets %d:%d: %s", where, target, start, end, key)
        return span
    if 0 <= start <= end <= len(text):
        exact, folded = _same(text[start:end], target)
        if exact:
            return start, end
        if folded:
            stats["case_insensitive_targets"] += 1
            return start, end
    if any(ord(ch) > 0xFFFF for ch in text):
        s16, e16 = utf16_to_index(text, start), utf16_to_index(text, end)
        if s16 is not None and e16 is not None and any(_same(text[s16:e16], target)):
            stats["utf16_fixed"] += 1
            log.info(
                "%s: UTF-16 offsets %d:%d -> %d:%d for %r", where, start, end, s16, e16, target
            )
            return s16, e16
    span = _unique_occurrence(text, re.escape(target))
    if span is None:
        raise DataFormatError(
            f"{where}: offset mismatch: target {target!r} at {start}:{end} does not match the "
            f"text slice {text[start:end]!r} and does not occur exactly once in the text"
        )
    stats["offsets_fixed"] += 1
    log.warning("%s: offsets %d:%d for %r fixed to %d:%d", where, start, end, target, *span)
    return span


def _offset(op: ET.Element, name: str, where: str) -> int:
    value = op.get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataFormatError(
            f"{where}: opinion attribute {name}={value!r} is not an integer"
        ) from None


def _choose_spans(spans: list[tuple[int, int]], where: str, stats: dict) -> list[tuple[int, int]]:
    """Keep non-overlapping spans: longer first, then earlier; count and log the dropped ones."""
    kept: list[tuple[int, int]] = []
    for s, e in sorted(spans, key=lambda sp: (sp[0] - sp[1], sp[0])):
        clash = next(((ks, ke) for ks, ke in kept if s < ke and ks < e), None)
        if clash is None:
            kept.append((s, e))
        else:
            stats["overlaps_dropped"] += 1
            log.info("%s: span %d:%d overlaps kept span %d:%d; dropped", where, s, e, *clash)
    return sorted(kept)


def _tag(
    starts: list[int], ends: list[int], spans: list[tuple[int, int]], stats: dict
) -> list[str]:
    """B on the first and I on further words overlapping each span (first span wins a word)."""
    tags = ["O"] * len(starts)
    for s, e in spans:
        idx = [i for i, (ws, we) in enumerate(zip(starts, ends)) if ws < e and we > s]
        if not idx:
            stats["spans_without_words"] += 1
            continue
        if tags[idx[0]] != "O":
            stats["spans_sharing_words"] += 1
        if starts[idx[0]] != s or ends[idx[-1]] != e:
            stats["partial_word_spans"] += 1
        for k, i in enumerate(idx):
            if tags[i] == "O":
                tags[i] = "B" if k == 0 else "I"
        stats["spans"] += 1
    return tags


def _load(path: Path) -> ET.Element:
    return load_xml(path, "SemEval XML")


def parse_semeval_xml(path: str | Path) -> tuple[list[dict], dict]:
    """Parse one SemEval-2016 Task 5 file into word-level O/B/I records plus quirk counts.

    Records: ``{"id", "text", "words", "starts", "ends", "tags"}``. Sentences are found at any
    depth, so official files with a ``<Review>`` level work as well.
    """
    path = Path(path)
    root = _load(path)
    sentences = list(root.iter("sentence"))
    if not sentences:
        raise DataFormatError(f"{path}: no <sentence> elements (truncated or not SemEval XML?)")
    stats = dict.fromkeys(STAT_KEYS, 0)
    records = []
    for n, sent in enumerate(sentences):
        sid = sent.get("id") or f"{path.stem}-{n}"
        where = f"{path}: sentence {sid}"
        stats["sentences"] += 1
        stats["out_of_scope"] += sent.get("OutOfScope", "").upper() == "TRUE"
        opinions = sent.findall("./Opinions/Opinion")
        stats["opinions"] += len(opinions)
        text_el = sent.find("text")
        if text_el is None:
            raise DataFormatError(f"{where}: sentence has no <text> element")
        text = text_el.text or ""
        if not text.strip():
            stats["empty_text_skipped"] += 1
            continue
        stats["no_opinions"] += not opinions
        spans: list[tuple[int, int]] = []
        seen: set[tuple] = set()
        for op in opinions:
            key = tuple(op.get(a) for a in ("target", "category", "polarity", "from", "to"))
            stats["identical_opinions"] += key in seen
            seen.add(key)
            target = op.get("target")
            if target is None:
                raise DataFormatError(f"{where}: <Opinion> without a target attribute")
            start, end = _offset(op, "from", where), _offset(op, "to", where)
            if target in ("NULL", ""):
                stats["null_targets" if target else "empty_targets"] += 1
                stats["null_nonzero_offsets"] += (start, end) != (0, 0)
                continue
            span = _resolve(text, target, start, end, where, stats)
            if span is None:
                continue
            if span in spans:
                stats["duplicates_dropped"] += 1
            else:
                spans.append(span)
        words, starts, ends = tokenize(text)
        tags = _tag(starts, ends, _choose_spans(spans, where, stats), stats)
        stats["tokens"] += len(words)
        stats["sentences_kept"] += 1
        records.append(
            {"id": sid, "text": text, "words": words, "starts": starts, "ends": ends, "tags": tags}
        )
    return records, stats
