"""`zsiw bench`: what instance weighting and the pipeline cost, measured side by side.

Every figure is measured in one run on the same batches and printed as a ratio or a throughput
with its spread (median, min-max over the repetitions), because absolute timings on a shared
machine drift while ratios measured together hold. Nothing here is a test.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from zsiw import vocab, weighting
from zsiw.batching import TargetStream, collate, length_grouped_batches
from zsiw.gpu import autocast, resolve_device
from zsiw.models import build_model
from zsiw.paper import SOURCE_LANG
from zsiw.settings import TrainSettings
from zsiw.train import train_step as step

#: Plain fine-tuning and the paper's three scores (from the method registry).
METHODS = ("none", *(name for name, m in weighting.METHODS.items() if m.in_paper))


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(stats: dict[str, float], unit: str = "s", digits: int = 3) -> str:
    return (
        f"{stats['median']:.{digits}f}{unit} [{stats['min']:.{digits}f}-{stats['max']:.{digits}f}]"
    )


def synthetic_rows(n: int, length: int, seed: int, vocab: int = 5000) -> list[dict]:
    """Token rows of exactly ``length`` ids (ids above the special tokens), labels 0/1."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (n, length), generator=g)
    return [{"input_ids": row.tolist(), "labels": i % 2} for i, row in enumerate(ids)]


#: What a benchmarked step is given (the loop's own defaults; AdamW's rate is irrelevant here).
STEP_SETTINGS = TrainSettings(
    lr=1e-5, batch_size=16, target_batch_size=16, epochs=1, max_length=128
)


