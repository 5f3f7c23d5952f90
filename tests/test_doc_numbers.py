"""Numbers that hand-written pages quote from generated files are the generated numbers.

A hand-written page (``docs/findings.md``, ``docs/results-full-cpu.md``) keeps its reasoning
but must not drift from the files the workflow generates. A passage that quotes them is
fenced by ``<!-- numbers from: FILE [FILE …] -->`` … ``<!-- /numbers -->``; every decimal
number in it (outside code spans, sign ignored) must appear, written the same way, in one
of the named files (paths relative to the repository). Retyping, rounding differently or a
stale number after the grid grows fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"<!-- numbers from: ([^>]*?) -->(.*?)<!-- /numbers -->", re.S)
NUMBER = re.compile(r"\d+\.\d+")
CODE = re.compile(r"`[^`]*`")


def quoted_numbers(passage: str) -> set[str]:
    """The decimal numbers of a passage, code spans (commands, versions) left out."""
    return set(NUMBER.findall(CODE.sub("", passage)))


def fenced_passages(text: str) -> list[tuple[list[str], str]]:
    return [(sources.split(), passage) for sources, passage in FENCE.findall(text)]


def test_quoted_numbers_ignore_signs_and_code_spans():
    text = "r = −0.25 and +0.12 (range 0.970–0.988), `zsiw x --lr 2.5` torch `2.13.0`"
    assert quoted_numbers(text) == {"0.25", "0.12", "0.970", "0.988"}
    page = "a <!-- numbers from: x.md y.csv -->\nr 0.5\n<!-- /numbers --> b 0.7"
    assert fenced_passages(page) == [(["x.md", "y.csv"], "\nr 0.5\n")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_fenced_number_is_in_the_files_it_is_quoted_from(page):
    for sources, passage in fenced_passages(page.read_text()):
        assert sources, f"{page.name}: a numbers fence names no file"
        available: set[str] = set()
        for source in sources:
            path = REPO / source
            assert path.is_file(), f"{page.name}: quotes {source}, which does not exist"
            available |= set(NUMBER.findall(path.read_text()))
        missing = sorted(quoted_numbers(passage) - available)
        assert not missing, (
            f"{page.name}: {missing} quoted from {' '.join(sources)} but not in it; "
            "copy the number from the generated file (or rebuild it) instead of typing it"
        )


def test_the_pages_that_quote_the_published_grid_are_fenced():
    """The passages that quote the published full-depth grid are checked, not just trusted."""
    fenced = {
        page.name: [s for sources, _ in fenced_passages(page.read_text()) for s in sources]
        for page in PAGES
    }
    assert "published/full-cpu/geometry/geometry.md" in fenced["findings.md"]
    assert "docs/results.md" in fenced["results-full-cpu.md"]
