# Samples with histone marks but no methylation calls: every CpG predicted by the new model.


rule impute:
    input:
        model=rules.train.output.model.format(model=config["evaluate"]["new"]),
        meta=rules.train.output.meta.format(model=config["evaluate"]["new"]),
        shards=lambda wildcards: sample_group_files(rules.shards.output[0], wildcards),
        sizes=rules.reference.output.sizes,
    output:
        table=result("impute", "imputed/{sample}.parquet"),
        bigwig=result("impute", "imputed/{sample}.bw"),
        summary=result("impute", "imputed/{sample}.summary.tsv"),
        png=reported("impute", "imputed/{sample}.png"),
        pdf=result("impute", "imputed/{sample}.pdf"),
    log:
        f"{LOGS}/impute/{{sample}}.log",
    benchmark:
        f"{BENCH}/impute/{{sample}}.tsv"
    conda:
        "../../envs/epibench-gpu.yaml"
    threads: config["train"]["threads"]
    params:
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        threshold=config["evaluate"]["threshold"],
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench impute --model-dir {params.model_dir:q} --shards {input.shards:q} --chrom-sizes {input.sizes:q}"
        " --threads {threads:q} --threshold {params.threshold:q} --out-table {output.table:q}"
        " --out-bigwig {output.bigwig:q} --out-summary {output.summary:q} --out-figure {params.stem:q}"
        " > {log:q} 2>&1"
