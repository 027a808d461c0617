rule regions:
    input:
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        gtf=config["reference"]["gtf"],
        enhancers=config["reference"]["enhancers"] or [],
    output:
        table=f"{RESULTS}/regions/cpg_regions.parquet",
        summary=f"{RESULTS}/regions/summary.tsv",
    log:
        f"{LOGS}/regions.log",
    benchmark:
        f"{BENCH}/regions.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        enhancers=lambda wildcards, input: (
            f"--enhancers {shlex.quote(input.enhancers)}" if input.enhancers else ""
        ),
        upstream=config["regions"]["promoter_upstream"],
        downstream=config["regions"]["promoter_downstream"],
    shell:
        "epibench regions --reference {input.fasta:q} --gtf {input.gtf:q} {params.enhancers}"
        " --promoter-upstream {params.upstream} --promoter-downstream {params.downstream}"
        " --tmp-dir {resources.tmpdir:q} --out {output.table:q} --summary {output.summary:q} > {log:q} 2>&1"
