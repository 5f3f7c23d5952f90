"""``zsiw <subcommand>``: the only entry point the Snakemake rules call.

Each subcommand is a thin wrapper over one tested function; settings arrive as command-line
values or one JSON string that the rule builds from ``params.yaml`` (no hidden reads of the
params file deep inside).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from zsiw.manifest import write_manifest


def _json(value: str) -> dict:
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from err


def cmd_obtain(args: argparse.Namespace) -> None:
    """Raw files of one data set: synthetic in demo mode, else from the configured source."""
    dest = Path(args.out)
    if args.mode == "demo":
        from zsiw.data.demo import write_demo_raw

        langs = args.demo_langs or {}
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            write_demo_raw(
                Path(tmp),
                seed=args.demo_seed,
                ote_langs=tuple(langs.get("semeval2016", ())),
                cls_langs=tuple(langs.get("webis-cls-10", ())),
                mldoc_langs=tuple(langs.get("mldoc", ())),
                cls_domains=tuple(langs.get("cls_domains", ("books",))),
                **{
                    key: value
                    for key, value in (("n_train", args.demo_train), ("n_test", args.demo_test))
                    if value is not None
                },
            )
            if not (Path(tmp) / args.dataset).is_dir():
                raise ValueError(f"demo data for {args.dataset} asked for no language: {langs}")
            shutil.rmtree(dest, ignore_errors=True)
            (Path(tmp) / args.dataset).rename(dest)
    else:
        from zsiw.data.download import obtain

        obtain(args.source, dest, name=args.dataset)
    if args.manifest:
        write_manifest(dest, args.manifest, dataset=args.dataset, mode=args.mode)


def cmd_prepare(args: argparse.Namespace) -> None:
    from zsiw.data.prepare import prepare_dataset

    stats = prepare_dataset(
        args.task_group,
        args.lang,
        Path(args.raw),
        Path(args.out),
        Path(args.stats),
        domain=args.domain,
        mldoc_pattern=args.mldoc_pattern,
        mldoc_train_size=args.mldoc_train_size,
        cls_unlabeled=args.cls_unlabeled,
    )
    logging.info("prepared %s/%s: %s", args.task_group, args.lang, json.dumps(stats)[:500])


def cmd_fetch_encoder(args: argparse.Namespace) -> None:
    from zsiw.models import fetch_encoder

    fetch_encoder(args.name, args.out)
    if args.manifest:
        write_manifest(args.out, args.manifest, encoder=args.name)


def cmd_features(args: argparse.Namespace) -> None:
    from zsiw.features import build_features

    sizes = build_features(args.processed, args.model, args.out, max_length=args.max_length)
    logging.info("features %s: %s", args.out, sizes)
    if args.manifest:
        write_manifest(args.out, args.manifest, sizes=sizes, max_length=args.max_length)


def _lang_paths(items: list[str], flag: str) -> dict[str, str | Path]:
    paths: dict[str, str | Path] = {}
    for item in items:
        lang, _, path = item.partition("=")
        if not path:
            raise ValueError(f"{flag} expects LANG=PATH items, got {item!r}")
        paths[lang] = path
    return paths


def cmd_train(args: argparse.Namespace) -> None:
    from zsiw import checkpoint
    from zsiw.evaluate import evaluate_run
    from zsiw.gpu import claim_device
    from zsiw.plan import cell_from_wildcards, task_group
    from zsiw.settings import TrainSettings
    from zsiw.train import train_cell

    cell = cell_from_wildcards(
        args.task, args.encoder, args.method, args.sources, args.target, args.seed
    )
    eval_features = _lang_paths(args.eval_features or [], "--eval-features")
    requested = TrainSettings.from_dict(args.settings, where="--settings")
    _ensure_encoder(args.encoder, Path(args.model))
    # A finished cell without its test results must not look finished: metrics.json goes
    # first and is rewritten last.
    (Path(args.out) / "metrics.json").unlink(missing_ok=True)
    with claim_device(requested.device) as device:
        # the job's allocation (Snakemake's {threads}) wins over the settings
        settings = requested.replace(device=device, threads=args.threads or requested.threads)
        train_cell(
            task_group=task_group(args.task),
            method=args.method,
            seed=int(args.seed),
            source_features=[Path(p) for p in args.source_features],
            target_features=Path(args.target_features) if args.target_features else None,
            model_dir=Path(args.model),
            settings=settings,
            out_dir=Path(args.out),
            cell_info=cell.to_dict(),
            # Kept until the test results are written: a job killed while testing resumes
            # from it instead of retraining (Snakemake deletes the outputs of a failed job).
            keep_checkpoint=bool(eval_features),
            test_features=[Path(p) for p in eval_features.values()],
        )
        if eval_features:
            # Tested in the same job: the imports and the base model (most of a small job's
            # time) are paid once per cell, and one cluster job replaces two.
            _log_scores(
                args.out,
                evaluate_run(
                    args.out,
                    eval_features,
                    Path(args.out) / "metrics.json",
                    batch_size=settings.eval_batch_size,
                    device=device,
                ),
            )
            checkpoint.remove(Path(args.out), settings)


def _ensure_encoder(slug: str, model_dir: Path) -> None:
    """A clone that pulled results but not the encoder copies (docs/dvc.md) rebuilds a
    locally built encoder on first need; a hub encoder must be fetched by `encoders_all`."""
    from zsiw.models import DEMO_PREFIX, TEST_PREFIX, fetch_encoder
    from zsiw.plan import encoder_name

    if (model_dir / "config.json").exists():
        return
    name = encoder_name(slug)
    if not name.startswith((DEMO_PREFIX, TEST_PREFIX)):
        raise FileNotFoundError(
            f"encoder copy {model_dir} is missing; run `snakemake --cores 1 encoders_all "
            f"--forcerun fetch_encoder` on a machine with network"
        )
    logging.info("rebuilding the missing local encoder %s in %s", name, model_dir)
    fetch_encoder(name, model_dir)


def _log_scores(run: str, summary: dict) -> None:
    for result in summary["results"]:
        logging.info("%s on %s: score %.4f", run, result["eval_lang"], result["score"])


def cmd_evaluate(args: argparse.Namespace) -> None:
    from zsiw.evaluate import evaluate_run
    from zsiw.gpu import claim_device

    features = _lang_paths(args.features, "--features")
    with claim_device(args.device) as device:
        summary = evaluate_run(
            args.run, features, args.out, batch_size=args.batch_size, device=device
        )
    _log_scores(args.run, summary)


def cmd_aggregate(args: argparse.Namespace) -> None:
    from zsiw.stats import load_rows, write_summary

    write_summary(load_rows(args.inputs), args.json, args.csv)


def cmd_tables(args: argparse.Namespace) -> None:
    from zsiw.report.build import write_ablation, write_tables

    out = Path(args.out_dir)
    write_tables(
        args.rows, args.config, out, case_study=args.case_study, significance=args.significance
    )
    write_ablation(args.rows, args.config, out / "ablation.tex")


def cmd_tables_pdf(args: argparse.Namespace) -> None:
    """The LaTeX tables compiled to one PDF (a preview) and pages of it rendered to PNG."""
    from zsiw.report.pdf import compile_tables, render_pages

    pdf = compile_tables([Path(t) for t in args.tables], Path(args.pdf))
    logging.info("wrote %s", pdf)
    if args.png:
        for path in render_pages(pdf, Path(args.png), pages=args.pages, dpi=args.dpi):
            logging.info("wrote %s", path)


def cmd_study(args: argparse.Namespace) -> None:
    from zsiw.report.study import write_study

    rows = write_study(
        args.metrics,
        args.runs_root,
        args.table,
        args.findings,
        n_resamples=args.resamples,
        seed=args.seed,
        geometry=args.geometry,
    )
    logging.info("study: %d comparisons", len(rows))


def cmd_report(args: argparse.Namespace) -> None:
    """Significance tests, the reproduction scorecard and the plots."""
    from zsiw.atomic import atomic_path, write_text
    from zsiw.report.plots import plot_iw_vs_plain, plot_training_curves, plot_weight_dispersion
    from zsiw.report.scorecard import scorecard
    from zsiw.significance import significance_table

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sig = significance_table(args.rows, args.runs_root, n_resamples=args.resamples, seed=args.seed)
    with atomic_path(out / "significance.csv") as tmp:
        sig.to_csv(tmp, index=False)
    write_text(out / "scorecard.md", scorecard(args.rows, sig))
    plots, pdfs = Path(args.plots_dir), Path(args.figures_dir)
    plot_iw_vs_plain(args.rows, plots / "iw_vs_plain", pdfs)
    logs = [Path(p) for p in args.logs]
    plot_weight_dispersion(logs, plots / "weight_dispersion", pdfs)
    plot_training_curves(logs, plots / "training_curves", pdfs)


def cmd_tune(args: argparse.Namespace) -> None:
    """Plain source-only runs per learning rate; their source-dev curves (zero-shot safe)."""
    from zsiw.config import load_config
    from zsiw.tune import markdown, tune_plain

    config = load_config(Path(args.params), [Path(p) for p in args.configfile])
    results = tune_plain(
        config, args.task, args.lr, out_root=Path(args.out), epochs=args.epochs, seed=args.seed
    )
    print(markdown(results), end="")


def cmd_geometry(args: argparse.Namespace) -> None:
    """The paper's cosine weights on real batches, layer by layer, without training."""
    from zsiw.geometry import pretrained_geometry, write_geometry
    from zsiw.publish import cell_geometry

    config = args.config
    if config is None:
        from zsiw.config import load_config

        config = load_config(Path(args.params), [Path(p) for p in args.configfile])
    if args.records:  # published cells: their geometry was measured when they were published
        from zsiw.publish import load_geometry_records

        layers, mixes = load_geometry_records(args.records)
        for path in write_geometry(layers, Path(args.out), mixes):
            logging.info("wrote %s", path)
        return
    size = args.batch_size or int(config["train"]["target_batch_size"])
    runs = [Path(r) for r in args.runs]
    records = pretrained_geometry(config, batch_size=size, batches=args.batches, seed=args.seed)
    mixes = []
    for run in runs:  # the measurement `zsiw publish` and the `cell_geometry` rule store
        cell = cell_geometry(config, run, batch_size=size, batches=args.batches, seed=args.seed)
        records += cell["layers"]
        mixes += cell["class_mix"]
    for path in write_geometry(records, Path(args.out), mixes):
        logging.info("wrote %s", path)


