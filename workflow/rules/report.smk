rule report:
    input:
        qc=expand(f"{RESULTS}/qc/{{sample}}.ingest.json", sample=SAMPLES.index),
        qc_tables=expand(f"{RESULTS}/qc/{{sample}}.qc.tsv", sample=SAMPLES.index),
        qc_figures=expand(f"{RESULTS}/qc/{{sample}}.qc.png", sample=SAMPLES.index),
        regions=rules.regions.output.summary,
        splits=rules.shard_plan.output.figure,
        chrom_names=rules.sample_chrom_names.output,
        curves=expand(f"{RESULTS}/models/{{model}}/loss.png", model=MODELS),
        evaluation=EVALUATION_FILES,
        interpret=rules.attribute.output,
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
        title=config["report"]["title"],
        max_rows=config["report"]["max_table_rows"],
    shell:
        "epibench report --results {params.results:q} --title {params.title:q} --models {params.models:q} --new {params.new:q}"
        " --max-rows {params.max_rows} --out {output:q} > {log:q} 2>&1"
