"""Error types shared by the raw-data readers.

A dedicated subclass of ``ValueError`` lets callers (and tests) tell "the raw file is broken"
apart from programming errors, while still behaving like the ``ValueError`` users expect.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


class DataFormatError(ValueError):
    """A raw data file is malformed; the message names the file, the location and the fault."""


def load_xml(path: Path, kind: str) -> ET.Element:
    """Parse an XML file; missing, empty, malformed or truncated files raise an error that
    names the file (and the line and column of the fault)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {kind} file not found")
    if not path.read_bytes().strip():
        raise DataFormatError(f"{path}: file is empty")
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, col = exc.position
        raise DataFormatError(
            f"{path}: malformed or truncated XML at line {line}, column {col}: {exc}"
        ) from exc
