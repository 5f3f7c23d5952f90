"""Reader and file locator for MLDoc (Schwenk & Li, LREC 2018) ``LABEL<TAB>TEXT`` files.

MLDoc text cannot be redistributed, so users generate the files themselves with
facebookresearch/MLDoc; that script writes Python-3 ``b'...'`` reprs and some derived copies use
one-letter labels. Both forms are accepted, and a missing corpus yields instructions, not a
bare ``FileNotFoundError``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from zsiw.data.errors import DataFormatError
from zsiw.tasks import MLDOC_LABELS as LABELS

_LABEL_MAP = {**{name: name for name in LABELS}, **{name[0]: name for name in LABELS}}
MLDOC_LANGUAGES = {
    "en": "english",
    "de": "german",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "ja": "japanese",
    "ru": "russian",
    "zh": "chinese",
}
#: The params.yaml keys that configure where MLDoc lives and how its files are named.
PARAMS_PATH_KEY = "data.sources.mldoc.path"
PARAMS_PATTERN_KEY = "data.mldoc_file_pattern"
#: The defaults of `data.mldoc_file_pattern` and `data.mldoc_train_size` (paper Sec. 3: 1,000
#: training documents per language); tests/test_defaults.py checks them against the schema.
MLDOC_PATTERN = "{language}.{split}"
MLDOC_TRAIN_SIZE = 1000
STAT_KEYS = ("lines", "kept", "blank_lines", "bytes_literals", "plain", "empty_text", *LABELS)


class MLDocMissingError(FileNotFoundError):
    """The MLDoc files are absent; the message explains how to generate them."""


def _decode(column: str, where: str) -> tuple[str, bool]:
    """Decode a ``b'...'``/``b"..."`` repr as UTF-8; return (text, was_bytes_literal)."""
    if len(column) >= 3 and column[0] == "b" and column[1] in "'\"" and column[-1] == column[1]:
        try:
            value = ast.literal_eval(column)
            if not isinstance(value, bytes):
                raise TypeError("not a bytes literal")
            return value.decode("utf-8"), True
        except (ValueError, TypeError, SyntaxError, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{where}: cannot decode bytes literal: {exc}") from None
    return column, False


def parse_mldoc_file(path: str | Path) -> tuple[list[dict], dict]:
    """Parse one MLDoc file into ``{"id", "text", "label"}`` records (4-letter labels) + counts.

    Lines are split on the first TAB; empty lines are skipped and counted.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: MLDoc file not found")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not valid UTF-8: {exc}") from None
    stats = dict.fromkeys(STAT_KEYS, 0)
    records: list[dict] = []
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines, start=1):
        where = f"{path}: line {lineno}"
        stats["lines"] += 1
        line = line.removesuffix("\r")
        if not line.strip():
            stats["blank_lines"] += 1
            continue
        label, tab, column = line.partition("\t")
        if not tab:
            raise DataFormatError(f"{where}: no TAB between label and text: {line[:60]!r}")
        name = _LABEL_MAP.get(label.strip())
        if name is None:
            raise DataFormatError(
                f"{where}: unknown label {label!r} (expected one of {', '.join(LABELS)} or C/E/G/M)"
            )
        text, was_bytes = _decode(column, where)
        stats["bytes_literals" if was_bytes else "plain"] += 1
        stats["empty_text"] += not text.strip()
        stats[name] += 1
        stats["kept"] += 1
        records.append({"id": f"{path.name}-{len(records)}", "text": text, "label": name})
    if not records:
        raise DataFormatError(f"{path}: file is empty")
    return records, stats


def mldoc_paths(
    root: str | Path, lang: str, pattern: str = MLDOC_PATTERN, train_size: int = MLDOC_TRAIN_SIZE
) -> dict[str, Path]:
    """Map ``train``/``dev``/``test`` to the files for ``lang`` under ``root``.

    ``pattern`` may use ``{language}`` (``english``), ``{lang}`` (``en``), ``{split}``
    (``train.1000``, ``dev``, ``test``), ``{split_name}`` (``train``…) and ``{size}`` (``1000``
    for train, empty otherwise), e.g. ``mldoc.{split_name}{size}.{lang}`` for LASER's names.
    Raises :class:`MLDocMissingError` with instructions when anything is missing.
    """
    root = Path(root)
    code = lang if lang in MLDOC_LANGUAGES else _code_for(lang)
    language = MLDOC_LANGUAGES[code]
    names = {
        split: pattern.format(
            language=language,
            lang=code,
            split=f"{split}.{train_size}" if split == "train" else split,
            split_name=split,
            size=str(train_size) if split == "train" else "",
        )
        for split in ("train", "dev", "test")
    }
    paths = {split: root / name for split, name in names.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        where = "does not exist" if not root.is_dir() else f"lacks {', '.join(missing)}"
        raise MLDocMissingError(
            f"MLDoc data for {code} not found: directory {root} {where}. "
            "MLDoc cannot be redistributed; obtain RCV1/RCV2 from NIST "
            "(https://trec.nist.gov/data/reuters/reuters.html), then run facebookresearch/MLDoc's "
            "generate_documents.py once per language and split, e.g. `python generate_documents.py"
            f" --indices-file mldoc-indices/{language}.train.{train_size} --output-filename "
            f"{paths['train']} --rcv-dir <RCV1 or RCV2 {language} directory>` (likewise "
            f"{language}.dev and {language}.test). Expected files in {root}: "
            f"{', '.join(names.values())}. Set `{PARAMS_PATH_KEY}` in params.yaml to the directory "
            f"holding them, and `{PARAMS_PATTERN_KEY}` if they are named differently "
            f"(current pattern: {pattern!r})."
        )
    return paths


def _code_for(lang: str) -> str:
    for code, language in MLDOC_LANGUAGES.items():
        if lang == language:
            return code
    raise ValueError(f"unknown MLDoc language {lang!r}; expected one of {sorted(MLDOC_LANGUAGES)}")
