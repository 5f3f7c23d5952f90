# Stage 3: train every cell (one GPU job each) and test it on every language it is tested on.


def source_features(wc):
    return [features(wc.encoder, wc.task, lang) for lang in wc.sources.split("+")]


def target_features(wc):
    if wc.method == plan.PLAIN:
        return []
    return [features(wc.encoder, wc.task, wc.target)]


def train_settings(wc):
    settings = plan.train_settings(config, wc.task)
    settings["dev_fraction"] = config["data"].get("dev_fraction", 0.1)
    if wc.method != plan.PLAIN and config["data"].get("cls_unlabeled_pool"):
        if plan.task_group(wc.task) == "cls":
            settings["target_split"] = "unlabeled"
    return json.dumps(settings, sort_keys=True)


rule train:
    input:
        model=model_dir("{encoder}"),
        source=source_features,
        target=target_features,
    output:
        summary=RUN + "/train.json",
        model=RUN + "/model.safetensors",
        log=RUN + "/train_log.jsonl",
        weights=RUN + "/weights_examples.jsonl",
    params:
        settings=train_settings,
        target_arg=lambda wc, input: (
            f"--target-features {input.target[0]}" if input.target else ""
        ),
    threads: config["resources"]["train"].get("threads", 2)
    resources:
        gpu=1,
        mem_mb=config["resources"]["train"].get("mem_mb", 8000),
        runtime=config["resources"]["train"].get("runtime", 240),
    log:
        LOGS + "/train/{task}/{encoder}/{method}/{sources}-{target}/seed{seed}.log",
    shell:
        "zsiw train --task {wildcards.task} --encoder {wildcards.encoder}"
        " --method {wildcards.method} --sources {wildcards.sources}"
        " --target {wildcards.target} --seed {wildcards.seed} --model {input.model}"
        " --source-features {input.source} {params.target_arg}"
        " --settings {params.settings:q} --out $(dirname {output.summary}) > {log} 2>&1"


def eval_features(wc):
    cell = plan.cell_from_wildcards(**wc)
    return {
        lang: features(wc.encoder, wc.task, lang) for lang in plan.eval_langs(config, cell)
    }


rule evaluate:
    input:
        summary=RUN + "/train.json",
        model=RUN + "/model.safetensors",
        features=lambda wc: list(eval_features(wc).values()),
    output:
        metrics=RUN + "/metrics.json",
        predictions=directory(RUN + "/predictions"),
    params:
        features=lambda wc: " ".join(f"{k}={v}" for k, v in eval_features(wc).items()),
        batch_size=config["train"].get("eval_batch_size", 64),
        device=config["train"].get("device", "auto"),
    threads: config["resources"]["evaluate"].get("threads", 2)
    resources:
        gpu=1,
        mem_mb=config["resources"]["evaluate"].get("mem_mb", 4000),
        runtime=config["resources"]["evaluate"].get("runtime", 30),
    log:
        LOGS + "/evaluate/{task}/{encoder}/{method}/{sources}-{target}/seed{seed}.log",
    shell:
        "zsiw evaluate --run $(dirname {output.metrics}) --features {params.features}"
        " --out {output.metrics} --batch-size {params.batch_size} --device {params.device}"
        " > {log} 2>&1"


rule experiments_all:
    input:
        all_metrics(),
