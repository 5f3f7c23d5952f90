"""Exact vocabulary pruning (issue 16): the pruned model computes what the full one computes on
the cell's data, before and after training steps, and saves as a full-vocabulary model."""

import json

import pytest
import torch
from datasets import load_from_disk

from conftest import write_processed
from zsiw import vocab
from zsiw.batching import collate
from zsiw.evaluate import evaluate_run
from zsiw.features import build_features
from zsiw.losses import per_instance_loss
from zsiw.models import build_model, load_task_model
from zsiw.train import train_cell


@pytest.fixture(scope="module")
def feats(tmp_path_factory, tiny_encoder):
    root = tmp_path_factory.mktemp("vocab-feats")
    out = {}
    for lang in ("en", "es"):
        proc = write_processed(root / f"proc-{lang}", "ote", lang, n_train=24, n_test=10)
        out[lang] = root / f"feat-{lang}"
        build_features(proc, tiny_encoder, out[lang], max_length=16)
    return out


def rows_of(path, split="train"):
    return load_from_disk(str(path))[split].to_list()


def twin_models(tiny_encoder, kept):
    """The same model twice (same seed: same head), the second pruned to ``kept``."""
    torch.manual_seed(0)
    full = build_model(tiny_encoder, 3, token_level=True, dropout=0.0)
    torch.manual_seed(0)
    pruned = build_model(tiny_encoder, 3, token_level=True, dropout=0.0)
    state = torch.get_rng_state()
    vocab.prune_encoder(pruned.encoder, kept)
    assert torch.equal(state, torch.get_rng_state())  # pruning draws no random numbers
    return full, pruned


def test_kept_ids_are_the_used_ones_plus_the_pinned_specials():
    rows = [{"input_ids": [0, 57, 9, 2]}, {"input_ids": [0, 9, 31000, 2]}]
    assert vocab.used_token_ids([rows], always=range(2)).tolist() == [0, 1, 2, 9, 57, 31000]
    kept = torch.tensor([0, 1, 2, 9, 57, 31000])
    remapped = vocab.remap_rows(rows, kept, 40000)
    assert [r["input_ids"] for r in remapped] == [[0, 4, 3, 2], [0, 3, 5, 2]]
    assert rows[0]["input_ids"] == [0, 57, 9, 2]  # the originals are untouched
    with pytest.raises(ValueError, match="does not keep"):
        vocab.remap_rows([{"input_ids": [0, 8]}], kept, 40000)


def test_the_padding_id_must_keep_its_number(tiny_encoder):
    model = build_model(tiny_encoder, 3, token_level=True)
    assert list(vocab.pinned_ids(model.encoder)) == [0, 1]  # XLM-R: <s>, <pad>
    with pytest.raises(ValueError, match="up to the padding id"):
        vocab.prune_encoder(model.encoder, torch.tensor([0, 2, 5]))


def test_pruned_model_gives_the_same_logits_on_real_batches(feats, tiny_encoder):
    rows = {lang: rows_of(feats[lang]) for lang in feats}
    kept = vocab.used_token_ids(rows.values(), always=range(2))
    full, pruned = twin_models(tiny_encoder, kept)
    assert len(kept) < full.encoder.get_input_embeddings().num_embeddings // 100
    full.eval(), pruned.eval()
    for lang, lang_rows in rows.items():
        batch = collate(lang_rows, full.pad_id)  # padded: position ids depend on pad
        small = collate(vocab.remap_rows(lang_rows, kept, 250002), pruned.pad_id)
        assert (batch["attention_mask"] == 0).any(), "the batch should contain padding"
        with torch.no_grad():
            a, ha = full(batch["input_ids"], batch["attention_mask"])
            b, hb = pruned(small["input_ids"], small["attention_mask"])
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6, msg=lang)
        torch.testing.assert_close(ha, hb, rtol=0, atol=1e-6, msg=lang)


def test_training_steps_update_the_kept_rows_exactly_like_the_full_model(feats, tiny_encoder):
    rows = rows_of(feats["en"])
    kept = vocab.used_token_ids([rows], always=range(2))
    full, pruned = twin_models(tiny_encoder, kept)
    small_rows = vocab.remap_rows(rows, kept, 250002)
    initial = pruned.encoder.get_input_embeddings().weight.detach().clone()

    def optimiser(model):
        return torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)

    opt_full, opt_pruned = optimiser(full), optimiser(pruned)
    for start in range(0, 24, 8):  # three steps: moments carry over, rows unused by a step move
        for model, opt, data in ((full, opt_full, rows), (pruned, opt_pruned, small_rows)):
            batch = collate(data[start : start + 8], 1)
            logits, _ = model(batch["input_ids"], batch["attention_mask"])
            loss = per_instance_loss(logits, batch["labels"], token_level=True).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    full_rows = full.encoder.get_input_embeddings().weight.detach()[kept]
    pruned_rows = pruned.encoder.get_input_embeddings().weight.detach()
    torch.testing.assert_close(pruned_rows, full_rows, rtol=0, atol=1e-6)
    assert not torch.equal(pruned_rows, initial)  # the rows did train
    others = {k: v for k, v in full.state_dict().items() if "word_embeddings" not in k}
    for key, value in pruned.state_dict().items():
        if "word_embeddings" not in key:
            torch.testing.assert_close(value, others[key], rtol=0, atol=1e-6, msg=key)


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
    "freeze_embeddings": False,
    "num_layers": None,
    "eval_batch_size": 8,
    "weights_log_batches": 0,
    "device": "cpu",
    "threads": 1,
    "dev_fraction": 0.25,
}


def test_a_cell_trained_pruned_matches_the_unpruned_cell_and_saves_small(
    tmp_path, feats, tiny_encoder
):
    runs = {}
    for prune in (False, True):
        out = tmp_path / f"prune{prune}"
        train_cell(
            task_group="ote",
            method="cosine",
            seed=3,
            source_features=[feats["en"]],
            target_features=feats["es"],
            model_dir=tiny_encoder,
            settings={**SETTINGS, "prune_vocab": prune},
            out_dir=out,
            test_features=[feats["es"]],
        )
        runs[prune] = out
    info = {p: json.loads((runs[p] / "train.json").read_text()) for p in runs}
    assert info[True]["vocab_rows"] < 1000 and info[False]["vocab_rows"] is None
    assert info[True]["source_dev_history"] == pytest.approx(info[False]["source_dev_history"])
    steps = [
        [
            json.loads(line)["loss"]
            for line in (runs[p] / "train_log.jsonl").read_text().splitlines()
        ]
        for p in (False, True)
    ]
    assert steps[1] == pytest.approx(steps[0], abs=1e-5)
    # the pruned file holds only the kept rows, and loads as a full-vocabulary model
    size = {p: (runs[p] / "model.safetensors").stat().st_size for p in runs}
    assert size[True] < size[False] / 10
    a, _ = load_task_model(runs[False])
    b, _ = load_task_model(runs[True])
    emb_a = a.encoder.get_input_embeddings().weight
    emb_b = b.encoder.get_input_embeddings().weight
    assert emb_a.shape == emb_b.shape
    test_ids = vocab.used_token_ids([rows_of(feats["es"], "test")])
    torch.testing.assert_close(emb_b[test_ids], emb_a[test_ids], rtol=0, atol=1e-6)
    results = [
        evaluate_run(runs[p], {"es": feats["es"]}, runs[p] / "m.json", device="cpu")["results"]
        for p in (False, True)
    ]
    assert results[0][0]["f1"] == results[1][0]["f1"]
    for p in runs:
        assert not (runs[p] / "checkpoint.pt").exists()
