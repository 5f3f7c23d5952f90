# Stage 2: a local copy of every encoder, and the tokenised cache (once per encoder x task x
# language; every cell with that encoder reads it).


localrules:
    fetch_encoder,


rule fetch_encoder:
    output:
        model=directory(model_dir("{encoder}")),
        manifest=manifest(model_dir("{encoder}")),
    log:
        "logs/fetch_encoder/{encoder}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        name=lambda wc: plan.encoder_name(wc.encoder),
    shell:
        "zsiw fetch-encoder --name {params.name:q} --out {output.model}"
        " --manifest {output.manifest} > {log} 2>&1"


rule tokenise:
    input:
        stats=processed_stats("{task}", "{lang}"),
        model=manifest(model_dir("{encoder}")),
    output:
        features=directory(features("{encoder}", "{task}", "{lang}")),
        manifest=manifest(features("{encoder}", "{task}", "{lang}")),
    log:
        "logs/tokenise/{encoder}/{task}/{lang}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        data=lambda wc: processed(wc.task, wc.lang),
        model=lambda wc: model_dir(wc.encoder),
        max_length=lambda wc: plan.train_settings(config, wc.task)["max_length"],
    shell:
        "zsiw features --processed {params.data} --model {params.model}"
        " --out {output.features} --manifest {output.manifest}"
        " --max-length {params.max_length} > {log} 2>&1"


rule features_all:
    input:
        [
            manifest(plan.features_dir(config, enc, task, lang))
            for task in plan.tasks(config)
            for enc in plan.encoders_used(config)
            for lang in plan.task_langs(config, task)
        ],


rule encoders_all:
    input:
        [manifest(plan.model_dir(config, enc)) for enc in plan.encoders_used(config)],
