rule report:
    input:
        qc=expand(f"{RESULTS}/qc/{{sample}}.ingest.json", sample=LABELLED),
        qc_tables=expand(f"{RESULTS}/qc/{{sample}}.qc.tsv", sample=LABELLED),
        qc_figures=expand(f"{RESULTS}/qc/{{sample}}.qc.png", sample=LABELLED),
        imputed=expand(
            f"{RESULTS}/imputed/{{sample}}.{{suffix}}",
            sample=TO_PREDICT,
            suffix=("summary.tsv", "png", "bw"),
        ),
        regions=rules.regions.output.summary,
        splits=rules.shard_plan.output.figure,
        chrom_names=rules.sample_chrom_names.output,
        checked=rules.check_inputs.output,
        assembly=rules.reference.output.assembly,
        curves=expand(f"{RESULTS}/models/{{model}}/loss.png", model=MODELS),
        evaluation=EVALUATION_FILES,
        interpret=rules.attribute.output,
        interpret_figures=expand(
            f"{RESULTS}/interpret/{{figure}}.png", figure=INTERPRET_FIGURES
        ),
    output:
        f"{RESULTS}/report/index.html",
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{BENCH}/report.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        results=lambda wildcards, input: str(Path(input.regions).parents[1]),
        models=MODELS,
        new=config["evaluate"]["new"],
        original=config["evaluate"]["original"],
        title=config["report"]["title"],
        max_rows=config["report"]["max_table_rows"],
    shell:
        "epibench report --results {params.results:q} --title {params.title:q} --models {params.models:q} --new {params.new:q}"
        " --original {params.original:q}"
        " --max-rows {params.max_rows:q} --out {output:q} > {log:q} 2>&1"


rule tracks:
    input:
        predictions=expand(
            f"{RESULTS}/evaluation/predictions/{{model}}.parquet", model=MODELS
        ),
        chrom_sizes=rules.reference.output.sizes,
        attributions=rules.attribute.output.arrays,
        marks=[SAMPLES.loc[s, m] for s in SAMPLES.index for m in config["marks"]],
    output:
        hub=f"{RESULTS}/tracks/hub.json",
    log:
        f"{LOGS}/tracks.log",
    benchmark:
        f"{BENCH}/tracks.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        input_args=input_track_args,
        model=config["attribute"]["model"],
        base_url=config["tracks"]["base_url"],
        out_dir=lambda wildcards, output: str(Path(output.hub).parent),
    shell:
        "epibench tracks export --predictions {input.predictions:q} --chrom-sizes {input.chrom_sizes:q}"
        " --attributions {input.attributions:q} --attribution-model {params.model:q} {params.input_args}"
        " --base-url={params.base_url:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
