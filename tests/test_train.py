"""The training loop on a tiny random encoder: pairing, determinism, resume, evaluation."""

import json
import logging
import os
import signal
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from conftest import write_processed
from zsiw import train as train_mod
from zsiw.evaluate import evaluate_run
from zsiw.features import build_features
from zsiw.train import train_cell

SETTINGS = {
    "lr": 1e-3,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,
    "batch_size": 4,
    "target_batch_size": 4,
    "epochs": 2,
    "max_steps": None,
    "max_length": 16,
    "dropout": 0.1,
    "grad_clip": 1.0,
    "freeze_embeddings": True,
    "num_layers": None,
    "select_on_dev": True,
    "eval_batch_size": 8,
    "temperature": None,
    "weights_log_batches": 2,
    "log_every": 2,
    "device": "cpu",
    "threads": 1,
    "dev_fraction": 0.25,
}


@pytest.fixture(scope="module")
def feats(tmp_path_factory, tiny_encoder):
    root = tmp_path_factory.mktemp("feats")
    out = {}
    for kind in ("ote", "cls"):
        for lang in ("en", "es"):
            proc = write_processed(root / f"proc-{kind}-{lang}", kind, lang)
            out[kind, lang] = root / f"feat-{kind}-{lang}"
            build_features(proc, tiny_encoder, out[kind, lang], max_length=16)
    return out


def run(tmp_path, feats, tiny_encoder, kind, method, name, seed=1, **extra):
    out = tmp_path / name
    train_cell(
        task_group=kind,
        method=method,
        seed=seed,
        source_features=[feats[kind, "en"]],
        target_features=feats[kind, "es"] if method != "none" else None,
        model_dir=tiny_encoder,
        settings={**SETTINGS, **extra},
        out_dir=out,
        cell_info={"task": kind, "method": method},
    )
    return out


def weights_of(run_dir):
    return load_file(str(run_dir / "model.safetensors"))


def test_tagging_labels_sit_on_first_subtokens(feats):
    from datasets import load_from_disk

    row = load_from_disk(str(feats["ote", "en"]))["train"][0]
    labelled = [lab for lab in row["labels"] if lab != -100]
    assert len(labelled) == len(row["label_words"]) == row["n_words"]
    assert labelled == row["gold_tags"]
    assert row["labels"][0] == -100  # <s>


@pytest.mark.parametrize("kind", ["ote", "cls"])
def test_iw_with_uniform_weights_reproduces_plain_run_exactly(
    tmp_path, feats, tiny_encoder, kind, monkeypatch
):
    plain = run(tmp_path, feats, tiny_encoder, kind, "none", "plain")
    monkeypatch.setattr(
        train_mod.weighting, "normalise", lambda raw, t=None: torch.full_like(raw, 1 / len(raw))
    )
    forced = run(tmp_path, feats, tiny_encoder, kind, "cosine", "forced")
    a, b = weights_of(plain), weights_of(forced)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    summary = json.loads((forced / "train.json").read_text())
    assert summary["weight_dispersion"]["ess_ratio_min"] == pytest.approx(1.0)
    # and so the same metrics: the source-dev score and the epoch it selected
    reference = json.loads((plain / "train.json").read_text())
    assert summary["source_dev_score"] == reference["source_dev_score"]
    assert summary["best_epoch"] == reference["best_epoch"]


def test_real_iw_changes_the_model_and_logs_weights(tmp_path, feats, tiny_encoder):
    plain = run(tmp_path, feats, tiny_encoder, "cls", "none", "plain")
    iw = run(tmp_path, feats, tiny_encoder, "cls", "cosine", "iw")
    a, b = weights_of(plain), weights_of(iw)
    assert any(not torch.equal(a[k], b[k]) for k in a)
    logged = [json.loads(line) for line in (iw / "weights_examples.jsonl").read_text().splitlines()]
    assert len(logged) == 2
    first = logged[0]
    assert len(first["weights"]) == len(first["source_texts"]) == len(first["pair_scores"])
    assert sum(first["weights"]) == pytest.approx(1.0, abs=1e-5)
    steps = [json.loads(line) for line in (iw / "train_log.jsonl").read_text().splitlines()]
    assert all(0 < s["ess_ratio"] <= 1.0 + 1e-9 for s in steps)


def test_same_seed_same_model_other_seed_differs(tmp_path, feats, tiny_encoder):
    a = weights_of(run(tmp_path, feats, tiny_encoder, "ote", "cosine", "a", seed=3))
    b = weights_of(run(tmp_path, feats, tiny_encoder, "ote", "cosine", "b", seed=3))
    c = weights_of(run(tmp_path, feats, tiny_encoder, "ote", "cosine", "c", seed=4))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_train_json_records_the_kernels_that_trained_the_cell(
    tmp_path, feats, tiny_encoder, monkeypatch
):
    """`zsiw publish` copies this record into provenance.json: the caps of the training
    process, not those of whichever shell publishes it later."""
    for name in ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    summary = json.loads(
        (run(tmp_path, feats, tiny_encoder, "cls", "none", "k") / "train.json").read_text()
    )
    assert summary["kernels"] == {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "kernel_env": {"ATEN_CPU_CAPABILITY": "avx2"},
    }


