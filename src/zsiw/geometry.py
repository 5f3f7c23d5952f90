"""Weight geometry without training: are the paper's cosine weights uniform because of the
encoder, or because of training?

For an encoder (the pretrained one, or a trained cell's) and the real data of one task x
target, this draws source batches (the source train split) and target batches (the target
pool), as training does, and reports at every layer (0 = the embedding output, then each
transformer layer) what the paper's IW would do with that layer's first-token vectors:

* ``ess_ratio`` and ``n_max``: the dispersion of the cosine weights (`zsiw.weighting`);
* ``cos_source_target``: the mean cosine between source and target first-token vectors (the
  paper's score is ``(cos + 1) / 2`` of exactly these pairs);
* ``cos_source_source``: the same within the source batch, for scale: when vectors of any two
  sentences are nearly parallel, no pair can score much above another.

Nothing here trains. Only `class_mix` reads target labels, to measure what the weights of a
trained classifier follow (never to train or select anything); it measures each model's own
weights (`weighting.batch_weights` with the method and settings it was trained with).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from zsiw import markdown, weighting
from zsiw.atomic import atomic_path, write_text
from zsiw.batching import collate
from zsiw.plan import PLAIN
from zsiw.settings import TrainSettings
from zsiw.tasks import TAG_NAMES


class EncodedBatch(NamedTuple):
    """A batch of rows and the vectors the weights can be computed from: every layer's
    first-token vectors (embeddings first) and the last layer's masked mean over tokens."""

    rows: list[dict]
    layers: list[torch.Tensor]
    mean: torch.Tensor

    def vectors(self, representation: str) -> torch.Tensor:
        """The last layer's vectors as `weighting.represent` makes them in training."""
        if representation == "first_token":
            return self.layers[-1]
        if representation == "mean":
            return self.mean
        raise ValueError(f"unknown representation {representation!r}")


# a source batch and a target batch, drawn as training draws them (`_encoded_pairs`)
EncodedPair = tuple[EncodedBatch, EncodedBatch]


def _batches(rows: Sequence[dict], size: int, count: int, seed: int) -> list[list[dict]]:
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed)).tolist()
    picks = [order[i : i + size] for i in range(0, len(order) - size + 1, size)][:count]
    return [[rows[i] for i in idx] for idx in picks]


def _encoded_pairs(
    encoder: Any,
    source_rows: Sequence[dict],
    target_rows: Sequence[dict],
    batch_size: int,
    batches: int,
    seed: int,
) -> list[EncodedPair]:
    """Source/target batch pairs drawn as training draws them, encoded. The first k of n
    pairs are the k pairs drawn with the same seed: one encoding serves both measures."""
    pad = encoder.config.pad_token_id or 0
    pairs = [
        (encode_batch(encoder, src, pad), encode_batch(encoder, tgt, pad))
        for src, tgt in zip(
            _batches(source_rows, batch_size, batches, seed),
            _batches(target_rows, batch_size, batches, seed + 1),
        )
    ]
    if not pairs:
        raise ValueError(f"fewer than {batch_size} source or target rows: no batch to measure")
    return pairs


@torch.no_grad()
def encode_batch(encoder: Any, rows: Sequence[dict], pad_id: int) -> EncodedBatch:
    """One forward pass, dropout off (as the IW target pass runs): every layer's first-token
    vectors and the last layer's mean vectors."""
    encoder.eval()
    batch = collate(rows, pad_id, with_labels=False)
    hidden = encoder(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        output_hidden_states=True,
    ).hidden_states
    mean = weighting.represent(hidden[-1].float(), batch["attention_mask"], "mean")
    # copies: a first-token slice is a view that would keep its layer's whole hidden states
    # alive (batch x tokens x width, 13 layers: 82 MB for 32 reviews x 128 tokens at width
    # 384, and a CLS target's geometry keeps 40 batches; docs/performance.md)
    return EncodedBatch(list(rows), [h[:, 0].float().clone() for h in hidden], mean)


def first_token_by_layer(encoder: Any, rows: Sequence[dict], pad_id: int) -> list[torch.Tensor]:
    """First-token vectors of every layer's output (embeddings first), dropout off."""
    return encode_batch(encoder, rows, pad_id).layers


