from pathlib import Path

import yaml

from zsiw.paramdoc import render, rows

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/params.schema.yaml").read_text())


def test_config_readme_is_generated_from_the_schema():
    expected = render(SCHEMA)
    actual = (REPO / "config/README.md").read_text()
    assert actual == expected, "config/README.md is stale: run `zsiw param-docs`"


def test_every_params_key_is_documented():
    documented = {name for name, *_ in rows(SCHEMA, SCHEMA)}
    params = yaml.safe_load((REPO / "params.yaml").read_text())

    def keys(node, prefix=""):
        for k, v in node.items():
            yield prefix + k
            if isinstance(v, dict) and not (prefix + k).startswith("data.sources."):
                yield from keys(v, prefix + k + ".")

    missing = {k for k in keys(params) if k not in documented}
    assert not missing, missing
    assert all(text for name, _, _, text in rows(SCHEMA, SCHEMA)), "a key lacks a description"
