# Stage 3: train every cell (one GPU job each) and, in the same job, test it on every
# language it is tested on.


rule train:
    input:
        # Encoder, training data and the test sets: the cell is tested in the same job, right
        # after training (the imports and the base model, most of a small job's time, are
        # paid once).
        train_inputs,
    # The trained model (model.safetensors, model_spec.json) is written beside these but not
    # declared: nothing downstream reads it, and a clone that pulled the results without the
    # models (DVC, docs/dvc.md) must not retrain the cells to get them back.
    output:
        summary=run_file("train.json"),
        log=run_file("train_log.jsonl"),
        weights=run_file("weights_examples.jsonl"),
        metrics=run_file("metrics.json"),
        predictions=directory(run_file("predictions")),
    log:
        str(plan.train_log_path(CELL)),
    conda:
        "../envs/zsiw.yaml"
    threads: config["resources"]["train"].get("threads", 2)
    resources:
        gpu=1,
        mem_mb=config["resources"]["train"].get("mem_mb", 8000),
        runtime=config["resources"]["train"].get("runtime", 240),
    params:
        settings=train_settings,
        model=lambda wc: model_dir(wc.encoder),
        source=lambda wc: " ".join(source_features(wc)),
        target_arg=lambda wc: (
            f"--target-features {target_features(wc)[0]}" if target_features(wc) else ""
        ),
        eval_features=lambda wc: " ".join(f"{k}={v}" for k, v in eval_features(wc).items()),
    shell:
        "zsiw train --task {wildcards.task} --encoder {wildcards.encoder}"
        " --method {wildcards.method} --sources {wildcards.sources}"
        " --target {wildcards.target} --seed {wildcards.seed} --model {params.model}"
        " --source-features {params.source} {params.target_arg}"
        " --eval-features {params.eval_features}"
        " --settings {params.settings:q} --threads {threads} --out $(dirname {output.summary}) > {log} 2>&1"


rule experiments_all:
    input:
        all_metrics(),
