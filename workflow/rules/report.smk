# Stage 4: aggregate seeds and write the paper's tables.


rule aggregate:
    input:
        all_metrics(),
    output:
        json="results/metrics/summary.json",
        csv="results/metrics/per_seed.csv",
    log:
        "logs/aggregate.log",
    conda:
        "../envs/zsiw.yaml"
    shell:
        "zsiw aggregate --json {output.json} --csv {output.csv} {input} > {log} 2>&1"


rule tables:
    input:
        rows="results/metrics/per_seed.csv",
        case_study=case_study_log(),
    output:
        all_tables(),
    log:
        "logs/tables.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        spec=tables_config(),
        case_study=lambda wc, input: (
            f"--case-study {input.case_study[0]}" if input.case_study else ""
        ),
    shell:
        "zsiw tables --rows {input.rows} --config {params.spec:q} {params.case_study}"
        " --out-dir results/tables > {log} 2>&1"
