# cache: with `snakemake --cache` and $SNAKEMAKE_OUTPUT_CACHE set, cohorts of one reference FASTA share
# one prepared copy (Snakemake's between-workflow cache, keyed by the rule and the input files' contents):
# the second cohort links to it instead of writing its own. Cacheable only where the variable is set:
# elsewhere Snakemake would open every run with "rule reference is eligible for caching", and a dry
# run with --cache but no cache folder stops in a RuntimeError instead of running uncached. Nothing
# cohort-specific may enter the rule's params, which the key includes: the output folder comes from
# the output path in the shell. No benchmark file (Snakemake refuses one on a cacheable rule: a copy
# from the cache has no run to time).
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
    cache: "SNAKEMAKE_OUTPUT_CACHE" in os.environ
    conda:
        "../../envs/epibench.yaml"
    params:
        aliases_args=optional_file_arg("--aliases", "aliases"),
    shell:
        "epibench reference --fasta {input.fasta:q} {params.aliases_args}"
        ' --out-dir "$(dirname {output.fasta:q})" > {log:q} 2>&1'
