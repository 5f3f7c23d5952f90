"""Published grids (`zsiw publish`): the committed demo grid rebuilds every product on a copy
of the repository without data, encoders or training, byte for byte, and a second run plans
nothing; the publishing functions copy only finished cells, atomically."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from zsiw import plan
from zsiw.plan import GENERATED
from zsiw.publish import is_finished, publish_cell, publish_products, unpublished

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "published" / "demo"
COMMAND = "snakemake --cores 2 --configfile config/demo.yaml --config published=published/demo"


def tracked_copy(dest: Path) -> Path:
    """The repository's tracked files, as a fresh clone has them (no data/, no results/)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = REPO / name.decode()
        if src.is_file():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name.decode())
    return dest


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_the_published_demo_grid_is_rebuilt_exactly_without_data_and_then_is_up_to_date(
    tmp_path,
):
    work = tracked_copy(tmp_path / "clone")
    assert not (work / "data" / "raw").exists() and not (work / "data" / "models").exists()
    before = {
        p.relative_to(work): p.read_bytes() for p in (work / "published").rglob("*") if p.is_file()
    }
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    first = subprocess.run(
        COMMAND.split(), cwd=work, capture_output=True, text=True, timeout=600, env=env
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert "rule train" not in first.stderr and "rule tokenise" not in first.stderr
    assert "zsiw preflight" not in first.stderr  # no data asked for
    rebuilt = [p for p in (work / "results").rglob("*") if p.is_file()]
    assert any(p.name == "table1.tex" for p in rebuilt)
    after = {
        p.relative_to(work): p.read_bytes() for p in (work / "published").rglob("*") if p.is_file()
    }
    changed = sorted(str(k) for k in before if after.get(k) != before[k])
    assert set(after) == set(before) and not changed, changed  # the committed copies are exact
    products = [p for p in after if "runs" not in p.parts and p.suffix != ".json"]
    assert len(products) >= 15  # tables, metrics, report pages, plots, geometry
    second = subprocess.run(
        COMMAND.split(), cwd=work, capture_output=True, text=True, timeout=600, env=env
    )
    assert second.returncode == 0 and "Nothing to be done" in second.stdout + second.stderr


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_asking_for_the_study_of_a_tree_without_all_its_cells_says_what_is_missing():
    """The demo tree holds 2 seeds of plain and cosine, not the study's 5 seeds x 6 methods:
    `snakemake study_iw` on it must stop before any job and say so, instead of running
    `zsiw study` on no metrics at all."""
    command = COMMAND.split()[:1] + ["-n", "study_iw"] + COMMAND.split()[1:]
    out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    message = out.stdout + out.stderr
    assert "published/demo holds" in message and "of the study's" in message
    assert "first missing:" in message and "zsiw study" not in message


def test_the_demo_results_page_is_generated_from_every_published_cell():
    page = (DEMO / "report" / "results.md").read_text()
    assert page.startswith(GENERATED)
    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    assert f"cells: {len(list((DEMO / 'runs').rglob('provenance.json')))} of" in page
    assert "Not reproduced here" in page and "xlm-roberta-base" in page
    rows = (DEMO / "report" / "significance.csv").read_text().splitlines()[1:]
    assert page.count("| cosine |") + page.count("| multi-source cosine |") == len(rows)
    assert config["encoders"][0] in page


def fake_run(root: Path, cell: plan.Cell, *, finished: bool) -> Path:
    run = root / cell.run_dir
    (run / "predictions").mkdir(parents=True)
    (run / "predictions" / "es.jsonl").write_text('{"id": 1}\n')
    (run / "train.json").write_text(json.dumps({"cell": cell.to_dict()}))
    (run / "model.safetensors").write_bytes(b"x" * 64)
    (run / "metrics.json").write_text("{}")
    if not finished:
        (run / "checkpoint.pt").write_bytes(b"ckpt")
    return run


def test_only_finished_cells_are_published_and_models_stay_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "g.yaml").write_text("seeds: [1]\n")
    done = plan.Cell("ote", "e", "none", ("en",), "all", 1)
    running = plan.Cell("ote", "e", "cosine", ("en",), "es", 1)
    fake_run(tmp_path, done, finished=True)
    fake_run(tmp_path, running, finished=False)
    assert is_finished(tmp_path / done.run_dir) and not is_finished(tmp_path / running.run_dir)
    root = tmp_path / "published" / "g"
    todo = unpublished(root, tmp_path, [done, running])
    assert todo == [done]
    dest = publish_cell(
        {}, done, root, workdir=tmp_path, config_path=Path("config/g.yaml"), geometry=False
    )
    assert dest == root / "runs/ote/e/none/en-all/seed1"
    names = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert names == ["metrics.json", "predictions/es.jsonl", "provenance.json", "train.json"]
    prov = json.loads((dest / "provenance.json").read_text())
    assert prov["config"] == "config/g.yaml" and len(prov["config_sha256"]) == 64
    # the exact config the cell was trained with stays readable, by its hash, whatever
    # happens to config/g.yaml later
    kept = root / "configs" / f"{prov['config_sha256'][:12]}.yaml"
    assert kept.read_text() == "seeds: [1]\n"
    (tmp_path / "config" / "g.yaml").write_text("seeds: [1, 2]\n")
    assert kept.read_text() == "seeds: [1]\n"
    assert unpublished(root, tmp_path, [done, running]) == []
    with pytest.raises(FileNotFoundError, match="not finished"):
        publish_cell({}, running, root, workdir=tmp_path, config_path=Path("config/g.yaml"))


