# Stage 1: obtain raw files, parse them into normalised Hugging Face datasets.


localrules:
    obtain_raw,


# Local: with a URL source it downloads, and cluster compute nodes often have no network.
rule obtain_raw:
    output:
        raw=directory(raw("{dataset}")),
        manifest=manifest(raw("{dataset}")),
    log:
        "logs/obtain/{dataset}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        # Only what this data set's files depend on, so that changing one source (or the
        # demo languages of one data set) reruns only that data set's jobs.
        args=lambda wc: obtain_args(wc.dataset),
    shell:
        "zsiw obtain --dataset {wildcards.dataset} --out {output.raw}"
        " --manifest {output.manifest} {params.args} > {log} 2>&1"


rule prepare_dataset:
    input:
        lambda wc: manifest(raw(dataset_of(wc.task))),
    output:
        data=directory(processed("{task}", "{lang}")),
        stats=processed_stats("{task}", "{lang}"),
    log:
        "logs/prepare/{task}/{lang}.log",
    conda:
        "../envs/zsiw.yaml"
    params:
        raw=lambda wc: raw(dataset_of(wc.task)),
        group=lambda wc: plan.task_group(wc.task),
        domain=lambda wc: (
            f"--domain {plan.task_domain(wc.task)}" if plan.task_domain(wc.task) else ""
        ),
        mldoc=lambda wc: (
            f"--mldoc-pattern '{config['data']['mldoc_file_pattern']}'"
            f" --mldoc-train-size {config['data']['mldoc_train_size']}"
        ),
        unlabeled=("--cls-unlabeled" if config["data"].get("cls_unlabeled_pool") else ""),
    shell:
        "zsiw prepare --task-group {params.group} --lang {wildcards.lang} {params.domain}"
        " --raw {params.raw} --out {output.data} --stats {output.stats} {params.mldoc}"
        " {params.unlabeled} > {log} 2>&1"


rule data_all:
    input:
        [
            str(plan.processed_stats(config, task, lang))
            for task in plan.tasks(config)
            for lang in plan.data_langs(config, task)
        ],
