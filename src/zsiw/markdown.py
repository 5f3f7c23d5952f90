"""Markdown tables of the generated pages, written by one function so that every page has the
same shape and escapes its cells the same way.

Not `pandas.DataFrame.to_markdown`: it needs `tabulate` (not otherwise a dependency) and pads
every column to its widest cell, so that one changed number re-aligns, and rewrites, every
line of a committed page; here a changed number changes its own line only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def escape(text: Any) -> str:
    """A cell's text with the characters that would break a Markdown table row escaped."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table: the header, the rule, one line per row."""
    lines = [
        "| " + " | ".join(escape(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return lines


def count(n: int, noun: str, plural: str = "") -> str:
    """``n`` and the noun, singular for one: "1 cell", "3 cells", "2 losses"."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
