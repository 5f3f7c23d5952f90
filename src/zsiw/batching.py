"""Batches: length-grouped order, dynamic padding, and the endless unlabelled target stream.

Each stream owns its ``torch.Generator``: the source order depends only on the seed, and the
target stream never draws from the generator that orders the source batches or from the global
RNG that drives dropout. So a plain run and an IW run with the same seed see the same source
batches in the same order with the same dropout masks (a paired comparison).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

IGNORE = -100


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, *, group: int = 50
) -> list[list[int]]:
    """Shuffle, sort by length inside chunks of ``group`` batches, then shuffle batch order.

    Similar lengths share a batch, so dynamic padding wastes little compute, while the chunking
    and the final shuffle keep the order random from epoch to epoch.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    chunk = batch_size * group
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: -lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    perm = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in perm]


def collate(rows: Sequence[dict], pad_id: int, *, with_labels: bool = True) -> dict:
    """Pad to the longest row of this batch (dynamic padding)."""
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        mask[i, :n] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if with_labels:
        first = rows[0]["labels"]
        if isinstance(first, list):
            labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
            for i, r in enumerate(rows):
                labels[i, : len(r["labels"])] = torch.tensor(r["labels"])
        else:
            labels = torch.tensor([r["labels"] for r in rows], dtype=torch.long)
        batch["labels"] = labels
    return batch


#: Offset between the training seed and the target stream's seed: the target batches come
#: from a generator of their own (the pipeline's loop and `zsiw.IWTrainer` alike).
TARGET_SEED_OFFSET = 1_000_003


class TargetStream:
    """Endless random batches of unlabelled target instances, with its own generator."""

    def __init__(self, rows: Sequence[dict], batch_size: int, seed: int, pad_id: int):
        if not rows:
            raise ValueError("the target language has no training instances to draw from")
        self.rows = rows
        self.batch_size = min(batch_size, len(rows))
        self.pad_id = pad_id
        self.generator = torch.Generator().manual_seed(seed)
        self._order: list[int] = []

    def __iter__(self) -> Iterator[tuple[list[int], dict]]:
        return self

    def __next__(self) -> tuple[list[int], dict]:
        if len(self._order) < self.batch_size:
            self._order += torch.randperm(len(self.rows), generator=self.generator).tolist()
        idx, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        return idx, collate([self.rows[i] for i in idx], self.pad_id, with_labels=False)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": list(self._order)}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self._order = list(state["order"])
