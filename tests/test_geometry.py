"""`zsiw geometry`: the paper's cosine weights layer by layer, on an encoder without training."""

import json

import pytest
import torch

from zsiw import weighting
from zsiw.geometry import first_token_by_layer, layer_geometry, summary_markdown
from zsiw.models import load_encoder


def rows(ids_list):
    return [{"input_ids": ids} for ids in ids_list]


def test_identical_sentences_give_uniform_weights_and_parallel_vectors(tiny_encoder):
    encoder = load_encoder(tiny_encoder)
    same = rows([[0, 1000, 2000, 2]] * 8)
    result = layer_geometry(encoder, same, same, batch_size=4, batches=2)
    assert [r["layer"] for r in result] == [0, 1, 2]  # embeddings + 2 layers
    for r in result:
        assert r["ess_ratio"] == pytest.approx(1.0)
        assert r["n_max"] == pytest.approx(1.0) and r["n_min"] == pytest.approx(1.0)
        assert r["cos_source_target"] == pytest.approx(1.0, abs=1e-5)
        assert r["cos_source_source"] == pytest.approx(1.0, abs=1e-5)


def test_figures_match_the_weights_computed_by_hand(tiny_encoder):
    encoder = load_encoder(tiny_encoder)
    g = torch.Generator().manual_seed(0)
    src = rows([[0, *torch.randint(5, 9000, (6,), generator=g).tolist(), 2] for _ in range(4)])
    tgt = rows([[0, *torch.randint(5, 9000, (4,), generator=g).tolist(), 2] for _ in range(4)])
    result = layer_geometry(encoder, src, tgt, batch_size=4, batches=1)
    # one batch pair: the batches are the rows in the order of the fixed permutations
    order_s = torch.randperm(4, generator=torch.Generator().manual_seed(0)).tolist()
    order_t = torch.randperm(4, generator=torch.Generator().manual_seed(1)).tolist()
    h_s = first_token_by_layer(encoder, [src[i] for i in order_s], 1)[-1]
    h_t = first_token_by_layer(encoder, [tgt[i] for i in order_t], 1)[-1]
    weights = weighting.instance_weights(h_s, h_t, "cosine")
    cos = torch.nn.functional.cosine_similarity(h_s[:, None], h_t[None], dim=-1)
    last = result[-1]
    assert last["ess_ratio"] == pytest.approx(1 / float((weights**2).sum()) / 4)
    assert last["n_max"] == pytest.approx(4 * float(weights.max()))
    assert last["cos_source_target"] == pytest.approx(float(cos.mean()), abs=1e-6)
    assert last["cos_source_source"] < 1.0  # different sentences: not the same vector


def test_summary_lists_pretrained_and_trained_rows():
    base = {"encoder": "e", "task": "ote", "target": "es", "n_min": 1.0}
    records = [
        {
            **base,
            "model": "pretrained",
            "seed": None,
            "layer": layer,
            "ess_ratio": 0.99,
            "n_max": 1.1,
            "cos_source_target": 0.9,
            "cos_source_source": 0.95,
        }
        for layer in (0, 1)
    ] + [
        {
            **base,
            "model": "cosine",
            "seed": seed,
            "layer": 1,
            "ess_ratio": 0.9 + seed / 100,
            "n_max": 1.2,
            "cos_source_target": 0.8,
            "cos_source_source": 0.85,
        }
        for seed in (1, 2)
    ]
    # a model trained with fewer layers than the pretrained encoder ends at its own last layer
    shallow = {**records[-1], "model": "none", "seed": 1, "layer": 0, "ess_ratio": 0.8}
    text = summary_markdown([*records, shallow])
    assert "| e | ote | es | pretrained | 1 | 0.99000 | 1.1000 | 0.9000 | 0.9500 |" in text
    assert "| e | ote | es | trained cosine (2) | 1 | 0.91500 |" in text
    assert "| e | ote | es | trained none (1) | 0 | 0.80000 |" in text
    assert "| 0 | 0.9900–0.9900 |" in text


def test_figure_plots_the_largest_weight_above_uniform_on_a_log_scale():
    from zsiw.geometry import geometry_figure

    base = {"encoder": "e", "task": "ote", "target": "es", "model": "pretrained", "seed": None}
    records = [
        {
            **base,
            "layer": layer,
            "ess_ratio": 1.0,
            "n_max": n_max,
            "n_min": 1.0,
            "cos_source_target": 0.9,
            "cos_source_source": 0.9,
        }
        for layer, n_max in [(0, 1.0), (1, 1.001), (2, 1.01)]
    ]
    fig = geometry_figure(records)
    left = fig.axes[0]
    assert left.get_yscale() == "log"
    # layer 0 (parallel vectors: exactly uniform) sits on the floor instead of vanishing
    assert list(left.lines[0].get_ydata()) == pytest.approx([1e-6, 0.001, 0.01])


