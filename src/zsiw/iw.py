"""Zero-shot instance weighting in your own training code (paper Eq. 2).

The small, stable public API of this project; everything else in ``zsiw`` is the pipeline.
The pipeline's training loop calls the same functions (`zsiw.weighting.batch_weights` via
`instance_weights`' core, the same target stream), so there is one implementation of the
method.

* `instance_weights`: one batch's weights from source and target representations, for every
  registered method (`METHODS`), summing to 1;
* `weighted_loss`: ``sum_i w_i * loss_i``; `per_instance_loss`: the ``loss_i`` it weights;
* `dispersion`: how far a batch's weights are from uniform (ESS/n, n * min w, n * max w);
* `TargetBatches`: endless batches from an unlabelled, tokenised target dataset, with their
  own random generator (plain and IW runs with one seed stay paired);
* `IWTrainer`: a ``transformers.Trainer`` that trains ``AutoModelForSequenceClassification``
  or ``AutoModelForTokenClassification`` models with Eq. 2 (see ``docs/api.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from zsiw import weighting
from zsiw.batching import TARGET_SEED_OFFSET, TargetStream
from zsiw.losses import per_instance_loss
from zsiw.settings import TrainSettings
from zsiw.weighting import (
    METHODS,
    Method,
    TargetPool,
    dispersion,
    instance_weights,
    method_of,
    represent,
    weighted_loss,
)

__all__ = [  # noqa: F822 (IWTrainer is built on first use, see __getattr__)
    "METHODS",
    "IWTrainer",
    "Method",
    "TargetBatches",
    "TargetPool",
    "dispersion",
    "instance_weights",
    "per_instance_loss",
    "weighted_loss",
]


def target_batch_weights(
    model: torch.nn.Module,
    encode_target: Callable[[], torch.Tensor],
    method: Method,
    h_source: torch.Tensor,
    *,
    pool: TargetPool | None,
    temperature: float | None,
    softmax_temperature: float,
    precision: contextlib.AbstractContextManager | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The IW step of paper Eq. 2, ``(scores, weights)`` of one source batch: the one
    function the pipeline's loop (`zsiw.train.iw_weights`) and `IWTrainer` both call.

    ``encode_target()`` encodes the unlabelled target batch into representation vectors; it
    runs with dropout off and without gradient, so the target pass draws no random numbers
    (an IW run and a plain run with the same seed see the same dropout masks: a paired
    comparison). ``precision`` is the forward passes' autocast context, if any."""
    model.eval()
    with torch.no_grad(), precision or contextlib.nullcontext():
        h_target = encode_target()
    model.train()
    return weighting.batch_weights(
        method,
        h_source,
        h_target,
        pool=pool,
        temperature=temperature,
        softmax_temperature=softmax_temperature,
    )


class TargetBatches:
    """Endless random batches of an unlabelled target dataset (already tokenised).

    ``dataset`` is anything with an ``input_ids`` column (a ``datasets.Dataset``, a dict of
    lists, a list of dicts); batches are padded with ``pad_id`` and come as
    ``{"input_ids", "attention_mask"}`` tensors. The order comes from a generator of its own
    seeded with ``seed``, so drawing target batches never changes the training run's own
    random numbers."""

    def __init__(self, dataset: Any, batch_size: int, *, seed: int, pad_id: int = 0):
        ids = _input_ids(dataset)
        self._stream = TargetStream([{"input_ids": x} for x in ids], batch_size, seed, pad_id)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        return next(self._stream)[1]

    def state_dict(self) -> dict:
        return self._stream.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self._stream.load_state_dict(state)


def _input_ids(dataset: Any, column: str = "input_ids") -> list[list[int]]:
    """The token id lists of a target dataset; a missing or empty column is named."""
    names = getattr(dataset, "column_names", None)
    if names is None:
        names = list(dataset) if isinstance(dataset, dict) else list(dataset[0]) if dataset else []
    if column not in names:
        raise ValueError(
            f"the target dataset has no {column!r} column (it has {sorted(names)}); tokenise "
            f"it first, e.g. dataset.map(lambda b: tokenizer(b['text'], truncation=True), "
            f"batched=True)"
        )
    ids = list(dataset[column]) if not isinstance(dataset, list) else [r[column] for r in dataset]
    if not ids or any(len(x) == 0 for x in ids):
        empty = "no rows" if not ids else "rows with no tokens"
        raise ValueError(f"the target dataset's {column!r} column is empty ({empty})")
    return ids