def _sync(device: torch.device) -> None:
    """Wait for queued CUDA work, so that a timer read measures the work, not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_step(
    model: Any, optimizer: Any, src: dict, tgt: dict | None, method: str, device: torch.device
) -> None:
    """One step of the training loop: `zsiw.train.train_step` itself (same calls, precision
    and clipping; no scheduler, no logging). On CUDA it waits for the device, so that
    wall-clock timings measure the work, not its launch."""
    batch = {k: v.to(device) for k, v in src.items()}
    iw = None if method == "none" else weighting.method_of(method)
    step(model, optimizer, batch, STEP_SETTINGS, method=iw, target=tgt, device=device)
    _sync(device)


def _model_and_optimizer(
    model_dir: Path,
    device: torch.device,
    num_layers: int | None,
    freeze_embeddings: bool,
    kept_ids: torch.Tensor | None = None,
) -> tuple[Any, torch.optim.Optimizer, int]:
    """The benchmarked classifier, its AdamW over the trainable parameters, and the pad id;
    with ``kept_ids`` its vocabulary is pruned to those ids first (`zsiw.vocab`)."""
    model = build_model(
        model_dir, 2, token_level=False, num_layers=num_layers, freeze_embeddings=freeze_embeddings
    ).to(device)
    if kept_ids is not None:
        vocab.prune_encoder(model.encoder, kept_ids)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    return model, optimizer, int(model.encoder.config.pad_token_id or 0)


def bench_iw_overhead(
    model_dir: Path,
    *,
    batch: int,
    length: int,
    reps: int,
    device: torch.device,
    num_layers: int | None = None,
    freeze_embeddings: bool = False,
) -> dict:
    """Median step time per method on identical batches, interleaved, and ratios to none."""
    model, optimizer, pad = _model_and_optimizer(model_dir, device, num_layers, freeze_embeddings)
    src = collate(synthetic_rows(batch, length, 1), pad)
    tgt = collate(synthetic_rows(batch, length, 2), pad, with_labels=False)
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for method in METHODS:  # warm-up
        train_step(model, optimizer, src, tgt, method, device)
    forward_only = []
    for _ in range(reps):  # interleave methods so drift hits all alike
        for method in METHODS:
            t0 = time.perf_counter()
            train_step(model, optimizer, src, tgt, method, device)
            times[method].append(time.perf_counter() - t0)
        model.eval()
        with torch.no_grad(), autocast(device):
            t0 = time.perf_counter()
            model.first_token(tgt["input_ids"].to(device), tgt["attention_mask"].to(device))
            _sync(device)
            forward_only.append(time.perf_counter() - t0)
    base = statistics.median(times["none"])
    paired = {m: [t / n for t, n in zip(v, times["none"])] for m, v in times.items()}
    return {
        "batch": batch,
        "length": length,
        "steps": {m: spread(v) for m, v in times.items()},
        "ratio_to_none": {m: statistics.median(v) / base for m, v in times.items()},
        # the same ratio per repetition (each method against none of the same round)
        "ratio_spread": {m: spread(v) for m, v in paired.items()},
        "floor_ratio": (base + statistics.median(forward_only)) / base,
    }


EMBEDDING_VARIANTS = ("whole", "pruned", "frozen")


def bench_embedding_update(
    model_dir: Path, rows: list[dict], *, batch: int, reps: int, device: torch.device
) -> dict:
    """Step time of the whole encoder (every layer) with its word embeddings trained whole,
    pruned to the ids of ``rows`` (``train.prune_vocab``) or frozen: same batches, same
    optimiser, the three models stepped in turn so that drift hits all alike."""
    probe = build_model(model_dir, 2, token_level=False)
    full_rows = probe.encoder.get_input_embeddings().num_embeddings
    kept = vocab.used_token_ids([rows], always=vocab.pinned_ids(probe.encoder))
    del probe
    remapped = vocab.remap_rows(rows, kept, full_rows)
    variants: dict[str, tuple[Any, Any, list[dict]]] = {}
    for name in EMBEDDING_VARIANTS:
        model, optimizer, pad = _model_and_optimizer(
            model_dir, device, None, name == "frozen", kept if name == "pruned" else None
        )
        data = remapped if name == "pruned" else rows
        batches = [collate(data[i : i + batch], pad) for i in range(0, len(data), batch)]
        variants[name] = (model, optimizer, batches)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for rep in range(reps + 1):  # the first round warms up and is not counted
        for name, (model, optimizer, batches) in variants.items():
            t0 = time.perf_counter()
            train_step(model, optimizer, batches[rep % len(batches)], None, "none", device)
            if rep:
                times[name].append(time.perf_counter() - t0)
    trained = {
        name: sum(p.numel() for p in model.parameters() if p.requires_grad)
        for name, (model, _, _) in variants.items()
    }
    whole = times["whole"]
    return {
        "rows": len(rows),
        "batch": batch,
        "vocab_rows": {"whole": full_rows, "pruned": len(kept)},
        "trained_parameters": trained,
        "steps": {name: spread(t) for name, t in times.items()},
        "speedup_vs_whole": {
            name: spread([w / t for w, t in zip(whole, ts)]) for name, ts in times.items()
        },
    }


def print_embedding_update(result: dict, reps: int) -> None:
    print(
        f"\n## 6. Word embeddings trained whole vs pruned vs frozen, every encoder layer "
        f"({result['rows']} real rows, batches of {result['batch']}, {reps} rounds)"
    )
    print(f"pruned vocabulary: {result['vocab_rows']['pruned']} of {result['vocab_rows']['whole']}")
    for name in EMBEDDING_VARIANTS:
        params = result["trained_parameters"][name] / 1e6
        speed = fmt(result["speedup_vs_whole"][name], "x", 2)
        print(f"{name:7s} {fmt(result['steps'][name])}  {params:6.1f}M trained  speed-up {speed}")


def length_distribution(features_dir: Path | None, n: int, max_length: int) -> list[int]:
    """Real token lengths when a tokenised data set is given, else a skewed synthetic mix."""
    if features_dir and features_dir.exists():
        from datasets import load_from_disk

        lengths = load_from_disk(str(features_dir))["train"]["length"][:n]
        return [min(x, max_length) for x in lengths]
    torch.manual_seed(0)
    raw = torch.distributions.LogNormal(3.0, 0.6).sample((n,))  # median ~20 tokens
    return [int(min(max(4, x), max_length)) for x in raw.tolist()]


def flop_fit(model: Any, device: torch.device, *, backward: bool, pad: int) -> list[float]:
    """Coefficients ``(a, b, c)`` with FLOPs = a*B*T + b*B*T^2 + c*B for a batch of ``B``
    sequences of ``T`` tokens: one training step (forward + backward) or one forward pass.

    FLOPs are what ``torch.utils.flop_counter`` counts (matrix products and attention, forward
    and backward), on three batch shapes; every layer costs a multiple of B*T (linear layers),
    B*T^2 (attention) or B (a head on the first token), so three shapes fit it exactly."""
    import numpy as np
    from torch.utils.flop_counter import FlopCounterMode

    shapes = [(2, 8), (4, 16), (3, 24)]
    counts = []
    for n, length in shapes:
        rows = [{"input_ids": [0] + [7] * (length - 2) + [2], "labels": 0}] * n
        batch = {k: v.to(device) for k, v in collate(rows, pad).items()}
        with FlopCounterMode(display=False) as counter:
            if backward:
                model.train()
                logits, _ = model(batch["input_ids"], batch["attention_mask"])
                logits.float().sum().backward()
                model.zero_grad(set_to_none=True)
            else:  # the target pass; counted in train mode, where the counter sees attention
                model.train()
                with torch.no_grad():
                    model.first_token(batch["input_ids"], batch["attention_mask"])
        counts.append(counter.get_total_flops())
    matrix = np.array([[n * t, n * t * t, n] for n, t in shapes], dtype=float)
    return np.linalg.solve(matrix, np.array(counts, dtype=float)).tolist()


def _flops(coef: list[float], shapes: list[tuple[int, int]]) -> float:
    return sum(coef[0] * n * t + coef[1] * n * t * t + coef[2] * n for n, t in shapes)


def matmul_roof(device: torch.device, reps: int = 3, *, precision: str = "fp32") -> float:
    """GFLOP/s of a large matrix product on this device and thread count: fp32 2048^2 on a
    CPU (under bf16 autocast with ``precision="bf16"``, the path a bf16 step takes), bf16
    8192^2 on CUDA. The best of ``reps``: what the hardware does at its easiest."""
    n, dtype = (2048, torch.float32) if device.type == "cpu" else (8192, torch.bfloat16)
    x = torch.randn(n, n, device=device, dtype=dtype)
    y = torch.randn(n, n, device=device, dtype=dtype)
    best = math.inf
    for _ in range(reps + 1):
        _sync(device)
        with autocast(device, precision):
            t0 = time.perf_counter()
            x @ y
            _sync(device)
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


class _ForTrainer(torch.nn.Module):
    """The benchmarked model as `transformers.Trainer` expects one: the loss from labels."""

    def __init__(self, model: Any):
        super().__init__()
        self.model = model

    def forward(self, input_ids: Any, attention_mask: Any, labels: Any = None) -> dict:
        logits, _ = self.model(input_ids, attention_mask)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        return {"loss": loss, "logits": logits}


LOOPS = ("Trainer (defaults)", "Trainer (group_by_length)", "zsiw loop", "zsiw loop + IW")
PADDED = "padded to max_length"


def bench_loops(
    model_dir: Path,
    lengths: list[int],
    *,
    batch: int,
    max_length: int,
    reps: int,
    device: torch.device,
    num_layers: int | None = None,
    freeze_embeddings: bool = False,
) -> dict:
    """One epoch over the same rows, same model, batch size and seed, interleaved per round:
    `transformers.Trainer` with its defaults (random order, `DataCollatorWithPadding`: each
    batch padded to its longest row), the Trainer with ``group_by_length=True``, our loop
    (length-grouped batches, dynamic padding), our loop with IW, and, as a labelled extra
    row, our loop with every batch padded to ``max_length`` (the HF example scripts'
    ``--pad_to_max_length``). Sequences/s, tokens computed / real tokens and achieved
    GFLOP/s (with its share of the measured matmul roof) for each."""
    import tempfile

    from datasets import Dataset
    from transformers import (
        DataCollatorWithPadding,
        PreTrainedTokenizerFast,
        Trainer,
        TrainingArguments,
    )
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    model, optimizer, pad = _model_and_optimizer(model_dir, device, num_layers, freeze_embeddings)
    train_coef = flop_fit(model, device, backward=True, pad=pad)
    target_coef = flop_fit(model, device, backward=False, pad=pad)
    g = torch.Generator().manual_seed(0)
    rows: list[dict[str, Any]] = [
        {"input_ids": torch.randint(5, 5000, (n,), generator=g).tolist(), "labels": i % 2}
        for i, n in enumerate(lengths)
    ]
    real = sum(lengths)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(model_dir))
    dataset = Dataset.from_list([{**r, "attention_mask": [1] * len(r["input_ids"])} for r in rows])
    ours = length_grouped_batches(lengths, batch, torch.Generator().manual_seed(1))
    targets = TargetStream(rows, batch, 2, pad)
    shapes: dict[str, list[tuple[int, int]]] = {}

    def trainer_epoch(group: bool, out: str) -> float:
        seen: list[tuple[int, int]] = []
        base = DataCollatorWithPadding(tokenizer)

        def collator(features: list[dict]) -> dict:
            batch_ = base(features)
            seen.append(tuple(batch_["input_ids"].shape))
            return batch_

        # transformers >= 5 spells `group_by_length=True` as a sampling strategy
        grouping = (
            {"train_sampling_strategy": "group_by_length" if group else "random"}
            if "train_sampling_strategy" in inspect.signature(TrainingArguments).parameters
            else {"group_by_length": group}
        )
        args = TrainingArguments(
            out,
            per_device_train_batch_size=batch,
            num_train_epochs=1,
            learning_rate=1e-5,
            **grouping,
            save_strategy="no",
            logging_strategy="no",
            report_to=[],
            disable_tqdm=True,
            seed=1,
            use_cpu=device.type == "cpu",
            bf16=device.type == "cuda" and torch.cuda.is_bf16_supported(),
        )
        trainer = Trainer(
            model=_ForTrainer(model), args=args, train_dataset=dataset, data_collator=collator
        )
        trainer.remove_callback(PrinterCallback)  # no metrics dict printed per epoch
        t0 = time.perf_counter()
        trainer.train()
        _sync(device)
        elapsed = time.perf_counter() - t0
        shapes[LOOPS[1] if group else LOOPS[0]] = seen
        return len(rows) / elapsed

    def our_epoch(name: str, iw: bool, fixed: bool) -> float:
        seen = []
        t0 = time.perf_counter()
        for idx in ours:
            chunk = [rows[i] for i in idx]
            if fixed:  # pad to max_length, like `--pad_to_max_length` in the HF examples
                chunk = [
                    {**r, "input_ids": r["input_ids"] + [pad] * (max_length - len(r["input_ids"]))}
                    for r in chunk
                ]
            src = collate(chunk, pad)
            seen.append(tuple(src["input_ids"].shape))
            tgt = next(targets)[1] if iw else None
            train_step(model, optimizer, src, tgt, "cosine" if iw else "none", device)
        elapsed = time.perf_counter() - t0
        shapes[name] = seen
        return len(rows) / elapsed

    names = [*LOOPS, PADDED]
    seq_s: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        trainer_epoch(False, tmp)  # warm-up: first-call costs of both paths
        our_epoch(LOOPS[2], False, False)
        for _ in range(reps):  # interleaved: drift hits every loop alike
            seq_s[LOOPS[0]].append(trainer_epoch(False, tmp))
            seq_s[LOOPS[1]].append(trainer_epoch(True, tmp))
            seq_s[LOOPS[2]].append(our_epoch(LOOPS[2], False, False))
            seq_s[LOOPS[3]].append(our_epoch(LOOPS[3], True, False))
            seq_s[PADDED].append(our_epoch(PADDED, False, True))
    roof = matmul_roof(device)
    result: dict[str, Any] = {"n_rows": len(rows), "batch": batch, "roof_gflop_s": roof}
    for name in names:
        computed = sum(n * t for n, t in shapes[name])
        flops = _flops(train_coef, shapes[name])
        if name == LOOPS[3]:  # the target forward: batches of the same size and lengths
            flops += _flops(target_coef, shapes[name])
        gflop_s = [flops * s / len(rows) / 1e9 for s in seq_s[name]]
        result[name] = {
            "seq_s": spread(seq_s[name]),
            "computed_per_real_token": computed / real,
            "gflop_per_epoch": flops / 1e9,
            "gflop_s": spread(gflop_s),
            "utilisation": statistics.median(gflop_s) / roof,
        }
    reference = statistics.median(seq_s[LOOPS[0]])
    for name in names:
        result[name]["vs_trainer_defaults"] = statistics.median(seq_s[name]) / reference
    return result


def print_loops(result: dict, reps: int) -> None:
    print(
        f"\n## 2. One epoch: transformers.Trainer vs our loop ({result['n_rows']} rows, "
        f"batch {result['batch']}, {reps} interleaved rounds; FLOPs from torch.utils."
        f"flop_counter; roof: matmul {result['roof_gflop_s']:.1f} GFLOP/s)"
    )
    for name in (*LOOPS, PADDED):
        r = result[name]
        extra = "  (extra row: the HF examples' --pad_to_max_length)" if name == PADDED else ""
        print(
            f"{name:26s} {fmt(r['seq_s'], ' seq/s', 1)}  x{r['vs_trainer_defaults']:.2f} of "
            f"Trainer  tokens computed/real {r['computed_per_real_token']:.2f}  "
            f"{fmt(r['gflop_s'], ' GFLOP/s', 1)} = {r['utilisation']:.0%} of roof{extra}"
        )


def bench_tokenise(
    processed: dict[str, Path], model_dir: Path, out_root: Path, reps: int = 5
) -> dict:
    """Time to tokenise each data set from scratch (``reps`` times: no cache is reused, the
    map runs in memory) and to load the cached features again."""
    from datasets import load_from_disk

    from zsiw.features import build_features

    out = {}
    for name, path in processed.items():
        builds, loads = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            build_features(path, model_dir, out_root / name, max_length=128)
            builds.append(time.perf_counter() - t0)
        for _ in range(reps):
            t1 = time.perf_counter()
            load_from_disk(str(out_root / name))
            loads.append(time.perf_counter() - t1)
        out[name] = {"tokenise_s": spread(builds), "cache_load_s": spread(loads)}
    return out


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-set high-water mark of this process (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    """This process's peak RSS since the last reset (VmHWM), else since it started."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        _reset_peak_rss()


