# Samples with histone marks but no methylation calls: every CpG predicted by the new model.


rule impute:
    input:
        model=f"{RESULTS}/models/{config['evaluate']['new']}/model.safetensors",
        meta=f"{RESULTS}/models/{config['evaluate']['new']}/model.json",
        shards=lambda wildcards: expand(
            f"{RESULTS}/shards/{{sample}}/{{group}}",
            sample=wildcards.sample,
            group=plan_groups(),
        ),
        sizes=rules.reference.output.sizes,
    output:
        table=f"{RESULTS}/imputed/{{sample}}.parquet",
        bigwig=f"{RESULTS}/imputed/{{sample}}.bw",
        summary=f"{RESULTS}/imputed/{{sample}}.summary.tsv",
        png=report(
            f"{RESULTS}/imputed/{{sample}}.png",
            caption="../report/impute.rst",
            category="Imputation",
        ),
        pdf=f"{RESULTS}/imputed/{{sample}}.pdf",
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
