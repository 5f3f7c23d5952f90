import json
from pathlib import Path

import pytest

from zsiw.plan import Cell
from zsiw.report.study import write_study

GOLD = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]


def make_cell(root: Path, method: str, target: str, seed: int, preds: list[int]) -> Path:
    cell = Cell("cls-books", "enc", method, ("en",), target, seed)
    run = root / Path(*cell.run_dir.parts[2:])
    (run / "predictions").mkdir(parents=True)
    lines = [
        json.dumps({"id": f"i{k}", "gold": g, "pred": p})
        for k, (g, p) in enumerate(zip(GOLD, preds))
    ]
    (run / "predictions" / "de.jsonl").write_text("\n".join(lines) + "\n")
    acc = sum(g == p for g, p in zip(GOLD, preds)) / len(GOLD)
    result = {
        **cell.to_dict(),
        "eval_lang": "de",
        "score": acc,
        "accuracy": acc,
        "weight_dispersion": {"ess_ratio_mean": 0.99, "n_max_max": 1.2} if method != "none" else {},
    }
    (run / "metrics.json").write_text(json.dumps({"cell": cell.to_dict(), "results": [result]}))
    return run / "metrics.json"


def test_study_pairs_seeds_and_reports_intervals(tmp_path):
    root = tmp_path / "runs"
    wrong_plain = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1]  # 7/10
    metrics = [
        make_cell(root, "none", "all", 1, wrong_plain),
        make_cell(root, "none", "all", 2, wrong_plain),
        make_cell(root, "cosine", "de", 1, GOLD),  # 10/10
        make_cell(root, "cosine", "de", 2, [1] + GOLD[1:]),  # 9/10
    ]
    rows = write_study(metrics, root, tmp_path / "t.tex", tmp_path / "f.md", n_resamples=200)
    assert len(rows) == 1
    r = rows.iloc[0]
    assert r["seeds"] == 2 and r["plain_mean"] == pytest.approx(0.7)
    assert r["iw_mean"] == pytest.approx(0.95) and r["delta"] == pytest.approx(0.25)
    assert r["ci_low"] <= 0.25 <= r["ci_high"]
    assert r["ess_ratio"] == pytest.approx(0.99)
    table = (tmp_path / "t.tex").read_text()
    assert "$+0.2500$" in table and r"\begin{tabular}" in table
    # per seed: +0.30 and +0.20 over plain, both wins
    assert r["seed_delta_mean"] == pytest.approx(0.25) and r["seed_wins"] == 2
    assert r["seed_delta_std"] == pytest.approx(0.0707107, abs=1e-6)
    # t(0.975, df=1) = 12.7062; sem = 0.0707107 / sqrt(2) = 0.05: 0.25 ± 0.63531
    assert r["seed_ci_low"] == pytest.approx(0.25 - 0.63531, abs=1e-4)
    assert r["seed_ci_high"] == pytest.approx(0.25 + 0.63531, abs=1e-4)
    assert "[-0.3853, +0.8853]" in (tmp_path / "t.tex").read_text()
    text = (tmp_path / "f.md").read_text()
    assert "1 comparisons" in text and "+0.2500" in text and "(2/0)" in text
    assert "its weights move" not in text
    assert (
        "close to uniform on average (mean ESS/n 0.9900), single weights reaching n·w 1.200" in text
    )


def test_conclusion_names_no_effect_only_when_every_interval_contains_zero():
    import pandas as pd

    from zsiw.report.study import conclusion

    base = {"plain_std": 0.02, "ess_ratio": 0.5, "n_max": 3.0, "seed_ci_low": -1.0}
    base["seed_ci_high"] = 1.0
    flat = pd.DataFrame(
        [{**base, "delta": d, "ci_low": d - 0.01, "ci_high": d + 0.01} for d in (0.001, -0.002)]
    )
    assert "no measurable effect: in all 2 cells" in conclusion("m", flat)
    assert "its weights move (mean ESS/n 0.5000, largest n·w 3.00)" in conclusion("m", flat)
    moved = pd.concat(
        [flat, pd.DataFrame([{**base, "delta": -0.05, "ci_low": -0.07, "ci_high": -0.03}])]
    )
    assert "excludes 0 in 1 of 3 cells (0 gains, 1 loss;" in conclusion("m", moved)
    assert "seeds (t-interval of the per-seed Δ) it excludes 0 in 0 of 3 cells" in conclusion(
        "m", moved
    )
    # an effect that only the seed-level interval sees is not "no measurable effect"
    retrained = flat.assign(seed_ci_low=[0.001, -1.0], seed_ci_high=[0.01, 1.0])
    text = conclusion("m", retrained)
    assert "no measurable effect" not in text
    assert "excludes 0 in 0 of 2 cells" in text and "in 1 of 2 cells (1 gain, 0 losses)" in text
    assert conclusion("m", moved, task="ote").startswith("* **ote, `m`**: the bootstrap interval")
    assert "no measurable effect: in 1 cell both 95 % intervals" in conclusion("m", flat.iloc[:1])


def test_run_context_reads_the_target_batch_from_an_iw_run(tmp_path):
    from zsiw.report.study import run_context, train_infos

    settings = {"batch_size": 16, "max_length": 48, "lr": 1e-4, "num_layers": 4}
    metrics = []
    for method, extra in (("none", {}), ("cosine", {"target_batch_size": 8})):
        cell = Cell("ote", "enc", method, ("en",), "all" if method == "none" else "es", 1)
        run = tmp_path / cell.run_dir
        run.mkdir(parents=True)
        info = {
            "cell": cell.to_dict(),
            "method": method,
            "seed": 1,
            "steps": 113,
            "seconds": 1800.0,
            "device": "cpu",
            "settings": {**settings, **extra},
        }
        (run / "train.json").write_text(json.dumps(info))
        metrics.append(run / "metrics.json")
    text = run_context(train_infos([*metrics, tmp_path / "never-trained" / "metrics.json"]))
    assert "113 steps of 16 source + 8 target instances" in text
    assert "first 4 layers" in text and "1.00 h of training" in text