def cmd_cell_geometry(args: argparse.Namespace) -> None:
    """One trained cell's geometry file, as `zsiw publish` stores it beside the cell."""
    from zsiw.publish import cell_geometry, write_json

    size = args.batch_size or int(args.config["train"]["target_batch_size"])
    write_json(Path(args.out), cell_geometry(args.config, Path(args.run), batch_size=size))


def cmd_pretrained_geometry(args: argparse.Namespace) -> None:
    """The pretrained encoders' geometry file of one task, as a published tree stores it."""
    from zsiw.publish import pretrained_geometry_record, write_json

    write_json(Path(args.out), pretrained_geometry_record(args.config, args.task))


def cmd_class_mix(args: argparse.Namespace) -> None:
    """Whether a trained model's own weights follow the target batch's class mix."""
    from zsiw.config import load_config
    from zsiw.geometry import cell_class_mix

    config = load_config(Path(args.params), [Path(p) for p in args.configfile])
    size = args.batch_size or int(config["train"]["target_batch_size"])
    for run in args.runs:
        mixes = cell_class_mix(
            config, Path(run), batch_size=size, batches=args.batches, seed=args.seed
        )
        for mix in mixes:
            print(json.dumps({"run": str(run), **mix}))


def cmd_compare(args: argparse.Namespace) -> None:
    from zsiw.paper import SOURCE_LANG
    from zsiw.report.compare import write_comparison

    out = write_comparison(
        args.rows,
        args.reference,
        args.out,
        source_lang=args.source_lang or SOURCE_LANG,
        paper_encoder=args.paper_encoder,
    )
    logging.info("wrote %s", out)


