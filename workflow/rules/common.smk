# Schema validation, wildcard constraints and target functions. Paths come from zsiw.plan:
# calling its functions with "{wildcard}" placeholders yields the rule patterns, so the
# Snakefile, the CLI and the tests share one definition of every file name.
import json

from snakemake.utils import validate

from zsiw import plan


validate(config, "../schemas/params.schema.yaml")

for _enc in config["encoders"]:
    if "--" in _enc:
        raise ValueError(f"params.yaml: encoders: {_enc!r} must not contain '--'")

CELL = plan.Cell(
    "{task}", "{encoder}", "{method}", ("{sources}",), "{target}", "{seed}"
)
RUN = str(CELL.run_dir)
LOGS = "logs"


wildcard_constraints:
    task=r"ote|mldoc|cls-[a-z]+",
    encoder=r"[^/]+",
    method=r"none|cosine|euclidean|coral",
    sources=r"[a-z]{2}(\+[a-z]{2})*",
    target=r"[a-z]{2}|all",
    seed=r"\d+",
    lang=r"[a-z]{2}",
    dataset=r"semeval2016|webis-cls-10|mldoc",


def dataset_of(task):
    return plan.DATASET_OF_GROUP[plan.task_group(task)]


def processed(task, lang):
    return str(plan.processed_dir(config, task, lang))


def features(encoder_slug, task, lang):
    return str(plan.features_dir(config, plan.encoder_name(encoder_slug), task, lang))


def model_dir(encoder_slug):
    return str(plan.model_dir(config, plan.encoder_name(encoder_slug)))


def demo_langs():
    """Languages the synthetic demo data must contain, per raw data set."""
    langs = {}
    for task in plan.tasks(config):
        langs.setdefault(dataset_of(task), set()).update(plan.task_langs(config, task))
    out = {k: sorted(v) for k, v in langs.items()}
    out["cls_domains"] = list(config["tasks"].get("cls", {}).get("domains", ["books"]))
    return out


def all_metrics():
    return [str(p) for p in plan.all_metrics_paths(config)]


def all_tables():
    return [f"results/tables/table{i}.tex" for i in range(1, 6)]


def case_study_log():
    cell = plan.case_study_cell(config)
    return [str(cell.run_dir / "weights_examples.jsonl")] if cell else []


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
    iw = [m for m in config["methods"] if m != plan.PLAIN]
    spec["iw_method"] = iw[0] if iw else "cosine"
    return json.dumps(spec)
