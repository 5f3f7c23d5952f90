# zsiw: reproduction pipeline for "Zero-shot instance weighting for cross-lingual text
# classification". Snakemake owns the DAG; every rule calls one `zsiw` subcommand.
#   snakemake --cores 8 --resources gpu=2                        # the paper (params.yaml)
#   snakemake --cores 2 --configfile config/demo.yaml            # offline demo
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        tables=all_tables(),
        summary=SUMMARY,
        scorecard="results/report/scorecard.md",
        comparison=(
            ["results/report/comparison.md"] if config["report"].get("compare_with") else []
        ),
        published=published_copies() if PUBLISHED else [],