def _peak_mb(device: torch.device) -> float:
    """Peak since the last reset: CUDA max allocated, else the process's RSS high-water mark."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return _peak_rss_mb()


def peak_memory_worker(spec: dict) -> dict[str, Any]:
    """Peak memory (MB) of one method: of each of ``spec['reps']`` steps alone, and of the
    whole process (model load, warm-up and every step: what a job must be given, the maximum
    over those intervals). CPU: RSS, its high-water mark reset before every step; CUDA: the
    allocator's max allocated bytes, reset likewise. Run in a fresh process."""
    device = torch.device(spec["device"])
    torch.set_num_threads(spec["threads"])
    model, optimizer, pad = _model_and_optimizer(
        Path(spec["model"]), device, spec["layers"], spec["freeze"]
    )
    src = collate(synthetic_rows(spec["batch"], spec["length"], 1), pad)
    tgt = collate(synthetic_rows(spec["batch"], spec["length"], 2), pad, with_labels=False)
    train_step(model, optimizer, src, tgt, spec["method"], device)  # allocates optimiser state
    first = _peak_mb(device)
    peaks = []
    for _ in range(spec["reps"]):
        _reset_peak(device)
        train_step(model, optimizer, src, tgt, spec["method"], device)
        peaks.append(_peak_mb(device))
    return {"process": max([first, *peaks]), "steps": peaks}