def layer_geometry(
    encoder: Any,
    source_rows: Sequence[dict],
    target_rows: Sequence[dict],
    *,
    batch_size: int = 32,
    batches: int = 10,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Per layer, means over ``batches`` source/target batch pairs (see the module doc)."""
    pairs = _encoded_pairs(encoder, source_rows, target_rows, batch_size, batches, seed)
    return _layer_means(pairs)


def _layer_means(pairs: Sequence[EncodedPair]) -> list[dict[str, float]]:
    per_layer: dict[int, list[dict[str, float]]] = {}
    for src, tgt in pairs:
        for layer, (hs, ht) in enumerate(zip(src.layers, tgt.layers)):
            scores = weighting.pairwise_scores(hs, ht, "cosine")
            disp = weighting.dispersion(weighting.normalise(scores.sum(dim=1)))
            within = weighting.pairwise_scores(hs, hs, "cosine")
            off_diagonal = ~torch.eye(len(hs), dtype=torch.bool)
            per_layer.setdefault(layer, []).append(
                {
                    "ess_ratio": disp["ess_ratio"],
                    "n_max": disp["n_max"],
                    "n_min": disp["n_min"],
                    "cos_source_target": float((2 * scores - 1).mean()),
                    "cos_source_source": float((2 * within - 1)[off_diagonal].mean()),
                }
            )
    return [
        {"layer": layer, **{k: float(np.mean([v[k] for v in values])) for k in values[0]}}
        for layer, values in sorted(per_layer.items())
    ]


def class_mix_from_vectors(
    pairs: Sequence[tuple[torch.Tensor, Sequence[int], torch.Tensor, Sequence[int]]],
    weights: Sequence[torch.Tensor] | None = None,
) -> dict[str, float]:
    """Do the weights follow the target batch's class mix?

    ``pairs`` holds, per batch pair, source vectors, source labels, target vectors, target
    labels; ``weights`` the source weights of each pair (summing to 1), by default the
    paper's cosine weights of those vectors. Returns the mean cosine of same-label and of
    other-label source-target pairs (pooled over all pairs) and the Pearson r, over every
    (batch, class) with sources of that class, between the class's share of the target batch
    and the mean ``n * w_i - 1`` of the batch's sources of that class (NaN when either side
    does not vary). r near 1: a source instance is up-weighted as far as its class is
    frequent in the target batch."""
    same, other, shares, excess = [], [], [], []
    for k, (h_s, y_s, h_t, y_t) in enumerate(pairs):
        ys, yt = torch.as_tensor(list(y_s)), torch.as_tensor(list(y_t))
        scores = weighting.pairwise_scores(h_s, h_t, "cosine")
        cos = 2 * scores - 1
        match = ys[:, None] == yt[None, :]
        same.append(cos[match])
        other.append(cos[~match])
        w = weighting.normalise(scores.sum(dim=1)) if weights is None else weights[k]
        n_w = len(ys) * w
        for label in ys.unique().tolist():
            shares.append(float((yt == label).float().mean()))
            excess.append(float(n_w[ys == label].mean()) - 1.0)
    if not shares:
        raise ValueError("no batch pair to measure")
    varies = np.std(shares) > 0 and np.std(excess) > 0
    return {
        "batches": float(len(pairs)),
        "cos_same_label": float(torch.cat(same).mean()) if same else float("nan"),
        "cos_other_label": float(torch.cat(other).mean()) if other else float("nan"),
        "class_mix_r": float(np.corrcoef(shares, excess)[0, 1]) if varies else float("nan"),
        "share_min": min(shares),
        "share_max": max(shares),
        "excess_min": min(excess),
        "excess_max": max(excess),
    }


def row_class(row: dict) -> int:
    """The class a row counts under in `class_mix`: its label for document classification;
    for opinion target extraction (one IOB tag per token) whether the sentence has an opinion
    target at all (1 when any token is tagged ``B``), the only per-sentence class OTE has."""
    labels = row["labels"]
    if isinstance(labels, int):
        return labels
    return int(TAG_NAMES.index("B") in labels)


def class_mix(
    encoder: Any,
    source_rows: Sequence[dict],
    target_rows: Sequence[dict],
    *,
    batch_size: int = 32,
    batches: int = 20,
    seed: int = 0,
    method: str = "cosine",
    settings: dict[str, Any] | None = None,
) -> dict[str, float]:
    """`class_mix_from_vectors` on the last layer's first-token vectors of batch pairs drawn
    as `layer_geometry` draws them, each row counted under its `row_class`, with the weights
    of ``method`` (`own_weights`). The target rows need their labels too: this reads target
    labels, for analysis only."""
    pairs = _encoded_pairs(encoder, source_rows, target_rows, batch_size, batches, seed)
    return _class_mix_of_pairs(pairs, method, settings or {})


def own_weights(
    pairs: Sequence[EncodedPair], method: str, settings: dict[str, Any]
) -> list[torch.Tensor]:
    """Each pair's source weights as a model trained with ``method`` and ``settings`` (a
    cell's ``train.json`` settings) made them: its score, representation, temperature or
    softmax, and for a pooled method a target pool fed with the pairs in order. A plain
    model (``none``) has no weights of its own: it gets the paper's cosine weights, what IW
    would have made of its vectors."""
    spec = weighting.method_of("cosine" if method == PLAIN else method)
    setting = {  # a setting the cell's train.json lacks: its default (a class attribute)
        key: settings.get(key, getattr(TrainSettings, key))
        for key in ("representation", "temperature", "softmax_temperature", "pool_momentum")
    }
    kind = spec.representation or setting["representation"]
    pool = weighting.TargetPool(setting["pool_momentum"]) if spec.pooled else None
    return [
        weighting.batch_weights(
            spec,
            src.vectors(kind),
            tgt.vectors(kind),
            pool=pool,
            temperature=setting["temperature"],
            softmax_temperature=setting["softmax_temperature"],
        )[1]
        for src, tgt in pairs
    ]


def _class_mix_of_pairs(
    pairs: Sequence[EncodedPair], method: str, settings: dict[str, Any]
) -> dict[str, float]:
    return class_mix_from_vectors(
        [
            (src.layers[-1], [row_class(r) for r in src.rows])
            + (tgt.layers[-1], [row_class(r) for r in tgt.rows])
            for src, tgt in pairs
        ],
        own_weights(pairs, method, settings),
    )


def cell_targets(config: dict, info: dict) -> list[str]:
    """The targets a trained cell is measured on: its own, or for a plain cell (trained once
    for every target) every target of its task."""
    from zsiw import plan

    if info["target"] == plan.ALL_TARGETS:
        return list(plan.targets(config, info["task"]))
    return [info["target"]]


def cell_class_mix(
    config: dict, run_dir: Path, *, batch_size: int, batches: int, seed: int = 0
) -> list[dict[str, Any]]:
    """`class_mix` of one trained cell on each of its `cell_targets`, one record per target
    keyed like `trained_cell_geometry`'s."""
    return trained_cell_geometry(
        config, run_dir, batch_size=batch_size, batches=0, class_mix_batches=batches, seed=seed
    )[1]


