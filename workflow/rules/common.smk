# Schema validation, wildcard constraints and target functions. Paths come from zsiw.plan:
# calling its functions with "{wildcard}" placeholders yields the rule patterns, so the
# Snakefile, the CLI and the tests share one definition of every file name.
import json
import shlex
from pathlib import Path

from snakemake.logging import logger
from snakemake.utils import validate

from zsiw import plan, preflight, tasks, weighting

validate(config, "../schemas/params.schema.yaml")

# Data sets and encoders (zsiw.preflight): what the whole grid lacks is named when the
# workflow is parsed (a dry run still shows the plan); a run stops before its first job only if
# a job it is about to run needs one of them. Never inside cluster jobs.
# With `published` set (a committed grid, `zsiw publish`) nothing is trained or obtained: the
# report reads the cells from that tree, and no data set or encoder is needed.
PUBLISHED = config.get("published")

if workflow.is_main_process and config.get("preflight", True) and not PUBLISHED:
    _missing = preflight.warn(config)
    if _missing:
        logger.warning(_missing)


onstart:
    if config.get("preflight", True) and not workflow.touch:
        preflight.check_jobs(
            config, [(j.rule.name, dict(j.wildcards)) for j in workflow.dag.needrun_jobs()]
        )


for _enc in config["encoders"]:
    if "--" in _enc:
        raise ValueError(f"params.yaml: encoders: {_enc!r} must not contain '--'")

# The report's shared files (plan is where paths are made).
PER_SEED = str(plan.PER_SEED)
SUMMARY = str(plan.SUMMARY)
SIGNIFICANCE = str(plan.SIGNIFICANCE)
# The cells the report reads (all, or those the published tree holds), found once.
REPORT_CELLS = plan.report_cells(config)


def geometry_file(suffix):
    return str(plan.GEOMETRY_DIR / f"geometry.{suffix}")


CELL = plan.Cell("{task}", "{encoder}", "{method}", ("{sources}",), "{target}", "{seed}")


def run_file(name):
    """Pattern of a file in a cell's run directory."""
    return str(CELL.run_dir / name)


wildcard_constraints:
    task=r"ote|mldoc|cls-[a-z]+",
    encoder=r"[^/]+",
    method="|".join([plan.PLAIN, *weighting.METHODS]),
    sources=r"[a-z]{2}(\+[a-z]{2})*",
    target=r"[a-z]{2}|all",
    seed=r"\d+",
    lang=r"[a-z]{2}",
    dataset=r"semeval2016|webis-cls-10|mldoc",


def dataset_of(task):
    return tasks.DATASET_OF_GROUP[plan.task_group(task)]


# Directory outputs come with a small manifest next to them; downstream rules take the
# manifest as input (Snakemake checksums small files, not directories, so DVC's mtime
# rewrites do not trigger reruns) and receive the directory as a parameter.
def manifest(directory):
    return str(plan.manifest_of(Path(directory)))


def raw(dataset):
    return str(plan.raw_dir(config, dataset))


def processed(task, lang):
    return str(plan.processed_dir(config, task, lang))


def processed_stats(task, lang):
    return str(plan.processed_stats(config, task, lang))


def features(encoder_slug, task, lang):
    return str(plan.features_dir(config, plan.encoder_name(encoder_slug), task, lang))


def model_dir(encoder_slug):
    return str(plan.model_dir(config, plan.encoder_name(encoder_slug)))


def obtain_args(dataset):
    """Command-line arguments of `zsiw obtain` for one raw data set."""
    data = config["data"]
    if data["mode"] != "demo":
        source = json.dumps(data["sources"].get(dataset, {}), sort_keys=True)
        return f"--mode real --source {shlex.quote(source)}"
    langs = {dataset: set()}
    for task in plan.tasks(config):
        if dataset_of(task) == dataset:
            langs[dataset].update(plan.data_langs(config, task))
    spec = {k: sorted(v) for k, v in langs.items()}
    if dataset == "webis-cls-10":
        spec["cls_domains"] = list(config["tasks"]["cls"]["domains"])
    return (
        f"--mode demo --demo-seed {data['demo_seed']}"
        f" --demo-train {data['demo_train']} --demo-test {data['demo_test']}"
        f" --demo-langs {shlex.quote(json.dumps(spec, sort_keys=True))}"
    )


