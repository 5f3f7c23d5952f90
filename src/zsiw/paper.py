"""The numbers Li et al. print in Tables 1-5, for comparing a reproduction against them.

The values live in ``paper_results.yaml`` (package data) so that they are reviewed as data,
checked against the paper text by ``tests/test_paper_results.py``, and shared by the report
code and anyone comparing runs by hand.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zsiw import plan

__all__ = [
    "ENCODER_ALIASES",
    "canonical_encoder",
    "load_paper_results",
    "paper_baselines",
    "paper_table",
    "paper_value",
]

#: Short names the paper uses, and common Hub aliases, mapped to the names the pipeline logs.
ENCODER_ALIASES: dict[str, str] = {
    "mbert": "bert-base-multilingual-cased",
    "bert-base-multilingual-cased": "bert-base-multilingual-cased",
    "google-bert/bert-base-multilingual-cased": "bert-base-multilingual-cased",
    "xlmr": "xlm-roberta-base",
    "xlm-r": "xlm-roberta-base",
    "xlm-roberta-base": "xlm-roberta-base",
    "facebookai/xlm-roberta-base": "xlm-roberta-base",
}

#: The paper's names of its encoders, as its tables print them.
#: The paper's source language (English). Report functions default to it; a grid sets its own
#: in params.yaml (`source_lang`), which the workflow passes on.
SOURCE_LANG = "en"

PAPER_LABELS: dict[str, str] = {"bert-base-multilingual-cased": "mBERT", "xlm-roberta-base": "XLMR"}


def paper_label(encoder: str) -> str | None:
    """mBERT / XLMR for the paper's encoders (any alias, or a path ending in one), else None."""
    for name in (encoder, encoder.rsplit("/", 1)[-1]):
        label = PAPER_LABELS.get(canonical_encoder(name))
        if label:
            return label
    return None


# The paper's "+IW" rows use the cosine scoring function only (Section 2.2).
_METHOD_ALIASES: dict[str, str] = {"iw": "cosine", "+iw": "cosine"}
# Ways of asking for Table 3's cell, which averages over the target languages.
_MEAN_TARGETS = (None, "mean", "avg", "all")


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    text = resources.files("zsiw").joinpath("paper_results.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "tables" not in data:
        raise ValueError("paper_results.yaml has no 'tables' mapping")
    return data


def load_paper_results() -> dict[str, Any]:
    """Return a fresh copy of ``paper_results.yaml`` (callers may mutate it safely)."""
    return copy.deepcopy(_load())


def canonical_encoder(name: str) -> str:
    """Map ``mBERT``/``XLMR``/Hub aliases to the pipeline's encoder name; others unchanged."""
    return ENCODER_ALIASES.get(name.strip().lower(), name.strip())


def paper_table(number: int) -> dict[str, Any]:
    """Return a copy of Table ``number`` (1-4) as stored in the YAML."""
    key = f"table{number}"
    tables = _load()["tables"]
    if key not in tables:
        raise KeyError(f"the paper has no results table {number}")
    return copy.deepcopy(tables[key])


def paper_baselines(task_group: str) -> list[dict[str, Any]]:
    """Return the other systems the paper reports for ``task_group`` (single-source tables)."""
    for table in _load()["tables"].values():
        if table["task_group"] == task_group and table["number"] != 4:
            return copy.deepcopy(table["baselines"])
    return []


def _split_task(task_group: str, domain: str | None) -> tuple[str, str | None]:
    # Accept the per-domain task names the pipeline uses ("cls-books") as well.
    task_domain = plan.task_domain(task_group)
    if task_domain is not None:
        if domain is not None and domain != task_domain:
            raise ValueError(f"task {task_group!r} conflicts with domain={domain!r}")
        return plan.task_group(task_group), task_domain
    return task_group, domain


def paper_value(
    task_group: str,
    encoder: str,
    method: str,
    target: str | None,
    *,
    domain: str | None = None,
    multi_source: bool = False,
) -> float | None:
    """Return the paper's score for one cell, or ``None`` where it prints none.

    ``task_group`` is ``ote``/``mldoc``/``cls`` (``cls-books`` etc. also work); ``encoder`` a
    pipeline name or ``mBERT``/``XLMR``; ``method`` ``none`` or ``cosine`` (``iw`` is an alias;
    the paper reports no ``euclidean``/``coral`` numbers). For ``cls`` the paper only prints
    the mean over de/fr/ja per domain: pass ``target=None`` (or ``"mean"``) with ``domain``,
    or the domain as ``target``; a single language gives ``None``. ``multi_source=True``
    reads Table 4's Multi-source row.
    """
    group, dom = _split_task(task_group, domain)
    enc = canonical_encoder(encoder)
    meth = _METHOD_ALIASES.get(method.lower(), method.lower())
    column: str | None
    for table in _load()["tables"].values():
        if table["task_group"] != group:
            continue
        if table["column_kind"] == "domain":
            if dom is None and target in table["columns"]:
                dom, target = target, None
            if dom is None or target not in _MEAN_TARGETS:
                return None
            column = dom
        else:
            column = target
        for row in table["rows"]:
            if (
                row["encoder"] == enc
                and row["method"] == meth
                and bool(row["multi_source"]) == multi_source
            ):
                value = row["scores"].get(column)
                return None if value is None else float(value)
    return None
