# Stage 2: a local copy of every encoder, and the tokenised cache (once per encoder x task x
# language; every cell with that encoder reads it).


localrules:
    fetch_encoder,


rule fetch_encoder:
    output:
        directory(str(plan.model_dir(config, "{encoder}"))),
    log:
        "logs/fetch_encoder/{encoder}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        name=lambda wc: plan.encoder_name(wc.encoder),
    shell:
        "zsiw fetch-encoder --name {params.name:q} --out {output} > {log} 2>&1"


rule tokenise:
    input:
        data=processed("{task}", "{lang}"),
        model=model_dir("{encoder}"),
    output:
        directory(features("{encoder}", "{task}", "{lang}")),
    log:
        "logs/tokenise/{encoder}/{task}/{lang}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        max_length=lambda wc: plan.train_settings(config, wc.task)["max_length"],
    shell:
        "zsiw features --processed {input.data} --model {input.model} --out {output}"
        " --max-length {params.max_length} > {log} 2>&1"


rule features_all:
    input:
        [
            str(plan.features_dir(config, enc, task, lang))
            for task in plan.tasks(config)
            for enc in plan.encoders_used(config)
            for lang in plan.task_langs(config, task)
        ],


rule encoders_all:
    input:
        [str(plan.model_dir(config, enc)) for enc in plan.encoders_used(config)],
