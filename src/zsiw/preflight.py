"""Before any job: can every data set and encoder the grid needs be had?

Without this a run whose data are missing fails job by job, hours apart on a cluster. The
Snakefile calls `check` once when it is parsed by the main Snakemake process (dry runs
included, never inside a cluster job), so `snakemake -n` already names everything that is
missing, where it is expected and how to get it, in one message.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable
from pathlib import Path

from zsiw import plan
from zsiw.models import DEMO_PREFIX, TEST_PREFIX
from zsiw.tasks import DATASET_OF_GROUP

#: What each data set is, and where docs/data.md says how to obtain it.
DATASETS = {
    "semeval2016": (
        "SemEval-2016 Task 5 (restaurants)",
        "docs/data.md, section 1 'SemEval-2016 Task 5' and 'Obtaining raw data'",
    ),
    "webis-cls-10": (
        "Webis-CLS-10 (Amazon reviews)",
        "docs/data.md, section 2 'Webis-CLS-10' and 'Obtaining raw data'",
    ),
    "mldoc": (
        "MLDoc (Reuters RCV1/RCV2, generated with facebookresearch/MLDoc)",
        "docs/data.md, section 3 'MLDoc' and 'Obtaining raw data'",
    ),
}
HUB = ("huggingface.co", 443)


class PreflightError(RuntimeError):
    """Something the grid needs cannot be had; the message lists all of it."""


@functools.cache
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers (``HF_HUB_OFFLINE=1`` means no)."""
    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True"):
        return False
    try:
        socket.create_connection(HUB, timeout=timeout).close()
    except OSError:
        return False
    return True


def missing_data(config: dict) -> list[str]:
    """One line per data set the grid needs but cannot obtain (real mode only)."""
    if config["data"].get("mode", "real") != "real":
        return []
    needed = sorted({DATASET_OF_GROUP[plan.task_group(t)] for t in plan.tasks(config)})
    problems = []
    for dataset in needed:
        if plan.manifest_of(plan.raw_dir(config, dataset)).exists():
            continue  # obtained before
        source = config["data"].get("sources", {}).get(dataset) or {}
        what, how = DATASETS[dataset]
        key = f"data.sources.{dataset}"
        if "url" in source:
            continue  # downloaded by its obtain job
        if "path" not in source:
            problems.append(f"{what}: no source set ({key} in params.yaml); see {how}")
        elif not Path(source["path"]).exists():
            problems.append(
                f"{what}: expected at {source['path']} ({key}.path), which does not exist; "
                f"see {how}"
            )
    return problems


def missing_encoders(config: dict, reachable: Callable[[], bool] = hub_reachable) -> list[str]:
    """One line per encoder that is neither in data/models nor downloadable now."""
    problems = []
    for name in plan.encoders_used(config):
        if name.startswith((DEMO_PREFIX, TEST_PREFIX)):
            continue  # built locally
        local = plan.model_dir(config, name)
        if (local / "config.json").exists() or reachable():
            continue
        problems.append(
            f"encoder {name}: not in {local} and the Hugging Face hub is not reachable; on a "
            f"machine with network run `snakemake --cores 1 encoders_all` (or copy a snapshot "
            f"with config.json, weights and tokenizer to {local})"
        )
    return problems


def check(config: dict, reachable: Callable[[], bool] = hub_reachable) -> None:
    """Raise `PreflightError` naming every missing data set and encoder at once."""
    problems = missing_data(config) + missing_encoders(config, reachable)
    if problems:
        lines = "\n".join(f"  * {p}" for p in problems)
        raise PreflightError(
            f"zsiw preflight: {len(problems)} input(s) of this grid cannot be had, so no job "
            f"was started:\n{lines}\n(`preflight: false` in params, or `--config preflight=False`, "
            "skips this check.)"
        )
