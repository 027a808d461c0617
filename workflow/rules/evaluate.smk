# One rule per table and figure: `snakemake results/<cohort>/evaluation/<file>` reruns only what it needs.


rule baseline:
    input:
        shards=shard_dirs,
    output:
        predictions=f"{RESULTS}/evaluation/predictions/{{baseline}}.parquet",
        record=f"{RESULTS}/evaluation/baselines/{{baseline}}.json",
    log:
        f"{LOGS}/baseline/{{baseline}}.log",
    benchmark:
        f"{BENCH}/baseline/{{baseline}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        histone_norm=config["train"]["histone_norm"],
        max_rows=config["evaluate"]["baseline_max_train_rows"],
    shell:
        "epibench baseline --name {wildcards.baseline:q} --shards {input.shards:q}"
        " --histone-norm {params.histone_norm:q} --max-train-rows {params.max_rows:q}"
        " --out {output.predictions:q} --record {output.record:q} > {log:q} 2>&1"


rule ensemble:
    input:
        lambda wildcards: expand(
            f"{RESULTS}/evaluation/predictions/{{model}}.parquet",
            model=ENSEMBLES[wildcards.ensemble],
        ),
    output:
        f"{RESULTS}/evaluation/predictions/{{ensemble}}.parquet",
    log:
        f"{LOGS}/evaluate/ensemble_{{ensemble}}.log",
    conda:
        "../../envs/epibench.yaml"
    shell:
        "epibench evaluate ensemble --name {wildcards.ensemble:q} --members {input:q}"
        " --out {output:q} > {log:q} 2>&1"


