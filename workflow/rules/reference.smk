rule reference:
    input:
        fasta=config["reference"]["fasta"],
    output:
        fasta=f"{RESULTS}/reference/genome.fa",
        fai=f"{RESULTS}/reference/genome.fa.fai",
        sizes=f"{RESULTS}/reference/chrom_sizes.tsv",
    log:
        f"{LOGS}/reference.log",
    benchmark:
        f"{BENCH}/reference.tsv"
    conda:
        "../../envs/epibench.yaml"
    shell:
        "epibench reference --fasta {input.fasta:q} --out-dir {RESULTS:q}/reference > {log:q} 2>&1"