def test_class_mix_by_hand():
    """Two orthogonal class directions, balanced sources: same-label pairs have cosine 1,
    other-label 0, and a source class's n * w grows with its share of the target batch
    exactly linearly (r = 1). Batch A (targets 3 x class 1, 1 x class 0): raw sums 3.5 and
    2.5, Z = 12, n * w = 4 * 3.5 / 12 and 4 * 2.5 / 12."""
    from zsiw.geometry import class_mix_from_vectors

    e1, e0 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    h_s, y_s = torch.stack([e1, e1, e0, e0]), [1, 1, 0, 0]
    batch_a = (h_s, y_s, torch.stack([e1, e1, e1, e0]), [1, 1, 1, 0])
    batch_b = (h_s, y_s, torch.stack([e1, e0, e0, e0]), [1, 0, 0, 0])
    result = class_mix_from_vectors([batch_a, batch_b])
    assert result["cos_same_label"] == pytest.approx(1.0)
    assert result["cos_other_label"] == pytest.approx(0.0, abs=1e-6)
    assert result["class_mix_r"] == pytest.approx(1.0)
    assert (result["share_min"], result["share_max"]) == (0.25, 0.75)
    assert result["excess_max"] == pytest.approx(4 * 3.5 / 12 - 1)
    assert result["excess_min"] == pytest.approx(4 * 2.5 / 12 - 1)


def test_an_ote_sentence_counts_by_whether_it_has_an_opinion_target():
    """OTE rows carry one IOB tag per token (O=0, B=1, I=2; -100 where no label): a sentence
    is class 1 when a target begins in it. A row with only I tags (a malformed span) has no
    B and counts as 0, and a classification row keeps its label."""
    from zsiw.geometry import row_class

    assert row_class({"labels": [-100, 0, 1, 2, 0, -100]}) == 1
    assert row_class({"labels": [-100, 0, 0, 0, -100]}) == 0
    assert row_class({"labels": [-100, 2, 2, -100]}) == 0
    assert row_class({"labels": 3}) == 3


def test_class_mix_on_an_encoder_that_cannot_tell_the_classes_apart(tiny_encoder):
    """Identical sentences with different labels: every pair has cosine 1, every weight is
    1/n, so the weights follow nothing (r undefined: NaN)."""
    import math

    from zsiw.geometry import class_mix

    encoder = load_encoder(tiny_encoder)
    same = [{"input_ids": [0, 1000, 2000, 2], "labels": i % 2} for i in range(8)]
    result = class_mix(encoder, same, same, batch_size=4, batches=2)
    assert result["batches"] == 2
    assert result["cos_same_label"] == pytest.approx(1.0, abs=1e-5)
    assert result["cos_other_label"] == pytest.approx(1.0, abs=1e-5)
    assert result["excess_max"] == pytest.approx(0.0, abs=1e-5)
    assert math.isnan(result["class_mix_r"])


def test_class_mix_table_groups_seeds_and_lists_r_per_seed():
    """Two seeds of one model: cosines are averaged, n·w − 1 and the class share are ranges
    over both, and r is listed per seed in seed order, NaN as n/a."""
    import math

    from zsiw.geometry import class_mix_markdown

    base = {"encoder": "e", "task": "cls-books", "target": "fr", "model": "cosine"}
    mix = {"batches": 20.0, "share_min": 0.3, "share_max": 0.7}  # 20 batch pairs each
    records = [
        {**base, **mix, "seed": 2, "cos_same_label": 0.6, "cos_other_label": 0.2}
        | {"class_mix_r": math.nan, "excess_min": -0.05, "excess_max": 0.02},
        {**base, **mix, "seed": 1, "cos_same_label": 0.4, "cos_other_label": 0.0}
        | {"class_mix_r": 0.684, "excess_min": -0.01, "excess_max": 0.1},
    ]
    text = class_mix_markdown(records)
    row = "| e | cls-books | fr | trained cosine (2) | 20 | 0.5000 | 0.1000 | -0.0500 to +0.1000 |"
    assert f"{row} 0.30–0.70 | +0.68, n/a |" in text
    near_uniform = [{**r, "excess_min": -2e-6, "excess_max": 3.1e-6} for r in records]
    assert "| -2.0e-06 to +3.1e-06 |" in class_mix_markdown(near_uniform)


