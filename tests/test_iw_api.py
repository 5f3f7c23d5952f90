"""The public API (issue 19): `zsiw.instance_weights`, `TargetBatches`, and `IWTrainer`, a
`transformers.Trainer` with paper Eq. 2, on the tiny random encoder."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import zsiw
from zsiw import weighting

REPO = Path(__file__).resolve().parents[1]


def tokenised(n, seed, *, token_level=False, vocab=9000):
    """Rows of random ids with a label (a class, or one tag per token), lengths 4-9."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n):
        length = int(torch.randint(4, 10, (1,), generator=g))
        ids = [0, *torch.randint(5, vocab, (length - 2,), generator=g).tolist(), 2]
        label = [-100, *[(i + t) % 3 for t in range(length - 2)], -100] if token_level else i % 2
        rows.append({"input_ids": ids, "attention_mask": [1] * length, "labels": label})
    return rows


def trainer(tiny_encoder, tmp_path, *, iw, token_level=False, dropout=0.1, **extra):
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        DataCollatorForTokenClassification,
        DataCollatorWithPadding,
        PreTrainedTokenizerFast,
        Trainer,
        TrainingArguments,
    )

    tokenizer = PreTrainedTokenizerFast.from_pretrained(tiny_encoder)
    auto = AutoModelForTokenClassification if token_level else AutoModelForSequenceClassification
    torch.manual_seed(0)  # the same new head for both runs
    model = auto.from_pretrained(
        tiny_encoder,
        num_labels=3 if token_level else 2,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    collate = (DataCollatorForTokenClassification if token_level else DataCollatorWithPadding)(
        tokenizer
    )
    args = TrainingArguments(
        str(tmp_path / ("iw" if iw else "plain")),
        num_train_epochs=2,
        per_device_train_batch_size=4,
        learning_rate=5e-3,
        logging_steps=2,
        save_strategy="no",
        report_to=[],
        seed=7,
        use_cpu=True,
        disable_tqdm=True,
    )
    common = {
        "model": model,
        "args": args,
        "train_dataset": Dataset.from_list(tokenised(16, 1, token_level=token_level)),
        "eval_dataset": Dataset.from_list(tokenised(8, 2, token_level=token_level)),
        "data_collator": collate,
        "processing_class": tokenizer,
    }
    if not iw:
        return Trainer(**common)
    target = Dataset.from_list([{"input_ids": r["input_ids"]} for r in tokenised(12, 3)])
    return zsiw.IWTrainer(**common, target_dataset=target, **extra)


@pytest.mark.parametrize("token_level", [False, True])
def test_iw_trainer_with_uniform_weights_is_the_plain_trainer(
    tiny_encoder, tmp_path, monkeypatch, token_level
):
    plain = trainer(tiny_encoder, tmp_path, iw=False, token_level=token_level)
    plain.train()
    monkeypatch.setattr(
        weighting, "normalise", lambda raw, t=None: torch.full_like(raw, 1 / len(raw))
    )
    forced = trainer(tiny_encoder, tmp_path, iw=True, token_level=token_level)
    forced.train()
    a, b = plain.model.state_dict(), forced.model.state_dict()
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-5, atol=1e-6, msg=key)
    assert forced.evaluate()["eval_loss"] == pytest.approx(plain.evaluate()["eval_loss"], 1e-5)
    logged = [h for h in forced.state.log_history if "iw_ess_ratio" in h]
    assert logged and all(h["iw_ess_ratio"] == pytest.approx(1.0) for h in logged)


@pytest.mark.parametrize("token_level", [False, True])
def test_iw_trainer_cosine_weights_are_zsiw_weighting_s(tiny_encoder, tmp_path, token_level):
    iw = trainer(tiny_encoder, tmp_path, iw=True, token_level=token_level, dropout=0.0)
    batch = next(iter(iw.get_train_dataloader()))
    drawn = iw.target_batches.state_dict()
    iw.model.train()
    iw.compute_loss(iw.model, dict(batch))
    # the same target batch again (a stream over the same rows, rewound), and both
    # representations computed by hand
    rows = [{"input_ids": r["input_ids"]} for r in tokenised(12, 3)]
    again = zsiw.TargetBatches(rows, 4, seed=0, pad_id=1)
    again.load_state_dict(drawn)
    target = next(again)
    with torch.no_grad():
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        h_s = iw.model(**inputs, output_hidden_states=True).hidden_states[-1][:, 0]
        h_t = iw.model(**target, output_hidden_states=True).hidden_states[-1][:, 0]
    expected = weighting.instance_weights(h_s, h_t, "cosine")
    torch.testing.assert_close(iw.last_weights, expected, rtol=0, atol=1e-7)
    assert iw.last_weights.sum().item() == pytest.approx(1.0)