def cmd_plan(args: argparse.Namespace) -> None:
    """The grid of the params: jobs per table, and with --cost their estimated GPU time."""
    from zsiw.config import load_config
    from zsiw.cost import cost_text, estimate

    config = load_config(Path(args.params), [Path(p) for p in args.configfile])
    if args.phase:
        from zsiw.plan import metrics_path, phase_cells

        for cell in phase_cells(config, args.phase):
            print(metrics_path(cell))
        return
    if args.cost:
        print(cost_text(config, tflops=args.tflops, job_overhead_s=args.job_overhead), end="")
    else:
        for row in estimate(config):
            print(f"{row.table:28s} {row.jobs:5d} jobs")


def cmd_publish(args: argparse.Namespace) -> None:
    """Copy every finished cell's small outputs (and its trained geometry) into a tracked tree."""
    from zsiw.config import load_config
    from zsiw.publish import exclusive, grid_name

    config_path = Path(args.configfile)
    config = load_config(Path(args.params), [config_path])
    root = Path(args.to or Path("published", grid_name(config_path)))
    with exclusive(root):  # what is unpublished is read once the tree is ours
        _publish(args, config, config_path, root)


def _publish(args: argparse.Namespace, config: dict, config_path: Path, root: Path) -> None:
    from zsiw import plan
    from zsiw.publish import (
        is_finished,
        publish_cell,
        publish_pretrained_geometry,
        refresh_geometry,
        unpublished,
    )

    cells = sorted(set(plan.cells(config)) | set(plan.study_cells(config)))
    if args.refresh_geometry:
        for cell in cells:
            if args.methods and cell.method not in args.methods:
                continue
            if plan.is_published(root, cell) and is_finished(cell.run_dir):
                moved = refresh_geometry(config, cell, root, workdir=Path("."))
                print(plan.published_dir(root, cell), flush=True)
                if moved:
                    logging.warning(
                        "%s: per-layer geometry differs from the published one", cell.label
                    )
        return
    if not args.no_geometry:
        for path in publish_pretrained_geometry(config, root):
            print(path, flush=True)
    for cell in unpublished(root, Path("."), cells):
        dest = publish_cell(
            config,
            cell,
            root,
            workdir=Path("."),
            config_path=config_path,
            geometry=not args.no_geometry,
        )
        print(dest, flush=True)