MULTI_SOURCE = "multi-source "  # before a multi-source cell's method in ``model``


def trained_cell_geometry(
    config: dict,
    run_dir: Path,
    *,
    batch_size: int,
    batches: int,
    class_mix_batches: int,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One trained cell on each of its `cell_targets`: `layer_geometry` records over
    ``batches`` batch pairs and `class_mix` records over ``class_mix_batches`` (0: not
    measured), keyed by encoder, task, target, model and seed. The model is loaded and the
    batch pairs are encoded once for both measures.

    A multi-source cell's source batches are drawn from the union of its source languages'
    rows, as it was trained; its ``model`` is the method after `MULTI_SOURCE` (as the
    results page names it), so that summaries do not pool it with the English-source models
    of the same method."""
    from zsiw import plan
    from zsiw.models import load_task_model

    summary = json.loads((Path(run_dir) / "train.json").read_text())
    info = summary["cell"]
    model, _ = load_task_model(Path(run_dir))
    task, encoder_name = info["task"], info["encoder"]
    source = [
        row
        for lang in info["sources"].split("+")
        for row in load_rows(plan.features_dir(config, encoder_name, task, lang), "train")
    ]
    label = (MULTI_SOURCE if info.get("multi_source") else "") + info["method"]
    layers, mixes = [], []
    for target in cell_targets(config, info):
        pool = load_rows(plan.features_dir(config, encoder_name, task, target), "train")
        pairs = _encoded_pairs(
            model.encoder, source, pool, batch_size, max(batches, class_mix_batches), seed
        )
        keys = {
            "encoder": encoder_name,
            "task": task,
            "target": target,
            "model": label,
            "seed": info["seed"],
        }
        if batches:
            layers += [{**keys, **row} for row in _layer_means(pairs[:batches])]
        if class_mix_batches:
            mix = _class_mix_of_pairs(
                pairs[:class_mix_batches], info["method"], summary.get("settings", {})
            )
            mixes.append({**keys, **mix})
    return layers, mixes


def load_rows(features_dir: Path, split: str) -> list[dict]:
    from datasets import load_from_disk

    return load_from_disk(str(features_dir))[split].to_list()


def pretrained_geometry(
    config: dict,
    *,
    batch_size: int,
    batches: int,
    seed: int = 0,
    tasks: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every task (of ``tasks``; default all) x target x encoder, pretrained encoder."""
    from zsiw import plan
    from zsiw.models import load_encoder

    records = []
    for encoder_name in config["encoders"]:
        encoder = load_encoder(plan.model_dir(config, encoder_name))
        for task in plan.tasks(config) if tasks is None else tasks:
            source = load_rows(
                plan.features_dir(config, encoder_name, task, config["source_lang"]), "train"
            )
            for target in plan.targets(config, task):
                pool = load_rows(plan.features_dir(config, encoder_name, task, target), "train")
                for row in layer_geometry(
                    encoder, source, pool, batch_size=batch_size, batches=batches, seed=seed
                ):
                    records.append(
                        {
                            "encoder": encoder_name,
                            "task": task,
                            "target": target,
                            "model": "pretrained",
                            "seed": None,
                            **row,
                        }
                    )
    return records


def last_layers(frame: Any) -> Any:
    """Each model's records at its own last layer, the one IW reads: a model trained with
    fewer layers than the pretrained encoder (``num_layers``) ends earlier."""
    model = ["encoder", "task", "target", "model"]
    return frame[frame["layer"] == frame.groupby(model)["layer"].transform("max")]


def summary_markdown(records: Sequence[dict[str, Any]]) -> str:
    """Last-layer figures per task x target: the pretrained encoder and the mean over the
    trained cells of each method; then the pretrained encoder layer by layer."""
    import pandas as pd

    frame = pd.DataFrame(records)
    last = last_layers(frame)
    cols = ["ess_ratio", "n_max", "cos_source_target", "cos_source_source"]
    keys = ["encoder", "task", "target", "model", "layer"]
    table = last.groupby(keys, sort=False)[cols].mean()
    counts = last.groupby(keys, sort=False)["seed"].nunique()
    rows = []
    for (enc, task, target, model, layer), row in table.iterrows():
        label = (
            model
            if model == "pretrained"
            else f"trained {model} ({counts[enc, task, target, model, layer]})"
        )
        rows.append([enc, task, target, label, str(layer), f"{row.ess_ratio:.5f}"])
        rows[-1] += [f"{row.n_max:.4f}", f"{row.cos_source_target:.4f}"]
        rows[-1] += [f"{row.cos_source_source:.4f}"]
    measures = ["ESS/n", "n·max w", "cos(src, tgt)", "cos(src, src)"]
    header = ["encoder", "task", "target", "model (seeds)", "last layer", *measures]
    lines = markdown.table(header, rows)
    pre = frame[frame["model"] == "pretrained"]
    by_layer = pre.groupby("layer")[cols].agg(["min", "max"])
    lines += [
        "",
        "Pretrained encoder, every layer (range over the task × target pairs):",
        "",
    ]
    lines += markdown.table(
        ["layer", *measures],
        [
            [layer, *(f"{row[c, 'min']:.4f}–{row[c, 'max']:.4f}" for c in cols)]
            for layer, row in by_layer.iterrows()
        ],
    )
    return "\n".join(lines) + "\n"


def _excess_range(low: float, high: float) -> str:
    """A range of n·w − 1: four decimals, or two significant digits where four decimals would
    print both ends as zero (the near-uniform weights of a small encoder)."""
    spec = "+.4f" if max(abs(low), abs(high)) >= 5e-5 else "+.1e"
    return f"{low:{spec}} to {high:{spec}}"


def class_mix_markdown(records: Sequence[dict[str, Any]]) -> str:
    """Per task x target x trained model, over its seeds: do its weights follow the target
    batch's class mix (`class_mix`)? The cosines are means over seeds; n·w − 1 is the
    range of a source class's mean excess weight over every batch and seed; r is listed per
    seed (``n/a`` where the shares or the weights did not vary)."""
    import pandas as pd

    frame = pd.DataFrame(records)
    rows = []
    for (enc, task, target, model), part in frame.groupby(["encoder", "task", "target", "model"]):
        part = part.sort_values("seed")
        r = ", ".join("n/a" if np.isnan(v) else f"{v:+.2f}" for v in part["class_mix_r"])
        low, high = int(part["batches"].min()), int(part["batches"].max())
        rows.append(
            [
                enc,
                task,
                target,
                f"trained {model} ({part['seed'].nunique()})",
                str(low) if low == high else f"{low}–{high}",
                f"{part['cos_same_label'].mean():.4f}",
                f"{part['cos_other_label'].mean():.4f}",
                _excess_range(part["excess_min"].min(), part["excess_max"].max()),
                f"{part['share_min'].min():.2f}–{part['share_max'].max():.2f}",
                r,
            ]
        )
    lines = [
        "Do the trained models' weights follow the target batch's class mix? "
        "(Each model's own weights, as its method makes them; a plain model's: the "
        "paper's cosine. Pairs: source-target batch pairs measured per model; an OTE sentence "
        "counts by whether an opinion target begins in it. cos: mean first-token cosine of "
        "source-target pairs of the same and of the other class; n·w − 1: how far a source "
        "class's mean weight moves from uniform; r, one per seed: its Pearson correlation "
        "with the class's share of the target batch.)",
        "",
    ]
    header = ["encoder", "task", "target", "model (seeds)", "pairs", "cos same class"]
    header += ["cos other class", "n·w − 1", "class share", "r per seed"]
    return "\n".join(lines + markdown.table(header, rows)) + "\n"


def geometry_figure(records: Sequence[dict[str, Any]]) -> Any:
    """How far the largest weight is above uniform (n x max w - 1, log scale: the weights sit
    within a few per cent of 1/n, where ESS/n would show only its fifth decimal) and the mean
    source-target cosine, by layer: one line per task x target for the pretrained encoder, one
    marker per trained method and task x target at that model's last layer."""
    import pandas as pd
    from matplotlib.figure import Figure

    frame = pd.DataFrame(records)
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    pre = frame[frame["model"] == "pretrained"]
    floor = 1e-6  # layers where the vectors are parallel to float precision

    def excess(n_max: Any) -> Any:
        return (n_max - 1).clip(lower=floor)

    for (task, target), part in pre.groupby(["task", "target"], sort=False):
        axes[0].plot(part["layer"], excess(part["n_max"]), label=f"{task} {target}")
        axes[1].plot(part["layer"], part["cos_source_target"], label=f"{task} {target}")
    markers = {"none": "s", "cosine": "o"}
    trained = last_layers(frame[frame["model"] != "pretrained"])
    for model, part in trained.groupby("model"):
        means = part.groupby(["task", "target", "layer"])[["n_max", "cos_source_target"]].mean()
        layers = means.index.get_level_values("layer")
        axes[0].scatter(
            layers,
            excess(means["n_max"]),
            marker=markers.get(model, "^"),
            label=f"trained {model}",
            color="black",
            s=16,
        )
        axes[1].scatter(
            layers,
            means["cos_source_target"],
            marker=markers.get(model, "^"),
            color="black",
            s=16,
        )
    axes[0].set(
        xlabel="layer (0 = embeddings)",
        ylabel=f"n·max w − 1 (log; floor {floor:g})",
        yscale="log",
        title="Largest cosine weight above uniform (1/n)",
    )
    axes[1].set(
        xlabel="layer (0 = embeddings)",
        ylabel="mean cos(source, target)",
        title="First-token vectors: source vs target",
    )
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_geometry(
    records: Sequence[dict[str, Any]],
    out_dir: Path,
    class_mix_records: Sequence[dict[str, Any]] = (),
) -> list[Path]:
    """geometry.csv (every record), geometry.md (summary, and `class_mix_markdown` when there
    are class-mix records) and geometry.png/.pdf."""
    import pandas as pd

    from zsiw.report.plots import save_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / "geometry.csv"
    with atomic_path(csv) as tmp:
        pd.DataFrame(records).to_csv(tmp, index=False)
    text = summary_markdown(records)
    if class_mix_records:
        text += "\n" + class_mix_markdown(class_mix_records)
    md = write_text(out_dir / "geometry.md", text)
    return [csv, md, *save_figure(geometry_figure(records), out_dir / "geometry")]
