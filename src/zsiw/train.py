"""Train one cell: the loop of paper Eq. 2, top to bottom.

Each step takes a labelled source batch and, for IW methods, an unlabelled target batch:

1. forward the source batch (dropout on) -> logits and first-token vectors ``h_s``;
2. per-instance losses ``loss_i``;
3. IW only: encode the target batch under ``torch.no_grad()`` with dropout off -> ``h_t``; the
   weights ``w = normalise(sum_j score(h_s_i, h_t_j))`` are constants for the gradient;
   plain fine-tuning uses ``w_i = 1/n``;
4. ``loss = sum_i w_i loss_i``, backward, clip, AdamW step, linear schedule.

Model selection uses the *source* dev set only (zero-shot: target labels are never read).
Training is resumable: at every epoch end one checkpoint file holds model, optimiser,
scheduler, RNG and data-order state *and the best-on-dev model so far*, and a restarted job
continues from it bit for bit on CPU. The declared outputs (``model.safetensors``,
``train.json``) are written only once training is over, from the checkpoint's best model:
Snakemake deletes an interrupted job's outputs before rerunning it, so nothing that resume
needs may live in them. The checkpoint itself is removed by the caller once the cell is
completely done (after testing, see ``zsiw.cli``), so a job killed while testing resumes too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zsiw import vocab, weighting
from zsiw.batching import TargetStream, collate, length_grouped_batches
from zsiw.evaluate import TAG_NAMES, main_score, predict, score_predictions
from zsiw.losses import per_instance_loss
from zsiw.models import (
    TaskModel,
    build_model,
    frozen_parameter_names,
    load_trainable_state,
    save_task_model,
    trainable_state_dict,
)

log = logging.getLogger(__name__)

NUM_LABELS = {"ote": 3, "cls": 2, "mldoc": 4}
LABEL_NAMES = {
    "ote": list(TAG_NAMES),
    "cls": ["negative", "positive"],
    "mldoc": ["CCAT", "ECAT", "GCAT", "MCAT"],
}
CHECKPOINT = "checkpoint.pt"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_rows(features_dir: Path, split: str) -> list[dict]:
    from datasets import load_from_disk

    dataset = load_from_disk(str(features_dir))
    return dataset[split].to_list() if split in dataset else []


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


def pad_token_id(model: TaskModel) -> int:
    """The encoder's padding id (from its config: loading the tokenizer costs seconds)."""
    pad = model.encoder.config.pad_token_id
    return 0 if pad is None else int(pad)


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


def _label_text(row: dict, group: str) -> str:
    if group == "ote":
        tagged = [w for w, t in zip(row["words"], row["gold_tags"], strict=True) if t]
        return " ".join(tagged) or "(no target)"
    return LABEL_NAMES[group][row["labels"]]


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


