"""One config loader: every command that reads the params validates them as the workflow does
(the schema's message, naming the key) and sees the schema's defaults filled in."""

import logging
from pathlib import Path

import pytest
import yaml

from zsiw import cli
from zsiw.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["plan"],
    ["preflight"],
    ["publish", "--configfile", "{preset}"],
    ["tune", "--task", "ote", "--lr", "1e-4"],
    ["geometry"],
    ["class-mix", "--runs", "x"],
]


def bad_params(tmp_path: Path) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["train"]["lr"] = "fast"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "preset.yaml").write_text("seeds: [1]\n")
    return tmp_path / "params.yaml"


def test_defaults_are_filled_exactly_as_the_schema_says():
    config = load_config(REPO / "params.yaml", [REPO / "config" / "demo.yaml"])
    assert config["published"] is None and config["report"]["rerun_of"] is None
    assert config["study"]["findings"] == "results/report/findings.md"
    assert config["train"]["num_layers"] == 3  # the preset layered on params.yaml


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_every_command_refuses_invalid_params_with_the_schemas_message(
    argv, tmp_path, monkeypatch, caplog
):
    params = bad_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{preset}", str(tmp_path / "preset.yaml")) for a in argv]
    with caplog.at_level(logging.ERROR):
        assert cli.main([*argv, "--params", str(params)]) == 1
    message = caplog.text
    assert "ConfigError" in message and "'fast' is not of type 'number'" in message
    assert "['train']['lr']" in message and str(params) in message


def test_the_benchmark_refuses_them_before_any_work(tmp_path):
    params = bad_params(tmp_path)
    with pytest.raises(ConfigError, match="'fast' is not of type 'number'"):
        cli.main(["bench", "--params", str(params), "--model", str(tmp_path / "none")])
