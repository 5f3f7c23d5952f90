"""Choose the learning rate (and number of epochs) on the source dev set only.

Zero-shot means no target label may influence any choice, so the choice is made with plain
fine-tuning on the source language: one plain run per learning rate, and the source-dev score
after every epoch (``train.json``'s ``source_dev_history``). The runs use the preset's own
settings and features, so a chosen value carries over to the grid unchanged. Note that the
score after epoch ``k`` of an ``E``-epoch run is not the score of a ``k``-epoch run (the
linear schedule decays over ``E`` epochs); a preset that picks fewer epochs than it tried
says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from zsiw import plan
from zsiw.markdown import table as markdown_table


def tune_plain(
    config: dict,
    task: str,
    lrs: Sequence[float],
    *,
    out_root: Path,
    epochs: int | None = None,
    seed: int = 1,
    encoder: str | None = None,
) -> list[dict]:
    """Train one plain source-only model per learning rate; their source-dev curves.

    Runs that finished before are read back, not retrained (so the command resumes)."""
    from zsiw.train import train_cell

    encoder = encoder or config["encoders"][0]
    source = config["source_lang"]
    features = plan.features_dir(config, encoder, task, source)
    model = plan.model_dir(config, encoder)
    for path in (features, model):
        if not plan.manifest_of(path).exists():
            raise FileNotFoundError(
                f"{path} is missing: build it first with `snakemake --cores 2 "
                f"{plan.manifest_of(features)}` and the same --configfile"
            )
    settings = plan.cell_train_settings(config, task, plan.PLAIN)
    if epochs:
        settings["epochs"] = epochs
    results = []
    for lr in lrs:
        out = Path(out_root, task, plan.encoder_slug(encoder), f"seed{seed}", f"lr{lr:g}")
        if not (out / "train.json").exists():
            train_cell(
                task_group=plan.task_group(task),
                method=plan.PLAIN,
                seed=seed,
                source_features=[features],
                target_features=None,
                model_dir=model,
                settings={**settings, "lr": lr},
                out_dir=out,
                cell_info={"task": task, "encoder": encoder, "tune_lr": lr},
            )
        info = json.loads((out / "train.json").read_text())
        results.append(
            {
                "task": task,
                "lr": lr,
                "epochs": info["epochs"],
                "dev_history": info["source_dev_history"],
                "best_epoch": info["best_epoch"],
                "best_dev": info["source_dev_score"],
                "seconds": info["seconds"],
            }
        )
    return results


def markdown(results: Sequence[dict]) -> str:
    """One row per learning rate: the source-dev score after each epoch, the best starred."""
    rows = []
    for r in results:
        curve = ", ".join(
            f"**{s:.4f}**" if i == r["best_epoch"] else f"{s:.4f}"
            for i, s in enumerate(r["dev_history"])
        )
        best = f"{r['best_dev']:.4f} (epoch {r['best_epoch'] + 1})"
        rows.append([r["task"], f"{r['lr']:g}", curve, best])
    header = ["task", "lr", "source-dev score after epoch 1, 2, …", "best"]
    return "\n".join(markdown_table(header, rows)) + "\n"