def test_products_and_pages_are_copied_and_pages_say_they_are_generated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "report").mkdir(parents=True)
    (tmp_path / "results" / "report" / "findings.md").write_text("# Findings\n")
    (tmp_path / "docs").mkdir()
    written = publish_products(
        ["results/report/findings.md"],
        tmp_path / "published" / "g",
        pages={"report/findings.md": "docs/findings-g.md"},
    )
    assert (tmp_path / "published/g/report/findings.md").read_text() == "# Findings\n"
    assert (tmp_path / "docs/findings-g.md").read_text() == f"{GENERATED}\n# Findings\n"
    assert len(written) == 2


def test_geometry_records_of_a_published_tree_come_back_in_file_order(tmp_path):
    """Per-layer and class-mix records of every file, in the order of the files; a file
    without class-mix records (the pretrained encoder's) adds layers only."""
    from zsiw.publish import load_geometry_records

    keys = {"encoder": "e", "task": "cls-books", "target": "fr", "seed": 3}
    pretrained = tmp_path / "pretrained.json"
    pretrained.write_text(json.dumps({"layers": [{**keys, "model": "pretrained", "layer": 0}]}))
    cell = tmp_path / "cell.json"
    mix = {**keys, "model": "cosine", "class_mix_r": 0.5}
    cell.write_text(
        json.dumps({"layers": [{**keys, "model": "cosine", "layer": 0}], "class_mix": [mix]})
    )
    layers, mixes = load_geometry_records([cell, pretrained])
    assert [r["model"] for r in layers] == ["cosine", "pretrained"]
    assert mixes == [mix]


def test_refreshing_a_published_geometry_rewrites_it_and_says_if_the_layers_moved(
    tmp_path, monkeypatch
):
    import zsiw.publish as publish

    cell = plan.Cell("ote", "e", "cosine", ("en",), "es", 1)
    fake_run(tmp_path, cell, finished=True)
    root = tmp_path / "published" / "g"
    path = plan.published_dir(root, cell) / "geometry.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"layers": [{"layer": 0, "n_max": 1.0}], "class_mix": []}))
    fresh = {"layers": [{"layer": 0, "n_max": 1.0}], "class_mix": [{"target": "es"}]}
    monkeypatch.setattr(publish, "cell_geometry", lambda *a, **k: fresh)
    config = {"train": {"target_batch_size": 4}}
    assert publish.refresh_geometry(config, cell, root, workdir=tmp_path) is False
    assert json.loads(path.read_text()) == fresh
    fresh = {"layers": [{"layer": 0, "n_max": 1.5}], "class_mix": []}
    assert publish.refresh_geometry(config, cell, root, workdir=tmp_path) is True
    # a cell published without layers (a multi-source cell before they were measured) gains
    # them: nothing moved
    path.write_text(json.dumps({"layers": [], "class_mix": []}))
    assert publish.refresh_geometry(config, cell, root, workdir=tmp_path) is False
    assert json.loads(path.read_text()) == fresh
    (tmp_path / cell.run_dir / "checkpoint.pt").write_bytes(b"ckpt")  # model not finished
    with pytest.raises(FileNotFoundError, match="no finished model"):
        publish.refresh_geometry(config, cell, root, workdir=tmp_path)


