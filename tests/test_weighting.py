import math

import numpy as np
import pytest
import torch

from zsiw.weighting import (
    dispersion,
    instance_weights,
    normalise,
    pairwise_scores,
    uniform_weights,
    weighted_loss,
)

SRC = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
TGT = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])


def test_cosine_weights_hand_computed_2x3():
    # score = (cos + 1) / 2.  h1: cos = 1, 1/sqrt2, 0   -> 1, s, 0.5   with s = (1 + 1/sqrt2)/2
    #                         h2: cos = 0, 1/sqrt2, -1  -> 0.5, s, 0
    s = (1 + 1 / math.sqrt(2)) / 2
    raw = [1 + s + 0.5, 0.5 + s + 0]
    expected = [r / sum(raw) for r in raw]
    w = instance_weights(SRC, TGT, "cosine")
    assert w.tolist() == pytest.approx(expected, abs=1e-6)
    assert w.tolist() == pytest.approx([0.634876, 0.365124], abs=1e-6)
    assert float(w.sum()) == pytest.approx(1.0)


def test_euclidean_weights_hand_computed():
    # score = 1 / (1 + dist / sqrt(d)), d = 2
    r2 = math.sqrt(2)
    row1 = [1.0, 1 / (1 + 1 / r2), 1 / (1 + r2 / r2)]
    row2 = [1 / (1 + r2 / r2), 1 / (1 + 1 / r2), 1 / (1 + 2 / r2)]
    scores = pairwise_scores(SRC, TGT, "euclidean")
    assert scores.flatten().tolist() == pytest.approx(row1 + row2, abs=1e-6)
    w = instance_weights(SRC, TGT, "euclidean")
    assert w[0].item() == pytest.approx(sum(row1) / (sum(row1) + sum(row2)), abs=1e-6)


def test_coral_scores_match_explicit_outer_products():
    d = 2
    mu = TGT.numpy().mean(axis=0)
    expected = np.zeros((2, 3))
    for i, h in enumerate(SRC.numpy()):
        for j, t in enumerate(TGT.numpy()):
            x, y = h - mu, t - mu
            frob = np.sum((np.outer(x, x) - np.outer(y, y)) ** 2)
            expected[i, j] = 1 / (1 + frob / (4 * d * d))
    scores = pairwise_scores(SRC, TGT, "coral")
    assert scores.numpy() == pytest.approx(expected, abs=1e-6)
    # one cell by hand: x1 = y1 = (1/3, 0) -> identical outer products -> score 1
    assert scores[0, 0].item() == pytest.approx(1.0)
    # x1 = (1/3, 0), y2 = (1/3, 1): 1/81 + 100/81 - 2/81 = 99/81, / 16 -> 1 / (1 + 0.0763889)
    assert scores[0, 1].item() == pytest.approx(1 / (1 + 99 / 81 / 16), abs=1e-6)


def test_identical_source_rows_give_uniform_weights_and_plain_mean_loss():
    src = torch.tensor([[0.3, -1.2, 2.0]] * 4)
    tgt = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    losses = torch.tensor([0.5, 1.5, 2.0, 4.0])
    for method in ("cosine", "euclidean", "coral"):
        w = instance_weights(src, tgt, method)
        assert w.tolist() == pytest.approx([0.25] * 4, abs=1e-7)
        assert weighted_loss(losses, w).item() == pytest.approx(losses.mean().item(), abs=1e-6)


def test_uniform_weights_give_plain_mean():
    losses = torch.tensor([1.0, 2.0, 6.0])
    assert weighted_loss(losses, uniform_weights(3)).item() == pytest.approx(3.0)


def test_weights_are_constants_for_the_gradient():
    src = torch.randn(3, 4, requires_grad=True)
    w = instance_weights(src, torch.randn(2, 4))
    assert not w.requires_grad


def test_temperature_softmax_and_validation():
    raw = torch.tensor([1.0, 2.0, 3.0])
    assert normalise(raw, 0.5).tolist() == pytest.approx(torch.softmax(raw / 0.5, dim=0).tolist())
    with pytest.raises(ValueError, match="temperature"):
        normalise(raw, 0.0)
    with pytest.raises(ValueError, match="unknown scoring"):
        pairwise_scores(SRC, TGT, "manhattan")
    with pytest.raises(ValueError, match="equal width"):
        pairwise_scores(SRC, torch.zeros(2, 3), "cosine")


def test_dispersion_uniform_and_skewed():
    d = dispersion(uniform_weights(8))
    assert d == pytest.approx({"ess_ratio": 1.0, "n_min": 1.0, "n_max": 1.0, "entropy_ratio": 1.0})
    skew = dispersion(torch.tensor([0.7, 0.1, 0.1, 0.1]))
    assert skew["ess_ratio"] == pytest.approx(1 / (0.49 + 0.03) / 4)
    assert skew["n_max"] == pytest.approx(2.8)
    assert skew["n_min"] == pytest.approx(0.4)
    assert skew["entropy_ratio"] < 1.0


def test_centred_cosine_hand_computed():
    # centre = mean of the 5 vectors = (3/5, 1/5); subtract, then the paper's cosine score
    c = np.array([0.6, 0.2])
    src, tgt = SRC.numpy() - c, TGT.numpy() - c
    expected = np.array(
        [[(a @ b / np.linalg.norm(a) / np.linalg.norm(b) + 1) / 2 for b in tgt] for a in src]
    )
    got = pairwise_scores(SRC, TGT, "cosine_centred").numpy()
    assert got == pytest.approx(expected, abs=1e-6)
    # h1 - c = (0.4, -0.2), t1 - c = (0.4, -0.2): identical -> 1
    assert got[0, 0] == pytest.approx(1.0)