def cell_file(cell, name):
    """A file of a trained cell, where the report reads it (`plan.cell_dir`)."""
    return str(plan.cell_dir(config, cell) / name)


def all_metrics():
    return [cell_file(cell, "metrics.json") for cell in REPORT_CELLS]


def all_tables():
    return [f"results/tables/table{i}.tex" for i in range(1, 6)] + ["results/tables/ablation.tex"]


def all_plots():
    groups = sorted({plan.task_group(c.task) for c in REPORT_CELLS})
    stems = [f"iw_vs_plain_{g}" for g in groups] + ["weight_dispersion", "training_curves"]
    return [f"results/plots/{s}.png" for s in stems] + [f"results/figures/{s}.pdf" for s in stems]


def all_train_logs():
    return [cell_file(cell, "train_log.jsonl") for cell in REPORT_CELLS]


def case_study_log():
    cell = plan.case_study_cell(config)
    if not cell or cell not in REPORT_CELLS:
        return []
    return [cell_file(cell, "weights_examples.jsonl")]


def unpublished_study_cells():
    """The study's cells the published tree lacks (none without `published`)."""
    if not PUBLISHED:
        return []
    return [c for c in plan.study_cells(config) if not plan.is_published(PUBLISHED, c)]


def study_metrics():
    """The study's cells; with `published` set, none unless the tree holds all of them."""
    if unpublished_study_cells():
        return []
    return [cell_file(cell, "metrics.json") for cell in plan.study_cells(config)]


def study_inputs(wildcards):
    """`study_iw`'s input: each cell's metrics and geometry (what its weights follow). Asked
    for by name on a published tree that lacks some of the
    study's cells, it says how many are there and which is missing, instead of running the
    study on none of them (the rebuild of the whole tree leaves the study out until then)."""
    missing = unpublished_study_cells()
    if missing:
        total = len(plan.study_cells(config))
        raise ValueError(
            f"{PUBLISHED} holds {total - len(missing)} of the study's {total} cells; its "
            f"findings are built once all of them are published (first missing: "
            f"{missing[0].label}). Train them with the same configfile without `published`."
        )
    return {
        "metrics": study_metrics(),
        "geometry": [cell_file(cell, "geometry.json") for cell in plan.study_cells(config)],
    }


def tables_config():
    """What the table builder needs from params, as one JSON argument."""
    spec = {
        "source_lang": config["source_lang"],
        "encoders": config["encoders"],
        "tasks": {t: plan.targets(config, t) for t in plan.tasks(config)},
        "multi_source": {},
    }
    ote = config["tasks"].get("ote", {})
    if plan.tasks(config).count("ote") and ote.get("multi_source", {}).get("enabled"):
        spec["multi_source"] = {
            "encoder": ote["multi_source"]["encoders"][0],
            "method": ote["multi_source"]["methods"][0],
        }
    spec["ablation"] = config.get("ablation") or {}
    iw = [m for m in config["methods"] if m != plan.PLAIN]
    spec["iw_method"] = iw[0] if iw else "cosine"
    case = plan.case_study_cell(config)
    if case:
        spec["case_study_target"] = case.target
    return json.dumps(spec)


def source_features(wc):
    return [features(wc.encoder, wc.task, lang) for lang in wc.sources.split("+")]


def target_features(wc):
    if wc.method == plan.PLAIN:
        return []
    return [features(wc.encoder, wc.task, wc.target)]


def train_inputs(wc):
    """Encoder, source and target features, and the test sets (the job tests the cell)."""
    dirs = [model_dir(wc.encoder), *source_features(wc), *target_features(wc)]
    dirs += eval_features(wc).values()
    return [manifest(d) for d in dict.fromkeys(dirs)]


