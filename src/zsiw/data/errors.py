"""Error types shared by the raw-data readers.

A dedicated subclass of ``ValueError`` lets callers (and tests) tell "the raw file is broken"
apart from programming errors, while still behaving like the ``ValueError`` users expect.
"""

from __future__ import annotations


class DataFormatError(ValueError):
    """A raw data file is malformed; the message names the file, the location and the fault."""
