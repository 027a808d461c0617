# One rule per table and figure: `snakemake results/<cohort>/evaluation/<file>` reruns only what it needs.


rule baseline:
    input:
        shards=shard_dirs,
    output:
        predictions=result("baseline", "evaluation/predictions/{baseline}.parquet"),
        record=result("baseline", "evaluation/baselines/{baseline}.json"),
    log:
        f"{LOGS}/baseline/{{baseline}}.log",
    benchmark:
        f"{BENCH}/baseline/{{baseline}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        shards=paths_word("shards"),
        histone_norm=config["train"]["histone_norm"],
        max_rows=config["evaluate"]["baseline_max_train_rows"],
    shell:
        "epibench baseline --name {wildcards.baseline:q} --shards {params.shards:q}"
        " --histone-norm {params.histone_norm:q} --max-train-rows {params.max_rows:q}"
        " --out {output.predictions:q} --record {output.record:q} > {log:q} 2>&1"


rule ensemble:
    input:
        lambda wildcards: expand(
            rules.predict.output[0],
            model=ENSEMBLES[wildcards.ensemble],
        ),
    output:
        result("ensemble", "evaluation/predictions/{ensemble}.parquet"),
    log:
        f"{LOGS}/evaluate/ensemble_{{ensemble}}.log",
    benchmark:
        f"{BENCH}/evaluate/ensemble_{{ensemble}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    shell:
        "epibench evaluate ensemble --name {wildcards.ensemble:q} --members {input:q}"
        " --out {output:q} > {log:q} 2>&1"


rule ensemble_report:
    input:
        metrics=result("metrics", "evaluation/metrics.tsv"),
        predictions=rules.ensemble.output,
        block=BLOCK_CHOICE,
    output:
        members=result("ensemble_report", "evaluation/ensembles/{ensemble}.members.tsv"),
        calibration=result(
            "ensemble_report", "evaluation/ensembles/{ensemble}.calibration.tsv"
        ),
        png=reported("ensemble_report", "evaluation/ensembles/{ensemble}.png"),
        pdf=result("ensemble_report", "evaluation/ensembles/{ensemble}.pdf"),
    log:
        f"{LOGS}/evaluate/ensemble_report_{{ensemble}}.log",
    benchmark:
        f"{BENCH}/evaluate/ensemble_report_{{ensemble}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        members=lambda wildcards: ENSEMBLES[wildcards.ensemble],
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        out_dir=lambda wildcards, output: str(Path(output.png).parent),
    shell:
        "epibench evaluate ensemble-report --metrics {input.metrics:q} --predictions {input.predictions:q}"
        " --members {params.members:q} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule ablate:
    input:
        model=rules.train.output.model,
        meta=rules.train.output.meta,
        predictions=rules.predict.output,
        shards=shard_dirs,
        block=BLOCK_CHOICE,
    output:
        table=result("ablate", "evaluation/ablation/{model}.tsv"),
        png=reported("ablate", "evaluation/ablation/{model}.png"),
        pdf=result("ablate", "evaluation/ablation/{model}.pdf"),
    log:
        f"{LOGS}/evaluate/ablate_{{model}}.log",
    benchmark:
        f"{BENCH}/evaluate/ablate_{{model}}.tsv"
    conda:
        "../../envs/epibench-gpu.yaml"
    threads: config["train"]["threads"]
    params:
        shards=paths_word("shards"),
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench ablate --model-dir {params.model_dir:q} --shards {params.shards:q}"
        " --predictions {input.predictions:q} --threads {threads:q} --n-boot {params.n_boot:q}"
        " --block-bp {params.block_bp:q} --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule learning_curve:
    input:
        predictions=expand(rules.predict.output[0], model=CURVE_MODELS),
        meta=expand(rules.train.output.meta, model=CURVE_MODELS),
        block=BLOCK_CHOICE,
    output:
        table=result("learning_curve", "evaluation/learning_curve.tsv"),
        png=reported("learning_curve", "evaluation/learning_curve.png"),
        pdf=result("learning_curve", "evaluation/learning_curve.pdf"),
    log:
        f"{LOGS}/evaluate/learning_curve.log",
    benchmark:
        f"{BENCH}/evaluate/learning_curve.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate learning-curve --predictions {input.predictions:q} --model-meta {input.meta:q}"
        " --n-boot {params.n_boot:q} --block-bp {params.block_bp:q} --out {output.table:q}"
        " --out-figure {params.stem:q} > {log:q} 2>&1"