def train_settings(wc):
    return json.dumps(plan.cell_train_settings(config, wc.task, wc.method), sort_keys=True)


def eval_features(wc):
    cell = plan.cell_from_wildcards(**wc)
    return {lang: features(wc.encoder, wc.task, lang) for lang in plan.eval_langs(config, cell)}


def geometry_cells():
    """The report's cells whose encoders `zsiw geometry` measures."""
    return plan.geometry_cells(config, REPORT_CELLS)


def geometry_records():
    """The pretrained encoders' geometry of each measured task, then each measured cell's."""
    cells = geometry_cells()
    root = PUBLISHED or plan.GEOMETRY_DIR
    tasks = sorted({c.task for c in cells})
    return [str(plan.pretrained_geometry_path(root, t)) for t in tasks] + [
        cell_file(c, "geometry.json") for c in cells
    ]


def cell_geometry_inputs(wc):
    """A trained cell's encoder copy (its model is built on it) and the features of its
    source languages and of every target it is measured on."""
    cell = plan.cell_from_wildcards(**wc)
    targets = plan.targets(config, cell.task) if cell.target == plan.ALL_TARGETS else []
    langs = [*cell.sources, *(targets or [cell.target])]
    dirs = [model_dir(wc.encoder)] + [features(wc.encoder, wc.task, lang) for lang in langs]
    return [manifest(d) for d in dict.fromkeys(dirs)]


def pretrained_geometry_inputs(wc):
    """Every encoder of the grid and its features of the source and every target language."""
    dirs = []
    for encoder in config["encoders"]:
        slug = plan.encoder_slug(encoder)
        dirs.append(model_dir(slug))
        dirs += [
            features(slug, wc.task, lang)
            for lang in [config["source_lang"], *plan.targets(config, wc.task)]
        ]
    return [manifest(d) for d in dirs]


def grid_name():
    """The preset's stem (``published/full-cpu`` -> ``full-cpu``; else the last configfile)."""
    if PUBLISHED:
        return Path(PUBLISHED).name
    files = [Path(f) for f in workflow.overwrite_configfiles or []]
    return files[-1].stem if files else "params"


def rebuild_command():
    """The command a reader runs to rebuild the results page."""
    if PUBLISHED:
        return (
            f"snakemake --cores 2 --configfile config/{grid_name()}.yaml"
            f" --config published={PUBLISHED}"
        )
    return f"snakemake results/report/results.md --cores 2 --configfile config/{grid_name()}.yaml"


def published_products():
    """What a published grid's rebuild writes under results/ and copies into its tree (the
    PDFs stay out: their bytes carry a creation date)."""
    if not PUBLISHED:
        return []
    out = all_tables() + [SUMMARY, PER_SEED]
    out += [f"results/report/{n}" for n in ("scorecard.md", "significance.csv", "results.md")]
    if config["report"]["compare_with"]:
        out.append("results/report/comparison.md")
    out += [p for p in all_plots() if p.endswith(".png")]
    if geometry_cells():
        out += [geometry_file(x) for x in ("csv", "md", "png")]
    if study_metrics():
        study = config.get("study", {})
        out.append(study.get("table", "results/tables/study_iw.tex"))
        out.append(study.get("findings", "results/report/findings.md"))
    return out


def published_copies():
    """The committed copies `publish_products` writes: the products in the published tree,
    and the generated pages in docs/ (`report.pages`)."""
    copies = [str(Path(PUBLISHED, Path(p).relative_to("results"))) for p in published_products()]
    return copies + list(published_pages().values())


def published_pages():
    """`report.pages` whose product this rebuild makes (a study page only once the published
    tree holds every cell of the study)."""
    made = set(published_products())
    pages = config["report"].get("pages", {})
    return {rel: page for rel, page in pages.items() if f"results/{rel}" in made}