def test_evaluate_writes_metrics_and_word_level_predictions(tmp_path, feats, tiny_encoder):
    out = run(tmp_path, feats, tiny_encoder, "ote", "none", "plain")
    summary = evaluate_run(
        out,
        {"en": feats["ote", "en"], "es": feats["ote", "es"]},
        out / "metrics.json",
        device="cpu",
    )
    assert [r["eval_lang"] for r in summary["results"]] == ["en", "es"]
    result = summary["results"][1]
    assert result["n"] == 10 and result["method"] == "none"
    assert 0.0 <= result["score"] == result["f1"] <= 1.0
    lines = (out / "predictions" / "es.jsonl").read_text().splitlines()
    preds = [json.loads(x) for x in lines]
    assert len(preds) == 10 and all(len(p["pred"]) == len(p["gold"]) for p in preds)
    assert json.loads((out / "metrics.json").read_text()) == summary


def test_train_job_tests_its_cell_like_a_separate_evaluation(tmp_path, feats, tiny_encoder, caplog):
    from zsiw.cli import main

    out = tmp_path / "cell"
    out.mkdir()
    (out / "metrics.json").write_text("{}")  # a stale result must not survive a rerun
    settings = json.dumps({**SETTINGS, "device": "cpu"})
    argv = ["train", "--task", "ote", "--encoder", "tiny", "--method", "cosine"]
    argv += ["--sources", "en", "--target", "es", "--seed", "1", "--model", str(tiny_encoder)]
    argv += ["--source-features", str(feats["ote", "en"])]
    argv += ["--target-features", str(feats["ote", "es"]), "--settings", settings]
    argv += ["--eval-features", f"es={feats['ote', 'es']}", "--out", str(out)]
    assert main(argv) == 0
    in_job = json.loads((out / "metrics.json").read_text())
    assert [r["eval_lang"] for r in in_job["results"]] == ["es"]
    assert in_job["cell"]["target"] == "es" and in_job["cell"]["method"] == "cosine"
    alone = evaluate_run(out, {"es": feats["ote", "es"]}, tmp_path / "m.json", device="cpu")
    assert alone == in_job
    # `zsiw evaluate` re-tests a saved cell by hand and gives the same result
    again = ["evaluate", "--run", str(out), "--features", f"es={feats['ote', 'es']}"]
    assert main([*again, "--out", str(tmp_path / "again.json"), "--device", "cpu"]) == 0
    assert json.loads((tmp_path / "again.json").read_text()) == in_job
    bad = ["evaluate", "--run", str(out), "--features", "es", "--out", str(tmp_path / "x.json")]
    with caplog.at_level(logging.ERROR):
        assert main(bad) == 1
    assert "--features expects LANG=PATH items, got 'es'" in caplog.text
    assert not (out / "checkpoint.pt").exists()


def test_checkpoint_holds_no_frozen_parameter_and_a_foreign_one_is_refused(tmp_path, tiny_encoder):
    from zsiw.models import (
        build_model,
        frozen_parameter_names,
        load_trainable_state,
        trainable_state_dict,
    )

    frozen = build_model(tiny_encoder, 2, token_level=False, dropout=0.0, freeze_embeddings=True)
    state = trainable_state_dict(frozen)
    assert not any("word_embeddings" in k for k in state)
    assert any("word_embeddings" in k for k in frozen.state_dict())
    names = frozen_parameter_names(frozen)
    load_trainable_state(frozen, state, frozen=names, source=tmp_path / "ck.pt", fix="x")
    full = build_model(tiny_encoder, 2, token_level=False, dropout=0.0, freeze_embeddings=False)
    with pytest.raises(ValueError, match=r"ck\.pt does not fit.*word_embeddings.*delete it"):
        load_trainable_state(
            full,
            state,
            frozen=frozen_parameter_names(full),
            source=tmp_path / "ck.pt",
            fix="delete it",
        )
    deeper = build_model(
        tiny_encoder, 2, token_level=False, dropout=0.0, freeze_embeddings=True, num_layers=1
    )
    with pytest.raises(ValueError, match=r"unexpected \['encoder\.encoder\.layer\.1"):
        load_trainable_state(
            deeper, state, frozen=frozen_parameter_names(deeper), source=tmp_path / "m", fix=""
        )