def peak_memory(
    model_dir: Path, method: str, batch: int, length: int, reps: int, device: torch.device, **kw
) -> dict[str, Any]:
    """Peak memory (MB) of one method in a fresh process (so that no other method's
    allocations count): the whole-process peak and the spread of the per-step peaks."""
    spec = {
        "model": str(model_dir),
        "method": method,
        "batch": batch,
        "length": length,
        "reps": reps,
        "device": str(device),
        "layers": kw.get("num_layers"),
        "freeze": kw.get("freeze_embeddings", False),
        "threads": torch.get_num_threads(),
    }
    code = (
        "import json,sys;from zsiw.bench import peak_memory_worker as w;"
        "print(json.dumps(w(json.loads(sys.argv[1]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"peak-memory worker for {method} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"process": result["process"], "step": spread(result["steps"])}


def build_parser() -> Any:
    """`zsiw bench`'s options (its own parser: `zsiw.cli` hands it the arguments unparsed)."""
    import argparse

    parser = argparse.ArgumentParser(prog="zsiw bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: < 3 min on 2 cores")
    parser.add_argument("--model", default="data/models/zsiw-demo--multilingual-e5-small")
    parser.add_argument("--shared-data", default="../shared/data")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", default="results/bench.json")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--only",
        choices=["embeddings", "full-depth"],
        default=None,
        help="run one section: embeddings = whole vs pruned vs frozen word embeddings; "
        "full-depth = one step of config/full-cpu.yaml: profile, roofs, fp32 vs bf16, AdamW",
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="full-depth: steps measured (default 8, quick 3)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="full-depth: threads (default: the grid's)"
    )
    parser.add_argument(
        "--torch-compile",
        action="store_true",
        help="full-depth: also compare torch.compile of the encoder with eager (minutes)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sections in the order they are numbered (and documented in
    docs/performance.md): 1 IW overhead, 2 one epoch against `transformers.Trainer`,
    3 tokenising and the cache, 4 the cost model, 5 peak memory, 6 word embeddings, and
    without ``--quick`` on a CPU 7, one full-depth step (`zsiw.bench_full`)."""
    args = build_parser().parse_args(argv)
    from zsiw.config import load_config

    config = load_config(Path(args.params))  # validated first: a bad file fails in a second

    import tempfile

    import datasets

    datasets.disable_progress_bars()
    device, model_dir = resolve_device(args.device), Path(args.model)
    _materialise_encoder(model_dir)
    reps = 5 if args.quick else 10
    if args.only == "embeddings":
        return _embeddings_only(args, model_dir, device, reps)
    if args.only == "full-depth":
        return _full_depth_only(args, model_dir)
    # The CPU studies' settings in quick mode (config/real-cpu.yaml, study-cpu.yaml: 4 of 12
    # layers, frozen word embeddings; the demo itself keeps 3).
    kw: dict[str, Any] = {"num_layers": 4, "freeze_embeddings": True} if args.quick else {}
    threads = torch.get_num_threads()
    report: dict = {"device": str(device), "threads": threads, "quick": args.quick, **kw}
    print(f"# zsiw bench on {device} ({threads} threads){' --quick' if args.quick else ''}")
    # CPU: the demo's scale; GPU: the XLM-R settings (32 + 32, lengths 128 and 256, bf16)
    lengths = [64] if device.type == "cpu" else [128, 256]
    batch = 16 if device.type == "cpu" else 32

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # The real data sets parsed once, and English SemEval tokenised once (untimed): its
        # token lengths drive section 2 and its rows section 6.
        processed = _parsed_datasets(Path(args.shared_data), tmp, quick=args.quick)
        ote_features = _ote_features(processed, model_dir, tmp)

        by_length = {
            length: bench_iw_overhead(
                model_dir, batch=batch, length=length, reps=reps, device=device, **kw
            )
            for length in lengths
        }
        for length, iw in by_length.items():
            print_iw_overhead(iw, batch, length, reps)
        iw, length = by_length[lengths[0]], lengths[0]
        report["iw_overhead"], report["iw_overhead_by_length"] = iw, by_length

        n_rows = 48 if args.quick else 480
        loop_lengths = length_distribution(ote_features, n_rows, 128)
        report["loops"] = bench_loops(
            model_dir, loop_lengths, batch=batch, max_length=128, reps=reps, device=device, **kw
        )
        print_loops(report["loops"], reps)

        report["tokenise"] = bench_tokenise(processed, model_dir, tmp / "feat", reps)
        print_tokenise(report["tokenise"], reps)

        report["cost_model"], report["cost_model_spread"] = cost_from_step_times(
            config, iw, length, batch
        )

        unit = "CUDA max allocated" if device.type == "cuda" else "peak RSS"
        print(f"\n## 5. Peak memory, {unit} (a fresh process per method; per step: {reps} reps)")
        mem = {}
        for m in METHODS:
            mem[m] = peak_memory(model_dir, m, batch, length, reps, device, **kw)
            step = fmt(mem[m]["step"], " MB", 0)
            print(f"{m:10s} whole process {mem[m]['process']:.0f} MB; one step {step}")
        report["peak_memory_mb"] = {"kind": unit, **mem}

        rows = _ote_rows(ote_features, 8 * batch)
    emb = bench_embedding_update(model_dir, rows, batch=batch, reps=reps, device=device)
    report["embedding_update"] = emb
    print_embedding_update(emb, reps)
    report["self_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not args.quick and device.type == "cpu":  # section 7: minutes (bf16 without AMX: more)
        report["full_depth"] = full_depth(args, model_dir)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {out}")
    return 0


def _materialise_encoder(model_dir: Path) -> None:
    if not (model_dir / "config.json").exists():
        print(f"materialising the demo encoder into {model_dir} …", flush=True)
        from zsiw.demo_encoder import DEMO_ENCODER_NAME
        from zsiw.models import fetch_encoder

        fetch_encoder(DEMO_ENCODER_NAME, model_dir)


def print_iw_overhead(iw: dict, batch: int, length: int, reps: int) -> None:
    print(f"\n## 1. IW overhead: step time, {batch}+{batch} x {length} tokens ({reps} reps)")
    for m in METHODS:
        ratio = fmt(iw["ratio_spread"][m], "", 3)
        print(f"{m:10s} {fmt(iw['steps'][m])}  ratio to none {ratio}")
    print(f"floor (none + one no-grad target forward): ratio {iw['floor_ratio']:.3f}")


def _parsed_datasets(shared: Path, tmp: Path, *, quick: bool) -> dict[str, Path]:
    """English SemEval (and, unless ``quick``, Webis-CLS-10 books) parsed from
    ``../shared/data``; empty where it is absent."""
    if not (shared / "semeval2016").is_dir():
        return {}
    from zsiw.data.prepare import prepare_dataset

    wanted: list[tuple[str, Path, str | None]] = [("ote", shared / "semeval2016", None)]
    if not quick:
        wanted.append(("cls", shared / "webis-cls-10", "books"))
    processed = {}
    for task, root, domain in wanted:
        out = tmp / f"{task}-{SOURCE_LANG}"
        prepare_dataset(task, SOURCE_LANG, root, out, tmp / f"{task}.json", domain=domain)
        processed[f"{task}-{SOURCE_LANG}"] = out
    return processed


def _ote_features(processed: dict[str, Path], model_dir: Path, tmp: Path) -> Path | None:
    """English SemEval tokenised once (untimed), or None without the data."""
    if f"ote-{SOURCE_LANG}" not in processed:
        return None
    from zsiw.features import build_features

    out = tmp / f"ote-{SOURCE_LANG}-features"
    build_features(processed[f"ote-{SOURCE_LANG}"], model_dir, out, max_length=128)
    return out


def print_tokenise(tok: dict, reps: int) -> None:
    print(f"\n## 3. Tokenise from scratch, then load the cache ({reps} reps each)")
    if not tok:
        print("(no ../shared/data: not measured)")
    for name, t in tok.items():
        first, load = fmt(t["tokenise_s"], "s", 2), fmt(t["cache_load_s"])
        print(f"{name:10s} tokenise {first}; cache load {load}")


def cost_from_step_times(
    config: dict, iw: dict, length: int, batch: int
) -> tuple[dict, dict[str, dict[str, float]]]:
    """Section 4: the params' grid priced with section 1's step times (per token, scaled to
    each task's ``max_length`` and batch size) through `zsiw.cost.from_step_times`; the
    median, and the min-max spread carried into the estimate."""
    from zsiw import cost, plan

    print("\n## 4. Cost model for params.yaml (this device, this encoder; linear in length)")
    by_stat = {}
    for stat in ("median", "min", "max"):
        per_token = {m: iw["steps"][m][stat] / length for m in METHODS}
        step_seconds = {}
        for task in plan.tasks(config):
            settings = plan.train_settings(config, task)
            group, max_length = plan.task_group(task), settings["max_length"]
            scale = settings["batch_size"] / batch
            for m in METHODS:
                step_seconds[f"{group}@{max_length}/{m}"] = per_token[m] * max_length * scale
        by_stat[stat] = cost.from_step_times(config, step_seconds)
    costs = by_stat["median"]
    spread_ = {g: {stat: by_stat[stat][g]["hours"] for stat in by_stat} for g in costs}
    for group, c in costs.items():
        print(f"{group:6s} {c['cells']:4d} cells  ~{fmt(spread_[group], '', 1)} device-hours")
    total = {stat: sum(c["hours"] for c in by_stat[stat].values()) for stat in by_stat}
    print(f"total ~{fmt(total, '', 1)} device-hours")
    return costs, spread_


def _ote_rows(features: Path | None, n: int) -> list[dict]:
    """``n`` tokenised SemEval English training rows, else synthetic rows of 32 ids."""
    if features is None:
        return synthetic_rows(n, 32, 0)
    from datasets import load_from_disk

    rows = load_from_disk(str(features))["train"].select(range(n)).to_list()
    return [{"input_ids": r["input_ids"], "labels": 0} for r in rows]


def _embeddings_only(args: Any, model_dir: Path, device: torch.device, reps: int) -> int:
    import tempfile

    batch = 16 if device.type == "cpu" else 32
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        processed = _parsed_datasets(Path(args.shared_data), tmp, quick=True)
        rows = _ote_rows(_ote_features(processed, model_dir, tmp), 8 * batch)
    result = bench_embedding_update(model_dir, rows, batch=batch, reps=reps, device=device)
    print(f"# zsiw bench --only embeddings on {device} ({torch.get_num_threads()} threads)")
    print_embedding_update(result, reps)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": str(device), "embedding_update": result}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())


def ote_rows(shared: Path, model_dir: Path, tmp: Path, lang: str, n: int) -> list[dict]:
    """The first ``n`` tokenised SemEval training rows of ``lang`` (max length 128), else
    ``n`` synthetic token-tagged rows of 12-40 ids."""
    if not (shared / "semeval2016").is_dir():
        g = torch.Generator().manual_seed(len(lang))
        lengths = torch.randint(12, 40, (n,), generator=g).tolist()
        return [
            {"input_ids": torch.randint(5, 5000, (k,), generator=g).tolist(), "labels": [0] * k}
            for k in lengths
        ]
    from datasets import load_from_disk

    from zsiw.data.prepare import prepare_dataset
    from zsiw.features import build_features

    prepare_dataset("ote", lang, shared / "semeval2016", tmp / lang, tmp / f"{lang}.json")
    build_features(tmp / lang, model_dir, tmp / f"{lang}-features", max_length=128)
    rows = load_from_disk(str(tmp / f"{lang}-features"))["train"]
    return rows.select(range(min(n, len(rows)))).to_list()


def _full_depth_only(args: Any, model_dir: Path) -> int:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"full_depth": full_depth(args, model_dir)}, indent=2))
    print(f"\nwrote {out}")
    return 0


def full_depth(args: Any, model_dir: Path) -> dict:
    """Section 7 (`zsiw.bench_full`) on real SemEval batches (en source, es target)."""
    import tempfile

    from zsiw.bench_full import FULL_CONFIG, bench_full_depth, print_full_depth
    from zsiw.config import load_config

    config = load_config(Path(args.params), [FULL_CONFIG])
    steps = args.steps or (3 if args.quick else 8)
    threads = args.threads or config["train"].get("threads") or torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        # a few hundred rows: enough for the batches measured, and for length grouping
        n = 32 * 50
        source = ote_rows(Path(args.shared_data), model_dir, Path(tmp), SOURCE_LANG, n)
        target = ote_rows(Path(args.shared_data), model_dir, Path(tmp), "es", n)
    torch.set_num_threads(threads)
    roofs = {p: matmul_roof(torch.device("cpu"), precision=p) for p in ("fp32", "bf16")}
    result = bench_full_depth(
        model_dir,
        source,
        target,
        config=config,
        steps=steps,
        threads=threads,
        roofs=roofs,
        torch_compile=args.torch_compile,
    )
    print_full_depth(result)
    return result
