"""Zero-shot instance weights (paper Sec. 2.2, Eq. 2).

Tensors in, weights out: this module knows nothing about data or models. Every source
instance ``i`` of a batch gets ``w_i = sum_j score(h_i, h_j)`` over the unlabelled target
batch ``D_t``; the weights are then normalised to sum to 1 within the batch and multiply the
per-instance losses, ``loss = sum_i w_i * loss_i``.

Scoring functions (``h`` are first-token vectors of the encoder's last layer, detached):

* ``cosine`` (the paper's):   ``score(i, j) = (cos(h_i, h_j) + 1) / 2``, in [0, 1].
* ``euclidean`` (the paper names it but gives no formula; ours):
  ``score(i, j) = 1 / (1 + ||h_i - h_j||_2 / sqrt(d))`` in (0, 1]; dividing by ``sqrt(d)``
  keeps the score from collapsing to 0 for wide encoders (distances grow with ``sqrt(d)``).
* ``coral`` (after Sun et al. 2016, "Return of frustratingly easy domain adaptation", whose
  loss compares second-order statistics; the paper gives no per-instance form; ours):
  with ``mu_t`` the target-batch mean, ``x_i = h_i - mu_t`` and ``y_j = h_j - mu_t``,
  ``score(i, j) = 1 / (1 + ||x_i x_i^T - y_j y_j^T||_F^2 / (4 d^2))``: how well instance
  ``i``'s centred outer product matches target instance ``j``'s, with CORAL's ``1/(4d^2)``
  scale. The Frobenius norm is computed without forming ``d x d`` matrices:
  ``||x x^T - y y^T||_F^2 = ||x||^4 + ||y||^4 - 2 (x . y)^2``.

Variants beyond the paper (for the study of whether the weights move at all):

* ``cosine_centred``: the cosine score after subtracting the mean of source and target
  vectors of the batch, ``c = mean(h_s U h_t)``: ``(cos(h_i - c, h_j - c) + 1) / 2``.
  First-token vectors of one encoder share a large common component, which makes every raw
  cosine close to 1; centring removes it.
* ``cosine_pool``: similarity to the target *pool* instead of the batch:
  ``w_i = (cos(h_i, m_t) + 1) / 2`` with ``m_t`` a running (exponential moving) mean of the
  target batches' vectors, see :class:`TargetPool`.

``temperature`` (off by default, as in the paper) replaces the plain normalisation
``w_i / sum_k w_k`` by ``softmax(w / temperature)``, for experiments that need weights that
move further from uniform.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from zsiw.settings import TrainSettings


def _cosine(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    src_n = torch.nn.functional.normalize(src, dim=1)
    tgt_n = torch.nn.functional.normalize(tgt, dim=1)
    return (src_n @ tgt_n.T + 1.0) / 2.0


def _euclidean(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    return 1.0 / (1.0 + torch.cdist(src, tgt) / math.sqrt(src.shape[1]))


def _cosine_centred(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    centre = torch.cat([src, tgt]).mean(dim=0, keepdim=True)
    return _cosine(src - centre, tgt - centre)


def _coral(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    dim = src.shape[1]
    mu_t = tgt.mean(dim=0, keepdim=True)
    x = src - mu_t
    y = tgt - mu_t
    x_sq = (x * x).sum(dim=1, keepdim=True)  # ||x_i||^2, (n_s, 1)
    y_sq = (y * y).sum(dim=1, keepdim=True).T  # ||y_j||^2, (1, n_t)
    frob_sq = x_sq**2 + y_sq**2 - 2.0 * (x @ y.T) ** 2
    return 1.0 / (1.0 + frob_sq.clamp_min(0.0) / (4.0 * dim * dim))


#: Scoring functions ``score(h_i, h_j)`` by name: float32 ``(n_s, d)``, ``(n_t, d)`` ->
#: ``(n_s, n_t)``. A new one is a function here plus a `Method` in `METHODS`.
SCORES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cosine": _cosine,
    "euclidean": _euclidean,
    "coral": _coral,
    "cosine_centred": _cosine_centred,
}


def pairwise_scores(source: torch.Tensor, target: torch.Tensor, method: str) -> torch.Tensor:
    """Return the ``(n_source, n_target)`` matrix of ``score(h_i, h_j)`` (``method`` names a
    scoring function of `SCORES`).

    Computed in float32 whatever the input precision: under bf16 autocast the cosine of
    nearly parallel vectors would otherwise round to the same value for every pair.
    """
    if source.ndim != 2 or target.ndim != 2 or source.shape[1] != target.shape[1]:
        raise ValueError(
            f"expected 2-D source/target representations of equal width, got "
            f"{tuple(source.shape)} and {tuple(target.shape)}"
        )
    if method not in SCORES:
        raise ValueError(f"unknown scoring function {method!r}; expected one of {tuple(SCORES)}")
    return SCORES[method](source.detach().float(), target.detach().float())


@dataclass(frozen=True)
class Method:
    """One IW method of the grid: how a batch's weights are made.

    ``score`` names the scoring function; ``pooled`` scores against a running mean of the
    target vectors (`TargetPool`) instead of the target batch; ``representation`` forces the
    vectors the weights are computed from (``None``: the ``train.representation`` setting);
    ``softmax`` normalises with a softmax at ``train.softmax_temperature`` instead of the
    paper's plain sum to 1 (or ``train.temperature``); ``in_paper``: the paper names it.
    """

    name: str
    score: str
    pooled: bool = False
    representation: str | None = None
    softmax: bool = False
    in_paper: bool = False


#: Every IW method by name (plain fine-tuning is ``none`` and is not a method here). Adding
#: one = an entry here (and its scoring function in `SCORES` if new) + its hand-computed test;
#: ``tests/test_weighting.py`` checks that the params schema's ``method`` enum and the
#: Snakemake wildcard (built from this dict) agree with it.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("cosine", "cosine", in_paper=True),
        Method("euclidean", "euclidean", in_paper=True),
        Method("coral", "coral", in_paper=True),
        Method("cosine_centred", "cosine_centred"),
        Method("cosine_pool", "cosine", pooled=True),
        Method("cosine_softmax", "cosine", softmax=True),
        Method("cosine_mean", "cosine", representation="mean"),
    )
}


def method_of(name: str) -> Method:
    if name not in METHODS:
        raise ValueError(f"unknown IW method {name!r}; expected one of {tuple(METHODS)}")
    return METHODS[name]


def batch_weights(
    method: Method,
    h_source: torch.Tensor,
    h_target: torch.Tensor,
    *,
    pool: TargetPool | None = None,
    temperature: float | None = None,
    softmax_temperature: float = TrainSettings.softmax_temperature,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch's ``(scores, weights)`` for ``method``: the only place the weights of paper
    Eq. 2 are made (the training loop, the benchmarks and the public API call it).

    ``scores`` is the ``(n_source, n_target)`` matrix (``(n_source, 1)`` for a pooled method,
    whose ``pool`` is updated with this target batch first); ``weights`` its row sums,
    normalised to sum to 1.
    """
    if method.pooled:
        if pool is None:
            raise ValueError(f"method {method.name!r} needs a TargetPool")
        pool.update(h_target)
        scores = pool.scores(h_source)
    else:
        scores = pairwise_scores(h_source, h_target, method.score)
    return scores, normalise(
        scores.sum(dim=1), softmax_temperature if method.softmax else temperature
    )


