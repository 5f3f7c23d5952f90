"""The transcribed paper numbers must match the paper text, both ways, and look up right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zsiw.paper import load_paper_results, paper_baselines, paper_table, paper_value

PAPER_TXT = Path(__file__).resolve().parents[2] / "shared" / "paper" / "zsiw-paper.txt"
MBERT, XLMR = "bert-base-multilingual-cased", "xlm-roberta-base"

_NUM = r"(?:\d\.\d+|-)"
_ROW_RE = re.compile(rf"^(?P<name>.+?)\s+(?P<nums>{_NUM}(?:\s+{_NUM})+)\s*$")
_CAPTION_RE = re.compile(r"^Table (\d):")


def _parse_paper_tables(text: str) -> dict[int, dict]:
    """Tables 1-4 as {number: {"columns": [...], "rows": {name: [str|None, ...]}}}.

    A table starts at a ``Method ...`` header line and ends at its ``Table N:`` caption;
    numbers are kept as printed strings ("-" becomes None).
    """
    tables: dict[int, dict] = {}
    current: dict | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Method "):
            current = {"columns": [c.lower() for c in line.split()[1:]], "rows": {}}
            continue
        if current is None:
            continue
        caption = _CAPTION_RE.match(line)
        if caption:
            tables[int(caption.group(1))] = current
            current = None
            continue
        match = _ROW_RE.match(line)
        if match:
            nums = [None if n == "-" else n for n in match.group("nums").split()]
            assert len(nums) == len(current["columns"]), line
            current["rows"][match.group("name")] = nums
    return tables


def _clean_name(printed: str) -> tuple[str, bool]:
    """Drop the paper's 'H' (supervised) marker: "UMMH (Xu and Wan, 2017)", "... (2018) H".

    No cited name contains another capital H, so its presence is the marker.
    """
    return " ".join(printed.replace("H", " ").split()), "H" in printed


@pytest.fixture(scope="module")
def paper_tables() -> dict[int, dict]:
    if not PAPER_TXT.is_file():
        pytest.skip(f"paper text not found at {PAPER_TXT}")
    tables = _parse_paper_tables(PAPER_TXT.read_text(encoding="utf-8"))
    assert sorted(tables) == [1, 2, 3, 4]
    return tables


def _yaml_rows(number: int) -> dict[str, tuple[dict, bool | None]]:
    """{name as printed minus marker: (scores, supervised or None for our rows)}."""
    table = paper_table(number)
    rows = {b["name"]: (b["scores"], bool(b["supervised"])) for b in table["baselines"]}
    rows.update({r["label"]: (r["scores"], None) for r in table["rows"]})
    return rows


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_yaml_matches_paper_both_ways(paper_tables: dict[int, dict], number: int) -> None:
    printed = paper_tables[number]
    table = paper_table(number)
    assert table["columns"] == printed["columns"]
    yaml_rows = _yaml_rows(number)
    paper_rows = {}
    for raw_name, nums in printed["rows"].items():
        name, supervised = _clean_name(raw_name)
        paper_rows[name] = (nums, supervised)
    # Every printed row is transcribed, and nothing else is.
    assert set(yaml_rows) == set(paper_rows)
    for name, (nums, supervised) in paper_rows.items():
        scores, yaml_supervised = yaml_rows[name]
        if yaml_supervised is not None:
            assert yaml_supervised == supervised, name
        else:
            assert not supervised, name
        assert list(scores) == printed["columns"], name
        for column, text in zip(printed["columns"], nums, strict=True):
            value = scores[column]
            if text is None:
                assert value is None, (name, column)
            else:
                assert value is not None and float(value) == float(text), (name, column, text)
                # The paper prints the table's precision; the YAML says which.
                assert len(text.split(".")[1]) == table["decimals"], (name, column, text)


def test_case_study_scores_are_in_the_paper() -> None:
    case = load_paper_results()["case_study"]
    assert [s["score"] for s in case["sources"]] == [0.5056, 0.3647]
    assert [s["label"] for s in case["sources"]] == ["Pos", "Neg"]
    if PAPER_TXT.is_file():
        text = PAPER_TXT.read_text(encoding="utf-8")
        assert "0.5056 ...I liked the book." in text
        assert "0.3647 One start" in text


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("ote", XLMR, "cosine", "ru"), {}, 0.706),
        (("ote", "XLMR", "iw", "ru"), {}, 0.706),
        (("ote", MBERT, "none", "tr"), {}, 0.598),
        (("ote", XLMR, "cosine", "ru"), {"multi_source": True}, 0.745),
        (("ote", XLMR, "cosine", "tr"), {"multi_source": True}, 0.688),
        (("mldoc", MBERT, "none", "en"), {}, 0.8981),
        (("mldoc", XLMR, "cosine", "zh"), {}, 0.8712),
        (("cls", XLMR, "none", None), {"domain": "books"}, 0.8248),
        (("cls", XLMR, "none", "books"), {}, 0.8248),
        (("cls-music", MBERT, "cosine", "mean"), {}, 0.7553),
        (("cls", "xlm-roberta-base", "cosine", None), {"domain": "dvd"}, 0.8362),
    ],
)
def test_paper_value_known_cells(args: tuple, kwargs: dict, expected: float) -> None:
    assert paper_value(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("mldoc", MBERT, "cosine", "en"), {}),  # printed "-"
        (("ote", XLMR, "euclidean", "es"), {}),  # the paper reports cosine only
        (("ote", MBERT, "cosine", "es"), {"multi_source": True}),  # Table 4 is XLMR only
        (("ote", XLMR, "none", "es"), {"multi_source": True}),
        (("ote", XLMR, "none", "fr"), {}),  # no French SemEval data
        (("cls", XLMR, "none", "de"), {"domain": "books"}),  # only 3-language means
        (("ote", "zsiw-demo/multilingual-e5-small", "none", "es"), {}),
    ],
)
def test_paper_value_missing_cells(args: tuple, kwargs: dict) -> None:
    assert paper_value(*args, **kwargs) is None


def test_table4_repeats_table1_and_text_claims_hold() -> None:
    t1 = {r["label"]: r["scores"] for r in paper_table(1)["rows"]}
    t4 = {r["label"]: r["scores"] for r in paper_table(4)["rows"]}
    assert t4["XLMR"] == t1["XLMR"]
    assert t4["Single-source"] == t1["XLMR+IW"]
    # "beats the best baseline by 4.65% on average" (Agerri and Rigau) ...
    agerri = next(b for b in paper_baselines("ote") if b["name"].startswith("Agerri"))
    gain = sum(t1["XLMR+IW"].values()) / 4 - sum(agerri["scores"].values()) / 4
    assert round(gain, 4) == 0.0465
    # ... "improving from XLMR by 4% on Russian"; multi-source: "8.1% improvement on Russian".
    assert round(t1["XLMR+IW"]["ru"] - t1["XLMR"]["ru"], 3) == 0.042
    assert round(t4["Multi-source"]["ru"] - t4["XLMR"]["ru"], 3) == 0.081


def test_loader_returns_independent_copies() -> None:
    first = load_paper_results()
    first["tables"]["table1"]["rows"][0]["scores"]["es"] = 0.0
    assert load_paper_results()["tables"]["table1"]["rows"][0]["scores"]["es"] == 0.697
    assert load_paper_results()["encoders"] == {"mBERT": MBERT, "XLMR": XLMR}
