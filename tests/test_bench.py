"""zsiw bench's arithmetic (the timings themselves are printed, never asserted)."""

import json
import math
from pathlib import Path

import pytest
import yaml

from zsiw import cost, plan
from zsiw.bench import _peak_rss_mb, _reset_peak_rss, fmt, main, spread

REPO = Path(__file__).resolve().parents[1]


def test_spread_and_format():
    s = spread([3.0, 1.0, 2.0, 10.0, 4.0])
    assert s == {"median": 3.0, "min": 1.0, "max": 10.0}
    assert fmt(s) == "3.000s [1.000-10.000]"


def test_cost_from_step_times_counts_cells_and_steps_by_hand():
    """`zsiw bench`'s cost model is `zsiw.cost`'s, with measured step times."""
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    # 1 s per step for every method and task length
    seconds = {
        f"{plan.task_group(t)}@{plan.train_settings(config, t)['max_length']}/{m}": 1.0
        for t in plan.tasks(config)
        for m in ("none", "cosine", "euclidean", "coral")
    }
    costs = cost.from_step_times(config, seconds)
    cells = plan.cells(config)
    assert costs["mldoc"]["cells"] == sum(c.task == "mldoc" for c in cells) == 48
    # mldoc: 48 single-source cells x 3 epochs x ceil(1000 / 32) = 32 steps, 1 s each
    assert costs["mldoc"]["hours"] == pytest.approx(48 * 3 * math.ceil(1000 / 32) / 3600)
    # OTE: each cell trains on its source languages' real sentence counts; a multi-source
    # cell on the union (e.g. es+nl+ru+tr for en's target: 2070 + 1722 + 3655 + 1232)
    sizes = {"en": 2000, "es": 2070, "nl": 1722, "ru": 3655, "tr": 1232}
    ote = [c for c in cells if c.task == "ote"]
    steps = sum(5 * math.ceil(sum(sizes[s] for s in c.sources) / 32) for c in ote)
    assert costs["ote"]["hours"] == pytest.approx(steps / 3600)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux only")
def test_peak_rss_reset_forgets_an_earlier_allocation():
    before = _peak_rss_mb()
    block = bytearray(b"\x01") * (300 * 2**20)  # 300 MB, written, so resident
    assert _peak_rss_mb() >= before + 250
    del block
    assert _reset_peak_rss()
    assert _peak_rss_mb() < before + 250  # the high-water mark no longer counts the block


@pytest.mark.slow
def test_quick_bench_on_the_tiny_encoder_writes_every_figure(tiny_encoder, tmp_path):
    out = tmp_path / "bench.json"
    assert (
        main(
            [
                "--quick",
                "--model",
                str(tiny_encoder),
                "--out",
                str(out),
                "--params",
                str(REPO / "params.yaml"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    iw = report["iw_overhead"]
    assert set(iw["ratio_to_none"]) == {"none", "cosine", "euclidean", "coral"}
    assert iw["ratio_to_none"]["none"] == 1.0 and iw["floor_ratio"] > 1.0
    loops = report["loops"]
    assert set(loops) >= {
        "Trainer (defaults)",
        "Trainer (group_by_length)",
        "zsiw loop",
        "zsiw loop + IW",
        "padded to max_length",
        "roof_gflop_s",
    }
    padded, ours = loops["padded to max_length"], loops["zsiw loop"]
    assert padded["computed_per_real_token"] > ours["computed_per_real_token"] >= 1.0
    assert loops["Trainer (defaults)"]["vs_trainer_defaults"] == 1.0
    assert loops["zsiw loop + IW"]["gflop_per_epoch"] > ours["gflop_per_epoch"]  # target pass
    assert 0 < ours["utilisation"] < 1 and loops["roof_gflop_s"] > 0
    assert {"ote", "mldoc", "cls"} <= set(report["cost_model"])
    for group, hours in report["cost_model_spread"].items():
        assert hours["min"] <= hours["median"] == report["cost_model"][group]["hours"]
        assert hours["median"] <= hours["max"]
    mem = report["peak_memory_mb"]
    assert mem["kind"] == "peak RSS"
    for m in ("none", "cosine", "euclidean", "coral"):
        step = mem[m]["step"]
        assert 0 < step["min"] <= step["median"] <= step["max"] <= mem[m]["process"]
        spread_ = iw["ratio_spread"][m]
        assert spread_["min"] <= spread_["median"] <= spread_["max"]
    emb = report["embedding_update"]
    params = emb["trained_parameters"]
    assert params["whole"] > params["pruned"] > params["frozen"]
    assert emb["vocab_rows"]["pruned"] < emb["vocab_rows"]["whole"]


def test_flop_fit_reproduces_the_counter_on_an_unseen_shape(tiny_encoder):
    """FLOPs = a*B*T + b*B*T^2 + c*B, fitted on three shapes, is exact on a fourth."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from zsiw.batching import collate
    from zsiw.bench import _flops, flop_fit
    from zsiw.models import build_model

    model = build_model(tiny_encoder, 2, token_level=False)
    cpu = torch.device("cpu")
    coef = flop_fit(model, cpu, backward=True, pad=1)
    batch = collate([{"input_ids": [0] + [9] * 35 + [2], "labels": 1}] * 5, 1)
    with FlopCounterMode(display=False) as counter:
        logits, _ = model(batch["input_ids"], batch["attention_mask"])
        logits.sum().backward()
    assert _flops(coef, [(5, 37)]) == pytest.approx(counter.get_total_flops(), rel=1e-9)
    forward = flop_fit(model, cpu, backward=False, pad=1)
    assert 2.5 < _flops(coef, [(5, 37)]) / _flops(forward, [(5, 37)]) < 3.5  # bwd ~ 2 x fwd
