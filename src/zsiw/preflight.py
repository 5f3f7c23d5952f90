"""Before any job: can the data sets and encoders that the jobs about to run need be had?

Without this a run whose data are missing fails job by job, hours apart on a cluster. Two
moments, both in the main Snakemake process (never inside a cluster job):

* when the Snakefile is parsed, `warn` names every input of the whole grid that cannot be had
  now, where it is expected and how to get it, and lets the command go on: a dry run still
  shows the plan, and ``--lint``, ``--touch`` (results pulled from a DVC remote),
  ``--report`` and targets that need no data (``encoders_all``) work on a clone without the
  benchmarks;
* just before the first job (`check_jobs`, from the workflow's ``onstart``), the run stops,
  having started nothing, if a job it is about to run would need one of them: only the
  ``obtain_raw`` and ``fetch_encoder`` jobs that will actually run are checked.

``zsiw preflight`` is the strict whole-grid check, for a runbook.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable, Iterable
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


def missing_data(config: dict, datasets: Iterable[str] | None = None) -> list[str]:
    """One line per data set (of ``datasets``; default: every one the grid uses) that is
    needed but cannot be obtained (real mode only)."""
    if config["data"].get("mode", "real") != "real":
        return []
    if datasets is None:
        datasets = {DATASET_OF_GROUP[plan.task_group(t)] for t in plan.tasks(config)}
    problems = []
    for dataset in sorted(datasets):
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


def missing_encoders(
    config: dict,
    reachable: Callable[[], bool] = hub_reachable,
    encoders: Iterable[str] | None = None,
) -> list[str]:
    """One line per encoder (of ``encoders``; default: every one the grid trains) that is
    neither in data/models nor downloadable now."""
    problems = []
    for name in sorted(plan.encoders_used(config) if encoders is None else set(encoders)):
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


def _message(problems: list[str], consequence: str) -> str:
    lines = "\n".join(f"  * {p}" for p in problems)
    return (
        f"zsiw preflight: {len(problems)} input(s) of this grid cannot be had{consequence}:\n"
        f"{lines}\n(`preflight: false` in params, or `--config preflight=False`, skips this "
        "check.)"
    )


def check(config: dict, reachable: Callable[[], bool] = hub_reachable) -> None:
    """Raise `PreflightError` naming every missing data set and encoder of the whole grid."""
    problems = missing_data(config) + missing_encoders(config, reachable)
    if problems:
        raise PreflightError(_message(problems, ", so no job was started"))


def warn(config: dict, reachable: Callable[[], bool] = hub_reachable) -> str | None:
    """The whole grid's missing inputs as a warning (None when nothing is missing)."""
    problems = missing_data(config) + missing_encoders(config, reachable)
    if not problems:
        return None
    return _message(
        problems,
        " now; a run stops before its first job if any job it is about to run needs one",
    )


def needed_by_jobs(jobs: Iterable[tuple[str, dict]]) -> tuple[set[str], set[str]]:
    """Data sets and encoders that these (rule name, wildcards) jobs would obtain."""
    datasets, encoders = set(), set()
    for rule, wildcards in jobs:
        if rule == "obtain_raw":
            datasets.add(wildcards["dataset"])
        elif rule == "fetch_encoder":
            encoders.add(plan.encoder_name(wildcards["encoder"]))
    return datasets, encoders


def check_jobs(
    config: dict,
    jobs: Iterable[tuple[str, dict]],
    reachable: Callable[[], bool] = hub_reachable,
) -> None:
    """Raise `PreflightError` if a job about to run needs an input that cannot be had."""
    datasets, encoders = needed_by_jobs(jobs)
    problems = missing_data(config, datasets) if datasets else []
    problems += missing_encoders(config, reachable, encoders) if encoders else []
    if problems:
        raise PreflightError(_message(problems, ", so no job was started"))
