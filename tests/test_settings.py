"""The typed training settings: one definition of every default, agreeing with the schema."""

import json
import types
import typing
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
import yaml

from zsiw import plan
from zsiw.settings import DATA_FIELDS, IW_ONLY, TrainSettings

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/params.schema.yaml").read_text())
TRAIN = SCHEMA["properties"]["train"]
JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string", type(None): "null"}


def schema_types(prop: dict) -> set[str]:
    kind = prop.get("type")
    types_ = {kind} if isinstance(kind, str) else set(kind)
    return types_ | ({"number"} if "integer" in types_ and "number" in types_ else set())


def dataclass_types(annotation) -> set[str]:
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    return {JSON_TYPES[a] for a in (args or (annotation,))}


def test_schema_and_dataclass_agree_field_by_field():
    hints = typing.get_type_hints(TrainSettings)
    ours = {f.name: f for f in fields(TrainSettings) if f.name not in DATA_FIELDS}
    assert set(ours) == set(TRAIN["properties"])
    for name, field in ours.items():
        prop = TRAIN["properties"][name]
        ours_types = dataclass_types(hints[name])
        if name in IW_ONLY and field.default is None and name in TRAIN["required"]:
            ours_types -= {"null"}  # None only where a plain run is not given it
        assert ours_types == schema_types(prop), name
        if name in TRAIN["required"]:
            # required in params; only an IW-only key may be absent from a plain run's settings
            assert field.default is MISSING or (name in IW_ONLY and field.default is None), name
        else:
            assert "default" in prop, f"schema train.{name} has no default"
            assert field.default == prop["default"], name
    data = SCHEMA["properties"]["data"]["properties"]
    assert (
        TrainSettings.__dataclass_fields__["dev_fraction"].default
        == data["dev_fraction"]["default"]
    )
    assert set(ours) >= IW_ONLY


def test_unknown_and_ill_typed_keys_fail_loudly_by_name():
    base = {"lr": 1e-4, "batch_size": 8, "epochs": 1, "max_length": 32}
    assert TrainSettings.from_dict(base).grad_clip == 1.0  # the default, defined once
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['lerning_rate'\]"):
        TrainSettings.from_dict({**base, "lerning_rate": 1})
    with pytest.raises(ValueError, match=r"train settings\.batch_size: expected int, got '8'"):
        TrainSettings.from_dict({**base, "batch_size": "8"})
    with pytest.raises(ValueError, match=r"freeze_embeddings: expected bool, got 1"):
        TrainSettings.from_dict({**base, "freeze_embeddings": 1})
    with pytest.raises(ValueError, match=r"epochs: expected int, got True"):
        TrainSettings.from_dict({**base, "epochs": True})
    with pytest.raises(ValueError, match=r"missing required key\(s\) \['lr'\]"):
        TrainSettings.from_dict({k: v for k, v in base.items() if k != "lr"})
    assert TrainSettings.from_dict({**base, "lr": 1}).lr == 1.0  # an int is a number


def test_every_cell_of_the_shipped_configs_builds_its_settings():
    from snakemake.utils import update_config

    for preset in ("demo", "real-cpu", "study-cpu", "full-cpu", None):
        config = yaml.safe_load((REPO / "params.yaml").read_text())
        if preset:
            update_config(config, yaml.safe_load((REPO / f"config/{preset}.yaml").read_text()))
        for cell in plan.cells(config):
            sent = plan.cell_train_settings(config, cell.task, cell.method)
            rebuilt = TrainSettings.from_json(json.dumps(sent))  # what the CLI does
            assert rebuilt.lr == sent["lr"] and rebuilt.epochs == sent["epochs"]
