# The shard plan: which sequences each scatter job (ingest, shards) covers, and the held-out splits.
# A localrule (runs in the Snakemake process, also on a cluster): it reads the sequence sizes only.
checkpoint shard_plan:
    input:
        sizes=rules.reference.output.sizes,
        aliases=rules.reference.output.aliases,
    output:
        groups=result("shard_plan", "shards/plan/groups.tsv"),
        splits=result("shard_plan", "shards/plan/splits.bed"),
        summary=result("shard_plan", "shards/plan/splits.tsv"),
        figure=reported("shard_plan", "shards/plan/splits.png"),
        pdf=result("shard_plan", "shards/plan/splits.pdf"),
    log:
        f"{LOGS}/shards/plan.log",
    benchmark:
        f"{BENCH}/shards/plan.tsv"
    localrule: True
    conda:
        "../../envs/epibench.yaml"
    params:
        split_args=settings_flags(config["split"]),
        min_share=config["shards"]["scatter_min_share"],
        out_dir=lambda wildcards, output: str(Path(output.groups).parent),
    shell:
        "epibench shard-plan --chrom-sizes {input.sizes:q} --chrom-aliases {input.aliases:q}"
        " {params.split_args}"
        " --min-share {params.min_share:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