def instance_weights(
    h_source: torch.Tensor,
    h_target: torch.Tensor,
    method: str | Method = "cosine",
    *,
    pool: TargetPool | None = None,
    temperature: float | None = None,
    softmax_temperature: float = TrainSettings.softmax_temperature,
) -> torch.Tensor:
    """Weights of the ``n`` source instances of a batch, ``(n,)``, summing to 1.

    ``w_i = sum_j score(h_i, h_j)`` over the target batch, normalised (paper Eq. 2);
    ``h_source`` ``(n, d)`` and ``h_target`` ``(m, d)`` are e.g. first-token vectors. They
    are detached: the weights are constants for the gradient. A pooled method
    (``cosine_pool``) needs a `TargetPool`, which this call updates. `batch_weights` with
    the scores too."""
    spec = method_of(method) if isinstance(method, str) else method
    return batch_weights(
        spec,
        h_source,
        h_target,
        pool=pool,
        temperature=temperature,
        softmax_temperature=softmax_temperature,
    )[1]


def represent(hidden: torch.Tensor, attention_mask: torch.Tensor, kind: str) -> torch.Tensor:
    """The vectors weights are computed from, out of an encoder's last hidden states:
    ``first_token`` (the paper) or ``mean``, the masked mean over tokens (a variant)."""
    if kind == "first_token":
        return hidden[:, 0]
    if kind != "mean":
        raise ValueError(f"unknown representation {kind!r}; expected first_token or mean")
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)


