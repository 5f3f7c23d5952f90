"""The full-depth step section of `zsiw bench` (`zsiw.bench_full`): the parts whose result is a
fact, not a timing: the operator classes, the bucketed target pass, zsiw's AdamW, the split."""

import json
from pathlib import Path

import pytest
import torch

from zsiw import bench_full, train
from zsiw.models import build_model
from zsiw.settings import TrainSettings

REPO = Path(__file__).resolve().parents[1]


def test_operators_fall_into_the_profile_kinds():
    assert bench_full._op_kind("aten::addmm") == "matrix products"
    assert bench_full._op_kind("aten::bmm") == "matrix products"
    assert bench_full._op_kind("aten::_softmax_backward_data") == "attention"
    assert bench_full._op_kind("aten::native_layer_norm") == "normalisation"
    assert bench_full._op_kind("aten::embedding_dense_backward") == "embedding"
    assert bench_full._op_kind("aten::gelu") == bench_full.OTHER_OPS


def test_bucketed_target_pass_gives_the_padded_pass_vectors_in_order(tiny_encoder):
    torch.manual_seed(0)
    model = build_model(tiny_encoder, 2, token_level=False).eval()
    lengths = [3, 17, 5, 11, 2, 9, 14, 6]
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(5, 100, (n,))
        mask[i, :n] = 1
    with torch.no_grad():
        whole = model.first_token(ids, mask)
        split = bench_full.bucketed_first_token(model, ids, mask, buckets=3)
    assert split.shape == whole.shape
    # same rows in the same order; only rounding differs (other shapes, other sums)
    torch.testing.assert_close(split, whole, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(split[1:], whole[:-1], atol=1e-3)  # would fail if reordered


def test_zsiw_adamw_is_the_for_loop_adamw_bit_for_bit(tiny_encoder):
    """zsiw's AdamW (`train.ADAMW_OPTIONS`) trains exactly as PyTorch's CPU for-loop AdamW,
    with which every published cell was trained: five steps, learning-rate schedule stepped
    as training steps it, give the same parameters bit for bit, and the parameters did move
    (with the schedule left at its first, zero warm-up rate this test compared nothing; the
    fused kernel moves the last bits once the rate is above 0)."""
    settings = TrainSettings(lr=1e-3, weight_decay=0.01, batch_size=4, epochs=1, max_length=8)
    finals, moved = {}, 0.0
    for name, options in (("for-loop", {"fused": False, "foreach": False}), ("zsiw", {})):
        torch.manual_seed(0)
        model = build_model(tiny_encoder, 3, token_level=False)
        start = {n: p.detach().clone() for n, p in model.named_parameters()}
        optimizer, scheduler = train.build_optimizer(model, settings, 10, **options)
        g = torch.Generator().manual_seed(1)
        for _ in range(5):
            ids = torch.randint(5, 100, (4, 7), generator=g)
            logits, _ = model(ids, torch.ones_like(ids))
            optimizer.zero_grad()
            logits.sum().backward()
            optimizer.step()
            scheduler.step()
        finals[name] = {n: p.detach().clone() for n, p in model.named_parameters()}
        moved = max((finals[name][n] - start[n]).abs().max().item() for n in start)
    assert moved > 1e-3
    for n, p in finals["for-loop"].items():
        assert torch.equal(p, finals["zsiw"][n]), n


@pytest.mark.slow
def test_full_depth_section_accounts_for_the_step(tiny_encoder, tmp_path):
    """One run of the section on the tiny encoder and synthetic batches: the phases of the
    profiled steps lie inside their wall time, FLOPs are counted, the IW step costs more."""
    from zsiw.bench import main

    out = tmp_path / "full.json"
    argv = ["--only", "full-depth", "--quick", "--steps", "2", "--model", str(tiny_encoder)]
    argv += ["--shared-data", str(tmp_path / "none"), "--out", str(out)]
    argv += ["--params", str(REPO / "params.yaml")]
    assert main(argv) == 0
    result = json.loads(out.read_text())["full_depth"]
    steps = result["steps"]
    assert set(steps) == {"none/fp32", "none/bf16", "cosine/fp32", "cosine/bf16"}
    assert steps["cosine/fp32"]["gflop_per_step"] > steps["none/fp32"]["gflop_per_step"] > 0
    for prof in result["profile"]:
        assert 0 < sum(prof["phases_s"].values()) <= prof["wall_s"]
        assert sum(prof["op_kinds_s"].values()) + prof["outside_ops_s"] == pytest.approx(
            prof["wall_s"]
        )
        assert prof["phases_s"]["backward"] > 0 and prof["phases_s"]["optimizer"] > 0
    assert result["profile"][1]["phases_s"]["weights"] > result["profile"][0]["phases_s"]["weights"]
    # the implementations are compared on updates that moved the parameters
    assert all(r["max_update"] > 0 for r in result["adamw"].values())
    assert result["adamw"]["for-loop"]["max_diff_from_for_loop"] == 0
    assert 0 <= result["target_padding"]["padding_share"] < 1


@pytest.mark.slow  # ~30 s: Dynamo traces the encoder twice
def test_compile_comparison_is_exact_when_the_compiled_copy_runs_the_same_kernels(tiny_encoder):
    """`compiled_steps` with Dynamo's ``eager`` backend traces the encoder but runs the same
    kernels: both copies must end bit-identical, for plain and IW steps alike. A pairing
    error (other seeds, other start, the lr left at zero, one copy skipping a batch) breaks
    this, while a real difference (inductor) would show as a nonzero figure."""
    from types import SimpleNamespace

    torch.manual_seed(0)
    model = build_model(tiny_encoder, 3, token_level=False)
    settings = TrainSettings(lr=1e-3, batch_size=4, epochs=1, max_length=12, grad_clip=1.0)
    g = torch.Generator().manual_seed(2)
    batches = []
    for width in (7, 11, 5):
        ids = torch.randint(5, 100, (4, width), generator=g)
        target = torch.randint(5, 100, (4, width + 2), generator=g)
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        batch["labels"] = torch.randint(0, 3, (4,), generator=g)
        batches.append((batch, {"input_ids": target, "attention_mask": torch.ones_like(target)}))
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    result = bench_full.compiled_steps(
        SimpleNamespace(model=model), batches, settings, backend="eager"
    )
    assert set(result) == {"none", "cosine"}
    for r in result.values():
        assert r["largest_parameter_difference"] == 0.0
        assert len(r["step_s"]) == 2 and r["total_s"]["compiled"] > 0
        assert r["largest_update"] > 1e-4  # the copies trained: the lr is not zero
    # the measured model itself was left alone
    for n, p in model.named_parameters():
        assert torch.equal(p, start[n]), n
    torch._dynamo.reset()


def test_the_benchmark_record_names_the_kernel_caps_that_held_torch_lower(monkeypatch):
    """A timing taken with AVX2 caps on an AVX-512 CPU is a timing of AVX2 kernels: the record
    and its heading must say so, as a published cell's provenance does (`zsiw.kernels`)."""
    from zsiw.kernels import KERNEL_CAP_VARS, kernel_env

    for name in KERNEL_CAP_VARS:
        monkeypatch.delenv(name, raising=False)
    plain = bench_full.cpu_description()
    assert plain["kernel_env"] == {} and bench_full._caps(plain) == ""
    assert plain["torch_kernels"] == torch.backends.cpu.get_cpu_capability()
    for name, value in kernel_env("AVX2").items():
        monkeypatch.setenv(name, value)
    held = bench_full.cpu_description()
    assert held["kernel_env"] == {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    assert bench_full._caps(held) == " (held by ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2)"
