"""Exact vocabulary pruning: train only the word-embedding rows a cell can look up.

Multilingual encoders spend most of their parameters on the word-embedding matrix (96M of
multilingual-e5-small's 118M: 250k XLM-R pieces x 384), yet one cell's data (source train and
dev, the target pool, the test sets) uses a few tens of thousands of those pieces. On a CPU the
AdamW update of the whole matrix costs more than the forward pass, so ``train.prune_vocab``
keeps only the rows of ids that occur in the cell's features (plus the special ids up to the
padding id, see `pinned_ids`), remaps the features' ids once, and trains every parameter of
the smaller model.

Why it is exact for the cell's data: a row that is never looked up has a zero gradient in the
full model, and AdamW then changes it only through weight decay, which acts on each row alone.
The rows the cell uses see the same lookups, gradients, moments and decay in both models, the
gradient norm used for clipping differs only by summed zeros, and building the pruned model
draws no random numbers. Outputs on the cell's inputs therefore agree to float rounding
(``tests/test_vocab.py``). A saved pruned model stores its rows and their original ids; loading
scatters them back into the base encoder's matrix, so evaluation reads the same features as
any other model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

KEPT_IDS_KEY = "zsiw.kept_token_ids"
EMBEDDING_SUFFIX = "embeddings.word_embeddings.weight"


def used_token_ids(row_sets: Iterable[Sequence[dict]], always: Iterable[int] = ()) -> torch.Tensor:
    """Sorted unique ``input_ids`` of every row, plus ``always`` (e.g. the padding id)."""
    seen: set[int] = {int(i) for i in always}
    for rows in row_sets:
        for row in rows:
            seen.update(row["input_ids"])
    return torch.tensor(sorted(seen), dtype=torch.long)


def remap_rows(rows: Sequence[dict], kept_ids: torch.Tensor, vocab_size: int) -> list[dict]:
    """Copies of ``rows`` whose ``input_ids`` index the pruned matrix (its row numbers)."""
    lookup = np.full(vocab_size, -1, dtype=np.int64)
    lookup[kept_ids.numpy()] = np.arange(len(kept_ids))
    out = []
    for row in rows:
        ids = lookup[np.asarray(row["input_ids"], dtype=np.int64)]
        if (ids < 0).any():
            raise ValueError("a row uses a token id that the pruned vocabulary does not keep")
        out.append({**row, "input_ids": ids.tolist()})
    return out


def pinned_ids(encoder: Any) -> range:
    """Ids that keep their row number in the pruned matrix: ``0 .. pad``.

    RoBERTa-style encoders (XLM-R, the demo encoder) count position ids from the padding id
    (``cumsum(ids != pad) + pad``), so the padding id must stay the same number; keeping every
    id up to it (a handful of special tokens) guarantees that without touching the model.
    """
    pad = encoder.config.pad_token_id
    return range(0 if pad is None else int(pad) + 1)


def prune_encoder(encoder: Any, kept_ids: torch.Tensor) -> None:
    """Replace ``encoder``'s word embeddings by the rows ``kept_ids``, in place.

    ``kept_ids`` must start with `pinned_ids` so that the padding id is unchanged. No random
    numbers are drawn, so a pruned and an unpruned run with the same seed keep the same
    dropout masks.
    """
    pinned = pinned_ids(encoder)
    if len(kept_ids) < len(pinned) or kept_ids[: len(pinned)].tolist() != list(pinned):
        raise ValueError(f"the kept ids must include every id up to the padding id {pinned}")
    old = encoder.get_input_embeddings()
    weight = old.weight.detach()[kept_ids.to(old.weight.device)].clone()
    new = nn.Embedding.from_pretrained(weight, freeze=False, padding_idx=old.padding_idx)
    new.weight.requires_grad_(old.weight.requires_grad)
    encoder.set_input_embeddings(new)
    encoder.config.vocab_size = len(kept_ids)


def embedding_key(state: dict) -> str:
    """The state-dict key of the word-embedding matrix."""
    keys = [k for k in state if k.endswith(EMBEDDING_SUFFIX)]
    if len(keys) != 1:
        raise ValueError(f"expected one word-embedding matrix in the state, found {keys}")
    return keys[0]


def expand_state(state: dict, full_matrix: torch.Tensor) -> dict:
    """A saved pruned state -> a full-vocabulary one: the kept rows scattered into a copy of
    the base encoder's matrix (rows the cell never used keep their pretrained values)."""
    state = dict(state)
    kept = state.pop(KEPT_IDS_KEY)
    key = embedding_key(state)
    full = full_matrix.detach().to("cpu", copy=True)
    full[kept] = state[key].to(full.dtype)
    state[key] = full
    return state