def _rng_state() -> dict:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _atomic_torch_save(obj: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def remove_checkpoint(out_dir: Path, settings: dict) -> None:
    """Drop a finished cell's resume checkpoint (unless ``keep_checkpoint``): the last act of
    a cell's job, after every output is written."""
    if not settings.get("keep_checkpoint", False):
        (Path(out_dir) / CHECKPOINT).unlink(missing_ok=True)


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def train_cell(
    *,
    task_group: str,
    method: str,
    seed: int,
    source_features: Sequence[Path],
    target_features: Path | None,
    model_dir: Path,
    settings: dict,
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
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.json").unlink(missing_ok=True)
    torch.set_num_threads(int(settings.get("threads") or 1))
    device = resolve_device(settings.get("device", "auto"))
    token_level = task_group == "ote"
    iw = method != "none"
    seed_everything(seed)

    from transformers import get_linear_schedule_with_warmup

    train_rows, dev_rows = source_splits(source_features, settings["dev_fraction"])
    target_rows: list[dict] = []
    if iw:
        if target_features is None:
            raise ValueError(f"method {method!r} needs target-language features")
        target_rows = load_rows(target_features, settings.get("target_split", "train"))

    # Model and head are built right after seeding, so plain and IW runs start identical.
    model = build_model(
        model_dir,
        NUM_LABELS[task_group],
        token_level=token_level,
        dropout=settings["dropout"],
        num_layers=settings.get("num_layers"),
        freeze_embeddings=settings.get("freeze_embeddings", False),
        representation="mean"
        if method == "cosine_mean"
        else settings.get("representation", "first_token"),
    ).to(device)
    kept_ids = None
    if settings.get("prune_vocab"):
        tests = [load_rows(Path(p), "test") for p in test_features]
        kept_ids = vocab.used_token_ids(
            [train_rows, dev_rows, target_rows, *tests], always=vocab.pinned_ids(model.encoder)
        )
        full_size = model.encoder.get_input_embeddings().num_embeddings
        vocab.prune_encoder(model.encoder, kept_ids)
        train_rows, dev_rows, target_rows = (
            vocab.remap_rows(rows, kept_ids, full_size)
            for rows in (train_rows, dev_rows, target_rows)
        )
        log.info("vocabulary pruned to the %d of %d ids this cell uses", len(kept_ids), full_size)
    pad_id = pad_token_id(model)
    source_gen = torch.Generator().manual_seed(seed)
    target_stream = (
        TargetStream(target_rows, settings["target_batch_size"], seed + 1_000_003, pad_id)
        if iw
        else None
    )
    pool = (
        weighting.TargetPool(settings.get("pool_momentum", 0.9))
        if method in weighting.POOL_SCORES
        else None
    )
    lengths = [len(r["input_ids"]) for r in train_rows]
    batches_per_epoch = -(-len(train_rows) // settings["batch_size"])
    total_steps = settings["epochs"] * batches_per_epoch
    if settings.get("max_steps"):
        total_steps = min(total_steps, int(settings["max_steps"]))
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": settings["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=settings["lr"],
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings["warmup_ratio"] * total_steps), total_steps
    )
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.type == "cuda" and torch.cuda.is_bf16_supported()
        else contextlib.nullcontext()
    )

    state: dict[str, Any] = {
        "epoch": 0,
        "step": 0,
        "best_dev": -1.0,
        "best_epoch": -1,
        "dev_history": [],
    }
    best_state: dict[str, torch.Tensor] | None = None  # trainable state at the best epoch
    dispersion_history: list[dict] = []
    log_lines: dict[str, list[str]] = {"train_log.jsonl": [], "weights_examples.jsonl": []}
    ckpt_path = out_dir / CHECKPOINT
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        saved_ids = ckpt.get("kept_token_ids")
        if (saved_ids is None) != (kept_ids is None) or (
            kept_ids is not None and not torch.equal(saved_ids, kept_ids)
        ):
            raise ValueError(
                f"{ckpt_path} was written with another vocabulary (prune_vocab or the data "
                "changed since); delete it to train the cell from the start"
            )
        load_trainable_state(
            model,
            ckpt["model"],
            frozen=frozen_parameter_names(model),
            source=ckpt_path,
            fix="it was written with other `num_layers` or `freeze_embeddings`; delete it "
            "to train the cell from the start",
        )
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        source_gen.set_state(ckpt["source_gen"])
        if target_stream is not None:
            target_stream.load_state_dict(ckpt["target_stream"])
        if pool is not None:
            pool.load_state_dict(ckpt["pool"])
        _set_rng_state(ckpt["rng"])
        state = ckpt["state"]
        # The best model is stored only when it is not the checkpoint's own model.
        best_state = ckpt.get("best_model") or (
            _cpu_copy(ckpt["model"]) if state["best_epoch"] == state["epoch"] - 1 else None
        )
        if best_state is None and state["best_epoch"] >= 0:
            raise ValueError(
                f"{ckpt_path} holds no best model (written by an older zsiw); delete it to "
                "train the cell from the start"
            )
        dispersion_history = ckpt["dispersion"]
        log_lines = ckpt["log_lines"]
        log.info("resumed from %s at epoch %d, step %d", ckpt_path, state["epoch"], state["step"])
    # The logs are rewritten from the checkpoint: a failed job's logs may have been deleted
    # (Snakemake removes a failed job's outputs) or hold steps past the checkpoint.
    for name in ("train_log.jsonl", "weights_examples.jsonl"):
        (out_dir / name).write_text("".join(log_lines[name]))

    spec = {
        "model_dir": str(model_dir),
        "num_labels": NUM_LABELS[task_group],
        "token_level": token_level,
        "num_layers": settings.get("num_layers"),
        "label_names": LABEL_NAMES[task_group],
    }

    def write_line(handle, name: str, line: str) -> None:
        handle.write(line + "\n")
        log_lines[name].append(line + "\n")

    interactive = sys.stderr.isatty() and not os.environ.get("ZSIW_NO_PROGRESS")
    progress = None
    if interactive:
        from tqdm import tqdm

        progress = tqdm(total=total_steps, initial=state["step"], unit="step", dynamic_ncols=True)
    started = mark = time.time()
    seqs_seen = 0
    logged_examples = sum(1 for h in dispersion_history if h.get("logged"))
    with (
        open(out_dir / "train_log.jsonl", "a") as train_log,
        open(out_dir / "weights_examples.jsonl", "a") as examples_log,
    ):
        while state["epoch"] < settings["epochs"] and state["step"] < total_steps:
            model.train()
            for batch_idx in length_grouped_batches(lengths, settings["batch_size"], source_gen):
                if state["step"] >= total_steps:
                    break
                rows = [train_rows[i] for i in batch_idx]
                batch = {k: v.to(device) for k, v in collate(rows, pad_id).items()}
                with autocast:
                    logits, h_source = model(batch["input_ids"], batch["attention_mask"])
                losses = per_instance_loss(logits, batch["labels"], token_level=token_level)
                record = {"step": state["step"], "epoch": state["epoch"]}
                if iw:
                    assert target_stream is not None
                    tgt_idx, tgt = next(target_stream)
                    model.eval()  # no dropout: the target pass must not touch the RNG stream
                    with torch.no_grad(), autocast:
                        h_target = model.first_token(
                            tgt["input_ids"].to(device), tgt["attention_mask"].to(device)
                        )
                    model.train()
                    if pool is not None:
                        pool.update(h_target)
                        scores = pool.scores(h_source)
                    else:
                        score = weighting.VARIANT_OF.get(method, method)
                        scores = weighting.pairwise_scores(h_source, h_target, score)
                    temperature = (
                        settings.get("softmax_temperature", 0.05)
                        if method == "cosine_softmax"
                        else settings.get("temperature")
                    )
                    weights = weighting.normalise(scores.sum(dim=1), temperature)
                    disp = weighting.dispersion(weights)
                    record.update(disp)
                    if logged_examples < settings.get("weights_log_batches", 0):
                        write_line(
                            examples_log,
                            "weights_examples.jsonl",
                            json.dumps(
                                {
                                    "step": state["step"],
                                    "source_texts": [r.get("text", "") for r in rows],
                                    "source_labels": [_label_text(r, task_group) for r in rows],
                                    "target_texts": [
                                        target_rows[i].get("text", "") for i in tgt_idx
                                    ],
                                    "pair_scores": scores.cpu().tolist(),
                                    "weights": weights.cpu().tolist(),
                                },
                                ensure_ascii=False,
                            ),
                        )
                        logged_examples += 1
                        disp = {**disp, "logged": True}
                    dispersion_history.append(disp)
                else:
                    weights = weighting.uniform_weights(len(rows), device=device)
                loss = weighting.weighted_loss(losses, weights)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if settings.get("grad_clip"):
                    torch.nn.utils.clip_grad_norm_(model.parameters(), settings["grad_clip"])
                optimizer.step()
                scheduler.step()
                state["step"] += 1
                seqs_seen += len(rows)
                record["loss"] = float(loss.detach())
                record["lr"] = scheduler.get_last_lr()[0]
                write_line(train_log, "train_log.jsonl", json.dumps(record))
                rate = seqs_seen / max(time.time() - started, 1e-9)
                if progress is not None:
                    progress.set_postfix(loss=f"{float(loss.detach()):.4f}", seq_s=f"{rate:.1f}")
                    progress.update(1)
                elif state["step"] % settings.get("log_every", 20) == 0:
                    eta = (total_steps - state["step"]) * len(rows) / max(rate, 1e-9)
                    log.info(
                        "step %d/%d epoch %d loss %.4f %.1f seq/s eta %.0fs",
                        state["step"],
                        total_steps,
                        state["epoch"],
                        float(loss.detach()),
                        rate,
                        eta,
                    )
            # End of epoch: model selection on the source dev set, then a checkpoint.
            dev_preds = predict(
                model,
                dev_rows,
                batch_size=settings["eval_batch_size"],
                pad_id=pad_id,
                device=device,
            )
            dev_score = main_score(score_predictions(dev_rows, dev_preds, token_level=token_level))
            state["dev_history"].append(dev_score)
            # Training time summed over every process that worked on the cell (resumes too).
            state["seconds"] = state.get("seconds", 0.0) + time.time() - mark
            mark = time.time()
            log.info("epoch %d source-dev score %.4f", state["epoch"], dev_score)
            current = trainable_state_dict(model)
            if dev_score > state["best_dev"] or not settings.get("select_on_dev", True):
                state["best_dev"], state["best_epoch"] = dev_score, state["epoch"]
                best_state = _cpu_copy(current)
            state["epoch"] += 1
            train_log.flush()
            examples_log.flush()
            # One atomic file holds everything resume needs, the best model included (unless
            # it is this epoch's): a kill leaves the previous checkpoint or this one, no mix.
            is_best = state["best_epoch"] == state["epoch"] - 1
            _atomic_torch_save(
                {
                    "model": current,
                    "best_model": None if is_best else best_state,
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "source_gen": source_gen.get_state(),
                    "target_stream": target_stream.state_dict() if target_stream else None,
                    "pool": pool.state_dict() if pool else None,
                    "rng": _rng_state(),
                    "state": state,
                    "dispersion": dispersion_history,
                    "log_lines": log_lines,
                    "kept_token_ids": kept_ids,
                },
                ckpt_path,
            )
    if progress is not None:
        progress.close()
    if best_state is None:
        raise RuntimeError(f"{out_dir}: training ended without a single epoch (epochs=0?)")
    save_task_model(model, out_dir, spec, state=best_state, kept_token_ids=kept_ids)
    summary = {
        "cell": cell_info or {},
        "method": method,
        "seed": seed,
        "steps": state["step"],
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "source_dev_score": state["best_dev"],
        "source_dev_history": state["dev_history"],
        "n_train": len(train_rows),
        "n_dev": len(dev_rows),
        "n_target_pool": len(target_rows),
        "vocab_rows": None if kept_ids is None else len(kept_ids),
        "weight_dispersion": _summarise_dispersion(dispersion_history),
        "seconds": state.get("seconds", 0.0),
        "device": str(device),
        "settings": settings,
        "versions": library_versions(),
    }
    tmp = out_dir / "train.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    tmp.replace(out_dir / "train.json")
    if not keep_checkpoint:
        remove_checkpoint(out_dir, settings)
    return summary