def cmd_publish_products(args: argparse.Namespace) -> None:
    """Copy rebuilt products from results/ into the published tree (and pages into docs/)."""
    from zsiw.publish import publish_products

    for path in publish_products(args.products, Path(args.to), pages=args.pages):
        logging.info("wrote %s", path)


def cmd_results_page(args: argparse.Namespace) -> None:
    from zsiw.report.results_page import write_results_page

    out = write_results_page(
        args.out,
        config=args.config,
        config_name=args.config_name,
        rows=args.rows,
        significance=args.significance,
        comparison=args.comparison,
        provenance=args.provenance,
        command=args.command_line,
        rerun_of=args.rerun_of,
    )
    logging.info("wrote %s", out)


def cmd_preflight(args: argparse.Namespace) -> None:
    """Every data set and encoder of the whole grid, checked strictly (exit 1 naming all)."""
    from zsiw.config import load_config
    from zsiw.preflight import check

    check(load_config(Path(args.params), [Path(p) for p in args.configfile]))
    print("zsiw preflight: every data set and encoder of this grid can be had")


def cmd_param_docs(args: argparse.Namespace) -> None:
    from zsiw.paramdoc import write

    write(Path(args.schema), Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    # Values the schema has defaults for are given by the rules (from params); without one a
    # command uses its module's constant (one place each; tests/test_defaults.py).
    from zsiw.plan import GEOMETRY_DIR

    parser = argparse.ArgumentParser(prog="zsiw", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("obtain", help="get one data set's raw files")
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=["real", "demo"], default="real")
    p.add_argument("--source", type=_json, default={}, help="JSON: {path: …} or {url: …}")
    p.add_argument("--demo-seed", type=int, default=0)
    p.add_argument("--demo-langs", type=_json, default=None)
    p.add_argument("--demo-train", type=int, default=None, help="default: zsiw.data.demo's")
    p.add_argument("--demo-test", type=int, default=None, help="default: zsiw.data.demo's")
    p.add_argument("--manifest", default=None, help="write a manifest JSON here")
    p.set_defaults(func=cmd_obtain)

    p = sub.add_parser("prepare", help="parse raw files into a normalised dataset")
    p.add_argument("--task-group", required=True, choices=["ote", "cls", "mldoc"])
    p.add_argument("--lang", required=True)
    p.add_argument("--domain", default=None)
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--mldoc-pattern", default=None, help="default: zsiw.data.mldoc's")
    p.add_argument("--mldoc-train-size", type=int, default=None, help="default: zsiw.data.mldoc's")
    p.add_argument("--cls-unlabeled", action="store_true")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("fetch-encoder", help="make a local copy of an encoder")
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--manifest", default=None, help="write a manifest JSON here")
    p.set_defaults(func=cmd_fetch_encoder)

    p = sub.add_parser("features", help="tokenise a normalised dataset once")
    p.add_argument("--processed", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-length", type=int, required=True)
    p.add_argument("--manifest", default=None, help="write a manifest JSON here")
    p.set_defaults(func=cmd_features)

    p = sub.add_parser("train", help="train one cell")
    for name in ("task", "encoder", "method", "sources", "target", "seed", "model", "out"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--source-features", nargs="+", required=True)
    p.add_argument("--target-features", default=None)
    p.add_argument("--settings", type=_json, required=True)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: settings)")
    p.add_argument(
        "--eval-features",
        nargs="+",
        default=None,
        metavar="LANG=PATH",
        help="after training, test the cell on these languages (writes metrics.json)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="(re-)test a trained cell on its languages")
    p.add_argument("--run", required=True)
    p.add_argument("--features", nargs="+", required=True, metavar="LANG=PATH")
    p.add_argument("--out", required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("aggregate", help="per-seed evaluation files -> summary")
    p.add_argument("--json", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("inputs", nargs="+")
    p.set_defaults(func=cmd_aggregate)

    p = sub.add_parser("param-docs", help="write config/README.md from the schema")
    p.add_argument("--schema", default="workflow/schemas/params.schema.yaml")
    p.add_argument("--out", default="config/README.md")
    p.set_defaults(func=cmd_param_docs)

    p = sub.add_parser("report", help="significance, scorecard and plots")
    p.add_argument("--rows", required=True, help="per-seed CSV from `zsiw aggregate`")
    p.add_argument("--runs-root", default="results/runs")
    p.add_argument("--out-dir", default="results/report")
    p.add_argument("--plots-dir", default="results/plots", help="PNG figures (DVC plots)")
    p.add_argument("--figures-dir", default="results/figures", help="the same figures as PDF")
    p.add_argument("--resamples", type=int, required=True, help="report.bootstrap_resamples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logs", nargs="*", default=[], help="train_log.jsonl of every cell")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("study", help="the IW study table and findings")
    p.add_argument("--metrics", nargs="+", required=True)
    p.add_argument(
        "--geometry", nargs="*", default=[], help="the cells' geometry.json: what weights follow"
    )
    p.add_argument("--runs-root", default="results/runs")
    p.add_argument("--table", default="results/tables/study_iw.tex")
    p.add_argument("--findings", default="results/report/findings.md")
    p.add_argument("--resamples", type=int, required=True, help="report.bootstrap_resamples")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_study)

    sub.add_parser("bench", help="benchmarks: IW overhead, loop, cache, cost, memory")

    p = sub.add_parser("compare", help="this run beside the paper and an earlier run")
    p.add_argument("--rows", required=True, help="per-seed CSV from `zsiw aggregate`")
    p.add_argument("--reference", required=True, help="YAML of the earlier run's numbers")
    p.add_argument("--out", default="results/report/comparison.md")
    p.add_argument("--source-lang", help="the grid's source language (default: the paper's, en)")
    p.add_argument("--paper-encoder", default="xlm-roberta-base")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("geometry", help="IW weights of the pretrained/trained encoder per layer")
    p.add_argument("--config", type=_json, default=None, help="the merged params as JSON")
    p.add_argument("--params", default="params.yaml", help="(without --config)")
    p.add_argument("--configfile", nargs="*", default=[], help="presets layered on params")
    p.add_argument("--runs", nargs="*", default=[], help="trained cells too")
    p.add_argument("--batch-size", type=int, default=None, help="default: target_batch_size")
    p.add_argument("--batches", type=int, default=10, help="batch pairs per task x target")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(GEOMETRY_DIR))
    p.add_argument(
        "--records", nargs="*", default=[], help="published geometry JSON files (no model needed)"
    )
    p.set_defaults(func=cmd_geometry)

    p = sub.add_parser("cell-geometry", help="one trained cell's geometry.json, from its model")
    p.add_argument("--config", type=_json, required=True, help="the merged params as JSON")
    p.add_argument("--run", required=True, help="the cell's run directory (with its model)")
    p.add_argument("--batch-size", type=int, default=None, help="default: target_batch_size")
    p.add_argument("--out", required=True, help="the geometry JSON file to write")
    p.set_defaults(func=cmd_cell_geometry)

    p = sub.add_parser("pretrained-geometry", help="the pretrained encoders' geometry of a task")
    p.add_argument("--config", type=_json, required=True, help="the merged params as JSON")
    p.add_argument("--task", required=True, help="ote, mldoc or cls-<domain>")
    p.add_argument("--out", required=True, help="the geometry JSON file to write")
    p.set_defaults(func=cmd_pretrained_geometry)

    p = sub.add_parser(
        "class-mix", help="do a trained model's IW weights follow the target class mix?"
    )
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--configfile", nargs="*", default=[], help="presets layered on params")
    p.add_argument(
        "--runs",
        nargs="+",
        required=True,
        help="trained cells (OTE: by whether a sentence has a target)",
    )
    p.add_argument("--batch-size", type=int, default=None, help="default: target_batch_size")
    p.add_argument("--batches", type=int, default=20, help="batch pairs")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_class_mix)

    p = sub.add_parser("plan", help="the grid's jobs per table (--cost: estimated GPU-hours)")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--configfile", nargs="*", default=[], help="presets layered on params")
    p.add_argument("--cost", action="store_true", help="estimate GPU-hours per table")
    p.add_argument("--tflops", type=float, default=40.0, help="assumed achieved TFLOP/s")
    p.add_argument("--job-overhead", type=float, default=60.0, help="start-up s per job")
    p.add_argument("--phase", default=None, help="print the metrics paths of one training phase")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("publish-products", help="copy rebuilt products into a published tree")
    p.add_argument("products", nargs="+", help="files under results/")
    p.add_argument("--to", required=True, help="the published tree, e.g. published/full-cpu")
    p.add_argument("--pages", type=_json, default={}, help='{"report/results.md": "docs/..."}')
    p.set_defaults(func=cmd_publish_products)

    p = sub.add_parser("results-page", help="the generated results page of a grid")
    p.add_argument("--config", type=_json, required=True, help="the merged params as JSON")
    p.add_argument("--config-name", required=True, help="the preset's stem, e.g. full-cpu")
    p.add_argument("--rows", required=True, help="results/metrics/per_seed.csv")
    p.add_argument("--significance", required=True)
    p.add_argument("--comparison", default=None, help="results/report/comparison.md")
    p.add_argument("--provenance", nargs="*", default=[], help="cells' provenance.json")
    p.add_argument("--command-line", required=True, help="the command that rebuilds the page")
    p.add_argument("--rerun-of", default=None, help="YAML of an earlier run's per-seed scores")
    p.add_argument("--out", default="results/report/results.md")
    p.set_defaults(func=cmd_results_page)

    p = sub.add_parser("preflight", help="can every data set and encoder of the grid be had?")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--configfile", nargs="*", default=[], help="presets layered on params")
    p.set_defaults(func=cmd_preflight)

    p = sub.add_parser("publish", help="copy finished cells' small outputs into a tracked tree")
    p.add_argument("--params", default="params.yaml")
    p.add_argument(
        "--configfile", required=True, help="the grid's preset, e.g. config/full-cpu.yaml"
    )
    p.add_argument("--to", default=None, help="default: published/<configfile stem>")
    p.add_argument("--no-geometry", action="store_true", help="skip the trained geometry")
    p.add_argument(
        "--refresh-geometry",
        action="store_true",
        help="only measure the geometry of already published cells again, from their models",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        default=[],
        help="with --refresh-geometry: only the cells of these methods (none, cosine, ...)",
    )
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("tune", help="choose the learning rate on the source dev set only")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--configfile", nargs="*", default=[], help="presets layered on params")
    p.add_argument("--task", required=True, help="ote, mldoc or cls-<domain>")
    p.add_argument("--lr", type=float, nargs="+", required=True)
    p.add_argument("--epochs", type=int, default=None, help="default: the task's epochs")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="results/tune")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("tables", help="write the paper's LaTeX tables")
    p.add_argument("--rows", required=True, help="per-seed CSV from `zsiw aggregate`")
    p.add_argument("--config", type=_json, required=True)
    p.add_argument("--case-study", default=None, help="weights_examples.jsonl for Table 5")
    p.add_argument("--significance", default=None, help="significance.csv of `zsiw report`")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("tables-pdf", help="compile the LaTeX tables to a PDF and PNG preview")
    p.add_argument("tables", nargs="+", help="table .tex files, one page each, in this order")
    p.add_argument("--pdf", required=True, help="the PDF to write")
    p.add_argument("--png", default=None, help="render --pages to this PNG (poppler pdftoppm)")
    p.add_argument("--pages", type=int, nargs="+", default=[1], help="1-based pages to render")
    p.add_argument("--dpi", type=int, default=110)
    p.set_defaults(func=cmd_tables_pdf)
    return parser


# What each torch subcommand imports at start-up, with the collector off (below). A tokenise
# job (`features`) needs neither transformers' modelling code nor scikit-learn, so it gets
# only its own libraries; the other subcommands import none of these.
_SCORING_LIBRARIES = ("torch", "transformers.modeling_utils", "datasets", "sklearn.metrics")
HEAVY_IMPORTS: dict[str, tuple[str, ...]] = {
    "train": _SCORING_LIBRARIES,
    "evaluate": _SCORING_LIBRARIES,
    "tune": _SCORING_LIBRARIES,
    "features": ("torch", "datasets", "transformers.models.auto.tokenization_auto"),
}


def import_heavy_libraries(names: tuple[str, ...]) -> None:
    """Import the libraries a torch job needs with the cyclic GC off, then freeze them.

    Why: these imports create about a million long-lived objects, and the collector would
    walk them again and again while they are created (measured in docs/performance.md).
    Frozen, they are out of its reach; it is enabled again afterwards, so cycles made by the
    command's own work are still collected.
    """
    gc.disable()
    try:
        for name in names:
            importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # At exit the interpreter's final collection walks every object of torch and
    # transformers once more (~0.9 s per job, measured); atexit runs before it, and frozen
    # objects are skipped. Other atexit handlers (logging, coverage) still run.
    atexit.register(gc.freeze)
    if argv[:1] == ["bench"]:  # its own options (see `zsiw bench --help`)
        from zsiw.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command in HEAVY_IMPORTS:
        import_heavy_libraries(HEAVY_IMPORTS[args.command])
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except Exception as err:  # errors are for people: one clear line, full trace with -v
        if args.verbose:
            raise
        logging.error("zsiw %s failed: %s: %s", args.command, type(err).__name__, err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
