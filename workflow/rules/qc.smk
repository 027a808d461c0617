rule qc:
    input:
        cpgs=lambda wildcards: sample_group_files(rules.ingest.output.table, wildcards),
        ingest_qc=rules.ingest_summary.output[0],
        regions=rules.regions.output.table,
    output:
        table=f"{RESULTS}/qc/{{sample}}.qc.tsv",
        figure=report(
            f"{RESULTS}/qc/{{sample}}.qc.png",
            caption="../report/qc.rst",
            category="QC",
        ),
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
        " --ingest-qc {input.ingest_qc:q} --threshold {params.threshold:q}"
        " --out-table {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"


rule sample_chrom_names:
    input:
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        files=list(sample_files().values()),
    output:
        f"{RESULTS}/qc/sample_chrom_names.tsv",
    log:
        f"{LOGS}/sample_chrom_names.log",
    benchmark:
        f"{BENCH}/sample_chrom_names.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        input_args=" ".join(
            f"--input {shlex.quote(f'{label}={path}')}"
            for label, path in sample_files().items()
        ),
    shell:
        "epibench chrom-names --reference {input.fasta:q} {params.input_args} --out {output:q} > {log:q} 2>&1"