def test_one_encoding_gives_the_same_layers_and_class_mix_as_measuring_each_alone(
    tiny_encoder, tmp_path, monkeypatch
):
    """`trained_cell_geometry` encodes the class mix's batch pairs once and takes the layer
    geometry from the first of them: a plain cell's records, per target, must equal
    `layer_geometry` over 2 pairs and `class_mix` over 4 measured separately; a multi-source
    cell's, those of its languages' rows together."""
    import json
    from pathlib import Path
    from types import SimpleNamespace

    from zsiw import geometry, models
    from zsiw.geometry import class_mix, trained_cell_geometry

    encoder = load_encoder(tiny_encoder)
    g = torch.Generator().manual_seed(3)

    def sentences(n):
        return [
            {"input_ids": [0, *torch.randint(5, 9000, (5,), generator=g).tolist(), 2]}
            | {"labels": i % 3 % 2}
            for i in range(n)
        ]

    data = {"en": sentences(20), "es": sentences(18), "tr": sentences(16)}
    monkeypatch.setattr(geometry, "load_rows", lambda path, split: data[Path(path).name])
    monkeypatch.setattr(
        models, "load_task_model", lambda run: (SimpleNamespace(encoder=encoder), {})
    )
    config = {
        "data": {"features_dir": str(tmp_path)},
        "tasks": {"cls": {"targets": ["es", "tr"]}},
    }
    cell = {"encoder": "e", "task": "cls-books", "sources": "en", "target": "all"}
    cell |= {"method": "none", "seed": 2}
    (tmp_path / "train.json").write_text(json.dumps({"cell": cell}))
    layers, mixes = trained_cell_geometry(
        config, tmp_path, batch_size=4, batches=2, class_mix_batches=4, seed=5
    )
    keys = {"encoder": "e", "task": "cls-books", "model": "none", "seed": 2}
    assert layers == [
        {**keys, "target": t, **row}
        for t in ("es", "tr")
        for row in layer_geometry(encoder, data["en"], data[t], batch_size=4, batches=2, seed=5)
    ]
    assert mixes == [
        {
            **keys,
            "target": t,
            **class_mix(encoder, data["en"], data[t], batch_size=4, batches=4, seed=5),
        }
        for t in ("es", "tr")
    ]
    assert [m["batches"] for m in mixes] == [4.0, 4.0]
    # a multi-source cell: source batches from the union of its languages, its own model name
    cell = {"encoder": "e", "task": "cls-books", "sources": "en+es", "target": "tr"}
    cell |= {"method": "cosine", "seed": 1, "multi_source": True}
    (tmp_path / "train.json").write_text(json.dumps({"cell": cell}))
    layers, mixes = trained_cell_geometry(
        config, tmp_path, batch_size=4, batches=2, class_mix_batches=4, seed=5
    )
    both = data["en"] + data["es"]
    keys = {"encoder": "e", "task": "cls-books", "target": "tr", "model": "multi-source cosine"}
    keys["seed"] = 1
    assert layers == [
        {**keys, **row}
        for row in layer_geometry(encoder, both, data["tr"], batch_size=4, batches=2, seed=5)
    ]
    assert mixes == [
        {**keys, **class_mix(encoder, both, data["tr"], batch_size=4, batches=4, seed=5)}
    ]
    # a variant's class mix is measured with its own weights, from its train.json settings
    cell = {"encoder": "e", "task": "cls-books", "sources": "en", "target": "tr"}
    cell |= {"method": "cosine_softmax", "seed": 1}
    settings = {"softmax_temperature": 0.01}
    (tmp_path / "train.json").write_text(json.dumps({"cell": cell, "settings": settings}))
    _, mixes = trained_cell_geometry(
        config, tmp_path, batch_size=4, batches=0, class_mix_batches=4, seed=5
    )
    own = class_mix(
        encoder,
        data["en"],
        data["tr"],
        batch_size=4,
        batches=4,
        seed=5,
        method="cosine_softmax",
        settings=settings,
    )
    cosine = class_mix(encoder, data["en"], data["tr"], batch_size=4, batches=4, seed=5)
    assert mixes[0]["excess_max"] == own["excess_max"] != cosine["excess_max"]