rule by_covariate:
    input:
        predictions=PREDICTIONS,
        block=BLOCK_CHOICE,
    output:
        table=result("by_covariate", "evaluation/by_covariate.tsv"),
        png=reported("by_covariate", "evaluation/by_covariate.png"),
        pdf=result("by_covariate", "evaluation/by_covariate.pdf"),
    log:
        f"{LOGS}/evaluate/by_covariate.log",
    benchmark:
        f"{BENCH}/evaluate/by_covariate.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        covariates=as_json(
            {s: {c: ROWS[s][c] for c in config["covariates"]} for s in LABELLED}
        ),
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate by-covariate --predictions {input.predictions:q} --covariates-json {params.covariates:q}"
        " --n-boot {params.n_boot:q} --block-bp {params.block_bp:q} --out {output.table:q}"
        " --out-figure {params.stem:q} > {log:q} 2>&1"


rule loso:
    input:
        predictions=expand(
            rules.predict.output[0],
            model=[config["evaluate"]["new"], *HELD_OUT_MODELS, *LOSO_CONTROL],
        ),
        block=BLOCK_CHOICE,
    output:
        table=result("loso", "evaluation/loso.tsv"),
        png=reported("loso", "evaluation/loso.png"),
        pdf=result("loso", "evaluation/loso.pdf"),
    log:
        f"{LOGS}/evaluate/loso.log",
    benchmark:
        f"{BENCH}/evaluate/loso.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        held_out=as_json({m: e["held_out_samples"] for m, e in HELD_OUT_MODELS.items()}),
        control=next(iter(LOSO_CONTROL), ""),
        new=config["evaluate"]["new"],
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate loso --predictions {input.predictions:q} --held-out-json {params.held_out:q}"
        " --cohort-model {params.new:q} --control {params.control:q} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule calibration:
    input:
        predictions=PREDICTIONS,
        truth=config["truth"] or [],
        block=BLOCK_CHOICE,
    output:
        table=result("calibration", "evaluation/calibration.tsv"),
        png=reported("calibration", "evaluation/calibration.png"),
        pdf=result("calibration", "evaluation/calibration.pdf"),
    log:
        f"{LOGS}/evaluate/calibration.log",
    benchmark:
        f"{BENCH}/evaluate/calibration.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        truth_args=optional_file_arg("--truth", "truth"),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate calibration --predictions {input.predictions:q} {params.truth_args}"
        " --n-boot {params.n_boot:q} --block-bp {params.block_bp:q} --out {output.table:q}"
        " --out-figure {params.stem:q} > {log:q} 2>&1"


rule bootstrap_block:
    input:
        COMPARED_PREDICTIONS,
    output:
        result("bootstrap_block", "evaluation/bootstrap_block.json"),
    log:
        f"{LOGS}/evaluate/bootstrap_block.log",
    benchmark:
        f"{BENCH}/evaluate/bootstrap_block.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        n_boot=config["evaluate"]["n_boot"],
        new=config["evaluate"]["new"],
        original=config["evaluate"]["original"],
    shell:
        "epibench evaluate bootstrap-block --predictions {input:q} --new {params.new:q}"
        " --original {params.original:q} --n-boot {params.n_boot:q} --out {output:q} > {log:q} 2>&1"


rule block_sizes:
    input:
        predictions=COMPARED_PREDICTIONS,
        block=BLOCK_CHOICE,
    output:
        table=result("block_sizes", "evaluation/block_sizes.tsv"),
        png=reported("block_sizes", "evaluation/block_sizes.png"),
        pdf=result("block_sizes", "evaluation/block_sizes.pdf"),
    log:
        f"{LOGS}/evaluate/block_sizes.log",
    benchmark:
        f"{BENCH}/evaluate/block_sizes.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        new=config["evaluate"]["new"],
        original=config["evaluate"]["original"],
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate block-sizes --predictions {input.predictions:q} --new {params.new:q}"
        " --original {params.original:q} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule by_coverage:
    input:
        predictions=PREDICTIONS,
        truth=config["truth"] or [],
        cpgs=lambda wildcards: expand(
            rules.ingest_group.output.table, sample=LABELLED, group=plan_groups()
        ),
        block=BLOCK_CHOICE,
    output:
        table=result("by_coverage", "evaluation/by_coverage.tsv"),
        png=reported("by_coverage", "evaluation/by_coverage.png"),
        pdf=result("by_coverage", "evaluation/by_coverage.pdf"),
    log:
        f"{LOGS}/evaluate/by_coverage.log",
    benchmark:
        f"{BENCH}/evaluate/by_coverage.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        cpgs=paths_word("cpgs"),
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        truth_args=optional_file_arg("--truth", "truth"),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate by-coverage --predictions {input.predictions:q} {params.truth_args}"
        " --cpgs {params.cpgs:q} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule metrics:
    input:
        predictions=PREDICTIONS,
        truth=config["truth"] or [],
        block=BLOCK_CHOICE,
    output:
        reported("metrics", "evaluation/metrics.tsv"),
    log:
        f"{LOGS}/evaluate/metrics.log",
    benchmark:
        f"{BENCH}/evaluate/metrics.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        threshold=config["evaluate"]["threshold"],
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        truth_args=optional_file_arg("--truth", "truth"),
    shell:
        "epibench evaluate metrics --predictions {input.predictions:q} {params.truth_args}"
        " --threshold {params.threshold:q} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out {output:q} > {log:q} 2>&1"