RESUME_SCRIPT = r"""
import json, os, signal, sys
from pathlib import Path
from zsiw import checkpoint as c, train as t
settings = json.loads(sys.argv[1]); out = Path(sys.argv[2]); kill = sys.argv[5] == "1"
if kill:
    original = c.atomic_torch_save
    def save_then_die(obj, path):
        original(obj, path)
        os.kill(os.getpid(), signal.SIGKILL)  # die right after the first checkpoint
    c.atomic_torch_save = save_then_die
t.train_cell(task_group="cls", method="cosine", seed=5, source_features=[Path(sys.argv[3])],
             target_features=Path(sys.argv[4]), model_dir=Path(sys.argv[6]), settings=settings,
             out_dir=out, cell_info={})
"""


def test_sigkill_after_first_checkpoint_then_resume_matches_uninterrupted(
    tmp_path, feats, tiny_encoder
):
    settings = json.dumps({**SETTINGS, "epochs": 3})
    env = {**os.environ, "ZSIW_NO_PROGRESS": "1"}

    def call(out, kill):
        return subprocess.run(
            [
                sys.executable,
                "-c",
                RESUME_SCRIPT,
                settings,
                str(out),
                str(feats["cls", "en"]),
                str(feats["cls", "es"]),
                "1" if kill else "0",
                str(tiny_encoder),
            ],
            env=env,
            capture_output=True,
            text=True,
        )

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert call(straight, kill=False).returncode == 0
    killed = call(resumed, kill=True)
    assert killed.returncode == -signal.SIGKILL
    assert (resumed / "checkpoint.pt").exists() and not (resumed / "train.json").exists()
    # The time counters go on from the checkpoint's: mark it with an hour of each.
    ckpt = torch.load(resumed / "checkpoint.pt", weights_only=False)
    assert ckpt["state"]["seconds"] > 0 and ckpt["state"]["cpu_seconds"] > 0
    ckpt["state"].update(seconds=3600.0, cpu_seconds=3600.0)
    torch.save(ckpt, resumed / "checkpoint.pt")
    finished = call(resumed, kill=False)
    assert finished.returncode == 0, finished.stderr
    summary = json.loads((resumed / "train.json").read_text())
    assert 3600 < summary["seconds"] < 3600 + 600 and 3600 < summary["cpu_seconds"] < 3600 + 600
    a, b = weights_of(straight), weights_of(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    ra = evaluate_run(straight, {"es": feats["cls", "es"]}, straight / "m.json", device="cpu")
    rb = evaluate_run(resumed, {"es": feats["cls", "es"]}, resumed / "m.json", device="cpu")
    assert ra["results"] == rb["results"]
    log_a = (straight / "train_log.jsonl").read_text()
    log_b = (resumed / "train_log.jsonl").read_text()
    assert log_a == log_b
    assert not (resumed / "checkpoint.pt").exists()  # removed once the cell is done


@pytest.mark.parametrize(
    "method,extra",
    [
        ("euclidean", {}),
        ("coral", {}),
        ("cosine_centred", {}),
        ("cosine_pool", {"representation": "mean"}),
        ("cosine_softmax", {}),
        ("cosine_mean", {}),
    ],
)
def test_every_scoring_variant_trains_and_logs_normalised_weights(
    tmp_path, feats, tiny_encoder, method, extra
):
    out = run(tmp_path, feats, tiny_encoder, "cls", method, method, epochs=1, **extra)
    logged = json.loads((out / "weights_examples.jsonl").read_text().splitlines()[0])
    assert sum(logged["weights"]) == pytest.approx(1.0, abs=1e-5)
    width = 1 if method == "cosine_pool" else len(logged["target_texts"])
    assert all(len(row) == width for row in logged["pair_scores"])
    if method == "cosine_softmax":  # T = 0.05 sharpens the weights visibly
        assert max(logged["weights"]) > 1.2 / len(logged["weights"])
    spec = json.loads((out / "model_spec.json").read_text())
    assert spec["num_labels"] == 2


def test_a_method_registered_at_runtime_trains_without_other_edits(
    tmp_path, feats, tiny_encoder, monkeypatch
):
    """The training loop looks a method up in the registry only: a new entry (here the
    Euclidean score with softmax weights) trains as is."""
    from zsiw import weighting

    method = weighting.Method("cosine_test_only", "euclidean", softmax=True)
    monkeypatch.setitem(weighting.METHODS, method.name, method)
    out = run(tmp_path, feats, tiny_encoder, "cls", method.name, "new", epochs=1)
    logged = json.loads((out / "weights_examples.jsonl").read_text().splitlines()[0])
    scores = torch.tensor(logged["pair_scores"])
    expected = torch.softmax(scores.sum(1) / SETTINGS.get("softmax_temperature", 0.05), dim=0)
    assert torch.allclose(torch.tensor(logged["weights"]), expected, atol=1e-6)
    assert (scores <= 1).all() and (scores > 0).all()  # the euclidean score's range
