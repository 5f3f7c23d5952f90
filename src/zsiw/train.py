"""Train one cell: the loop of paper Eq. 2, top to bottom.

Each step takes a labelled source batch and, for IW methods, an unlabelled target batch:

1. forward the source batch (dropout on) -> logits and first-token vectors ``h_s``;
2. per-instance losses ``loss_i``;
3. IW only: encode the target batch under ``torch.no_grad()`` with dropout off -> ``h_t``; the
   weights ``w = normalise(sum_j score(h_s_i, h_t_j))`` are constants for the gradient
   (`zsiw.weighting.batch_weights`); plain fine-tuning uses ``w_i = 1/n``;
4. ``loss = sum_i w_i loss_i``, backward, clip, AdamW step, linear schedule.

Model selection uses the *source* dev set only (zero-shot: target labels are never read).
Training is resumable: at every epoch end one checkpoint file holds model, optimiser,
scheduler, RNG and data-order state *and the best-on-dev model so far*, and a restarted job
continues from it bit for bit on CPU. The outputs (``model.safetensors``, ``train.json``) are
written only once training is over, from the checkpoint's best model: Snakemake deletes an
interrupted job's declared outputs before rerunning it, so nothing that resume needs may live
in them. The checkpoint itself is removed by the caller once the cell is
completely done (after testing, see ``zsiw.cli``), so a job killed while testing resumes too.

The module reads in the order the code runs: the entry point (`train_cell`), the cell's
state and setup, the loop (epoch, batches, step, weights, end of epoch), its logs, its outputs.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zsiw import checkpoint, kernels, vocab, weighting
from zsiw.atomic import write_text
from zsiw.batching import TARGET_SEED_OFFSET, TargetStream, collate, length_grouped_batches
from zsiw.cellstate import CellRun, Progress
from zsiw.checkpoint import cpu_copy
from zsiw.evaluate import main_score, predict, score_predictions
from zsiw.gpu import autocast, resolve_device
from zsiw.iw import target_batch_weights
from zsiw.losses import per_instance_loss
from zsiw.models import (
    TaskModel,
    build_model,
    save_task_model,
    trainable_state_dict,
)
from zsiw.plan import PLAIN
from zsiw.settings import TrainSettings, training_steps
from zsiw.tasks import LABEL_NAMES, NUM_LABELS, is_token_level

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the entry point


def train_cell(
    *,
    task_group: str,
    method: str,
    seed: int,
    source_features: Sequence[Path],
    target_features: Path | None,
    model_dir: Path,
    settings: TrainSettings | dict,
    out_dir: Path,
    cell_info: dict | None = None,
    keep_checkpoint: bool = False,
    test_features: Sequence[Path] = (),
) -> dict:
    """Train one cell and write ``model.safetensors``, logs and ``train.json`` (last).

    The resume checkpoint is removed at the end unless ``keep_checkpoint`` (the job that
    tests the cell next keeps it until the test results are written). ``test_features`` are
    the cell's test sets: with ``prune_vocab`` their ids are kept too, so that the model is
    exact on them as well."""
    if not isinstance(settings, TrainSettings):
        settings = TrainSettings.from_dict(settings)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.json").unlink(missing_ok=True)
    torch.set_num_threads(settings.threads)
    device = resolve_device(settings.device)
    weighting_method = weighting.method_of(method) if method != PLAIN else None
    seed_everything(seed)
    data = load_cell_data(
        source_features, target_features, settings, with_target=weighting_method is not None
    )
    run, data, steps = setup_cell(
        task_group, weighting_method, seed, data, model_dir, settings, test_features, device
    )
    ckpt_path = out_dir / checkpoint.CHECKPOINT
    progress = Progress(**(checkpoint.load(run, ckpt_path, device) or {}))
    logs = StepLog(out_dir, progress, settings)
    display = ProgressDisplay(progress, steps, settings)
    mark, cpu_mark = time.time(), time.process_time()
    try:
        while progress.epoch < settings.epochs and progress.step < steps:
            train_epoch(
                run,
                data,
                settings,
                progress,
                logs,
                display,
                weighting_method=weighting_method,
                task_group=task_group,
                steps=steps,
                device=device,
            )
            end_of_epoch(run, data, settings, progress, device)
            # Training time summed over every process that worked on the cell (resumes too):
            # wall clock, and CPU time of all the process's threads (less than the wall clock
            # when the cores are shared, more with several threads).
            now, cpu_now = time.time(), time.process_time()
            progress.seconds += now - mark
            progress.cpu_seconds += cpu_now - cpu_mark
            mark, cpu_mark = now, cpu_now
            logs.flush()
            checkpoint.save(run, progress, ckpt_path)
    finally:
        logs.close()
        display.close()
    spec = {
        "model_dir": str(model_dir),
        "num_labels": NUM_LABELS[task_group],
        "token_level": is_token_level(task_group),
        "num_layers": settings.num_layers,
        "label_names": list(LABEL_NAMES[task_group]),
    }
    summary = summarise(method, seed, cell_info, progress, data, run, settings, device)
    write_outputs(out_dir, run, progress, spec, summary)
    if not keep_checkpoint:
        checkpoint.remove(out_dir, settings)
    return summary


# ------------------------------------------------------------ the cell: data, model, optimiser


@dataclass
class CellData:
    """The rows one cell trains on, selects on and draws target batches from."""

    train: list[dict]
    dev: list[dict]
    target: list[dict]


def load_cell_data(
    source_features: Sequence[Path],
    target_features: Path | None,
    settings: TrainSettings,
    *,
    with_target: bool,
) -> CellData:
    train, dev = source_splits(source_features, settings.dev_fraction)
    target: list[dict] = []
    if with_target:
        if target_features is None or settings.target_batch_size is None:
            raise ValueError("an IW method needs target-language features and target_batch_size")
        target = load_rows(target_features, settings.target_split)
    return CellData(train, dev, target)


def source_splits(
    source_features: Sequence[Path], dev_fraction: float
) -> tuple[list[dict], list[dict]]:
    """Union of the source languages' train splits, and their dev data.

    Where a data set has no dev split, a fixed ``dev_fraction`` of each source language's
    train split is held out with a generator that does not depend on the seed, so every cell
    of a task trains on the same instances.
    """
    train, dev = [], []
    for path in source_features:
        rows = load_rows(path, "train")
        held = load_rows(path, "dev")
        if not held:
            perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0)).tolist()
            n_dev = max(1, int(round(dev_fraction * len(rows))))
            held = [rows[i] for i in perm[:n_dev]]
            rows = [rows[i] for i in sorted(perm[n_dev:])]
        train += rows
        dev += held
    return train, dev


def load_rows(features_dir: Path, split: str) -> list[dict]:
    from datasets import load_from_disk

    dataset = load_from_disk(str(features_dir))
    return dataset[split].to_list() if split in dataset else []


def setup_cell(
    task_group: str,
    weighting_method: weighting.Method | None,
    seed: int,
    data: CellData,
    model_dir: Path,
    settings: TrainSettings,
    test_features: Sequence[Path],
    device: torch.device,
) -> tuple[CellRun, CellData, int]:
    """The model (built right after seeding, so plain and IW runs start identical), the
    pruned vocabulary, the optimiser and both batch streams; the data (remapped when pruned)
    and the number of steps."""
    model = build_model(
        model_dir,
        NUM_LABELS[task_group],
        token_level=is_token_level(task_group),
        dropout=settings.dropout,
        num_layers=settings.num_layers,
        freeze_embeddings=settings.freeze_embeddings,
        representation=(weighting_method and weighting_method.representation)
        or settings.representation,
    ).to(device)
    kept_ids = None
    if settings.prune_vocab:
        data, kept_ids = prune_vocabulary(model, data, test_features)
    steps = total_steps(len(data.train), settings)
    optimizer, scheduler = build_optimizer(model, settings, steps)
    stream = None
    if weighting_method:
        assert settings.target_batch_size is not None  # load_cell_data checked it
        stream = TargetStream(
            data.target, settings.target_batch_size, seed + TARGET_SEED_OFFSET, model.pad_id
        )
    pooled = weighting_method is not None and weighting_method.pooled
    pool = weighting.TargetPool(settings.pool_momentum) if pooled else None
    source_gen = torch.Generator().manual_seed(seed)
    return CellRun(model, optimizer, scheduler, source_gen, stream, pool, kept_ids), data, steps


def prune_vocabulary(
    model: TaskModel, data: CellData, test_features: Sequence[Path]
) -> tuple[CellData, torch.Tensor]:
    """Keep only the embedding rows of ids in the cell's data (`zsiw.vocab`) and remap it."""
    tests = [load_rows(Path(p), "test") for p in test_features]
    kept = vocab.used_token_ids(
        [data.train, data.dev, data.target, *tests], always=vocab.pinned_ids(model.encoder)
    )
    full_size = model.encoder.get_input_embeddings().num_embeddings
    vocab.prune_encoder(model.encoder, kept)
    remapped = CellData(
        *(vocab.remap_rows(rows, kept, full_size) for rows in (data.train, data.dev, data.target))
    )
    log.info("vocabulary pruned to the %d of %d ids this cell uses", len(kept), full_size)
    return remapped, kept