@pytest.mark.workflow
@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_the_current_code_trains_a_published_demo_cell_again_bit_for_bit(tmp_path, monkeypatch):
    """The published demo was trained at an older commit; the code of today, from a clone
    without data, must train one of its IW cells to the same step log, logged weights and
    metrics, byte for byte. Scores alone would not show it: the fused AdamW kernel changed
    the last bits from step 3 on and left the demo's F1 as it was (docs/performance.md).
    The geometry `zsiw publish` measures of the retrained model (per layer and class mix,
    from one encoding of the batch pairs) must equal the published one too. On a CPU with
    more than the kernels the demo was trained with (AVX-512 where it had AVX2), torch is
    held to those (`kernels.kernel_env`): without the caps the step log differs from step 0."""
    import torch

    from zsiw.config import load_config
    from zsiw.kernels import kernel_env

    cell = "runs/ote/zsiw-demo--multilingual-e5-small/cosine/en-es/seed1"
    trained_on = json.loads((DEMO / cell / "provenance.json").read_text())["cpu_capability"]
    levels = ["DEFAULT", "AVX2", "AVX512"]
    here = torch.backends.cpu.get_cpu_capability()
    if here not in levels or levels.index(here) < levels.index(trained_on):
        # fp32 is bit-identical only where torch runs the same vector kernels
        pytest.skip(f"the published demo was trained with {trained_on} kernels; this CPU: {here}")
    work = tracked_copy(tmp_path / "clone")
    target = f"results/{cell}/metrics.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **kernel_env(trained_on)}
    run = subprocess.run(
        ["snakemake", target, "--cores", "1", "--configfile", "config/demo.yaml"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("train_log.jsonl", "weights_examples.jsonl", "metrics.json"):
        trained = (work / "results" / cell / name).read_bytes()
        assert trained == (DEMO / cell / name).read_bytes(), name
    published = json.loads((DEMO / cell / "geometry.json").read_text())
    monkeypatch.chdir(work)  # the config's paths are relative to the checkout
    config = load_config(Path("params.yaml"), [Path("config/demo.yaml")])
    measured = work / "geometry.json"
    run = subprocess.run(
        ["zsiw", "cell-geometry", "--config", json.dumps(config), "--run", f"results/{cell}"]
        + ["--batch-size", str(published["batch_size"]), "--out", str(measured)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,  # the same kernels in the measurement as in training
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(measured.read_text()) == published


def test_every_published_cell_is_whole():
    """A cell is published whole or not at all: every cell of every published tree (one
    with a provenance.json) has each file the report reads and its geometry (two
    publishes at once once left a cell of geometry.json and provenance.json alone; a cell
    being assembled is a `.publishing` directory, which git ignores)."""
    from zsiw.publish import CELL_DIRS, CELL_FILES, GEOMETRY

    cells = sorted(p.parent for p in (REPO / "published").glob("*/runs/**/provenance.json"))
    assert len(cells) > 24  # the demo's cells and the full grid's, at least
    missing = [
        f"{cell.relative_to(REPO)}/{name}"
        for cell in cells
        for name in (*CELL_FILES, *CELL_DIRS, GEOMETRY)
        if not (cell / name).exists()
    ]
    assert not missing, missing[:5]


def test_a_second_publish_into_the_same_tree_waits_for_the_first(tmp_path):
    """Two `zsiw publish` at once (a grid's watcher and its end-of-phase publish) assembled
    the same cell in one `.publishing` directory and committed a cell without its metrics;
    the second must not enter the tree before the first leaves it."""
    import threading

    from zsiw.publish import exclusive

    root = tmp_path / "published" / "grid"
    entered = threading.Event()

    def second():
        with exclusive(root):
            entered.set()

    with exclusive(root):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not entered.wait(0.5)  # held out while the first holds the tree
    assert entered.wait(10)  # and let in once it is released
    waiter.join()
    assert list(root.iterdir()) == []  # no lock file left in a tree that is committed


def test_provenance_records_the_kernel_caps_in_force_and_only_then(tmp_path, monkeypatch):
    from zsiw.kernels import KERNEL_CAP_VARS, kernel_env
    from zsiw.publish import provenance

    (tmp_path / "g.yaml").write_text("seeds: [1]\n")
    for name in KERNEL_CAP_VARS:
        monkeypatch.delenv(name, raising=False)
    assert "kernel_env" not in provenance(Path("g.yaml"), tmp_path)
    for name, value in kernel_env("AVX2").items():
        monkeypatch.setenv(name, value)
    record = provenance(Path("g.yaml"), tmp_path)
    assert record["kernel_env"] == {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    assert record["kernels_recorded_by"] == "zsiw publish"  # no run: this process's
    with pytest.raises(ValueError, match="AVX2, AVX512"):
        kernel_env("NEON")


def test_provenance_takes_the_kernels_a_cell_was_trained_with_not_the_publishers(
    tmp_path, monkeypatch
):
    """A cell trained with AVX2 caps and published from a shell without them (or the other
    way round) must record the training's kernels: they decide whether it trains again bit
    for bit; a cell of older code (no record in train.json) gets the publisher's, and says so."""
    from zsiw.kernels import KERNEL_CAP_VARS
    from zsiw.publish import provenance

    (tmp_path / "g.yaml").write_text("seeds: [1]\n")
    for name in KERNEL_CAP_VARS:
        monkeypatch.delenv(name, raising=False)
    run = tmp_path / "run"
    run.mkdir()
    trained = {"cpu_capability": "AVX2", "kernel_env": {"ATEN_CPU_CAPABILITY": "avx2"}}
    (run / "train.json").write_text(json.dumps({"seed": 1, "kernels": trained}))
    record = provenance(Path("g.yaml"), tmp_path, run)
    assert (record["cpu_capability"], record["kernel_env"]) == ("AVX2", trained["kernel_env"])
    assert record["kernels_recorded_by"] == "training"
    (run / "train.json").write_text(json.dumps({"seed": 1}))  # older code: nothing recorded
    record = provenance(Path("g.yaml"), tmp_path, run)
    assert "kernel_env" not in record and record["kernels_recorded_by"] == "zsiw publish"


def test_the_cpu_generation_is_read_from_cpuinfo_and_empty_without_it():
    from zsiw.publish import cpu_generation

    info = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
    info += "model name\t: AMD EPYC\nprocessor\t: 1\ncpu family\t: 25\nmodel\t\t: 17\n"
    assert cpu_generation(info) == "family 25, model 17"
    assert cpu_generation("model name\t: Apple M2\n") == ""


def test_publish_copies_a_geometry_the_training_route_measured_and_measures_a_stale_one(
    tmp_path, monkeypatch
):
    """The training route's cell_geometry rule writes the same file `zsiw publish` would
    measure: publishing copies it instead of loading the model again, unless the model is
    newer than it (an earlier model's geometry)."""
    import zsiw.publish as publish

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "g.yaml").write_text("seeds: [1]\n")
    cell = plan.Cell("ote", "e", "cosine", ("en",), "es", 1)
    run = fake_run(tmp_path, cell, finished=True)
    measured = []
    monkeypatch.setattr(
        publish, "_measured_geometry", lambda config, run_dir: measured.append(run_dir) or {"m": 1}
    )
    (run / "geometry.json").write_text('{"from": "cell_geometry"}')
    os.utime(run / "geometry.json", (2e9, 2e9))  # after the model
    root = tmp_path / "published" / "g"
    dest = publish_cell({}, cell, root, workdir=tmp_path, config_path=Path("config/g.yaml"))
    assert (dest / "geometry.json").read_text() == '{"from": "cell_geometry"}' and not measured
    os.utime(run / "geometry.json", (1e9, 1e9))  # before the model: an earlier model's
    dest = publish_cell({}, cell, root, workdir=tmp_path, config_path=Path("config/g.yaml"))
    assert json.loads((dest / "geometry.json").read_text()) == {"m": 1} and measured == [run]
