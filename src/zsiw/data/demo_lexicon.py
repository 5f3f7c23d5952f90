"""The lexicons and templates behind the synthetic demo data (``demo.py``).

They are data, so they live in ``demo_lexicon.yaml`` next to this module (reviewed as data,
like the paper's numbers); this module only loads them. The same meanings are expressed in
every language, so a multilingual encoder trained on English transfers to the others. The
YAML's header documents the template slots and entry layouts.
"""

from __future__ import annotations

from importlib.resources import files

import yaml

#: An adjective: one form, or one form per gender initial.
Adj = str | dict[str, str]

_DATA = yaml.safe_load(files("zsiw.data").joinpath("demo_lexicon.yaml").read_text("utf-8"))

OTE: dict[str, dict] = _DATA["OTE"]
CLS: dict[str, dict] = _DATA["CLS"]
CLS_META: dict[str, dict] = _DATA["CLS_META"]
ORGS: list[str] = _DATA["ORGS"]
PLACES: list[str] = _DATA["PLACES"]
MLDOC: dict[str, dict[str, list[str]]] = _DATA["MLDOC"]
