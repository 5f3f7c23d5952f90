"""zsiw.preflight: every missing data set and encoder named at once, nothing else flagged."""

import copy
from pathlib import Path

import pytest
import yaml

from zsiw import preflight

REPO = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def config_in(tmp_path, **data):
    config = copy.deepcopy(PARAMS)
    for key in ("raw_dir", "models_dir"):
        config["data"][key] = str(tmp_path / key)
    config["data"].update(data)
    return config


def test_every_missing_input_is_listed_once(tmp_path):
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check(config_in(tmp_path), reachable=lambda: False)
    text = str(err.value)
    assert "5 input(s)" in text
    items = [line for line in text.splitlines() if line.startswith("  * ")]
    for name in ("SemEval-2016", "Webis-CLS-10", "MLDoc", "encoder xlm-roberta", "encoder bert"):
        assert sum(line.startswith(f"  * {name}") for line in items) == 1, name
    assert "data.sources.mldoc.path" in text and "docs/data.md, section 3" in text


def test_what_can_be_had_is_not_flagged(tmp_path):
    (tmp_path / "semeval").mkdir()
    raw = tmp_path / "raw_dir"
    raw.mkdir()
    (raw / "webis-cls-10.manifest.json").write_text("{}")  # obtained before
    config = config_in(
        tmp_path,
        sources={
            "semeval2016": {"path": str(tmp_path / "semeval")},
            "mldoc": {"url": "https://example.org/mldoc.tar.gz"},  # its job downloads it
        },
    )
    models = tmp_path / "models_dir" / "xlm-roberta-base"
    models.mkdir(parents=True)
    (models / "config.json").write_text("{}")
    assert preflight.missing_data(config) == []
    missing = preflight.missing_encoders(config, reachable=lambda: False)
    assert len(missing) == 1 and "bert-base-multilingual-cased" in missing[0]
    assert preflight.missing_encoders(config, reachable=lambda: True) == []


def test_demo_mode_and_local_encoders_need_nothing(tmp_path):
    from snakemake.utils import update_config

    config = copy.deepcopy(PARAMS)
    update_config(config, yaml.safe_load((REPO / "config/demo.yaml").read_text()))
    preflight.check(config, reachable=lambda: False)  # no exception


def test_offline_setting_means_unreachable(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    preflight.hub_reachable.cache_clear()
    assert preflight.hub_reachable() is False
    preflight.hub_reachable.cache_clear()


def test_a_run_is_checked_only_for_the_jobs_it_will_run(tmp_path):
    config = config_in(tmp_path)  # no benchmark, no encoder, no network
    offline = lambda: False  # noqa: E731
    # encoders_all on a machine with network: only the encoders are asked for
    jobs = [("fetch_encoder", {"encoder": "xlm-roberta-base"}), ("encoders_all", {})]
    preflight.check_jobs(config, jobs, reachable=lambda: True)
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check_jobs(config, jobs, reachable=offline)
    assert "1 input(s)" in str(err.value) and "encoder xlm-roberta-base" in str(err.value)
    # tables rebuilt from results pulled or published: nothing to obtain, nothing checked
    preflight.check_jobs(config, [("aggregate", {}), ("tables", {})], reachable=offline)
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check_jobs(config, [("obtain_raw", {"dataset": "semeval2016"})], offline)
    text = str(err.value)
    assert "1 input(s)" in text and "SemEval-2016" in text and "MLDoc" not in text


def test_the_parse_time_warning_names_everything_and_stops_nothing(tmp_path):
    text = preflight.warn(config_in(tmp_path), reachable=lambda: False)
    assert "5 input(s)" in text and "a run stops before its first job" in text
    from snakemake.utils import update_config

    config = copy.deepcopy(PARAMS)
    update_config(config, yaml.safe_load((REPO / "config/demo.yaml").read_text()))
    assert preflight.warn(config, reachable=lambda: False) is None
