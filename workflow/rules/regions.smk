rule regions:
    input:
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        gtf=config["reference"]["gtf"],
        enhancers=config["reference"]["enhancers"] or [],
        cpg_islands=config["reference"]["cpg_islands"] or [],
        blacklist=config["reference"]["blacklist"] or [],
    output:
        table=result("regions", "regions/cpg_regions.parquet"),
        summary=result("regions", "regions/summary.tsv"),
        chrom_names=result("regions", "reference/chrom_names.tsv"),
    log:
        f"{LOGS}/regions.log",
    benchmark:
        f"{BENCH}/regions.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        enhancers_args=optional_file_arg("--enhancers", "enhancers"),
        cpg_islands_args=optional_file_arg("--cpg-islands", "cpg_islands"),
        blacklist_args=optional_file_arg("--blacklist", "blacklist"),
        enhancer_states_args=list_arg(
            "--enhancer-states", config["regions"]["enhancer_states"]
        ),
        gene_types_args=list_arg("--gene-types", config["regions"]["gene_types"]),
        skip_gene_types_args=flag_list_arg(
            "--skip-gene-types", config["regions"]["skip_gene_types"]
        ),
        # named flags: a changed window reads "--promoter-upstream 2000" in Snakemake's rerun reason
        window_args=settings_flags(
            {
                "shore_bp": config["regions"]["shore_bp"],
                "promoter_upstream": config["regions"]["promoter_upstream"],
                "promoter_downstream": config["regions"]["promoter_downstream"],
            }
        ),
    shell:
        "epibench regions --reference {input.fasta:q} --gtf {input.gtf:q} {params.enhancers_args}"
        " {params.enhancer_states_args} {params.gene_types_args} {params.skip_gene_types_args}"
        " {params.cpg_islands_args} {params.blacklist_args} {params.window_args}"
        " --tmp-dir {resources.tmpdir:q} --out {output.table:q} --summary {output.summary:q}"
        " --chrom-names {output.chrom_names:q} > {log:q} 2>&1"
