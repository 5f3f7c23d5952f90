"""Parameter documentation generated from the schema's descriptions, so it cannot drift.

`zsiw param-docs` writes ``config/README.md``; a test fails when the file differs from what
the schema generates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from zsiw.plan import GENERATED

SCHEMA = Path("workflow/schemas/params.schema.yaml")
HEADER = """{generated}
# Configuration

`params.yaml` is the paper run and the single source of truth for every parameter: Snakemake
reads it as its configfile and validates it against `workflow/schemas/params.schema.yaml`
before any job starts; DVC reads it as its params file. The presets in `config/` override
some keys (each file's first lines say what it is for):

{presets}

    snakemake --cores 2 --configfile config/demo.yaml

This page is generated from the schema (`zsiw param-docs`); edit the descriptions there.

| parameter | type | default | description |
|---|---|---|---|
"""
PRESETS = Path("config")


def presets(folder: Path = PRESETS) -> str:
    """One line per preset file: its name and the first phrase of its opening comment."""
    lines = []
    for path in sorted(folder.glob("*.yaml")):
        first = path.read_text().splitlines()[0].lstrip("# ").split(":")[0]
        lines.append(f"* `{path.as_posix()}`: {first}")
    return "\n".join(lines)


def _resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type(node: dict, root: dict) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds and "items" in node:
        return f"list of {_type(_resolve(node['items'], root), root) or 'values'}"
    return " or ".join(str(k) for k in kinds if k)


def rows(node: dict, root: dict, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(dotted key, type, default, description) for every documented parameter."""
    node = _resolve(node, root)
    out = []
    for key, child in (node.get("properties") or {}).items():
        child = _resolve(child, root)
        name = f"{prefix}{key}"
        default = f"`{child['default']}`" if "default" in child else ""
        out.append(
            (name, _type(child, root), default, " ".join(child.get("description", "").split()))
        )
        if child.get("type") == "object" or "properties" in child:
            out += rows(child, root, name + ".")
    return out


def render(schema: dict) -> str:
    lines = [
        f"| `{name}` | {kind} | {default} | {text} |"
        for name, kind, default, text in rows(schema, schema)
    ]
    return HEADER.format(generated=GENERATED, presets=presets()) + "\n".join(lines) + "\n"


def write(schema_path: Path = SCHEMA, out: Path = Path("config/README.md")) -> Path:
    out.write_text(render(yaml.safe_load(schema_path.read_text())))
    return out
