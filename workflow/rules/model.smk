rule train:
    input:
        shards=train_shard_dirs,
        pretrained=pretrained_files,
    output:
        model=result("train", "models/{model}/model.safetensors"),
        meta=result("train", "models/{model}/model.json"),
        metrics=result("train", "models/{model}/metrics.csv"),
        curve=reported("train", "models/{model}/loss.png"),
    log:
        f"{LOGS}/train/{{model}}.log",
    benchmark:
        f"{BENCH}/train/{{model}}.tsv"
    # the longest jobs start first: on a few cores, the three baselines ran before the CNN's
    # training and the real lung cohort's run ended 43 s later than it could
    priority: 10
    conda:
        "../../envs/epibench-gpu.yaml"
    threads: config["train"]["threads"]
    # train.gpus GPUs on each of train.nodes nodes (several: torchrun DDP, one process each; several
    # nodes: one torchrun per node, epibench.train.launch); partition, runtime and memory come
    # from the profile (profiles/slurm-gpu), never from config. `exec`: no shell in between, so a
    # scheduler's SIGTERM reaches training, which checkpoints (epibench.train.preemption)
    resources:
        # cores per node for SLURM: what the config starts (a profile's set-resources may override)
        cpus_per_task=train_cpus,
        gpu=train_gpu_resource,
        gres=train_gres,
        nodes=config["train"]["nodes"],
        # The train settings that leave the trained model as it is (epibench.train_settings): a
        # resource, not a param. Snakemake reruns a job when its params, input, code or software
        # environment changed (--rerun-triggers), never for a resource, so an edit of train.log_every,
        # num_workers, device... retrains nothing. (A param function taking `resources` is not
        # recorded either, but only by a detail of Snakemake's code.) Whole-number resources alone go
        # to a cluster's job script: the job computes this one from the config again.
        train_runtime=train_runtime,
    params:
        shards=paths_word("shards"),
        model=model_spec,
        train=train_settings,
        launcher_args=torchrun_prefix,
        out_dir=lambda wildcards, output: str(Path(output.model).parent),
    shell:
        "exec {params.launcher_args} epibench train --shards {params.shards:q} --model {params.model:q}"
        " --train {params.train:q} --runtime-json {resources.train_runtime:q} --threads {threads:q}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule predict:
    input:
        model=rules.train.output.model,
        meta=rules.train.output.meta,
        shards=predict_shard_dirs,
    output:
        result("predict", "evaluation/predictions/{model}.parquet"),
    log:
        f"{LOGS}/predict/{{model}}.log",
    benchmark:
        f"{BENCH}/predict/{{model}}.tsv"
    conda:
        "../../envs/epibench-gpu.yaml"
    threads: config["train"]["threads"]
    params:
        shards=paths_word("shards"),
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
    shell:
        "epibench predict --model-dir {params.model_dir:q} --shards {params.shards:q}"
        " --split test --threads {threads:q} --out {output:q} > {log:q} 2>&1"
