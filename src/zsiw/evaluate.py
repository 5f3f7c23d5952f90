"""Predictions and metrics.

* Opinion target extraction: exact-match span F1 over IOB spans, micro-averaged (seqeval,
  CoNLL-style), computed on *words* against the full gold sentence: words cut off by the
  encoder's length limit count as predicted ``O``.
* Classification: accuracy (the paper's "F1" columns for MLDoc and Amazon are accuracies) and
  macro-F1 (scikit-learn).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from zsiw.atomic import atomic_path, write_text
from zsiw.batching import collate
from zsiw.tasks import TAG_NAMES


def iob_strings(tags: Sequence[int] | Sequence[str]) -> list[str]:
    """Integer or bare ``O/B/I`` tags -> seqeval's ``O/B-T/I-T`` strings."""
    out = []
    for tag in tags:
        name = TAG_NAMES[tag] if isinstance(tag, int) else tag
        out.append("O" if name == "O" else f"{name}-T")
    return out


def span_scores(gold: Sequence[Sequence], pred: Sequence[Sequence]) -> dict[str, float]:
    """Micro precision / recall / F1 over exact-match target spans."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    g = [iob_strings(t) for t in gold]
    p = [iob_strings(t) for t in pred]
    return {
        "f1": float(f1_score(g, p, zero_division=0)),
        "precision": float(precision_score(g, p, zero_division=0)),
        "recall": float(recall_score(g, p, zero_division=0)),
    }


def classification_scores(gold: Sequence[int], pred: Sequence[int]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, average="macro", zero_division=0)),
    }


def main_score(metrics: dict[str, float]) -> float:
    """The number the paper's tables print: span F1 for tagging, accuracy otherwise."""
    return metrics["f1"] if "f1" in metrics else metrics["accuracy"]


@torch.no_grad()
def predict(
    model, rows: Sequence[dict], *, batch_size: int, pad_id: int, device: torch.device
) -> list:
    """Predicted label per row (classification) or per word (tagging, truncated words -> O)."""
    model.eval()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
    preds: list = [None] * len(rows)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = collate([rows[i] for i in idx], pad_id, with_labels=False)
        logits, _ = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
        best = logits.argmax(dim=-1).cpu()
        for k, i in enumerate(idx):
            if model.token_level:
                positions = [p for p, lab in enumerate(rows[i]["labels"]) if lab != -100]
                words = [0] * rows[i]["n_words"]
                for pos, word in zip(positions, rows[i]["label_words"], strict=True):
                    words[word] = int(best[k, pos])
                preds[i] = words
            else:
                preds[i] = int(best[k])
    return preds


def score_predictions(rows: Sequence[dict], preds: Sequence, *, token_level: bool) -> dict:
    if token_level:
        return span_scores([r["gold_tags"] for r in rows], preds)
    return classification_scores([r["labels"] for r in rows], preds)


def evaluate_run(
    run_dir: str | Path,
    features: dict[str, str | Path],
    out_path: str | Path,
    *,
    batch_size: int = 64,
    device: str = "auto",
    split: str = "test",
) -> dict:
    """Test one trained cell on each of its languages; write ``metrics.json`` (written last)
    and per-item predictions ``predictions/<lang>.jsonl`` for paired significance tests.

    ``features`` maps a language to its tokenised dataset. The model is loaded once for all
    languages, which is why one job evaluates a whole cell.
    """
    from datasets import load_from_disk

    from zsiw.gpu import resolve_device
    from zsiw.models import load_task_model

    run_dir, out_path = Path(run_dir), Path(out_path)
    out_path.unlink(missing_ok=True)
    dev = resolve_device(device)
    model, spec = load_task_model(run_dir)
    model.to(dev)
    pad_id = model.pad_id
    train_info = json.loads((run_dir / "train.json").read_text())
    pred_dir = run_dir / "predictions"
    pred_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for lang, feats in features.items():
        rows = load_from_disk(str(feats))[split].to_list()
        preds = predict(model, rows, batch_size=batch_size, pad_id=pad_id, device=dev)
        metrics = score_predictions(rows, preds, token_level=spec["token_level"])
        results.append(
            {
                **train_info.get("cell", {}),
                "eval_lang": lang,
                "split": split,
                "n": len(rows),
                **metrics,
                "score": main_score(metrics),
                "source_dev_score": train_info.get("source_dev_score"),
                "weight_dispersion": train_info.get("weight_dispersion", {}),
            }
        )
        with atomic_path(pred_dir / f"{lang}.jsonl") as tmp, open(tmp, "w") as fh:
            for row, pred in zip(rows, preds, strict=True):
                gold = row["gold_tags"] if spec["token_level"] else row["labels"]
                fh.write(json.dumps({"id": row["id"], "gold": gold, "pred": pred}) + "\n")
    summary = {"cell": train_info.get("cell", {}), "results": results}
    write_text(out_path, json.dumps(summary, indent=2))
    return summary