rule per_sample:
    input:
        metrics=rules.metrics.output[0],
        predictions=expand(rules.predict.output[0], model=config["evaluate"]["new"]),
        cpgs=lambda wildcards: expand(
            rules.ingest_group.output.table, sample=LABELLED, group=plan_groups()
        ),
        qc=expand(rules.ingest_summary.output[0], sample=LABELLED),
    output:
        table=result("per_sample", "evaluation/per_sample.tsv"),
        png=reported("per_sample", "evaluation/per_sample.png"),
        pdf=result("per_sample", "evaluation/per_sample.pdf"),
    log:
        f"{LOGS}/evaluate/per_sample.log",
    benchmark:
        f"{BENCH}/evaluate/per_sample.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        cpgs=paths_word("cpgs"),
        models=[
            m
            for m in MODELS
            if m in (config["evaluate"]["new"], config["evaluate"]["original"])
        ],
        missing_marks_args=missing_marks_args,
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate per-sample --metrics {input.metrics:q} --predictions {input.predictions:q}"
        " --cpgs {params.cpgs:q} --qc {input.qc:q} --models {params.models:q} {params.missing_marks_args}"
        " --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule compare:
    input:
        metrics=rules.metrics.output,
        train_metrics=expand(rules.train.output.metrics, model=MODELS),
    output:
        reported("compare", "evaluation/comparison.tsv"),
    log:
        f"{LOGS}/evaluate/compare.log",
    benchmark:
        f"{BENCH}/evaluate/compare.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        original=config["evaluate"]["original"],
        new=config["evaluate"]["new"],
    shell:
        "epibench evaluate compare --metrics {input.metrics:q} --train-metrics {input.train_metrics:q}"
        " --original {params.original:q} --new {params.new:q} --out {output:q} > {log:q} 2>&1"


rule paired:
    input:
        predictions=PREDICTIONS,
        block=BLOCK_CHOICE,
    output:
        reported("paired", "evaluation/paired.tsv"),
    log:
        f"{LOGS}/evaluate/paired.log",
    benchmark:
        f"{BENCH}/evaluate/paired.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        n_boot=config["evaluate"]["n_boot"],
        block_bp=chosen_block_bp,
        new=config["evaluate"]["new"],
        modes_args=mode_args(),
    shell:
        "epibench evaluate paired --predictions {input.predictions:q} --new {params.new:q}"
        " {params.modes_args} --n-boot {params.n_boot:q} --block-bp {params.block_bp:q}"
        " --out {output:q} > {log:q} 2>&1"


rule leaderboard:
    input:
        metrics=rules.metrics.output,
        paired=rules.paired.output,
        train_metrics=expand(rules.train.output.metrics, model=MODELS),
        baselines=expand(rules.baseline.output.record, baseline=BASELINES),
    output:
        reported("leaderboard", "evaluation/leaderboard.tsv"),
    log:
        f"{LOGS}/evaluate/leaderboard.log",
    benchmark:
        f"{BENCH}/evaluate/leaderboard.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        ensembles=as_json(ENSEMBLES),
        seed_replicates=as_json(seed_replicates(config)),
        new=config["evaluate"]["new"],
        modes_args=mode_args(),
    shell:
        "epibench evaluate leaderboard --metrics {input.metrics:q} --paired {input.paired:q}"
        " --train-metrics {input.train_metrics:q} --baselines {input.baselines:q}"
        " --ensembles-json {params.ensembles:q} --seed-replicates-json {params.seed_replicates:q}"
        " --new {params.new:q} {params.modes_args}"
        " --out {output:q} > {log:q} 2>&1"


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=reported("figure", "evaluation/{figure}.png"),
        pdf=result("figure", "evaluation/{figure}.pdf"),
    log:
        f"{LOGS}/evaluate/{{figure}}.log",
    benchmark:
        f"{BENCH}/evaluate/{{figure}}.tsv"
    wildcard_constraints:
        figure="|".join(outputs.kinds(PLAN, "figure", ".png")),
    conda:
        "../../envs/epibench.yaml"
    params:
        truth_args=optional_file_arg("--truth", "truth"),
        original=config["evaluate"]["original"],
        new=config["evaluate"]["new"],
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate figure --kind {wildcards.figure:q} --inputs {input.tables:q} {params.truth_args}"
        " --names {params.original:q} {params.new:q} --out {params.stem:q} > {log:q} 2>&1"