def total_steps(n_train: int, settings: TrainSettings) -> int:
    return training_steps(n_train, settings.epochs, settings.batch_size, settings.max_steps)


#: AdamW's implementation: PyTorch's default (on the CPU a for-loop over the parameters),
#: the one every published cell was trained with. The fused kernel is 3.3x faster per
#: optimizer step (~4 % of a full-depth step) but rounds differently: once the learning rate
#: is above 0 its parameters leave the for-loop's in the last bits, and a cell trained with it
#: is a different model (docs/performance.md section 7). Options here are passed to AdamW.
ADAMW_OPTIONS: dict[str, Any] = {}


def build_optimizer(
    model: TaskModel, settings: TrainSettings, steps: int, **adamw: Any
) -> tuple[torch.optim.Optimizer, Any]:
    """AdamW (no decay on biases and norms) and a linear schedule with warm-up; ``adamw``
    overrides `ADAMW_OPTIONS` (the benchmark that compares the implementations)."""
    from transformers import get_linear_schedule_with_warmup

    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": settings.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=settings.lr,
        **{**ADAMW_OPTIONS, **adamw},
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_ratio * steps), steps
    )
    return optimizer, scheduler


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------ the loop, in the order it runs


def train_epoch(
    run: CellRun,
    data: CellData,
    settings: TrainSettings,
    progress: Progress,
    logs: StepLog,
    display: ProgressDisplay,
    *,
    weighting_method: weighting.Method | None,
    task_group: str,
    steps: int,
    device: torch.device,
) -> None:
    """One pass over the source batches (or until the step cap)."""
    run.model.train()
    for rows, batch, target_idx, target in batches(data, run, settings, progress, steps):
        step = train_step(
            run.model,
            run.optimizer,
            batch,
            settings,
            method=weighting_method,
            target=target,
            pool=run.pool,
            scheduler=run.scheduler,
            device=device,
        )
        example = (
            weights_example(progress.step, rows, target_idx, data, step, task_group)
            if logs.wants_example()
            else None
        )
        progress.step += 1
        logs.step(step, run.scheduler.get_last_lr()[0], example)
        display.step(step.loss, len(rows))


