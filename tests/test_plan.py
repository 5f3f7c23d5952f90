"""The grid: every paper cell planned, plain models trained once, paths in one place."""

import copy
from pathlib import Path

import yaml

from zsiw import plan
from zsiw.settings import IW_ONLY

REPO = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def test_paper_grid_counts():
    cells = plan.cells(PARAMS)
    per_seed = [c for c in cells if c.seed == 1]
    by_task = {}
    for c in per_seed:
        by_task.setdefault(c.task, []).append(c)
    # ote: 2 encoders x (1 plain + 4 IW targets) + 4 multi-source (XLMR+IW)
    #      + the ablation: 2 encoders x (euclidean, coral) x 4 targets
    assert len(by_task["ote"]) == 2 * 5 + 4 + 2 * 2 * 4
    assert len(by_task["mldoc"]) == 2 * (1 + 7)
    for domain in ("books", "dvd", "music"):
        assert len(by_task[f"cls-{domain}"]) == 2 * (1 + 3)
    assert len(cells) == 3 * len(per_seed) == 210
    paper = [c for c in cells if c.method in ("none", "cosine")]
    assert len(paper) == 162  # the cells of Tables 1-4


def test_plain_cells_are_trained_once_and_tested_on_every_target():
    plain = [c for c in plan.cells(PARAMS) if c.method == "none"]
    assert {c.target for c in plain} == {"all"}
    keys = [(c.task, c.encoder, c.seed) for c in plain]
    assert len(keys) == len(set(keys)) == 5 * 2 * 3
    mldoc = next(c for c in plain if c.task == "mldoc")
    assert plan.eval_langs(PARAMS, mldoc) == ["en", "de", "es", "fr", "it", "ja", "ru", "zh"]


def test_multi_source_cells_use_all_other_languages():
    multi = [c for c in plan.cells(PARAMS) if c.multi_source and c.seed == 1]
    assert {(c.target, c.sources) for c in multi} == {
        ("es", ("en", "nl", "ru", "tr")),
        ("nl", ("en", "es", "ru", "tr")),
        ("ru", ("en", "es", "nl", "tr")),
        ("tr", ("en", "es", "nl", "ru")),
    }
    assert {c.encoder for c in multi} == {"xlm-roberta-base"}


def test_geometry_covers_the_papers_models_and_not_the_ablation():
    cells = plan.cells(PARAMS)
    measured = plan.geometry_cells(PARAMS, cells)
    assert {c.method for c in measured} == {"none", "cosine"}  # no euclidean, no coral
    assert len([c for c in measured if c.multi_source]) == 4 * 3
    assert len(measured) == 162  # every model of Tables 1-4
    assert plan.geometry_cells(PARAMS, [c for c in cells if c.task == "mldoc"]) == [
        c for c in measured if c.task == "mldoc"
    ]
    # multi-source with an ablation method: its multi-source models, not its single-source
    config = copy.deepcopy(PARAMS)
    config["tasks"]["ote"]["multi_source"]["methods"] = ["euclidean"]
    measured = plan.geometry_cells(config, plan.cells(config))
    assert {c.multi_source for c in measured if c.method == "euclidean"} == {True}


def test_a_geometry_job_reads_only_what_it_needs_from_the_params():
    """Its params are the job's rerun trigger: a change to the report, the study or another
    task must not measure every model again; its task's targets, paths and batch size do."""
    config = copy.deepcopy(PARAMS)
    before = plan.geometry_config(config, "cls-books")
    config["report"]["bootstrap_resamples"] += 1
    config["tasks"]["ote"]["targets"] = ["es"]
    config["study"]["seeds"] = [1]
    assert plan.geometry_config(config, "cls-books") == before
    assert before["tasks"] == {
        "cls": {"targets": ["de", "fr", "ja"], "domains": PARAMS["tasks"]["cls"]["domains"]}
    }
    assert plan.targets(before, "cls-books") == ["de", "fr", "ja"]
    assert plan.features_dir(before, "e", "cls-books", "fr") == plan.features_dir(
        PARAMS, "e", "cls-books", "fr"
    )
    config["train"]["target_batch_size"] = 8
    assert plan.geometry_config(config, "cls-books")["train"] == {"target_batch_size": 8}


def test_multi_source_seeds_can_be_a_subset():
    config = copy.deepcopy(PARAMS)
    config["tasks"]["ote"]["multi_source"]["seeds"] = [1]
    multi = [c for c in plan.cells(config) if c.multi_source]
    assert len(multi) == 4 and {c.seed for c in multi} == {1}
    single = [c for c in plan.cells(config) if not c.multi_source]
    assert {c.seed for c in single} == {1, 2, 3}  # the rest of the grid keeps every seed
    assert len(plan.cells(config)) == 210 - 8


def test_run_dir_round_trips_through_wildcards():
    cell = plan.Cell("cls-books", "xlm-roberta-base", "cosine", ("en", "nl"), "de", 2)
    assert cell.run_dir == Path("results/runs/cls-books/xlm-roberta-base/cosine/en+nl-de/seed2")
    slug = plan.encoder_slug("zsiw-demo/multilingual-e5-small")
    assert slug == "zsiw-demo--multilingual-e5-small"
    back = plan.cell_from_wildcards("cls-books", slug, "none", "en", "all", "3")
    assert back.encoder == "zsiw-demo/multilingual-e5-small" and back.seed == 3
    # placeholders give the Snakemake pattern: one definition of the path
    pattern = plan.Cell("{task}", "{encoder}", "{method}", ("{sources}",), "{target}", "{seed}")
    assert (
        str(pattern.run_dir)
        == "results/runs/{task}/{encoder}/{method}/{sources}-{target}/seed{seed}"
    )


def test_task_overrides_and_disabled_tasks():
    cfg = copy.deepcopy(PARAMS)
    assert plan.train_settings(cfg, "ote")["max_length"] == 128
    assert plan.train_settings(cfg, "cls-dvd")["max_length"] == 256
    assert plan.train_settings(cfg, "ote")["lr"] == cfg["train"]["lr"]
    cfg["tasks"]["mldoc"]["enabled"] = False
    assert "mldoc" not in plan.tasks(cfg)
    assert plan.task_langs(cfg, "ote") == ["en", "es", "nl", "ru", "tr"]


def test_case_study_cell_only_when_in_grid():
    assert plan.case_study_cell(PARAMS) == plan.Cell(
        "cls-books", "xlm-roberta-base", "cosine", ("en",), "fr", 1
    )
    cfg = copy.deepcopy(PARAMS)
    cfg["tables"]["case_study"]["target"] = "zh"
    assert plan.case_study_cell(cfg) is None


def test_plain_runs_are_not_given_iw_only_settings():
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    plain = plan.cell_train_settings(config, "ote", plan.PLAIN)
    iw = plan.cell_train_settings(config, "ote", "cosine")
    assert "target_batch_size" in iw and "target_batch_size" not in plain
    assert set(iw) - set(plain) == IW_ONLY
    assert iw["lr"] == plain["lr"] and iw["max_length"] == plain["max_length"] == 128
