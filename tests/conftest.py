"""Shared fixtures: a tiny random encoder with the real XLM-R tokenizer, tiny datasets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    from zsiw.demo_encoder import materialise_tiny_encoder

    return materialise_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny")


FOODS = {
    "en": ["pizza", "pasta", "soup", "steak", "salad"],
    "es": ["pizza", "pasta", "sopa", "filete", "ensalada"],
}
GOOD = {"en": ["great", "excellent", "lovely"], "es": ["genial", "excelente", "buena"]}
BAD = {"en": ["awful", "terrible", "bland"], "es": ["horrible", "terrible", "sosa"]}


def tagging_rows(lang: str, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        food = rng.choice(FOODS[lang])
        words = ["the", food, "was", rng.choice(GOOD[lang] + BAD[lang]), "."]
        if rng.random() < 0.3:
            words = ["we", "came", "back", "."]
        tags = [1 if w in FOODS[lang] else 0 for w in words]
        text = " ".join(words)
        starts, pos = [], 0
        for w in words:
            starts.append(pos)
            pos += len(w) + 1
        rows.append(
            {
                "id": f"{lang}-{i}",
                "lang": lang,
                "text": text,
                "words": words,
                "starts": starts,
                "ends": [s + len(w) for s, w in zip(starts, words)],
                "tags": tags,
            }
        )
    return rows


def classification_rows(lang: str, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.randint(0, 1)
        word = rng.choice((GOOD if label else BAD)[lang])
        rows.append(
            {"id": f"{lang}-{i}", "lang": lang, "text": f"{word} {word} book", "label": label}
        )
    return rows


def write_processed(path: Path, kind: str, lang: str, n_train=24, n_test=10) -> Path:
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

    if kind == "ote":
        feats = Features(
            {
                "id": Value("string"),
                "lang": Value("string"),
                "text": Value("string"),
                "words": Sequence(Value("string")),
                "starts": Sequence(Value("int32")),
                "ends": Sequence(Value("int32")),
                "tags": Sequence(ClassLabel(names=["O", "B", "I"])),
            }
        )
        make = tagging_rows
    else:
        feats = Features(
            {
                "id": Value("string"),
                "lang": Value("string"),
                "text": Value("string"),
                "label": ClassLabel(names=["negative", "positive"]),
            }
        )
        make = classification_rows
    DatasetDict(
        {
            "train": Dataset.from_list(make(lang, n_train, 1), features=feats),
            "test": Dataset.from_list(make(lang, n_test, 2), features=feats),
        }
    ).save_to_disk(str(path))
    return path