def test_centring_spreads_nearly_parallel_vectors():
    base = torch.tensor([10.0, 10.0, 10.0])
    g = torch.Generator().manual_seed(1)
    src = base + 0.1 * torch.randn(8, 3, generator=g)
    tgt = base + 0.1 * torch.randn(8, 3, generator=g)
    plain = dispersion(instance_weights(src, tgt, "cosine"))
    centred = dispersion(instance_weights(src, tgt, "cosine_centred"))
    assert plain["ess_ratio"] > 0.99999  # the paper's score: weights ~uniform
    assert centred["ess_ratio"] < plain["ess_ratio"] and centred["n_max"] > 1.05


def test_target_pool_running_mean_and_scores():
    from zsiw.weighting import TargetPool

    pool = TargetPool(momentum=0.5)
    pool.update(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))  # mean (1, 0)
    m = pool.update(torch.tensor([[0.0, 1.0], [0.0, 1.0]]))  # 0.5*(1,0) + 0.5*(0,1)
    assert m.tolist() == pytest.approx([0.5, 0.5])
    s = pool.scores(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
    assert s.flatten().tolist() == pytest.approx([1.0, 0.5])


def test_low_temperature_moves_weights_far_from_uniform():
    raw = pairwise_scores(SRC, TGT, "cosine").sum(dim=1)
    d = dispersion(normalise(raw, temperature=0.05))
    assert d["ess_ratio"] < 0.6 and d["n_max"] > 1.9


def test_target_pool_validation_and_state_round_trip():
    from zsiw.weighting import TargetPool

    with pytest.raises(ValueError, match="momentum"):
        TargetPool(momentum=1.0)
    pool = TargetPool(0.5)
    with pytest.raises(RuntimeError, match="before any update"):
        pool.scores(torch.ones(1, 2))
    pool.update(torch.tensor([[2.0, 0.0]]))
    other = TargetPool(0.1)
    other.load_state_dict(pool.state_dict())
    assert other.momentum == 0.5 and other.mean.tolist() == [2.0, 0.0]


def test_degenerate_raw_weights_fall_back_to_uniform():
    assert normalise(torch.zeros(4)).tolist() == [0.25] * 4
    assert normalise(torch.tensor([1.0, float("nan")])).tolist() == [0.5, 0.5]


def test_weighted_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        weighted_loss(torch.ones(3), torch.ones(2) / 2)


def test_per_instance_losses_by_hand():
    from zsiw.losses import per_instance_loss

    # classification: cross-entropy of each row
    logits = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    got = per_instance_loss(logits, torch.tensor([0, 1]), token_level=False)
    assert got.tolist() == pytest.approx([math.log(2), math.log(1 + math.e**2)], abs=1e-6)
    # tagging: mean over each sentence's labelled tokens; -100 positions are ignored
    tok = torch.zeros(2, 3, 3)  # uniform logits: every token costs log 3
    labels = torch.tensor([[-100, 0, 1], [-100, -100, -100]])
    got = per_instance_loss(tok, labels, token_level=True)
    assert got.tolist() == pytest.approx([math.log(3), 0.0], abs=1e-6)


def test_params_enum_and_snakemake_wildcard_come_from_the_registry():
    """Adding a method = a `Method` in weighting.METHODS (and its score in SCORES) + the
    schema's enum line; this test fails until both agree, and the wildcard follows."""
    from pathlib import Path

    import yaml

    from zsiw.weighting import METHODS, SCORES

    repo = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((repo / "workflow/schemas/params.schema.yaml").read_text())
    assert schema["$defs"]["method"]["enum"] == ["none", *METHODS]
    common = (repo / "workflow/rules/common.smk").read_text()
    assert 'method="|".join([plan.PLAIN, *weighting.METHODS])' in common
    assert {m.score for m in METHODS.values()} <= set(SCORES)


def test_batch_weights_follow_each_methods_recipe():
    from zsiw.weighting import METHODS, TargetPool, batch_weights

    src = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    tgt = torch.tensor([[1.0, 0.0], [1.0, 0.2]])
    scores, w = batch_weights(METHODS["cosine"], src, tgt)
    assert torch.equal(scores, pairwise_scores(src, tgt, "cosine"))
    assert torch.allclose(w, scores.sum(1) / scores.sum())
    _, soft = batch_weights(METHODS["cosine_softmax"], src, tgt, softmax_temperature=0.5)
    assert torch.allclose(soft, torch.softmax(scores.sum(1) / 0.5, dim=0))
    _, tempered = batch_weights(METHODS["cosine"], src, tgt, temperature=2.0)
    assert torch.allclose(tempered, torch.softmax(scores.sum(1) / 2.0, dim=0))
    pool = TargetPool(0.5)
    pooled, wp = batch_weights(METHODS["cosine_pool"], src, tgt, pool=pool)
    assert pooled.shape == (3, 1) and torch.allclose(pool.mean, tgt.mean(0))
    with pytest.raises(ValueError, match="needs a TargetPool"):
        batch_weights(METHODS["cosine_pool"], src, tgt)
