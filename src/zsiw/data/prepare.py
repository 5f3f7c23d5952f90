"""Turn one raw data set (one task, language and domain) into a normalised ``DatasetDict``.

All downstream code reads these on-disk datasets, so features are declared explicitly and the
output directory and the stats file appear atomically: a failed run leaves neither behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from zsiw.data import cls, mldoc, semeval
from zsiw.tasks import CLS_DOMAINS, LABEL_NAMES, TAG_NAMES
from zsiw.tasks import TASK_GROUPS as TASKS

if TYPE_CHECKING:
    from datasets import Features

#: split -> [(file, parser keyword arguments)]
SplitFiles = dict[str, list[tuple[Path, dict]]]

#: Webis-CLS-10 stores Japanese under ``jp``.
CLS_DIR_CODES = {"ja": "jp"}


def features(task: str) -> Features:
    """The explicit ``datasets.Features`` for ``task``."""
    from datasets import ClassLabel, Features, Sequence, Value

    base = {"id": Value("string"), "lang": Value("string"), "text": Value("string")}
    if task == "ote":
        return Features(
            {
                **base,
                "words": Sequence(Value("string")),
                "starts": Sequence(Value("int32")),
                "ends": Sequence(Value("int32")),
                "tags": Sequence(ClassLabel(names=list(TAG_NAMES))),
            }
        )
    names = list(LABEL_NAMES[task])
    return Features({**base, "label": ClassLabel(names=names)})


def _ote_splits(lang: str, raw_root: Path) -> SplitFiles:
    base = raw_root / lang
    train = [base / "train.xml"] + ([base / "dev.xml"] if (base / "dev.xml").is_file() else [])
    return {"train": [(p, {}) for p in train], "test": [(base / "test.xml", {})]}


def _cls_splits(lang: str, raw_root: Path, domain: str | None, unlabeled: bool) -> SplitFiles:
    if domain not in CLS_DOMAINS:
        raise ValueError(f"task 'cls' needs domain in {CLS_DOMAINS}, got {domain!r}")
    code = CLS_DIR_CODES.get(lang, lang)
    base = raw_root / code / domain
    if not base.is_dir() and (raw_root / lang / domain).is_dir():
        base = raw_root / lang / domain
    splits: SplitFiles = {s: [(base / f"{s}.review", {})] for s in ("train", "test")}
    if unlabeled and (base / "unlabeled.review").is_file():
        splits["unlabeled"] = [(base / "unlabeled.review", {"labelled": False})]
    return splits


def _parse(task: str, path: Path, kwargs: dict) -> tuple[list[dict], dict]:
    if task == "ote":
        return semeval.parse_semeval_xml(path)
    if task == "cls":
        return cls.parse_cls_review(path, **kwargs)
    return mldoc.parse_mldoc_file(path)


def _summary(task: str, rows: list[dict]) -> dict:
    if task == "ote":
        tags = Counter(t for r in rows for t in r["tags"])
        return {"rows": len(rows), "tags": {t: tags[t] for t in TAG_NAMES}}
    labels = Counter("unlabeled" if r["label"] is None else r["label"] for r in rows)
    return {"rows": len(rows), "labels": dict(sorted(labels.items()))}


def _replace(tmp: Path, final: Path) -> None:
    """Move ``tmp`` to ``final``, replacing an existing file or directory."""
    if final.is_dir() and not final.is_symlink():
        trash = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-"))
        final.rename(trash / final.name)
        tmp.rename(final)
        shutil.rmtree(trash)
    else:
        os.replace(tmp, final)


def prepare_dataset(
    task: str,
    lang: str,
    raw_root: Path,
    out_dir: Path,
    stats_path: Path,
    *,
    domain: str | None = None,
    mldoc_pattern: str | None = None,
    mldoc_train_size: int | None = None,
    cls_unlabeled: bool = False,
) -> dict:
    """Parse the raw files of ``task``/``lang`` and save a ``DatasetDict`` plus a stats JSON.

    Splits: ``train`` and ``test``; ``dev`` for mldoc; ``unlabeled`` (label -1) for cls when
    ``cls_unlabeled`` and the file exists. For ote the official training set is
    ``train.xml`` + ``dev.xml``. Returns the stats written to ``stats_path``.
    """
    from datasets import Dataset, DatasetDict

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    lang = {"jp": "ja"}.get(lang, lang)
    raw_root, out_dir, stats_path = Path(raw_root), Path(out_dir), Path(stats_path)
    if task == "ote":
        splits = _ote_splits(lang, raw_root)
    elif task == "cls":
        splits = _cls_splits(lang, raw_root, domain, cls_unlabeled)
    else:
        paths = mldoc.mldoc_paths(
            raw_root,
            lang,
            mldoc_pattern or mldoc.MLDOC_PATTERN,
            mldoc_train_size or mldoc.MLDOC_TRAIN_SIZE,
        )
        splits = {s: [(paths[s], {})] for s in ("train", "dev", "test")}
    feats = features(task)
    stats: dict = {"task": task, "lang": lang, "domain": domain, "splits": {}}
    columns: dict[str, dict[str, list]] = {}
    for split, files in splits.items():
        rows: list[dict] = []
        parsed = {}
        for path, kwargs in files:
            records, file_stats = _parse(task, path, kwargs)
            parsed[_relative(path, raw_root)] = file_stats
            rows.extend(records)
        stats["splits"][split] = {"files": parsed, **_summary(task, rows)}
        columns[split] = {name: [] for name in feats}
        for r in rows:
            row = {**r, "lang": lang}
            if task == "ote":
                row["tags"] = [TAG_NAMES.index(t) for t in r["tags"]]
            elif r["label"] is None:
                row["label"] = -1
            for name in feats:
                columns[split][name].append(row[name])
    data = DatasetDict(
        {split: Dataset.from_dict(cols, features=feats) for split, cols in columns.items()}
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stats_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    tmp_stats = _tmp_path(stats_path)
    placed = False
    try:
        data.save_to_disk(str(tmp_dir / "data"))
        tmp_stats.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", "utf-8")
        _replace(tmp_dir / "data", out_dir)
        placed = True
        _replace(tmp_stats, stats_path)
    except BaseException:
        if placed:  # never leave data without its stats
            shutil.rmtree(out_dir, ignore_errors=True)
        tmp_stats.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return stats


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` where possible, so stats do not depend on the machine."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _tmp_path(final: Path) -> Path:
    """A fresh path beside ``final`` (same file system, so the final rename is atomic)."""
    return final.with_name(f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
