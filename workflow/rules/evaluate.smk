rule evaluate:
    input:
        predictions=expand(
            f"{RESULTS}/evaluation/predictions/{{model}}.parquet", model=MODELS
        ),
        train_metrics=expand(f"{RESULTS}/models/{{model}}/metrics.csv", model=MODELS),
        truth=config["truth"] or [],
    output:
        metrics=report(
            f"{RESULTS}/evaluation/metrics.tsv",
            caption="../report/metrics.rst",
            category="Evaluation",
        ),
        comparison=report(
            f"{RESULTS}/evaluation/comparison.tsv",
            caption="../report/comparison.rst",
            category="Evaluation",
        ),
        roc=f"{RESULTS}/evaluation/roc.png",
        pr=f"{RESULTS}/evaluation/pr.png",
        regions=f"{RESULTS}/evaluation/per_region.png",
        scatter=f"{RESULTS}/evaluation/pred_vs_obs.png",
        figure=f"{RESULTS}/evaluation/comparison.png",
    log:
        f"{LOGS}/evaluate.log",
    benchmark:
        f"{BENCH}/evaluate.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        settings=as_json(config["evaluate"]),
        truth=optional_file_arg("--truth", "truth"),
        out_dir=lambda wildcards, output: str(Path(output.metrics).parent),
    shell:
        "epibench evaluate --predictions {input.predictions:q} --train-metrics {input.train_metrics:q}"
        " {params.truth} --settings-json {params.settings:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
