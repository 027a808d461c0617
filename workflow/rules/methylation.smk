rule ingest:
    input:
        calls=sample_file("methylation"),
        coverage=lambda wildcards: SAMPLES.loc[wildcards.sample, "coverage"] or [],
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
    output:
        table=f"{RESULTS}/methylation/{{sample}}.parquet",
        qc=f"{RESULTS}/qc/{{sample}}.ingest.json",
    log:
        f"{LOGS}/ingest/{{sample}}.log",
    benchmark:
        f"{BENCH}/ingest/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        fmt=lambda wildcards: SAMPLES.loc[wildcards.sample, "format"],
        coverage=optional_file_arg("--coverage", "coverage"),
        min_coverage=config["ingest"]["min_coverage"],
        min_cg_share=config["ingest"]["min_cg_share"],
    shell:
        "epibench ingest --input {input.calls:q} --sample {wildcards.sample} --format {params.fmt:q} {params.coverage}"
        " --reference {input.fasta:q} --min-coverage {params.min_coverage}"
        " --min-cg-share {params.min_cg_share} --out {output.table:q} --qc {output.qc:q} > {log:q} 2>&1"