def test_real_iw_moves_the_weights_and_logs_them(tiny_encoder, tmp_path):
    iw = trainer(tiny_encoder, tmp_path, iw=True, iw_method="cosine_softmax")
    iw.train()
    logged = [h for h in iw.state.log_history if "iw_ess_ratio" in h]
    assert len(logged) == 4  # 8 steps, logging every 2
    assert all(0 < h["iw_ess_ratio"] < 1 and h["iw_n_max"] > 1 for h in logged)


def test_a_target_dataset_without_ids_is_refused_by_name():
    with pytest.raises(ValueError, match=r"no 'input_ids' column \(it has \['label', 'text'\]\)"):
        zsiw.TargetBatches([{"text": "hola", "label": 1}], 4, seed=0)
    with pytest.raises(ValueError, match=r"'input_ids' column is empty \(no rows\)"):
        zsiw.TargetBatches({"input_ids": []}, 4, seed=0)
    with pytest.raises(ValueError, match=r"'input_ids' column is empty \(rows with no tokens\)"):
        zsiw.TargetBatches({"input_ids": [[0, 5, 2], []]}, 4, seed=0)


def test_target_batches_are_their_own_random_stream():
    state = torch.get_rng_state()
    batches = zsiw.TargetBatches({"input_ids": [[0, i, 2] for i in range(5, 15)]}, 4, seed=3)
    first = [next(batches)["input_ids"][:, 1].tolist() for _ in range(3)]
    assert torch.equal(state, torch.get_rng_state())  # the global stream is untouched
    again = zsiw.TargetBatches({"input_ids": [[0, i, 2] for i in range(5, 15)]}, 4, seed=3)
    assert [next(again)["input_ids"][:, 1].tolist() for _ in range(3)] == first
    assert sorted(sum(first[:2], [])) == sorted(set(sum(first[:2], [])))  # no repeats in a pass


def test_api_doc_lists_every_public_name_and_shows_the_example_that_runs():
    doc = (REPO / "docs/api.md").read_text()
    for name in zsiw.iw.__all__:
        assert f"`{name}" in doc, name
    block = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    assert block == (REPO / "examples/iw_trainer.py").read_text()


@pytest.mark.slow
def test_the_example_runs_offline_and_transfers(tmp_path):
    """examples/iw_trainer.py as a user runs it (demo encoder, 2 epochs)."""
    out = subprocess.run(
        [sys.executable, str(REPO / "examples/iw_trainer.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    accuracy = float(re.search(r"'eval_accuracy': ([0-9.]+)", out.stdout).group(1))
    assert accuracy > 0.75  # German reviews, trained on English only
    assert "iw_ess_ratio" in out.stderr + out.stdout


def test_the_trainer_and_the_pipelines_loop_share_one_iw_step(tiny_encoder, tmp_path, monkeypatch):
    """`IWTrainer.compute_loss` and `zsiw.train.iw_weights` both go through
    `zsiw.iw.target_batch_weights`, and on the same encoder, source vectors and target batch
    they give the same weights, bit for bit."""
    from zsiw import iw as iw_module
    from zsiw import train
    from zsiw.settings import TrainSettings

    calls = []
    real = iw_module.target_batch_weights

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out[1])
        return out

    monkeypatch.setattr(iw_module, "target_batch_weights", spy)
    monkeypatch.setattr(train, "target_batch_weights", spy)
    tr = trainer(tiny_encoder, tmp_path, iw=True, dropout=0.0)
    batch = next(iter(tr.get_train_dataloader()))
    drawn = tr.target_batches.state_dict()
    tr.model.train()
    tr.compute_loss(tr.model, dict(batch))
    assert len(calls) == 1

    class PipelineView(torch.nn.Module):
        """The trainer's model seen through the interface the pipeline's loop uses."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def first_token(self, input_ids, attention_mask):
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            )
            return weighting.represent(out.hidden_states[-1], attention_mask, "first_token")

    tr.target_batches.load_state_dict(drawn)
    target = next(tr.target_batches)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    with torch.no_grad():
        h_s = weighting.represent(
            tr.model(**inputs, output_hidden_states=True).hidden_states[-1],
            inputs["attention_mask"],
            "first_token",
        )
    _, weights = train.iw_weights(
        PipelineView(tr.model),
        weighting.method_of("cosine"),
        h_s,
        target,
        TrainSettings(lr=1e-4, batch_size=4, epochs=1, max_length=16),
        pool=None,
        device=torch.device("cpu"),
    )
    assert len(calls) == 2
    assert torch.equal(weights, tr.last_weights)
