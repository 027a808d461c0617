rule reference:
    input:
        fasta=config["reference"]["fasta"],
    output:
        fasta=f"{RESULTS}/reference/genome.fa",
        fai=f"{RESULTS}/reference/genome.fa.fai",
        sizes=f"{RESULTS}/reference/chrom_sizes.tsv",
        assembly=f"{RESULTS}/reference/assembly.json",
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
