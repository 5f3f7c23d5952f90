"""The mBERT path offline (issue 20): a tiny BERT-architecture encoder with a real cased
WordPiece tokenizer, through tokenisation, training and testing; and bf16 autocast on CPU,
the same switch as on CUDA, for both architectures, plain and IW."""

import json

import pytest
import torch
from datasets import load_from_disk

from conftest import write_processed
from zsiw import gpu, weighting
from zsiw.features import build_features
from zsiw.models import build_model, fetch_encoder
from zsiw.train import train_cell

SETTINGS = {
    "lr": 1e-3,
    "batch_size": 4,
    "target_batch_size": 4,
    "epochs": 1,
    "max_length": 24,
    "eval_batch_size": 8,
    "weights_log_batches": 1,
    "device": "cpu",
    "threads": 1,
    "dev_fraction": 0.25,
}


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return fetch_encoder("zsiw-test/tiny-bert", tmp_path_factory.mktemp("enc") / "tiny-bert")


@pytest.fixture(scope="module")
def encoders(tiny_bert, tiny_encoder):
    return {"bert": tiny_bert, "xlmr": tiny_encoder}


@pytest.fixture(scope="module")
def feats(tmp_path_factory, encoders):
    root = tmp_path_factory.mktemp("bert-feats")
    out = {}
    for arch, model_dir in encoders.items():
        for kind in ("ote", "cls"):
            for lang in ("en", "es"):
                proc = root / f"proc-{kind}-{lang}"
                if not proc.exists():
                    write_processed(proc, kind, lang)
                out[arch, kind, lang] = root / f"{arch}-{kind}-{lang}"
                build_features(proc, model_dir, out[arch, kind, lang], max_length=24)
    return out


def test_wordpiece_vocabulary_is_cased_with_continuation_pieces(tiny_bert):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_bert)
    pieces = tok.convert_ids_to_tokens(tok("Gegrillte excellente sopa")["input_ids"])
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and tok.pad_token_id == 0
    assert any(p.startswith("##") for p in pieces)
    assert tok.convert_ids_to_tokens(tok("Pizza pizza")["input_ids"])[1:3] == ["Pizza", "pizza"]


def test_tags_sit_on_the_first_wordpiece_of_each_word(feats):
    rows = load_from_disk(str(feats["bert", "ote", "es"]))["train"].to_list()
    split = 0
    for row in rows:
        labelled = [i for i, lab in enumerate(row["labels"]) if lab != -100]
        assert len(labelled) == len(row["label_words"]) == row["n_words"]
        assert [row["labels"][i] for i in labelled] == row["gold_tags"]
        split += len(row["input_ids"]) - 2 > row["n_words"]  # some word has ## pieces
    assert split > 0


def test_bert_takes_its_token_type_ids_as_zeros(tiny_bert):
    model = build_model(tiny_bert, 2, token_level=False, dropout=0.0).eval()
    ids = torch.tensor([[2, 40, 41, 3]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        implicit = model.encoder(input_ids=ids, attention_mask=mask)[0]
        explicit = model.encoder(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        )[0]
        other = model.encoder(input_ids=ids, attention_mask=mask, token_type_ids=ids * 0 + 1)[0]
    assert torch.equal(implicit, explicit) and not torch.equal(implicit, other)
    assert model.pad_id == 0


def test_one_switch_decides_bf16_for_every_device():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert gpu.uses_bf16(cpu, "bf16") and not gpu.uses_bf16(cpu, "auto")
    assert not gpu.uses_bf16(cuda, "fp32") and gpu.uses_bf16(cuda, "bf16")
    context = gpu.autocast(cpu, "bf16")
    assert isinstance(context, torch.autocast) and context.device == "cpu"
    with pytest.raises(ValueError, match="precision must be"):
        gpu.uses_bf16(cpu, "fp16")


@pytest.mark.parametrize("arch", ["bert", "xlmr"])
@pytest.mark.parametrize("method", ["none", "cosine"])
@pytest.mark.parametrize("kind", ["ote", "cls"])
def test_bf16_training_is_finite_and_weights_stay_float32(
    tmp_path, feats, encoders, arch, method, kind, monkeypatch
):
    from zsiw import train as train_mod

    seen, logits_dtypes = [], []
    original, original_loss = weighting.batch_weights, train_mod.per_instance_loss

    def spy(method_, h_source, h_target, **kw):
        scores, weights = original(method_, h_source, h_target, **kw)
        seen.append((scores.dtype, weights.dtype))
        return scores, weights

    def loss_spy(logits, labels, **kw):
        logits_dtypes.append(logits.dtype)
        return original_loss(logits, labels, **kw)

    monkeypatch.setattr(weighting, "batch_weights", spy)
    monkeypatch.setattr(train_mod, "per_instance_loss", loss_spy)
    out = tmp_path / "run"
    summary = train_cell(
        task_group=kind,
        method=method,
        seed=1,
        source_features=[feats[arch, kind, "en"]],
        target_features=feats[arch, kind, "es"] if method != "none" else None,
        model_dir=encoders[arch],
        settings={**SETTINGS, "precision": "bf16"},
        out_dir=out,
        test_features=[feats[arch, kind, "es"]],
    )
    losses = [json.loads(x)["loss"] for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    assert summary["settings"]["precision"] == "bf16"
    assert logits_dtypes and set(logits_dtypes) == {torch.bfloat16}  # autocast was on
    if method == "cosine":
        assert seen and all(s == w == torch.float32 for s, w in seen)  # weights in float32
    else:
        assert not seen
