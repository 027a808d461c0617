rule reference:
    input:
        fasta=config["reference"]["fasta"],
        aliases=config["reference"]["chrom_aliases"] or [],
    output:
        fasta=result("reference", "reference/genome.fa"),
        fai=result("reference", "reference/genome.fa.fai"),
        sizes=result("reference", "reference/chrom_sizes.tsv"),
        assembly=result("reference", "reference/assembly.json"),
        aliases=result("reference", "reference/chrom_aliases.tsv"),
    log:
        f"{LOGS}/reference.log",
    benchmark:
        f"{BENCH}/reference.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        out_dir=lambda wildcards, output: str(Path(output.fasta).parent),
        aliases_args=optional_file_arg("--aliases", "aliases"),
    shell:
        "epibench reference --fasta {input.fasta:q} {params.aliases_args}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"
