rule reference:
    input:
        fasta=config["reference"]["fasta"],
    output:
        fasta=result("reference", "reference/genome.fa"),
        fai=result("reference", "reference/genome.fa.fai"),
        sizes=result("reference", "reference/chrom_sizes.tsv"),
        assembly=result("reference", "reference/assembly.json"),
    log:
        f"{LOGS}/reference.log",
    benchmark:
        f"{BENCH}/reference.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        out_dir=lambda wildcards, output: str(Path(output.fasta).parent),
    shell:
        "epibench reference --fasta {input.fasta:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
