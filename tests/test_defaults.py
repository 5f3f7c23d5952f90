"""Each default that the schema also states is written once in the code, and equal to the
schema's; the report's paths come from zsiw.plan, not typed in the rules."""

import re
from pathlib import Path

import yaml

from zsiw import plan
from zsiw.batching import TARGET_SEED_OFFSET
from zsiw.data import demo, mldoc
from zsiw.paper import SOURCE_LANG
from zsiw.settings import TrainSettings
from zsiw.significance import N_RESAMPLES

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/params.schema.yaml").read_text())
SOURCES = [*(REPO / "src/zsiw").rglob("*.py"), *(REPO / "workflow").rglob("*.smk")]


def schema_default(dotted: str):
    node = SCHEMA
    for key in dotted.split("."):
        node = node["properties"][key]
    return node["default"]


def occurrences(pattern: str) -> list[str]:
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(pattern, line.split("#")[0]):
                found.append(f"{path.relative_to(REPO)}:{number}")
    return found


def test_code_constants_equal_the_schema_defaults():
    assert schema_default("report.bootstrap_resamples") == N_RESAMPLES
    assert TrainSettings.softmax_temperature == schema_default("train.softmax_temperature")
    assert TrainSettings.pool_momentum == schema_default("train.pool_momentum")
    assert schema_default("data.mldoc_file_pattern") == mldoc.MLDOC_PATTERN
    assert schema_default("data.mldoc_train_size") == mldoc.MLDOC_TRAIN_SIZE
    assert (
        schema_default("data.demo_train"),
        schema_default("data.demo_test"),
    ) == (demo.DEMO_TRAIN, demo.DEMO_TEST)


def test_each_default_is_written_once():
    def where(pattern: str) -> list[str]:
        return [o.split(":")[0] for o in occurrences(pattern)]

    assert where(r"softmax_temperature\b.*\b0\.05\b") == ["src/zsiw/settings.py"]
    assert where(r"momentum\b.*\b0\.9\b") == ["src/zsiw/settings.py"]
    assert where(r"(?i)resampl.*\b1000\b") == ["src/zsiw/significance.py"]
    assert where(r"(?i)train_size.*\b1000\b") == ["src/zsiw/data/mldoc.py"]
    assert where(r"[\"']\{language\}\.\{split\}[\"']") == ["src/zsiw/data/mldoc.py"]
    assert where(r"(?i)(demo_train|n_train|DEMO_TRAIN).*\b120\b") == ["src/zsiw/data/demo.py"]
    assert where(r"1_000_003") == ["src/zsiw/batching.py"] and TARGET_SEED_OFFSET == 1_000_003
    assert where(r"[\"']mBERT[\"']") == ["src/zsiw/paper.py"]  # the encoder display labels
    assert where(r"-\(-\w+ // |ceil\(.*batch_size") == ["src/zsiw/settings.py"]  # step count


def test_the_report_names_the_source_language_and_task_groups_once():
    """The report's functions default to `paper.SOURCE_LANG` (the paper's English, and the
    value every preset sets as `source_lang`) instead of typing "en"; task groups and domains
    come from `plan.task_group` / `plan.task_domain`, not from splitting names by hand."""
    report = [o for o in occurrences(r"[\"']en[\"']") if "/report/" in o or "cli.py" in o]
    assert report == []
    splits = occurrences(r"split\([\"']-[\"']")
    assert {o.split(":")[0] for o in splits} == {"src/zsiw/plan.py"} and len(splits) == 2
    for name in ("params.yaml", *(p.name for p in (REPO / "config").glob("*.yaml"))):
        path = REPO / name if name == "params.yaml" else REPO / "config" / name
        assert yaml.safe_load(path.read_text()).get("source_lang", SOURCE_LANG) == SOURCE_LANG


def test_the_rules_take_the_reports_paths_from_plan():
    rules = "".join(p.read_text() for p in (REPO / "workflow").rglob("*.smk"))
    rules += (REPO / "Snakefile").read_text()
    for path in (plan.PER_SEED, plan.SUMMARY, plan.SIGNIFICANCE, plan.GEOMETRY_DIR):
        assert str(path) not in rules, path
