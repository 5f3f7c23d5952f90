"""Facts about the three tasks, in one place: label and tag names, domains, data sets.

Parsers, the training loop, evaluation, the grid and the tables all read these, so a label
order or a domain list is never written twice.
"""

from __future__ import annotations

#: IOB tags of opinion target extraction, in label-id order (SemEval-2016 Task 5).
TAG_NAMES: tuple[str, ...] = ("O", "B", "I")
#: Webis-CLS-10 review polarity, in label-id order.
CLS_LABELS: tuple[str, ...] = ("negative", "positive")
#: MLDoc topics (RCV1/RCV2 top-level categories), in label-id order.
MLDOC_LABELS: tuple[str, ...] = ("CCAT", "ECAT", "GCAT", "MCAT")
#: The Webis-CLS-10 domains, in the paper's column order (Table 3).
CLS_DOMAINS: tuple[str, ...] = ("books", "dvd", "music")

#: Task groups: ``ote`` (tagging), ``mldoc`` and ``cls`` (document classification).
TASK_GROUPS: tuple[str, ...] = ("ote", "mldoc", "cls")
#: The raw data set each task group reads.
DATASET_OF_GROUP: dict[str, str] = {"ote": "semeval2016", "mldoc": "mldoc", "cls": "webis-cls-10"}
#: Label names per task group, in label-id order.
LABEL_NAMES: dict[str, tuple[str, ...]] = {
    "ote": TAG_NAMES,
    "cls": CLS_LABELS,
    "mldoc": MLDOC_LABELS,
}
#: Number of output classes per task group (tags for ote).
NUM_LABELS: dict[str, int] = {group: len(names) for group, names in LABEL_NAMES.items()}


def is_token_level(task_group: str) -> bool:
    """Tagging (one label per word) rather than one label per document."""
    return task_group == "ote"
