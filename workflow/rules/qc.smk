rule qc:
    input:
        checked=sample_call_records,
        cpgs=lambda wildcards: sample_group_files(
            rules.ingest_group.output.table, wildcards
        ),
        ingest_qc=rules.ingest_summary.output[0],
        regions=rules.regions.output.table,
        splits=rules.shard_plan.output.splits,
    output:
        table=result("qc", "qc/{sample}.qc.tsv"),
        figure=reported("qc", "qc/{sample}.qc.png"),
        pdf=result("qc", "qc/{sample}.qc.pdf"),
    log:
        f"{LOGS}/qc/{{sample}}.log",
    benchmark:
        f"{BENCH}/qc/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        threshold=config["shards"]["label_threshold"],
        stem=lambda wildcards, output: output.figure[: -len(".png")],
    shell:
        "epibench qc --sample {wildcards.sample:q} --cpgs {input.cpgs:q} --regions {input.regions:q}"
        " --ingest-qc {input.ingest_qc:q} --splits {input.splits:q} --threshold {params.threshold:q}"
        " --out-table {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule sample_chrom_names:
    input:
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        files=lambda wildcards: list(sample_files(wildcards.sample).values()),
    output:
        result("sample_chrom_names", "qc/{sample}/chrom_names.tsv"),
    log:
        f"{LOGS}/chrom_names/{{sample}}.log",
    benchmark:
        f"{BENCH}/chrom_names/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        input_args=sample_names_args,
    shell:
        "epibench chrom-names --reference {input.fasta:q} {params.input_args} --out {output:q} > {log:q} 2>&1"


# The cohort's table: each sample's read once, so another sample added or removed rereads none. A
# localrule: it merges the samples' small tables in the Snakemake process, also on a cluster.
rule chrom_names:
    input:
        expand(rules.sample_chrom_names.output[0], sample=SAMPLES.index),
    output:
        result("chrom_names", "qc/sample_chrom_names.tsv"),
    log:
        f"{LOGS}/chrom_names.log",
    benchmark:
        f"{BENCH}/chrom_names.tsv"
    localrule: True
    conda:
        "../../envs/epibench.yaml"
    shell:
        "epibench chrom-names --tables {input:q} --out {output:q} > {log:q} 2>&1"
