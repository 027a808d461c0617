rule report:
    input:
        REPORTED,
    output:
        result("report", "report/index.html"),
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{BENCH}/report.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        results=lambda wildcards, output: str(Path(output[0]).parents[1]),
        models=MODELS,
        samples=list(SAMPLES.index),
        new=config["evaluate"]["new"],
        original=config["evaluate"]["original"],
        title=config["report"]["title"],
        max_rows=config["report"]["max_table_rows"],
    shell:
        "epibench report --results {params.results:q} --title {params.title:q} --models {params.models:q} --samples {params.samples:q}"
        " --new {params.new:q}"
        " --original {params.original:q}"
        " --max-rows {params.max_rows:q} --out {output:q} > {log:q} 2>&1"


rule tracks_export:
    input:
        predictions=expand(rules.predict.output[0], model=MODELS)
        + expand(rules.ensemble.output[0], ensemble=ENSEMBLES),
        chrom_sizes=rules.reference.output.sizes,
        aliases=rules.reference.output.aliases,
        attributions=rules.attribute.output.arrays,
        marks=[path for *_, path in all_marks()],
        imputed=expand(rules.impute.output.bigwig, sample=TO_PREDICT),
        variant_deltas=expand(
            rules.variant_effects.output.track, sample=VARIANT_SAMPLES
        ),
    output:
        hub=result("tracks_export", "tracks/hub.json"),
    log:
        f"{LOGS}/tracks.log",
    benchmark:
        f"{BENCH}/tracks.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        input_args=input_track_args,
        imputed_args=linked_track_args(
            "--imputed", rules.impute.output.bigwig, TO_PREDICT
        ),
        variant_args=linked_track_args(
            "--variant-delta", rules.variant_effects.output.track, VARIANT_SAMPLES
        ),
        model=config["attribute"]["model"],
        base_url=config["tracks"]["base_url"],
        out_dir=lambda wildcards, output: str(Path(output.hub).parent),
    shell:
        "epibench tracks export --predictions {input.predictions:q} --chrom-sizes {input.chrom_sizes:q}"
        " --chrom-aliases {input.aliases:q}"
        " --attributions {input.attributions:q} --attribution-model {params.model:q} {params.input_args}"
        " {params.imputed_args} {params.variant_args}"
        " --base-url={params.base_url:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