rule ensemble_report:
    input:
        metrics=f"{RESULTS}/evaluation/metrics.tsv",
        predictions=rules.ensemble.output,
    output:
        members=f"{RESULTS}/evaluation/ensembles/{{ensemble}}.members.tsv",
        calibration=f"{RESULTS}/evaluation/ensembles/{{ensemble}}.calibration.tsv",
        png=report(
            f"{RESULTS}/evaluation/ensembles/{{ensemble}}.png",
            caption="../report/ensemble.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/ensembles/{{ensemble}}.pdf",
    log:
        f"{LOGS}/evaluate/ensemble_report_{{ensemble}}.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        members=lambda wildcards: ENSEMBLES[wildcards.ensemble],
        settings=as_json(config["evaluate"]),
        out_dir=lambda wildcards, output: str(Path(output.png).parent),
    shell:
        "epibench evaluate ensemble-report --metrics {input.metrics:q} --predictions {input.predictions:q}"
        " --members {params.members:q} --settings-json {params.settings:q} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"


rule ablation:
    input:
        model=rules.train.output.model,
        meta=rules.train.output.meta,
        predictions=rules.predict.output,
        shards=shard_dirs,
    output:
        table=f"{RESULTS}/evaluation/ablation/{{model}}.tsv",
        png=report(
            f"{RESULTS}/evaluation/ablation/{{model}}.png",
            caption="../report/ablation.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/ablation/{{model}}.pdf",
    log:
        f"{LOGS}/evaluate/ablation_{{model}}.log",
    benchmark:
        f"{BENCH}/evaluate/ablation_{{model}}.tsv"
    conda:
        "../../envs/epibench-gpu.yaml"
    threads: config["train"]["threads"]
    params:
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        settings=as_json(config["evaluate"]),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench ablate --model-dir {params.model_dir:q} --shards {input.shards:q}"
        " --predictions {input.predictions:q} --threads {threads:q} --settings-json {params.settings:q}"
        " --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule learning_curve:
    input:
        predictions=expand(
            f"{RESULTS}/evaluation/predictions/{{model}}.parquet", model=CURVE_MODELS
        ),
        meta=expand(f"{RESULTS}/models/{{model}}/model.json", model=CURVE_MODELS),
    output:
        table=f"{RESULTS}/evaluation/learning_curve.tsv",
        png=report(
            f"{RESULTS}/evaluation/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/learning_curve.pdf",
    log:
        f"{LOGS}/evaluate/learning_curve.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        settings=as_json(config["evaluate"]),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate learning-curve --predictions {input.predictions:q} --model-meta {input.meta:q}"
        " --settings-json {params.settings:q} --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule by_covariate:
    input:
        PREDICTIONS,
    output:
        table=f"{RESULTS}/evaluation/by_covariate.tsv",
        png=report(
            f"{RESULTS}/evaluation/by_covariate.png",
            caption="../report/by_covariate.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/by_covariate.pdf",
    log:
        f"{LOGS}/evaluate/by_covariate.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        covariates=as_json(
            {s: {c: SAMPLES.loc[s, c] for c in config["covariates"]} for s in LABELLED}
        ),
        settings=as_json(config["evaluate"]),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate by-covariate --predictions {input:q} --covariates-json {params.covariates:q}"
        " --settings-json {params.settings:q} --out {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule loso:
    input:
        expand(
            f"{RESULTS}/evaluation/predictions/{{model}}.parquet",
            model=[config["evaluate"]["new"], *HELD_OUT_MODELS],
        ),
    output:
        table=f"{RESULTS}/evaluation/loso.tsv",
        png=report(
            f"{RESULTS}/evaluation/loso.png",
            caption="../report/loso.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/loso.pdf",
    log:
        f"{LOGS}/evaluate/loso.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        held_out=as_json({m: e["held_out_sample"] for m, e in HELD_OUT_MODELS.items()}),
        new=config["evaluate"]["new"],
        settings=as_json(config["evaluate"]),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate loso --predictions {input:q} --held-out-json {params.held_out:q}"
        " --cohort-model {params.new:q} --settings-json {params.settings:q} --out {output.table:q}"
        " --out-figure {params.stem:q} > {log:q} 2>&1"


rule metrics:
    input:
        predictions=PREDICTIONS,
        truth=config["truth"] or [],
    output:
        report(
            f"{RESULTS}/evaluation/metrics.tsv",
            caption="../report/metrics.rst",
            category="Evaluation",
        ),
    log:
        f"{LOGS}/evaluate/metrics.log",
    benchmark:
        f"{BENCH}/evaluate/metrics.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        settings=as_json(config["evaluate"]),
        truth_args=optional_file_arg("--truth", "truth"),
    shell:
        "epibench evaluate metrics --predictions {input.predictions:q} {params.truth_args}"
        " --settings-json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule comparison:
    input:
        metrics=rules.metrics.output,
        train_metrics=expand(f"{RESULTS}/models/{{model}}/metrics.csv", model=MODELS),
    output:
        report(
            f"{RESULTS}/evaluation/comparison.tsv",
            caption="../report/comparison.rst",
            category="Evaluation",
        ),
    log:
        f"{LOGS}/evaluate/comparison.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        settings=as_json(config["evaluate"]),
    shell:
        "epibench evaluate compare --metrics {input.metrics:q} --train-metrics {input.train_metrics:q}"
        " --settings-json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule leaderboard:
    input:
        metrics=rules.metrics.output,
        train_metrics=expand(f"{RESULTS}/models/{{model}}/metrics.csv", model=MODELS),
        baselines=expand(
            f"{RESULTS}/evaluation/baselines/{{baseline}}.json", baseline=BASELINES
        ),
    output:
        report(
            f"{RESULTS}/evaluation/leaderboard.tsv",
            caption="../report/leaderboard.rst",
            category="Evaluation",
        ),
    log:
        f"{LOGS}/evaluate/leaderboard.log",
    conda:
        "../../envs/epibench.yaml"
    params:
        settings=as_json(config["evaluate"]),
    shell:
        "epibench evaluate leaderboard --metrics {input.metrics:q} --train-metrics {input.train_metrics:q}"
        " --baselines {input.baselines:q} --settings-json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule curve_figure:
    input:
        predictions=PREDICTIONS,
        truth=config["truth"] or [],
    output:
        png=report(
            f"{RESULTS}/evaluation/{{curve}}.png",
            caption="../report/evaluation_figure.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/{{curve}}.pdf",
    log:
        f"{LOGS}/evaluate/{{curve}}.log",
    wildcard_constraints:
        curve="roc|pr|pred_vs_obs",
    conda:
        "../../envs/epibench.yaml"
    params:
        truth_args=optional_file_arg("--truth", "truth"),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate figure --kind {wildcards.curve:q} --inputs {input.predictions:q} {params.truth_args}"
        " --out {params.stem:q} > {log:q} 2>&1"


rule table_figure:
    input:
        lambda wildcards: (
            rules.metrics.output
            if wildcards.table_figure == "per_region"
            else rules.comparison.output
        ),
    output:
        png=report(
            f"{RESULTS}/evaluation/{{table_figure}}.png",
            caption="../report/evaluation_figure.rst",
            category="Evaluation",
        ),
        pdf=f"{RESULTS}/evaluation/{{table_figure}}.pdf",
    log:
        f"{LOGS}/evaluate/{{table_figure}}.log",
    wildcard_constraints:
        table_figure="per_region|comparison",
    conda:
        "../../envs/epibench.yaml"
    params:
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench evaluate figure --kind {wildcards.table_figure:q} --inputs {input:q}"
        " --out {params.stem:q} > {log:q} 2>&1"