def test_each_model_is_measured_with_its_own_weights():
    """`own_weights` makes each pair's weights as training does for the cell's method, from
    the settings in its train.json. Orthogonal class directions as in the hand example
    above: row sums of (cos + 1) / 2 are 3.5 for the two class-1 sources and 2.5 for the
    two class-0 sources of batch A."""
    import math

    from zsiw.geometry import EncodedBatch, class_mix_from_vectors, own_weights

    e1, e0 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])

    def batch(vectors, mean=None):
        h = torch.stack(vectors)
        return EncodedBatch([{"labels": 0}] * len(vectors), [h, h], h if mean is None else mean)

    src = batch([e1, e1, e0, e0])
    pair_a = (src, batch([e1, e1, e1, e0]))
    pair_b = (src, batch([e1, e0, e0, e0]))
    # plain: the paper's cosine weights; the paper's cosine: the same
    expected = torch.tensor([3.5, 3.5, 2.5, 2.5]) / 12
    for method in ("none", "cosine"):
        assert torch.allclose(own_weights([pair_a], method, {})[0], expected)
    # cosine_softmax: softmax of the row sums at softmax_temperature (0.5: exp(7), exp(5))
    soft = own_weights([pair_a], "cosine_softmax", {"softmax_temperature": 0.5})[0]
    z = 2 * math.exp(7) + 2 * math.exp(5)
    assert soft.tolist() == pytest.approx([math.exp(7) / z] * 2 + [math.exp(5) / z] * 2)
    # cosine_pool: against a running mean of the target batches, fed in order
    pool = own_weights([pair_a, pair_b], "cosine_pool", {"pool_momentum": 0.9})
    mean_b = 0.9 * torch.tensor([0.75, 0.25]) + 0.1 * torch.tensor([0.25, 0.75])
    cos_b = torch.nn.functional.cosine_similarity(src.layers[-1], mean_b[None], dim=-1)
    assert torch.allclose(pool[1], (cos_b + 1) / (cos_b + 1).sum())
    # cosine_mean: the mean vectors, not the first token (here: all sources alike -> uniform)
    flat = (batch([e1, e1, e0, e0], mean=torch.stack([e1] * 4)), pair_a[1])
    assert torch.allclose(own_weights([flat], "cosine_mean", {})[0], torch.full((4,), 0.25))
    # the class mix then reads those weights: a sharper weighting, a larger excess
    vectors = [(s.layers[-1], [1, 1, 0, 0], t.layers[-1], [1, 1, 1, 0]) for s, t in [pair_a]]
    assert class_mix_from_vectors(vectors, [soft])["excess_max"] == pytest.approx(
        4 * math.exp(7) / z - 1
    )
    assert class_mix_from_vectors(vectors)["excess_max"] == pytest.approx(4 * 3.5 / 12 - 1)


def test_fewer_rows_than_one_batch_is_an_error_that_says_so(tiny_encoder):
    """3 source rows cannot fill one batch of 4: no pair to measure, said, not a NaN table."""
    encoder = load_encoder(tiny_encoder)
    with pytest.raises(ValueError, match="fewer than 4 source or target rows"):
        layer_geometry(encoder, rows([[0, 1000, 2]] * 3), rows([[0, 2000, 2]] * 8), batch_size=4)


def test_an_encoded_batch_keeps_first_token_vectors_not_the_whole_hidden_states(tiny_encoder):
    """Measuring a trained CLS cell encodes 40 batches of 32 x 256 tokens and keeps them all:
    a first-token view would hold each layer's whole hidden states (it took 9 GB)."""
    from zsiw.geometry import encode_batch

    encoder = load_encoder(tiny_encoder)
    batch = encode_batch(encoder, rows([[0, *range(5, 45), 2]] * 3), 1)
    for layer in batch.layers:
        assert layer.shape == (3, encoder.config.hidden_size)
        assert layer.untyped_storage().nbytes() == layer.numel() * layer.element_size()


def test_the_geometry_command_measures_each_cell_as_publish_stores_it(tmp_path, monkeypatch):
    """`zsiw geometry --runs` (the standalone command, for an encoder the grid has no cells
    of) must measure a trained cell with the function `zsiw publish` and the `cell_geometry`
    rule store, so that its summary and a published one agree; it once had its own copy of
    that measurement."""
    import zsiw.geometry
    import zsiw.publish
    from zsiw.cli import main

    calls, written = [], {}

    def cell_geometry(config, run, *, batch_size, batches, seed):
        calls.append((str(run), batch_size, batches, seed))
        return {"layers": [{"cell": str(run)}], "class_mix": [{"mix": str(run)}]}

    def write_geometry(records, out, mixes):
        written.update(records=records, out=out, mixes=mixes)
        return []

    monkeypatch.setattr(zsiw.publish, "cell_geometry", cell_geometry)
    monkeypatch.setattr(zsiw.geometry, "pretrained_geometry", lambda *a, **k: [{"pre": 1}])
    monkeypatch.setattr(zsiw.geometry, "write_geometry", write_geometry)
    config = {"train": {"target_batch_size": 7}}
    main(
        ["geometry", "--config", json.dumps(config), "--runs", "a", "b", "--batches", "3"]
        + ["--seed", "2", "--out", str(tmp_path)]
    )
    assert calls == [("a", 7, 3, 2), ("b", 7, 3, 2)]
    assert written["records"] == [{"pre": 1}, {"cell": "a"}, {"cell": "b"}]
    assert written["mixes"] == [{"mix": "a"}, {"mix": "b"}]
