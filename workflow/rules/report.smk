# Stage 4: aggregate seeds and write the paper's tables.


# Quick summaries: run where Snakemake runs rather than waiting in a cluster queue.
localrules:
    aggregate,
    results_page,
    tables,
    report,
    study_iw,
    geometry,
    compare,
    tables_pdf,


rule aggregate:
    input:
        all_metrics(),
    output:
        json=SUMMARY,
        csv=PER_SEED,
    log:
        "logs/aggregate.log",
    conda:
        "../envs/zsiw.yaml"
    shell:
        "zsiw aggregate --json {output.json} --csv {output.csv} {input} > {log} 2>&1"


rule tables:
    input:
        rows=PER_SEED,
        significance=SIGNIFICANCE,
        case_study=case_study_log(),
    output:
        [report(t, caption="../report/tables.rst", category="Tables") for t in all_tables()],
    log:
        "logs/tables.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        spec=tables_config(),
        case_study=lambda wc, input: (
            f"--case-study {input.case_study[0]}" if input.case_study else ""
        ),
        out_dir=lambda wc, output: str(Path(output[0]).parent),
    shell:
        "zsiw tables --rows {input.rows} --config {params.spec:q} {params.case_study}"
        " --significance {input.significance}"
        " --out-dir {params.out_dir} > {log} 2>&1"


# On request only (`snakemake tables_pdf`): needs a LaTeX installation, which the paper's
# tables themselves do not.
rule tables_pdf:
    input:
        all_tables(),
    output:
        pdf="results/tables/tables.pdf",
        png="results/tables/tables.png",
    log:
        "logs/tables_pdf.log",
    conda:
        "../envs/zsiw.yaml"
    shell:
        "zsiw tables-pdf {input} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule report:
    input:
        rows=PER_SEED,
        metrics=all_metrics(),
        logs=all_train_logs(),
    output:
        scorecard=report(
            "results/report/scorecard.md", caption="../report/scorecard.rst", category="Scorecard"
        ),
        significance=SIGNIFICANCE,
        plots=[
            report(p, caption="../report/plots.rst", category="Plots")
            for p in all_plots()
            if p.endswith(".png")
        ],
        pdfs=[p for p in all_plots() if p.endswith(".pdf")],
    log:
        "logs/report.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        resamples=config["report"]["bootstrap_resamples"],
        seed=config["report"]["bootstrap_seed"],
        runs_root=lambda wc: str(plan.runs_root(config)),
    shell:
        "zsiw report --rows {input.rows} --resamples {params.resamples} --seed {params.seed}"
        " --runs-root {params.runs_root}"
        " --out-dir $(dirname {output.scorecard}) --plots-dir $(dirname {output.plots[0]})"
        " --figures-dir $(dirname {output.pdfs[0]}) --logs {input.logs} > {log} 2>&1"


rule study_iw:
    input:
        unpack(study_inputs),
    output:
        table=config.get("study", {}).get("table", "results/tables/study_iw.tex"),
        findings=config.get("study", {}).get("findings", "results/report/findings.md"),
    log:
        "logs/study_iw.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        resamples=config["report"]["bootstrap_resamples"],
        seed=config["report"]["bootstrap_seed"],
        runs_root=lambda wc: str(plan.runs_root(config)),
    shell:
        "zsiw study --metrics {input.metrics} --geometry {input.geometry}"
        " --table {output.table} --findings {output.findings} --runs-root {params.runs_root}"
        " --resamples {params.resamples} --seed {params.seed} > {log} 2>&1"


