"""Numbers that hand-written pages quote from generated files are the generated numbers.

A hand-written page (``docs/findings.md``, ``docs/results-full-cpu.md``) keeps its reasoning
but must not drift from the files the workflow generates. A passage that quotes them is
fenced by ``<!-- numbers from: FILE [FILE …] -->`` … ``<!-- /numbers -->``; every decimal
number in it (outside code spans, sign ignored) must appear, written the same way, in one
of the named files (paths relative to the repository). Retyping, rounding differently or a
stale number after the grid grows fails here.

The first full-depth run's page (``docs/results-full-cpu-first.md``) quotes a run whose files
are lost; its tables are checked against the per-seed record kept for it instead.
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


FIRST_RUN_PAGE = REPO / "docs/results-full-cpu-first.md"
FIRST_RUN_RECORD = REPO / "docs/results-full-cpu-first.yaml"
SECTION_TASKS = {"Table 1": "ote", "Table 3": "cls-books", "Table 4": "ote"}


def _value(text: str) -> float:
    return float(text.replace("−", "-").replace("*", "").strip())


def _mean_std(text: str) -> tuple[float, float]:
    mean, std = text.replace("*", "").split("±")
    return _value(mean), _value(std)


def _agrees(printed: tuple[float, float], values: list[float]) -> bool:
    """A printed mean ± sample std against the per-seed values it summarises: equal up to
    the rounding of the printed numbers and of the per-seed scores (4 decimals each)."""
    import statistics

    mean, std = statistics.mean(values), statistics.stdev(values)
    return abs(printed[0] - mean) <= 1.5e-4 and abs(printed[1] - std) <= 1.5e-4


def test_the_first_runs_page_agrees_with_its_per_seed_record():
    """The first full-depth run's files are lost; its page keeps tables copied by hand and
    its record (the YAML) the per-seed scores. Every per-seed score in the page's tables is
    the record's, and every mean ± std and paired difference follows from those scores: a
    retyped or miscomputed number fails here."""
    import yaml

    record = {
        (c["task"], c["method"], c["multi_source"], c["target"]): c["seeds"]
        for c in yaml.safe_load(FIRST_RUN_RECORD.read_text())["cells"]
    }

    def seeds(task, method, target, multi=False):
        if target == "mean":  # the paper's CLS row: per seed, the mean over the targets
            per_target = [v for (t, m, ms, _), v in record.items() if (t, m) == (task, method)]
            return [sum(col) / len(col) for col in zip(*per_target)]
        return record[(task, method, multi, target)]

    checked = 0
    for section in re.split(r"^## ", FIRST_RUN_PAGE.read_text(), flags=re.M):
        task = next((t for name, t in SECTION_TASKS.items() if section.startswith(name)), None)
        if task is None:
            continue
        for line in section.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.strip().startswith("|") or cells[0] in ("target", "instance"):
                continue
            if cells[0].startswith("---") or len(cells) < 5:
                continue
            target = cells[0].replace("*", "")
            if section.startswith("Table 4"):  # multi-source: seed 1 / 2 / 3 columns
                multi = [_value(v) for v in cells[2].split("/")]
                single = [_value(v) for v in cells[4].split("/")]
                plain = [_value(v) for v in cells[5].split("/")]
                gain = [_value(v) for v in cells[6].split("/")]
                assert multi == seeds(task, "cosine", target, multi=True), line
                assert single == seeds(task, "cosine", target), line
                assert plain == seeds(task, "none", target), line
                assert gain == pytest.approx([m - s for m, s in zip(multi, single)], abs=1e-9)
                assert _agrees(_mean_std(cells[3]), multi), line
            elif cells[1] in ("plain", "cosine IW"):  # scores: seed 1, 2, 3, mean ± std
                method = "none" if cells[1] == "plain" else "cosine"
                printed = [_value(v) for v in cells[2:5]]
                assert printed == pytest.approx(seeds(task, method, target), abs=5e-5), line
                assert _agrees(_mean_std(cells[5]), seeds(task, method, target)), line
            else:  # paired IW − plain: seed 1, 2, 3, mean ± std
                deltas = [
                    i - p
                    for i, p in zip(seeds(task, "cosine", target), seeds(task, "none", target))
                ]
                printed = [_value(v) for v in cells[1:4]]
                assert printed == pytest.approx(deltas, abs=1e-4), line
                assert _agrees(_mean_std(cells[4]), deltas), line
            checked += 1
    # Table 1: 8 score rows, 4 differences; Table 3: 6 + 2 means, 3 + 1 mean; Table 4: 4 rows
    assert checked == 12 + 12 + 4