def test_a_run_trained_unlike_the_others_is_refused_by_name(tmp_path):
    from zsiw.report.study import check_comparable, train_infos

    def train_json(method, target, extra, steps=113):
        cell = Cell("ote", "enc", method, ("en",), target, 1)
        run = tmp_path / cell.run_dir
        run.mkdir(parents=True)
        settings = {"num_layers": 4, "lr": 1e-4, "threads": 1, "device": "cpu", **extra}
        info = {"cell": cell.to_dict(), "steps": steps, "settings": settings}
        (run / "train.json").write_text(json.dumps(info))
        return run / "metrics.json"

    plain = train_json("none", "all", {})
    iw = train_json("cosine", "es", {"target_batch_size": 16, "threads": 2})
    check_comparable(train_infos([plain, iw]))  # IW-only settings and hardware may differ
    stale = train_json("cosine_softmax", "ru", {"num_layers": 2}, steps=40)
    with pytest.raises(ValueError, match=r"cosine_softmax/en-ru/seed1 was trained unlike") as err:
        check_comparable(train_infos([plain, iw, stale]))
    assert "num_layers: 4 vs 2" in str(err.value) and "steps: 113 vs 40" in str(err.value)


def test_findings_conclude_per_task_and_never_pool_f1_with_accuracy():
    import pandas as pd

    from zsiw.report.study import findings

    def row(task, delta, std):
        return {
            "task": task, "encoder": "enc", "target": "de", "method": "cosine", "seeds": 5,
            "plain_mean": 0.5, "plain_std": std, "iw_mean": 0.5 + delta, "iw_std": std,
            "delta": delta, "ci_low": delta - 0.001, "ci_high": delta + 0.001, "p_value": 0.01,
            "seed_delta_mean": delta, "seed_delta_std": 0.0, "seed_wins": 5, "seed_losses": 0,
            "seed_ci_low": -0.1, "seed_ci_high": 0.1,
            "ess_ratio": 1.0, "n_max": 1.0,
        }  # fmt: skip

    text = findings(pd.DataFrame([row("ote", -0.004, 0.02), row("cls-books", 0.006, 0.01)]))
    assert "2 comparisons" in text and "(1 gain, 1 loss); the per-seed t-interval in 0" in text
    assert (
        "* **cls-books, `cosine`**: the bootstrap interval excludes 0 in 1 of 1 cell (1 gain,"
        in text
    )
    assert (
        "* **ote, `cosine`**: the bootstrap interval excludes 0 in 1 of 1 cell (0 gains, 1 loss;"
        in text
    )
    assert "plain model 0.0200 on average" in text and "plain model 0.0100 on average" in text
    assert "0.0150" not in text  # the two tasks' seed spreads are not averaged together
    assert "* ote, `cosine`: mean Δ -0.0040 over 1 task×target" in text


def test_findings_say_what_each_models_weights_follow_from_the_cells_geometry(tmp_path):
    """Given the cells' geometry files, the findings gain a table of the class-mix r per
    task x target x model (mean over the seeds where it is defined, with its range; plain
    named so) and the conclusion says it per method; without them, neither appears."""
    root = tmp_path / "runs"
    metrics = [
        make_cell(root, "none", "all", 1, GOLD),
        make_cell(root, "none", "all", 2, GOLD),
        make_cell(root, "cosine", "de", 1, GOLD),
        make_cell(root, "cosine", "de", 2, GOLD),
    ]
    base = {"encoder": "enc", "task": "cls-books", "target": "de", "batches": 20.0}
    base |= {"cos_same_label": 0.5, "cos_other_label": 0.1, "share_min": 0.2, "share_max": 0.8}

    def geometry(name, model, seed, r, low, high):
        mix = {**base, "model": model, "seed": seed, "class_mix_r": r}
        mix |= {"excess_min": low, "excess_max": high}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"layers": [], "class_mix": [mix]}))
        return path

    files = [
        geometry("p1", "none", 1, 0.1, -0.01, 0.01),
        geometry("p2", "none", 2, float("nan"), -0.02, 0.0),
        geometry("c1", "cosine", 1, 0.6, -0.05, 0.04),
        geometry("c2", "cosine", 2, 0.8, -0.03, 0.07),
    ]
    write_study(metrics, root, tmp_path / "t.tex", tmp_path / "f.md", n_resamples=50)
    assert "What the weights follow" not in (tmp_path / "f.md").read_text()
    write_study(
        metrics, root, tmp_path / "t.tex", tmp_path / "f.md", n_resamples=50, geometry=files
    )
    text = (tmp_path / "f.md").read_text()
    assert "| cls-books | de | cosine | 2 | +0.70 [+0.60, +0.80] | -0.0500 to +0.0700 |" in text
    plain = "| cls-books | de | plain | 2 | +0.10 [+0.10, +0.10] | -0.0200 to +0.0100 |"
    follows = text.split("## What the weights follow")[1]
    assert plain in follows and follows.index(plain) < follows.index("| cls-books | de | cosine |")
    assert (
        "its share of the target batch at r +0.70 on average (per target +0.70 to +0.70; 1: "
        "the weights follow the class mix), its n·w − 1 ranging from -0.0500 to +0.0700." in text
    )