class TargetPool:
    """Running mean of the target vectors seen so far (``cosine_pool``).

    ``m <- momentum * m + (1 - momentum) * mean(batch)``, starting from the first batch's mean.
    """

    def __init__(self, momentum: float = TrainSettings.pool_momentum):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.mean: torch.Tensor | None = None

    def update(self, target: torch.Tensor) -> torch.Tensor:
        batch_mean = target.detach().float().mean(dim=0)
        if self.mean is None:
            self.mean = batch_mean
        else:
            self.mean = self.momentum * self.mean + (1.0 - self.momentum) * batch_mean
        return self.mean

    def scores(self, source: torch.Tensor) -> torch.Tensor:
        """``(n_source, 1)`` scores against the pool mean."""
        if self.mean is None:
            raise RuntimeError("TargetPool.scores called before any update")
        return pairwise_scores(source, self.mean[None, :], "cosine")

    def state_dict(self) -> dict:
        return {"momentum": self.momentum, "mean": self.mean}

    def load_state_dict(self, state: dict) -> None:
        self.momentum, self.mean = state["momentum"], state["mean"]


def normalise(raw: torch.Tensor, temperature: float | None = None) -> torch.Tensor:
    """Normalise non-negative raw weights to sum to 1 (or softmax them at a temperature)."""
    if temperature is not None:
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        return torch.softmax(raw / temperature, dim=0)
    total = raw.sum()
    if not torch.isfinite(total) or total <= 0:
        return torch.full_like(raw, 1.0 / raw.numel())
    return raw / total


def uniform_weights(n: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """The weights of plain fine-tuning: ``1/n`` each, so ``sum_i w_i loss_i`` is the mean."""
    return torch.full((n,), 1.0 / n, device=device)


def weighted_loss(per_instance_loss: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``sum_i w_i * loss_i``; with uniform weights this is exactly the plain mean loss."""
    if per_instance_loss.shape != weights.shape:
        raise ValueError(
            f"loss and weights differ in shape: {tuple(per_instance_loss.shape)} vs "
            f"{tuple(weights.shape)}"
        )
    return (weights.to(per_instance_loss.dtype) * per_instance_loss).sum()


def dispersion(weights: torch.Tensor) -> dict[str, float]:
    """How far one batch's weights are from uniform, in batch-size-free units.

    ``ess_ratio`` is Kish's effective sample size ``1 / sum w_i^2`` divided by ``n`` (1.0 for
    uniform weights); ``n_min``/``n_max`` are ``n * min w`` and ``n * max w`` (both 1.0 for
    uniform weights); ``entropy_ratio`` is the weights' entropy over ``log n``.
    """
    w = weights.detach().double()
    n = w.numel()
    ess = 1.0 / float((w * w).sum())
    entropy = float(-(w.clamp_min(1e-300) * w.clamp_min(1e-300).log()).sum())
    return {
        "ess_ratio": ess / n,
        "n_min": float(w.min()) * n,
        "n_max": float(w.max()) * n,
        "entropy_ratio": entropy / math.log(n) if n > 1 else 1.0,
    }