def _token_share_losses(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sentence losses whose uniform-weighted sum is the token-mean cross-entropy that
    ``AutoModelForTokenClassification`` trains with: ``loss_i = n * sum_t ce_it / N``, with
    ``N`` labelled tokens in the batch of ``n`` sentences."""
    ce = torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        labels.reshape(-1),
        reduction="none",
        ignore_index=-100,
    ).reshape(labels.shape)
    mask = (labels != -100).float()
    return (ce * mask).sum(dim=1) * len(labels) / mask.sum().clamp_min(1.0)


def _make_trainer_class() -> type:
    """Build `IWTrainer` on first use: importing ``transformers.Trainer`` costs seconds, which
    the pipeline's jobs and the functional API should not pay."""
    from transformers import Trainer

    class IWTrainer(Trainer):
        """``transformers.Trainer`` with zero-shot instance weighting (paper Eq. 2).

        Each training step also draws a batch of ``target_dataset`` (unlabelled, tokenised),
        encodes it with dropout off and without gradient, weights the source instances by
        ``iw_method`` on the last layer's first-token vectors, and trains on ``sum_i w_i loss_i``.
        ``loss_i`` keeps the model's own reduction: cross-entropy per sequence, or each
        sentence's share of the token-mean for token classification, so that uniform weights give
        exactly the plain ``Trainer``'s loss. Evaluation uses the plain loss. ESS/n and n * max w
        of the weights are logged as ``iw_ess_ratio`` and ``iw_n_max`` (mean and max since the
        last log) wherever ``report_to`` sends the Trainer's logs.
        """

        def __init__(
            self,
            *args: Any,
            target_dataset: Any,
            iw_method: str | Method = "cosine",
            target_batch_size: int | None = None,
            target_seed: int | None = None,
            temperature: float | None = None,
            softmax_temperature: float = TrainSettings.softmax_temperature,
            pool_momentum: float = TrainSettings.pool_momentum,
            **kwargs: Any,
        ):
            super().__init__(*args, **kwargs)
            self.iw_method = method_of(iw_method) if isinstance(iw_method, str) else iw_method
            pad = getattr(self.processing_class, "pad_token_id", None)
            if pad is None:
                pad = getattr(getattr(self.model, "config", None), "pad_token_id", None) or 0
            self.target_batches = TargetBatches(
                target_dataset,
                target_batch_size or self.args.per_device_train_batch_size,
                seed=self.args.seed + TARGET_SEED_OFFSET if target_seed is None else target_seed,
                pad_id=int(pad),
            )
            self.iw_pool = TargetPool(pool_momentum) if self.iw_method.pooled else None
            self.iw_temperature = temperature
            self.iw_softmax_temperature = softmax_temperature
            self.last_weights: torch.Tensor | None = None
            self._iw_history: list[dict[str, float]] = []
            # The IW loss is a mean within the batch: let the Trainer scale it for gradient
            # accumulation as it does any loss that ignores `num_items_in_batch`.
            self.model_accepts_loss_kwargs = False

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            if not model.training:  # evaluation: the plain loss, no target batch drawn
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            inputs = dict(inputs)
            labels = inputs.pop("labels")
            outputs = model(**inputs, output_hidden_states=True)
            logits = outputs.logits
            if logits.ndim == 3:
                losses = _token_share_losses(logits, labels)
            else:
                losses = per_instance_loss(logits, labels, token_level=False)
            mask = inputs.get("attention_mask")
            if mask is None:
                mask = torch.ones(inputs["input_ids"].shape, device=logits.device)
            kind = self.iw_method.representation or "first_token"
            h_source = represent(outputs.hidden_states[-1], mask, kind)
            target = {k: v.to(logits.device) for k, v in next(self.target_batches).items()}
            _, weights = target_batch_weights(
                model,
                lambda: represent(
                    model(**target, output_hidden_states=True).hidden_states[-1],
                    target["attention_mask"],
                    kind,
                ),
                self.iw_method,
                h_source,
                pool=self.iw_pool,
                temperature=self.iw_temperature,
                softmax_temperature=self.iw_softmax_temperature,
            )
            self.last_weights = weights.detach()
            self._iw_history.append(dispersion(weights))
            loss = weighted_loss(losses, weights)
            return (loss, outputs) if return_outputs else loss

        def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
            if self._iw_history and "loss" in logs:
                ess = [h["ess_ratio"] for h in self._iw_history]
                logs = {
                    **logs,
                    "iw_ess_ratio": sum(ess) / len(ess),
                    "iw_n_max": max(h["n_max"] for h in self._iw_history),
                }
                self._iw_history.clear()
            super().log(logs, *args, **kwargs)

    return IWTrainer


def __getattr__(name: str) -> Any:
    if name == "IWTrainer":
        cls = _make_trainer_class()
        globals()["IWTrainer"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
