"""params -> cells -> paths: the one place where the experiment grid and file names are made.

A *cell* is one trained model: ``(task, encoder, method, sources, target, seed)``. ``task`` is
``ote``, ``mldoc`` or ``cls-<domain>`` (Webis-CLS-10 is run per domain). A plain (``none``)
cell never sees the target language while training, so it is trained once per task x encoder
x seed with target ``all`` and evaluated on every target; an IW cell is trained per target.
The Snakefile, the CLI and the tests all call these functions, so a path is never assembled
by hand in two places.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zsiw.tasks import TASK_GROUPS

PLAIN = "none"
ALL_TARGETS = "all"
RESULTS_DIR = "results"


def encoder_slug(name: str) -> str:
    """A file-system-safe, reversible form of a Hugging Face model name."""
    return name.replace("/", "--")


def encoder_name(slug: str) -> str:
    """Inverse of :func:`encoder_slug`."""
    return slug.replace("--", "/")


def task_group(task: str) -> str:
    """``cls-books`` -> ``cls``; ``ote`` -> ``ote``."""
    return task.split("-", 1)[0]


def task_domain(task: str) -> str | None:
    """``cls-books`` -> ``books``; tasks without a domain -> None."""
    parts = task.split("-", 1)
    return parts[1] if len(parts) == 2 else None


@dataclass(frozen=True, order=True)
class Cell:
    """One trained model of the grid."""

    task: str
    encoder: str
    method: str
    sources: tuple[str, ...]
    target: str
    seed: int

    @property
    def sources_label(self) -> str:
        return "+".join(self.sources)

    @property
    def multi_source(self) -> bool:
        return len(self.sources) > 1

    @property
    def run_dir(self) -> Path:
        return Path(
            RESULTS_DIR,
            "runs",
            self.task,
            encoder_slug(self.encoder),
            self.method,
            f"{self.sources_label}-{self.target}",
            f"seed{self.seed}",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "task_group": task_group(self.task),
            "domain": task_domain(self.task),
            "encoder": self.encoder,
            "method": self.method,
            "sources": self.sources_label,
            "multi_source": self.multi_source,
            "target": self.target,
            "seed": self.seed,
        }


def cell_from_wildcards(
    task: str, encoder: str, method: str, sources: str, target: str, seed: str | int
) -> Cell:
    """Rebuild a cell from the wildcards of its run directory (encoder given as its slug)."""
    return Cell(task, encoder_name(encoder), method, tuple(sources.split("+")), target, int(seed))


def tasks(config: dict) -> list[str]:
    """Enabled task instances, e.g. ``["ote", "mldoc", "cls-books", "cls-dvd", ...]``."""
    out = []
    for group in TASK_GROUPS:
        spec = config["tasks"].get(group)
        if not spec or not spec.get("enabled", True):
            continue
        if group == "cls":
            out += [f"cls-{domain}" for domain in spec["domains"]]
        else:
            out.append(group)
    return out


def task_spec(config: dict, task: str) -> dict:
    return config["tasks"][task_group(task)]


def targets(config: dict, task: str) -> list[str]:
    return list(task_spec(config, task)["targets"])


def multi_source_languages(config: dict, task: str, target: str) -> tuple[str, ...]:
    """The union of all other languages of the task's multi-source list (paper Sec. 4)."""
    langs = task_spec(config, task)["multi_source"]["languages"]
    return tuple(lang for lang in langs if lang != target)