if not PUBLISHED:

    # Each trained model's geometry, measured once from the model beside its metrics (a
    # published tree holds the same file, measured by `zsiw publish`).
    rule cell_geometry:
        input:
            metrics=run_file("metrics.json"),
            data=cell_geometry_inputs,
        output:
            run_file("geometry.json"),
        log:
            str(plan.geometry_log_path(CELL)),
        conda:
            "../envs/zsiw.yaml"
        resources:
            # it loads a trained model as training does (no GPU: a forward pass per batch)
            mem_mb=config["resources"]["train"].get("mem_mb", 8000),
        params:
            config=lambda wc: json.dumps(plan.geometry_config(config, wc.task)),
            run=lambda wc, output: str(Path(output[0]).parent),
        shell:
            "zsiw cell-geometry --config {params.config:q} --run {params.run}"
            " --out {output} > {log} 2>&1"

    rule pretrained_geometry:
        input:
            pretrained_geometry_inputs,
        output:
            str(plan.pretrained_geometry_path(plan.GEOMETRY_DIR, "{task}")),
        log:
            "logs/geometry/pretrained/{task}.log",
        conda:
            "../envs/zsiw.yaml"
        resources:
            mem_mb=config["resources"]["train"].get("mem_mb", 8000),
        params:
            config=lambda wc: json.dumps(plan.geometry_config(config, wc.task)),
        shell:
            "zsiw pretrained-geometry --config {params.config:q} --task {wildcards.task}"
            " --out {output} > {log} 2>&1"


# The summary reads only the geometry files: the same rule for a published tree and for a
# grid trained here.
rule geometry:
    input:
        records=geometry_records(),
    output:
        csv=geometry_file("csv"),
        md=geometry_file("md"),
        png=geometry_file("png"),
        pdf=geometry_file("pdf"),
    log:
        "logs/geometry.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        out=lambda wc, output: str(Path(output.csv).parent),
    shell:
        "zsiw geometry --records {input.records} --out {params.out} > {log} 2>&1"


rule compare:
    input:
        rows=PER_SEED,
        reference=config["report"]["compare_with"] or [],
    output:
        "results/report/comparison.md",
    log:
        "logs/compare.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        source=config["source_lang"],
        encoder=config["report"].get("compare_encoder", "xlm-roberta-base"),
    shell:
        "zsiw compare --rows {input.rows} --reference {input.reference} --out {output}"
        " --source-lang {params.source} --paper-encoder {params.encoder} > {log} 2>&1"


rule results_page:
    input:
        rows=PER_SEED,
        significance=SIGNIFICANCE,
        comparison=["results/report/comparison.md"] if config["report"]["compare_with"] else [],
        rerun_of=config["report"]["rerun_of"] or [],
        # the study's own cells count on the page once published: their provenance too
        provenance=(
            [
                cell_file(c, "provenance.json")
                for c in sorted(
                    set(REPORT_CELLS) | set(plan.report_cells(config, plan.study_cells(config)))
                )
            ]
            if PUBLISHED
            else []
        ),
    output:
        "results/report/results.md",
    log:
        "logs/results_page.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        config=lambda wc: json.dumps(config),
        name=grid_name(),
        command=rebuild_command(),
        comparison=lambda wc, input: (
            f"--comparison {input.comparison[0]}" if input.comparison else ""
        ),
        rerun_of=lambda wc, input: f"--rerun-of {input.rerun_of}" if input.rerun_of else "",
    shell:
        "zsiw results-page --config {params.config:q} --config-name {params.name}"
        " --rows {input.rows} --significance {input.significance} {params.comparison}"
        " --provenance {input.provenance} --command-line {params.command:q} {params.rerun_of}"
        " --out {output} > {log} 2>&1"


# A published grid: the rebuilt products are copied back into its tree (and its pages into
# docs/), so that the committed copies are always what the workflow makes of the cells.
if PUBLISHED:

    localrules:
        publish_products,

    rule publish_products:
        input:
            published_products(),
        output:
            published_copies(),
        log:
            "logs/publish_products.log",
        conda:
            "../envs/zsiw.yaml"
        params:
            pages=json.dumps(published_pages()),
        shell:
            "zsiw publish-products {input} --to {PUBLISHED} --pages {params.pages:q} > {log} 2>&1"
