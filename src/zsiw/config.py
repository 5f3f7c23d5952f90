"""The one way a command reads the parameters: as the workflow does.

Snakemake reads ``params.yaml``, layers each ``--configfile`` on top (`update_config`: nested
keys merge) and validates the result against ``workflow/schemas/params.schema.yaml``, filling
in every default. Every `zsiw` command that reads the params calls `load_config`, which does
exactly that with Snakemake's own functions, so a command never sees a config the workflow
would have refused or completed differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: Where the schema lives, relative to the repository root (the params file's folder).
SCHEMA = Path("workflow", "schemas", "params.schema.yaml")


class ConfigError(ValueError):
    """The params (with their presets) do not satisfy the schema; the message says where."""


def schema_path(params: Path) -> Path:
    """The schema beside the params file's repository, else the one of this source tree."""
    for root in (Path(params).resolve().parent, Path(__file__).resolve().parents[2]):
        if (root / SCHEMA).is_file():
            return root / SCHEMA
    raise FileNotFoundError(f"{SCHEMA} not found next to {params} or in the zsiw source tree")


def load_config(params: Path = Path("params.yaml"), overrides: Sequence[Path] = ()) -> dict:
    """``params`` with the preset files layered on top, validated, defaults filled in."""
    import yaml
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import update_config, validate

    config = yaml.safe_load(Path(params).read_text()) or {}
    for path in overrides:
        update_config(config, yaml.safe_load(Path(path).read_text()) or {})
    try:
        validate(config, str(schema_path(Path(params))))
    except WorkflowError as err:
        files = " + ".join(str(p) for p in [params, *overrides])
        raise ConfigError(f"{files}: {err}") from None
    return config