def cells(config: dict) -> list[Cell]:
    """Every trained model the params ask for, plain cells once per task x encoder x seed."""
    src = config["source_lang"]
    out: set[Cell] = set()
    for task in tasks(config):
        spec = task_spec(config, task)
        for encoder in config["encoders"]:
            for method in config["methods"]:
                for seed in config["seeds"]:
                    if method == PLAIN:
                        out.add(Cell(task, encoder, method, (src,), ALL_TARGETS, seed))
                    else:
                        for tgt in spec["targets"]:
                            out.add(Cell(task, encoder, method, (src,), tgt, seed))
        ablation = config.get("ablation") or {}
        if ablation.get("enabled") and task in ablation.get("tasks", []):
            for encoder in config["encoders"]:
                for method in ablation["methods"]:
                    for seed in config["seeds"]:
                        for tgt in spec["targets"]:
                            out.add(Cell(task, encoder, method, (src,), tgt, seed))
        multi = spec.get("multi_source") or {}
        if multi.get("enabled"):
            for encoder in multi["encoders"]:
                for method in multi["methods"]:
                    for seed in multi.get("seeds") or config["seeds"]:
                        for tgt in spec["targets"]:
                            srcs = multi_source_languages(config, task, tgt)
                            out.add(Cell(task, encoder, method, srcs, tgt, seed))
    return sorted(out)


def study_cells(config: dict) -> list[Cell]:
    """The IW study grid (`snakemake study_iw`): plain and every study method, paired seeds."""
    study = config.get("study") or {}
    src = config["source_lang"]
    out: set[Cell] = set()
    for task in study.get("tasks", []):
        for encoder in config["encoders"]:
            for seed in study["seeds"]:
                out.add(Cell(task, encoder, PLAIN, (src,), ALL_TARGETS, seed))
                for method in study["methods"]:
                    for tgt in targets(config, task):
                        out.add(Cell(task, encoder, method, (src,), tgt, seed))
    return sorted(out)


def eval_langs(config: dict, cell: Cell) -> list[str]:
    """Languages a cell is tested on: a plain cell on the source and every target."""
    if cell.target == ALL_TARGETS:
        return [config["source_lang"], *targets(config, cell.task)]
    return [cell.target]


def task_langs(config: dict, task: str) -> list[str]:
    """Every language whose data a task needs (sources, targets, multi-source languages)."""
    spec = task_spec(config, task)
    langs = [config["source_lang"], *spec["targets"]]
    multi = spec.get("multi_source") or {}
    if multi.get("enabled"):
        langs += multi["languages"]
    return list(dict.fromkeys(langs))


def data_langs(config: dict, task: str) -> list[str]:
    """Languages whose data is parsed: those the cells need plus ``extra_langs`` (e.g.
    SemEval French, which the paper could not download and no cell uses by default)."""
    extra = task_spec(config, task).get("extra_langs") or []
    return list(dict.fromkeys([*task_langs(config, task), *extra]))


def encoders_used(config: dict) -> list[str]:
    return sorted({cell.encoder for cell in cells(config)})


# ---------------------------------------------------------------- paths


def raw_dir(config: dict, dataset: str) -> Path:
    return Path(config["data"]["raw_dir"], dataset)


def processed_dir(config: dict, task: str, lang: str) -> Path:
    """The normalised Hugging Face dataset of one task x language."""
    return Path(config["data"]["processed_dir"], task, lang, "dataset")


def processed_stats(config: dict, task: str, lang: str) -> Path:
    """Parser counts (sentences, spans, dropped items and why) for DVC to track."""
    return Path(config["data"]["processed_dir"], task, lang, "stats.json")


def features_dir(config: dict, encoder: str, task: str, lang: str) -> Path:
    return Path(config["data"]["features_dir"], encoder_slug(encoder), task, lang)


def model_dir(config: dict, encoder: str) -> Path:
    return Path(config["data"]["models_dir"], encoder_slug(encoder))


def manifest_of(directory: Path) -> Path:
    """The small manifest file written next to a directory output (see zsiw.manifest)."""
    return directory.with_name(directory.name + ".manifest.json")


def train_log_path(cell: Cell) -> Path:
    """The job log of a cell's training job, laid out like its run directory."""
    rel = cell.run_dir.relative_to(Path(RESULTS_DIR, "runs"))
    return Path("logs", "train", *rel.parts[:-1], f"{rel.parts[-1]}.log")


def metrics_path(cell: Cell) -> Path:
    """Test metrics of one cell on every language it is tested on."""
    return cell.run_dir / "metrics.json"


