"""zsiw tune: the learning rate chosen on the source dev set only."""

import json
from pathlib import Path

import pytest
import yaml

from zsiw import plan
from zsiw.config import load_config
from zsiw.tune import markdown, tune_plain

REPO = Path(__file__).resolve().parents[1]


def test_presets_layer_on_params_like_snakemake_merges_them():
    config = load_config(REPO / "params.yaml", [REPO / "config/full-cpu.yaml"])
    assert config["train"]["prune_vocab"] is True and config["train"]["num_layers"] is None
    assert config["tasks"]["ote"]["train"]["lr"] == 2e-4  # the task's own rate
    assert config["train"]["weight_decay"] == 0.01  # untouched keys stay


def test_the_curve_table_stars_the_best_epoch():
    text = markdown(
        [
            {
                "task": "ote",
                "lr": 1e-4,
                "dev_history": [0.5, 0.7, 0.6],
                "best_epoch": 1,
                "best_dev": 0.7,
            }
        ]
    )
    assert "| ote | 0.0001 | 0.5000, **0.7000**, 0.6000 | 0.7000 (epoch 2) |" in text


def test_missing_features_name_the_command_that_builds_them(tmp_path):
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    config["data"]["features_dir"] = str(tmp_path / "features")
    with pytest.raises(FileNotFoundError, match=r"build it first with `snakemake --cores 2 .*en"):
        tune_plain(config, "ote", [1e-4], out_root=tmp_path / "tune")


def test_a_tuning_run_trains_plain_on_the_source_and_resumes(tmp_path, tiny_encoder):
    from conftest import write_processed
    from zsiw.features import build_features
    from zsiw.manifest import write_manifest

    config = yaml.safe_load((REPO / "params.yaml").read_text())
    config.update(encoders=["zsiw-test/tiny-xlmr"])
    config["data"].update(features_dir=str(tmp_path / "f"), models_dir=str(tmp_path / "m"))
    config["train"].update(batch_size=8, device="cpu", threads=1, eval_batch_size=8)
    config["tasks"]["cls"]["train"] = {"max_length": 16, "epochs": 2}
    model = plan.model_dir(config, "zsiw-test/tiny-xlmr")
    model.parent.mkdir(parents=True)
    model.symlink_to(tiny_encoder)
    write_manifest(model, plan.manifest_of(model))
    feats = plan.features_dir(config, "zsiw-test/tiny-xlmr", "cls-books", "en")
    build_features(write_processed(tmp_path / "p", "cls", "en"), tiny_encoder, feats, max_length=16)
    write_manifest(feats, plan.manifest_of(feats))
    (first,) = tune_plain(config, "cls-books", [1e-3], out_root=tmp_path / "tune")
    assert first["epochs"] == 2 and len(first["dev_history"]) == 2
    run = next((tmp_path / "tune").rglob("train.json"))
    assert json.loads(run.read_text())["method"] == "none"  # plain: no target data at all
    mtime = run.stat().st_mtime_ns
    assert tune_plain(config, "cls-books", [1e-3], out_root=tmp_path / "tune") == [first]
    assert run.stat().st_mtime_ns == mtime  # read back, not retrained
