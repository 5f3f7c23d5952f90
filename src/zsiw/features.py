"""Tokenise a normalised dataset once per encoder x task x language (the feature cache).

Every training and evaluation job with that encoder reads this cache, so no cell tokenises.
For tagging, each word's label goes on its first sub-token and the other sub-tokens get -100
(ignored by the loss); ``label_words`` records which word each labelled position belongs to,
so predictions map back to words exactly even when truncation drops the tail of a sentence.
"""

from __future__ import annotations

import shutil
from pathlib import Path

IGNORE = -100


def tokenise_tagging(batch: dict, tokenizer, max_length: int) -> dict:
    enc = tokenizer(
        batch["words"], is_split_into_words=True, truncation=True, max_length=max_length
    )
    labels, label_words = [], []
    for i, tags in enumerate(batch["tags"]):
        row, words, previous = [], [], None
        for word in enc.word_ids(i):
            if word is None or word == previous:
                row.append(IGNORE)
            else:
                row.append(int(tags[word]))
                words.append(word)
            previous = word
        labels.append(row)
        label_words.append(words)
    return {
        "input_ids": enc["input_ids"],
        "labels": labels,
        "label_words": label_words,
        "gold_tags": [list(t) for t in batch["tags"]],
        "n_words": [len(w) for w in batch["words"]],
        "length": [len(ids) for ids in enc["input_ids"]],
    }


def tokenise_classification(batch: dict, tokenizer, max_length: int) -> dict:
    enc = tokenizer(batch["text"], truncation=True, max_length=max_length)
    return {
        "input_ids": enc["input_ids"],
        "labels": list(batch["label"]),
        "length": [len(ids) for ids in enc["input_ids"]],
    }


def build_features(
    processed_dir: str | Path, model_dir: str | Path, out_dir: str | Path, *, max_length: int
) -> dict[str, int]:
    """Tokenise every split of a processed dataset; write atomically; return split sizes."""
    from datasets import load_from_disk
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if not tokenizer.is_fast:
        raise RuntimeError(f"{model_dir}: a fast tokenizer is needed for word alignment")
    dataset = load_from_disk(str(processed_dir))
    tagging = "tags" in dataset[next(iter(dataset))].column_names
    fn = tokenise_tagging if tagging else tokenise_classification
    keep = {"id", "text", "words"}
    features = dataset.map(
        fn,
        batched=True,
        fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
        remove_columns=[c for c in dataset[next(iter(dataset))].column_names if c not in keep],
        keep_in_memory=True,
        desc="tokenising",
    )
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    features.save_to_disk(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return {split: len(ds) for split, ds in features.items()}