def batches(
    data: CellData, run: CellRun, settings: TrainSettings, progress: Progress, total: int
) -> Iterator[tuple[list[dict], dict, list[int] | None, dict | None]]:
    """One epoch of source batches, each with its target batch (IW) — both streams own their
    generators, so plain and IW runs of a seed see the same source batches."""
    lengths = [len(r["input_ids"]) for r in data.train]
    device = next(run.model.parameters()).device
    for idx in length_grouped_batches(lengths, settings.batch_size, run.source_gen):
        if progress.step >= total:
            return
        rows = [data.train[i] for i in idx]
        batch = {k: v.to(device) for k, v in collate(rows, run.model.pad_id).items()}
        target_idx, target = next(run.target_stream) if run.target_stream else (None, None)
        yield rows, batch, target_idx, target


@dataclass
class Step:
    """What one optimiser step computed: the loss and the batch's weights (and scores)."""

    loss: float
    weights: torch.Tensor
    scores: torch.Tensor | None = None


def train_step(
    model: TaskModel,
    optimizer: torch.optim.Optimizer,
    batch: dict,
    settings: TrainSettings,
    *,
    method: weighting.Method | None = None,
    target: dict | None = None,
    pool: weighting.TargetPool | None = None,
    scheduler: Any = None,
    device: torch.device,
) -> Step:
    """Paper Eq. 2 for one batch: forward, weights (uniform when ``method`` is None),
    ``sum_i w_i loss_i``, backward, clip, AdamW step, schedule step. ``batch`` is on
    ``device``; the benchmarks time this same function, and its phases are named ranges of
    the PyTorch profiler (`zsiw bench --only full-depth`; free when no profiler runs)."""
    with phase("forward"), autocast(device, settings.precision):
        logits, h_source = model(batch["input_ids"], batch["attention_mask"])
    with phase("loss"):
        losses = per_instance_loss(logits, batch["labels"], token_level=model.token_level)
    scores = None
    with phase("weights"):
        if method is None:
            weights = weighting.uniform_weights(len(losses), device=device)
        else:
            if target is None:
                raise ValueError(f"method {method.name!r} needs a target batch")
            scores, weights = iw_weights(
                model, method, h_source, target, settings, pool=pool, device=device
            )
        loss = weighting.weighted_loss(losses, weights)
    with phase("backward"):
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
    with phase("clip"):
        if settings.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
    with phase("optimizer"):
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return Step(float(loss.detach()), weights, scores)


