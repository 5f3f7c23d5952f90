"""`zsiw bench --only full-depth`: where the time of one full-depth training step goes.

The published grid (`config/full-cpu.yaml`) spends its hours in one kind of step: the whole
12-layer demo encoder, every parameter trained (the word embeddings through exact vocabulary
pruning), real SemEval batches of 32 sentences, batch-grouped by length. This section builds
exactly that cell with the training loop's own functions (`zsiw.train.setup_cell`, its batch
stream and `train_step`) and measures, in one run so that the ratios hold on a shared machine:

* the matrix-product roof of this CPU in fp32 and under bf16 autocast (2048^2, the same
  thread count);
* the step time per method (plain, cosine IW) and precision (fp32, bf16 autocast), on the same
  batches, interleaved; the FLOPs of each step (`torch.utils.flop_counter`) and the achieved
  GFLOP/s against the roof of the same precision;
* a PyTorch-profiler split of the fp32 step: by phase of `train_step` (forward, loss, weights,
  backward, clip, optimizer), by kind of operator (matrix products, attention, normalisation,
  embedding, element-wise and the rest), and what is left outside any operator (Python, the
  dispatcher, the autograd engine); the batch assembly (collate) timed beside it;
* AdamW's three CPU implementations (PyTorch's for-loop default, which zsiw uses,
  ``foreach``, ``fused``): the time of one optimizer step, and how far three steps from the
  same state, with the learning-rate schedule stepped, leave the for-loop's parameters;
* with ``--torch-compile``: the encoder under `torch.compile` (inductor, dynamic shapes)
  against eager on the same batches, interleaved: compilation time, steady step time, and
  how far the parameters move apart (the published grid needs bit-identical fp32).

Nothing here is asserted; `docs/performance.md` reports a run with its CPU named.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from zsiw import plan, train, weighting
from zsiw.settings import TrainSettings

#: The grid whose step is measured, and its task.
FULL_CONFIG = Path("config/full-cpu.yaml")
TASK = "ote"
METHOD = "cosine"

#: Operator kinds of the profile, by the first pattern an operator's name contains.
OP_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("matrix products", ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "mkldnn")),
    ("attention", ("scaled_dot_product", "softmax")),
    ("normalisation", ("layer_norm",)),
    ("embedding", ("embedding",)),
)
OTHER_OPS = "element-wise and the rest"
PHASES = ("forward", "loss", "weights", "backward", "clip", "optimizer")


def cpu_description() -> dict[str, Any]:
    """The CPU's model name, the vector kernels torch dispatches to (and the caps holding
    them lower, where set: `zsiw.kernels`), and whether it has the instructions that make
    bf16 fast (AVX512-BF16, AMX)."""
    from zsiw import kernels
    from zsiw.publish import cpu_model

    flags = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        flags = next((ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("flags")), "")
    words = set(flags.split())
    running = kernels.in_force()
    return {
        "model": cpu_model(),
        "torch_kernels": running["cpu_capability"],
        "kernel_env": running.get("kernel_env", {}),
        "avx512_bf16": "avx512_bf16" in words,
        "amx_bf16": "amx_bf16" in words,
    }


def full_depth_cell(
    model_dir: Path, source_rows: list[dict], target_rows: list[dict], settings: TrainSettings
) -> tuple[train.CellRun, train.CellData, int]:
    """The OTE cosine cell as `zsiw.train.train_cell` sets it up (pruned vocabulary, AdamW,
    schedule, both batch streams), seed 1; source dev rows are not needed here."""
    data = train.CellData(train=source_rows, dev=[], target=target_rows)
    method = weighting.method_of(METHOD)
    train.seed_everything(1)
    return train.setup_cell(TASK, method, 1, data, model_dir, settings, (), torch.device("cpu"))


def step_batches(
    run: train.CellRun, data: train.CellData, settings: TrainSettings, n: int
) -> list[tuple[dict, dict]]:
    """The first ``n`` (source, target) batches the loop would train on."""
    progress = train.Progress()
    out = []
    for _, batch, _, target in train.batches(data, run, settings, progress, n):
        assert target is not None  # an IW cell: every source batch has its target batch
        out.append((batch, target))
        progress.step += 1
    return out


def step_flops(run: train.CellRun, batch: dict, target: dict, settings: TrainSettings) -> dict:
    """FLOPs of one training step per method and precision's method (forward, backward and,
    for IW, the target pass), counted on a copy so that the measured model is untouched."""
    from torch.utils.flop_counter import FlopCounterMode

    model = copy.deepcopy(run.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0)
    out = {}
    for name, method in (("none", None), (METHOD, weighting.method_of(METHOD))):
        with FlopCounterMode(display=False) as counter:
            train.train_step(
                model, optimizer, batch, settings, method=method, target=target, device=_CPU
            )
        out[name] = counter.get_total_flops()
    return out


_CPU = torch.device("cpu")


def time_steps(
    run: train.CellRun, batches: list[tuple[dict, dict]], settings: TrainSettings
) -> dict[str, list[float]]:
    """Seconds per step of every (method, precision) variant, interleaved batch by batch so
    that drift on a shared machine hits every variant alike."""
    variants = {
        f"{name}/{precision}": (
            method,
            TrainSettings.from_dict({**settings.to_dict(), "precision": precision}),
        )
        for name, method in (("none", None), (METHOD, weighting.method_of(METHOD)))
        for precision in ("fp32", "bf16")
    }
    times: dict[str, list[float]] = defaultdict(list)
    for i, (batch, target) in enumerate(batches):
        for key, (method, variant_settings) in variants.items():
            t0 = time.perf_counter()
            train.train_step(
                run.model,
                run.optimizer,
                batch,
                variant_settings,
                method=method,
                target=target,
                device=_CPU,
            )
            if i:  # the first batch warms every variant up
                times[key].append(time.perf_counter() - t0)
    return dict(times)


def _op_kind(name: str) -> str:
    for kind, patterns in OP_KINDS:
        if any(p in name for p in patterns):
            return kind
    return OTHER_OPS


def _phase_of(event: Any) -> str | None:
    while event is not None:
        if event.name.startswith(train.PHASE_PREFIX):
            return event.name[len(train.PHASE_PREFIX) :]
        event = event.cpu_parent
    return None


def profile_steps(
    run: train.CellRun, batches: list[tuple[dict, dict]], settings: TrainSettings, method: str
) -> dict[str, Any]:
    """The profiler's split of the fp32 steps of ``method`` over ``batches``: wall time per
    phase, operator self time per kind (in total and per phase), and the time outside any
    operator (Python, dispatcher, autograd engine)."""
    from torch.profiler import ProfilerActivity, profile

    weights = None if method == "none" else weighting.method_of(method)
    fp32 = TrainSettings.from_dict({**settings.to_dict(), "precision": "fp32"})
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for batch, target in batches:
            train.train_step(
                run.model, run.optimizer, batch, fp32, method=weights, target=target, device=_CPU
            )
        wall = time.perf_counter() - t0
    events = prof.events()
    phase_wall: dict[str, float] = defaultdict(float)
    kinds: dict[str, float] = defaultdict(float)
    kinds_by_phase: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        if event.name.startswith(train.PHASE_PREFIX):
            phase_wall[event.name[len(train.PHASE_PREFIX) :]] += event.cpu_time_total / 1e6
        elif event.name.startswith("aten::") or "mkldnn" in event.name:
            seconds = event.self_cpu_time_total / 1e6
            kind = _op_kind(event.name)
            kinds[kind] += seconds
            kinds_by_phase[_phase_of(event) or "outside"][kind] += seconds
    in_ops = sum(kinds.values())
    return {
        "method": method,
        "steps": len(batches),
        "wall_s": wall,
        "phases_s": {p: phase_wall.get(p, 0.0) for p in PHASES},
        "op_kinds_s": dict(kinds),
        "op_kinds_by_phase_s": {p: dict(k) for p, k in kinds_by_phase.items()},
        "outside_ops_s": wall - in_ops,
    }


def bucketed_first_token(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, buckets: int
) -> torch.Tensor:
    """The target pass with less padding: rows sorted by length, encoded in ``buckets``
    groups each cut to its own longest row, put back in order. The same rows and vectors as
    one padded pass up to float rounding (other matrix shapes, other summation order)."""
    lengths = attention_mask.sum(dim=1)
    order = torch.argsort(lengths, stable=True)
    parts = []
    for idx in torch.tensor_split(order, buckets):
        width = int(lengths[idx].max())
        parts.append(model.first_token(input_ids[idx, :width], attention_mask[idx, :width]))
    return torch.cat(parts)[torch.argsort(order)]


def target_padding(
    run: train.CellRun, batches: list[tuple[dict, dict]], buckets: int = 4
) -> dict[str, Any]:
    """How much of the target pass is padding, and what encoding the target batch in length
    buckets would save: seconds per target pass, padded and bucketed, interleaved, and the
    largest difference it makes to a cosine weight (a measurement: the pipeline keeps the one
    padded pass, which the published grid was trained with)."""
    method = weighting.method_of(METHOD)
    model = run.model
    model.eval()
    real = padded = 0
    times: dict[str, list[float]] = {"padded": [], f"{buckets} buckets": []}
    largest = 0.0
    with torch.no_grad():
        for source, target in batches:
            ids, mask = target["input_ids"], target["attention_mask"]
            real += int(mask.sum())
            padded += mask.numel()
            t0 = time.perf_counter()
            whole = model.first_token(ids, mask)
            t1 = time.perf_counter()
            split = bucketed_first_token(model, ids, mask, buckets)
            t2 = time.perf_counter()
            times["padded"].append(t1 - t0)
            times[f"{buckets} buckets"].append(t2 - t1)
            _, h_source = model(source["input_ids"], source["attention_mask"])
            _, w_whole = weighting.batch_weights(method, h_source, whole)
            _, w_split = weighting.batch_weights(method, h_source, split)
            largest = max(largest, float((w_whole - w_split).abs().max() / w_whole.mean()))
    model.train()
    return {
        "padding_share": 1 - real / padded,
        "target_pass_s": {k: statistics.median(v) for k, v in times.items()},
        "largest_relative_weight_change": largest,
    }


def time_collate(
    run: train.CellRun, data: train.CellData, settings: TrainSettings, n: int
) -> list[float]:
    """Seconds to assemble each of ``n`` (source, target) batches (`zsiw.train.batches`)."""
    progress = train.Progress()
    stream: Iterator = train.batches(data, run, settings, progress, n)
    out: list[float] = []
    while True:
        t0 = time.perf_counter()
        try:
            next(stream)
        except StopIteration:
            return out
        out.append(time.perf_counter() - t0)
        progress.step += 1


def optimizer_variants(
    run: train.CellRun, batch: dict, settings: TrainSettings, reps: int
) -> dict[str, Any]:
    """AdamW's three implementations, each through `zsiw.train.build_optimizer`: PyTorch's
    CPU default (a for-loop over the parameters, zsiw's), ``foreach`` and ``fused``: seconds
    per ``optimizer.step()`` on the cell's gradients, and the largest difference from the
    for-loop's parameters after 3 steps from the same state, the schedule stepped after each
    (at its first step the warm-up rate is 0, and every implementation would agree)."""
    model = copy.deepcopy(run.model)
    logits, _ = model(batch["input_ids"], batch["attention_mask"])
    logits.float().sum().backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    results: dict[str, Any] = {}
    final: dict[str, dict[str, torch.Tensor]] = {}
    variants: dict[str, dict[str, bool]] = {
        "for-loop": {"fused": False, "foreach": False},
        "foreach": {"fused": False, "foreach": True},
        "fused": {"fused": True},
    }
    for name, extra in variants.items():
        with torch.no_grad():
            for n, p in model.named_parameters():
                p.copy_(start[n])
        optimizer, scheduler = train.build_optimizer(model, settings, 100, **extra)
        times = []
        for rep in range(reps + 3):
            for n, p in model.named_parameters():
                p.grad = grads[n].clone() if n in grads else None
            t0 = time.perf_counter()
            optimizer.step()
            if rep >= 3:
                times.append(time.perf_counter() - t0)
            scheduler.step()
            if rep == 2:
                final[name] = {n: p.detach().clone() for n, p in model.named_parameters()}
        results[name] = {
            "step_s": statistics.median(times),
            "max_diff_from_for_loop": max(
                (final[name][n] - final["for-loop"][n]).abs().max().item()
                for n in final["for-loop"]
            ),
            "max_update": max((final[name][n] - start[n]).abs().max().item() for n in start),
        }
    return results


def compiled_steps(
    run: train.CellRun,
    batches: list[tuple[dict, dict]],
    settings: TrainSettings,
    *,
    backend: str = "inductor",
) -> dict[str, Any]:
    """`torch.compile` of the encoder against eager, per method (plain, cosine IW).

    Two copies of the cell's model start from the same state, each with zsiw's AdamW at the
    cell's peak learning rate (no warm-up: a zero rate would hide any numerical difference);
    every batch is trained by both, eager first, with the same seed (the same dropout masks).
    The first step of the compiled copy compiles; a later step that takes more than 5× its
    eager twin recompiled (a new shape or graph break). ``backend="eager"`` (Dynamo's trace
    run by the same kernels) must leave the parameters bit-identical, which tests this
    comparison itself."""
    out: dict[str, Any] = {}
    start = [p.detach().clone() for p in run.model.parameters()]  # the copies' shared start
    for name, method in (("none", None), (METHOD, weighting.method_of(METHOD))):
        pair = []
        for _ in range(2):
            model = copy.deepcopy(run.model)
            optimizer, _ = train.build_optimizer(model, settings, len(batches))
            for group in optimizer.param_groups:
                group["lr"] = settings.lr
            pair.append((model, optimizer))
        pair[1][0].encoder.compile(dynamic=True, backend=backend)
        times: dict[str, list[float]] = {"eager": [], "compiled": []}
        for i, (batch, target) in enumerate(batches):
            for key, (model, optimizer) in zip(times, pair, strict=True):
                torch.manual_seed(i)
                t0 = time.perf_counter()
                train.train_step(
                    model, optimizer, batch, settings, method=method, target=target, device=_CPU
                )
                times[key].append(time.perf_counter() - t0)
        eager, compiled = times["eager"], times["compiled"]
        out[name] = {
            "backend": backend,
            "first_step_s": {"eager": eager[0], "compiled": compiled[0]},
            "recompiled_steps": [i for i in range(1, len(eager)) if compiled[i] > 5 * eager[i]],
            "step_s": {k: statistics.median(v[1:]) for k, v in times.items()},
            "total_s": {k: sum(v) for k, v in times.items()},
            "largest_update": max(
                (a - b).abs().max().item()
                for a, b in zip(pair[0][0].parameters(), start, strict=True)
            ),
            "largest_parameter_difference": max(
                (a - b).abs().max().item()
                for a, b in zip(pair[0][0].parameters(), pair[1][0].parameters(), strict=True)
            ),
        }
    return out


def bench_full_depth(
    model_dir: Path,
    source_rows: list[dict],
    target_rows: list[dict],
    *,
    config: dict,
    steps: int,
    threads: int,
    roofs: dict[str, float],
    torch_compile: bool = False,
) -> dict[str, Any]:
    """Every figure of the section, in one run (see the module's docstring); ``roofs`` are
    the matrix-product GFLOP/s of this CPU per precision (`zsiw.bench.matmul_roof`),
    measured by the caller at the same thread count. ``torch_compile`` adds
    `compiled_steps` (minutes of compilation)."""
    torch.set_num_threads(threads)
    settings = TrainSettings.from_dict(plan.cell_train_settings(config, TASK, METHOD))
    run, data, _ = full_depth_cell(model_dir, source_rows, target_rows, settings)
    batches = step_batches(run, data, settings, steps + 1)
    flops = [step_flops(run, b, t, settings) for b, t in batches[1:]]
    times = time_steps(run, batches, settings)
    achieved = {}
    for key, seconds in times.items():
        method, precision = key.split("/")
        total_flops = sum(f[method] for f in flops)
        gflop_s = total_flops / sum(seconds) / 1e9
        achieved[key] = {
            "step_s": statistics.median(seconds),
            "steps_s": seconds,
            "gflop_per_step": total_flops / len(flops) / 1e9,
            "gflop_s": gflop_s,
            "of_roof": gflop_s / roofs[precision],
        }
    return {
        "cpu": cpu_description(),
        "threads": threads,
        "settings": {
            k: getattr(settings, k)
            for k in ("batch_size", "target_batch_size", "max_length", "num_layers")
        },
        "vocab_rows": None if run.kept_ids is None else len(run.kept_ids),
        "batch_tokens": [tuple(b["input_ids"].shape) for b, _ in batches[1:]],
        "roof_gflop_s": roofs,
        "steps": achieved,
        "profile": [profile_steps(run, batches[1:], settings, m) for m in ("none", METHOD)],
        "collate_s": statistics.median(time_collate(run, data, settings, steps)),
        "target_padding": target_padding(run, batches[1:]),
        "adamw": optimizer_variants(run, batches[1][0], settings, reps=5),
        "torch_compile": compiled_steps(run, batches, settings) if torch_compile else None,
    }


def _caps(cpu: dict[str, Any]) -> str:
    """ " (held by ATEN_CPU_CAPABILITY=avx2 ...)" where caps were set, else nothing."""
    caps = " ".join(f"{k}={v}" for k, v in cpu.get("kernel_env", {}).items())
    return f" (held by {caps})" if caps else ""


def print_full_depth(result: dict[str, Any]) -> None:
    cpu = result["cpu"]
    bf16 = "AMX" if cpu["amx_bf16"] else "AVX512-BF16" if cpu["avx512_bf16"] else "no native bf16"
    print(
        f"\n## 7. One full-depth step (config/full-cpu.yaml, OTE; {cpu['model']}, torch "
        f"kernels {cpu['torch_kernels']}{_caps(cpu)}, {bf16}; {result['threads']} thread(s))"
    )
    roofs = result["roof_gflop_s"]
    print(
        f"matmul roof 2048^2: fp32 {roofs['fp32']:.3g} GFLOP/s, bf16 autocast "
        f"{roofs['bf16']:.3g} GFLOP/s"
    )
    for key, r in result["steps"].items():
        share = (
            f"{r['of_roof']:.0%} of its roof"
            if r["of_roof"] <= 1
            else "above its roof (a CPU without native bf16 runs a 2048^2 product slower "
            "than the step's small ones)"
        )
        print(
            f"{key:12s} {r['step_s']:.3f} s/step  {r['gflop_per_step']:.1f} GFLOP/step  "
            f"{r['gflop_s']:.1f} GFLOP/s = {share}"
        )
    for prof in result["profile"]:
        wall = prof["wall_s"]
        print(f"profile, {prof['method']} fp32, {prof['steps']} steps, {wall:.2f} s:")
        print("  phases: " + ", ".join(f"{p} {s / wall:.0%}" for p, s in prof["phases_s"].items()))
        kinds = sorted(prof["op_kinds_s"].items(), key=lambda kv: -kv[1])
        print(
            "  operators: "
            + ", ".join(f"{k} {s / wall:.0%}" for k, s in kinds)
            + f"; outside operators {prof['outside_ops_s'] / wall:.0%}"
        )
    print(f"collate one batch pair: {result['collate_s'] * 1e3:.1f} ms")
    pad = result["target_padding"]
    passes = pad["target_pass_s"]
    print(
        f"target pass: {pad['padding_share']:.0%} of its tokens are padding; "
        + ", ".join(f"{k} {v:.3f} s" for k, v in passes.items())
        + f"; largest weight change {pad['largest_relative_weight_change']:.1e} (relative)"
    )
    base = result["adamw"]["for-loop"]["step_s"]
    print(
        "AdamW step: "
        + ", ".join(
            f"{n} {r['step_s'] * 1e3:.0f} ms ({base / r['step_s']:.2f}x, parameters "
            f"{'bit-identical' if r['max_diff_from_for_loop'] == 0 else 'differ'}: "
            f"{r['max_diff_from_for_loop']:.1e} after updates of {r['max_update']:.1e})"
            for n, r in result["adamw"].items()
        )
    )
    for name, r in (result.get("torch_compile") or {}).items():
        steady, first = r["step_s"], r["first_step_s"]
        print(
            f"torch.compile ({r['backend']}), {name}: first step {first['compiled']:.1f} s "
            f"(eager {first['eager']:.1f} s), recompiled at steps "
            f"{r['recompiled_steps'] or 'none'}; steady step eager {steady['eager']:.3f} s, "
            f"compiled {steady['compiled']:.3f} s ({steady['eager'] / steady['compiled']:.2f}x); "
            f"all steps {r['total_s']['eager']:.1f} s vs {r['total_s']['compiled']:.1f} s; "
            f"parameters differ by up to {r['largest_parameter_difference']:.1e} "
            f"(largest update of a parameter {r['largest_update']:.1e})"
        )
