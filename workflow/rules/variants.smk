# Variant effects: each variant of config variants.vcf scored under REF and ALT with a sample's marks.


rule variant_effects:
    input:
        model=rules.train.output.model.format(model=VARIANT_MODEL),
        meta=rules.train.output.meta.format(model=VARIANT_MODEL),
        shards=lambda wildcards: sample_group_files(rules.shards.output[0], wildcards),
        regions=rules.regions.output.table,
        sizes=rules.reference.output.sizes,
        vcf=config["variants"]["vcf"] or [],
    output:
        table=result("variant_effects", "variants/{sample}.tsv"),
        summary=result("variant_effects", "variants/{sample}.summary.tsv"),
        track=result("variant_effects", "variants/{sample}.delta.bw"),
        png=reported("variant_effects", "variants/{sample}.png"),
        pdf=result("variant_effects", "variants/{sample}.pdf"),
    log:
        f"{LOGS}/variants/{{sample}}.log",
    benchmark:
        f"{BENCH}/variants/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    threads: config["train"]["threads"]
    params:
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench variants --model-dir {params.model_dir:q} --shards {input.shards:q}"
        " --regions {input.regions:q} --vcf {input.vcf:q} --chrom-sizes {input.sizes:q}"
        " --threads {threads:q} --out-table {output.table:q} --out-summary {output.summary:q}"
        " --out-track {output.track:q} --out-figure {params.stem:q} > {log:q} 2>&1"
