"""Per-instance losses: the ``loss_i`` that paper Eq. 2 weights."""

from __future__ import annotations

import torch
from torch import nn


def per_instance_loss(
    logits: torch.Tensor, labels: torch.Tensor, *, token_level: bool
) -> torch.Tensor:
    """Cross-entropy per instance, shape ``(batch,)``.

    For tagging, an instance's loss is the mean over its labelled tokens (first sub-token of
    each word; others carry -100), so that ``sum_i w_i loss_i`` with ``w_i = 1/n`` is the plain
    mean over instances and IW weights whole sentences, as Eq. 2 weights instances.
    """
    logits = logits.float()
    if not token_level:
        return nn.functional.cross_entropy(logits, labels, reduction="none")
    flat = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        labels.reshape(-1),
        reduction="none",
        ignore_index=-100,
    ).reshape(labels.shape)
    mask = (labels != -100).float()
    return (flat * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)