#: The profiler range name of each phase of `train_step` is this prefix and the phase.
PHASE_PREFIX = "zsiw.step."


def phase(name: str) -> torch.profiler.record_function:
    """A named range of one step's phase in a PyTorch profiler trace."""
    return torch.profiler.record_function(PHASE_PREFIX + name)


def iw_weights(
    model: TaskModel,
    method: weighting.Method,
    h_source: torch.Tensor,
    target: dict,
    settings: TrainSettings,
    *,
    pool: weighting.TargetPool | None,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(scores, weights)`` of one source batch against one unlabelled target batch.

    The target batch is encoded without gradient and with dropout off, so the target pass
    draws no random numbers: an IW run and a plain run with the same seed see the same
    dropout masks (a paired comparison)."""
    return target_batch_weights(
        model,
        lambda: model.first_token(
            target["input_ids"].to(device), target["attention_mask"].to(device)
        ),
        method,
        h_source,
        pool=pool,
        temperature=settings.temperature,
        softmax_temperature=settings.softmax_temperature,
        precision=autocast(device, settings.precision),
    )


def end_of_epoch(
    run: CellRun, data: CellData, settings: TrainSettings, progress: Progress, device: torch.device
) -> None:
    """Model selection on the source dev set (never a target label), then the epoch count."""
    preds = predict(
        run.model,
        data.dev,
        batch_size=settings.eval_batch_size,
        pad_id=run.model.pad_id,
        device=device,
    )
    score = main_score(score_predictions(data.dev, preds, token_level=run.model.token_level))
    progress.dev_history.append(score)
    log.info("epoch %d source-dev score %.4f", progress.epoch, score)
    if score > progress.best_dev or not settings.select_on_dev:
        progress.best_dev, progress.best_epoch = score, progress.epoch
        progress.best_state = cpu_copy(trainable_state_dict(run.model))
    progress.epoch += 1


# ------------------------------------------------------------ logs and the progress display


class StepLog:
    """The per-step JSONL logs: ``train_log.jsonl`` (loss, lr, weight dispersion) and
    ``weights_examples.jsonl`` (the first IW batches in full). Every line is kept in the
    progress too, so that the checkpoint carries it: Snakemake deletes a failed job's
    outputs, and a resumed job rewrites the logs from the checkpoint."""

    def __init__(self, out_dir: Path, progress: Progress, settings: TrainSettings):
        self.progress, self.settings = progress, settings
        # A failed job's logs may have been deleted or hold steps past the checkpoint.
        self.files = {}
        for name, lines in progress.log_lines.items():
            (out_dir / name).write_text("".join(lines))
            self.files[name] = open(out_dir / name, "a")  # noqa: SIM115 (closed in close())
        self.examples = sum(1 for h in progress.dispersion if h.get("logged"))

    def wants_example(self) -> bool:
        """Whether the next IW batch is logged in full (the first ``weights_log_batches``)."""
        return self.examples < self.settings.weights_log_batches

    def write(self, name: str, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self.files[name].write(line)
        self.progress.log_lines[name].append(line)

    def step(self, step: Step, lr: float, example: dict | None) -> None:
        """Log one finished step: its record, the dispersion of IW weights, and for the first
        ``weights_log_batches`` IW batches the full weights with their texts (Table 5)."""
        record: dict[str, Any] = {"step": self.progress.step - 1, "epoch": self.progress.epoch}
        if step.scores is not None:
            disp = weighting.dispersion(step.weights)
            record.update(disp)
            if example is not None:
                self.write("weights_examples.jsonl", example)
                self.examples += 1
                disp = {**disp, "logged": True}
            self.progress.dispersion.append(disp)
        record["loss"] = step.loss
        record["lr"] = lr
        self.write("train_log.jsonl", record)

    def flush(self) -> None:
        for handle in self.files.values():
            handle.flush()

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


class ProgressDisplay:
    """What a person watching sees: a tqdm bar on a terminal, else a log line with the
    throughput and the time left every ``log_every`` steps."""

    def __init__(self, progress: Progress, total: int, settings: TrainSettings):
        self.progress, self.total, self.log_every = progress, total, settings.log_every
        self.started, self.seqs = time.time(), 0
        self.bar = None
        if sys.stderr.isatty() and not os.environ.get("ZSIW_NO_PROGRESS"):
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=progress.step, unit="step", dynamic_ncols=True)

    def step(self, loss: float, n_rows: int) -> None:
        self.seqs += n_rows
        rate = self.seqs / max(time.time() - self.started, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", seq_s=f"{rate:.1f}")
            self.bar.update(1)
        elif self.progress.step % self.log_every == 0:
            eta = (self.total - self.progress.step) * n_rows / max(rate, 1e-9)
            log.info(
                "step %d/%d epoch %d loss %.4f %.1f seq/s eta %.0fs",
                self.progress.step,
                self.total,
                self.progress.epoch,
                loss,
                rate,
                eta,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def weights_example(
    step_no: int,
    rows: list[dict],
    target_idx: list[int] | None,
    data: CellData,
    step: Step,
    task_group: str,
) -> dict | None:
    """One IW batch in full: texts, labels, pair scores and weights (the case study)."""
    if step.scores is None or target_idx is None:
        return None
    return {
        "step": step_no,
        "source_texts": [r.get("text", "") for r in rows],
        "source_labels": [_label_text(r, task_group) for r in rows],
        "target_texts": [data.target[i].get("text", "") for i in target_idx],
        "pair_scores": step.scores.cpu().tolist(),
        "weights": step.weights.cpu().tolist(),
    }


def _label_text(row: dict, group: str) -> str:
    if is_token_level(group):
        tagged = [w for w, t in zip(row["words"], row["gold_tags"], strict=True) if t]
        return " ".join(tagged) or "(no target)"
    return LABEL_NAMES[group][row["labels"]]


# --------------------------------------------------------------------------- outputs


def summarise(
    method: str,
    seed: int,
    cell_info: dict | None,
    progress: Progress,
    data: CellData,
    run: CellRun,
    settings: TrainSettings,
    device: torch.device,
) -> dict:
    """``train.json``: what was trained, how it went, and with what."""
    return {
        "cell": cell_info or {},
        "method": method,
        "seed": seed,
        "steps": progress.step,
        "epochs": progress.epoch,
        "best_epoch": progress.best_epoch,
        "source_dev_score": progress.best_dev,
        "source_dev_history": progress.dev_history,
        "n_train": len(data.train),
        "n_dev": len(data.dev),
        "n_target_pool": len(data.target),
        "vocab_rows": None if run.kept_ids is None else len(run.kept_ids),
        "weight_dispersion": _summarise_dispersion(progress.dispersion),
        "seconds": progress.seconds,
        "cpu_seconds": progress.cpu_seconds,
        "device": str(device),
        "settings": settings.to_dict(),
        "versions": library_versions(),
        # the vector kernels that trained it: bit-identical results need the same ones
        "kernels": kernels.in_force(),
    }


def _summarise_dispersion(history: list[dict]) -> dict[str, float]:
    if not history:
        return {}
    ess = [h["ess_ratio"] for h in history]
    return {
        "ess_ratio_mean": float(np.mean(ess)),
        "ess_ratio_min": float(np.min(ess)),
        "ess_ratio_max": float(np.max(ess)),
        "n_min_mean": float(np.mean([h["n_min"] for h in history])),
        "n_min_min": float(np.min([h["n_min"] for h in history])),
        "n_max_mean": float(np.mean([h["n_max"] for h in history])),
        "n_max_max": float(np.max([h["n_max"] for h in history])),
    }


def library_versions() -> dict[str, str]:
    import datasets
    import transformers

    import zsiw

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "datasets": datasets.__version__,
        "zsiw": zsiw.__version__,
    }


def write_outputs(
    out_dir: Path, run: CellRun, progress: Progress, spec: dict, summary: dict
) -> None:
    """The declared outputs, once training is over: the best model, then ``train.json``."""
    if progress.best_state is None:
        raise RuntimeError(f"{out_dir}: training ended without a single epoch (epochs=0?)")
    save_task_model(
        run.model, out_dir, spec, state=progress.best_state, kept_token_ids=run.kept_ids
    )
    write_text(out_dir / "train.json", json.dumps(summary, indent=2))
