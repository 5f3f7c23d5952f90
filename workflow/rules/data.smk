# Stage 1: obtain raw files, parse them into normalised Hugging Face datasets.


rule obtain_raw:
    output:
        directory(config["data"]["raw_dir"] + "/{dataset}"),
    params:
        mode=config["data"]["mode"],
        source=lambda wc: json.dumps(config["data"]["sources"].get(wc.dataset, {})),
        demo_langs=lambda wc: json.dumps(demo_langs()),
        demo_seed=config["data"].get("demo_seed", 0),
        demo_train=config["data"].get("demo_train", 120),
        demo_test=config["data"].get("demo_test", 60),
    log:
        LOGS + "/obtain/{dataset}.log",
    shell:
        "zsiw obtain --dataset {wildcards.dataset} --out {output} --mode {params.mode}"
        " --source {params.source:q} --demo-seed {params.demo_seed}"
        " --demo-langs {params.demo_langs:q} --demo-train {params.demo_train}"
        " --demo-test {params.demo_test} > {log} 2>&1"


rule prepare_dataset:
    input:
        lambda wc: str(plan.raw_dir(config, dataset_of(wc.task))),
    output:
        data=directory(processed("{task}", "{lang}")),
        stats=str(plan.processed_stats(config, "{task}", "{lang}")),
    params:
        group=lambda wc: plan.task_group(wc.task),
        domain=lambda wc: (
            f"--domain {plan.task_domain(wc.task)}" if plan.task_domain(wc.task) else ""
        ),
        mldoc=lambda wc: (
            f"--mldoc-pattern '{config['data'].get('mldoc_file_pattern', '{language}.{split}')}'"
            f" --mldoc-train-size {config['data'].get('mldoc_train_size', 1000)}"
        ),
        unlabeled=(
            "--cls-unlabeled" if config["data"].get("cls_unlabeled_pool") else ""
        ),
    log:
        LOGS + "/prepare/{task}/{lang}.log",
    shell:
        "zsiw prepare --task-group {params.group} --lang {wildcards.lang} {params.domain}"
        " --raw {input} --out {output.data} --stats {output.stats} {params.mldoc}"
        " {params.unlabeled} > {log} 2>&1"


rule data_all:
    input:
        [
            str(plan.processed_stats(config, task, lang))
            for task in plan.tasks(config)
            for lang in plan.task_langs(config, task)
        ],
