# Stage 3: train every cell (one GPU job each) and test it on every language it is tested on.


rule train:
    input:
        train_inputs,
    output:
        summary=run_file("train.json"),
        model=run_file("model.safetensors"),
        log=run_file("train_log.jsonl"),
        weights=run_file("weights_examples.jsonl"),
    log:
        "logs/train/{task}/{encoder}/{method}/{sources}-{target}/seed{seed}.log",
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
    shell:
        "zsiw train --task {wildcards.task} --encoder {wildcards.encoder}"
        " --method {wildcards.method} --sources {wildcards.sources}"
        " --target {wildcards.target} --seed {wildcards.seed} --model {params.model}"
        " --source-features {params.source} {params.target_arg}"
        " --settings {params.settings:q} --threads {threads} --out $(dirname {output.summary}) > {log} 2>&1"


rule evaluate:
    input:
        # train.json is written after the model, in the same job: a small file Snakemake
        # can checksum, unlike the model weights.
        summary=run_file("train.json"),
        features=lambda wc: [manifest(d) for d in eval_features(wc).values()],
    output:
        metrics=run_file("metrics.json"),
        predictions=directory(run_file("predictions")),
    log:
        "logs/evaluate/{task}/{encoder}/{method}/{sources}-{target}/seed{seed}.log",
    conda:
        "../envs/zsiw.yaml"
    threads: config["resources"]["evaluate"].get("threads", 2)
    resources:
        gpu=1,
        mem_mb=config["resources"]["evaluate"].get("mem_mb", 4000),
        runtime=config["resources"]["evaluate"].get("runtime", 30),
    params:
        features=lambda wc: " ".join(f"{k}={v}" for k, v in eval_features(wc).items()),
        batch_size=config["train"].get("eval_batch_size", 64),
        device=config["train"].get("device", "auto"),
    shell:
        "zsiw evaluate --run $(dirname {output.metrics}) --features {params.features}"
        " --out {output.metrics} --batch-size {params.batch_size} --device {params.device}"
        " > {log} 2>&1"


rule experiments_all:
    input:
        all_metrics(),