def train_settings(config: dict, task: str) -> dict:
    """Global ``train`` settings with the task's own ``train`` overrides applied."""
    merged = copy.deepcopy(config["train"])
    merged.update(task_spec(config, task).get("train") or {})
    return merged


def cell_train_settings(config: dict, task: str, method: str) -> dict:
    """The settings one training job is given, checked by `zsiw.settings.TrainSettings`
    (an unknown or ill-typed key fails here, before any job starts).

    A plain run's omit the IW-only keys, so that changing one of them (say the target batch
    size) retrains the IW cells and leaves the plain models alone (Snakemake's params trigger
    compares exactly these settings); the CLI fills the defaults back in."""
    from zsiw.settings import IW_ONLY, TrainSettings

    settings = train_settings(config, task)
    if method == PLAIN:
        for key in IW_ONLY:
            settings.pop(key, None)
    data = config.get("data", {})
    settings["dev_fraction"] = data.get("dev_fraction", 0.1)
    if method != PLAIN and data.get("cls_unlabeled_pool") and task_group(task) == "cls":
        settings["target_split"] = "unlabeled"
    TrainSettings.from_dict(settings, where=f"train settings of {task}/{method}")
    return settings


def all_metrics_paths(config: dict) -> list[Path]:
    return [metrics_path(cell) for cell in cells(config)]


def case_study_cell(config: dict) -> Cell | None:
    """The run whose logged batch becomes Table 5, if the grid contains it."""
    spec = config.get("tables", {}).get("case_study")
    if not spec:
        return None
    wanted = Cell(
        spec["task"],
        spec["encoder"],
        spec["method"],
        (config["source_lang"],),
        spec["target"],
        int(spec["seed"]),
    )
    return wanted if wanted in set(cells(config)) else None


#: Groups of cells in the order a long grid is trained (`zsiw plan --phase`): the paper's main
#: table first, so that an interrupted grid has lost the least important results.
PHASES = ("table1", "table4", "study", "table3")


def phase_cells(config: dict, phase: str) -> list[Cell]:
    """The cells of one phase: ``table1`` single-source OTE, ``table4`` multi-source,
    ``study`` the study's cells that the main grid lacks, ``table3`` classification
    (Webis-CLS-10 / MLDoc, Table 5's case-study cell included)."""
    main = cells(config)
    if phase == "table1":
        return [c for c in main if task_group(c.task) == "ote" and not c.multi_source]
    if phase == "table4":
        return [c for c in main if c.multi_source]
    if phase == "study":
        return [c for c in study_cells(config) if c not in set(main)]
    if phase == "table3":
        return [c for c in main if task_group(c.task) != "ote" and not c.multi_source]
    raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")


# ---------------------------------------------------------------- published grids


def published_dir(root: str | Path, cell: Cell) -> Path:
    """Where a cell's files live in a published tree (``zsiw publish``): the layout of
    ``results/runs`` under ``root``."""
    return Path(root) / cell.run_dir.relative_to(RESULTS_DIR)


def cell_dir(config: dict, cell: Cell) -> Path:
    """Where the report reads a cell's files: its run directory, or with ``published`` set
    its copy in that published tree (nothing is trained then)."""
    root = config.get("published")
    return published_dir(root, cell) if root else cell.run_dir


def runs_root(config: dict) -> Path:
    """The folder that holds every cell's run directory (see `cell_dir`)."""
    root = config.get("published")
    return Path(root, "runs") if root else Path(RESULTS_DIR, "runs")


def is_published(root: str | Path, cell: Cell) -> bool:
    """``zsiw publish`` writes a cell's ``provenance.json`` last, in one rename with the rest."""
    return (published_dir(root, cell) / "provenance.json").is_file()


def report_cells(config: dict) -> list[Cell]:
    """The cells the report is built from: every cell of the grid, or with ``published`` set
    those the published tree holds (a grid still being trained is reported as far as it got;
    the results page names the cells it lacks)."""
    root = config.get("published")
    return [c for c in cells(config) if not root or is_published(root, c)]
