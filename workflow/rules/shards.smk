rule shards:
    input:
        checked=sample_call_records,
        marks_checked=sample_mark_records,
        cpgs=sample_cpgs,
        tads=config["reference"]["tads"] or [],
        loops=config["reference"]["loops"] or [],
        regions=rules.regions.output.table,
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        groups=rules.shard_plan.output.groups,
        splits=rules.shard_plan.output.splits,
        marks=sample_marks,
    output:
        directory(result("shards", "shards/{sample}/{group}")),
    log:
        f"{LOGS}/shards/{{sample}}/{{group}}.log",
    benchmark:
        f"{BENCH}/shards/{{sample}}/{{group}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        marks_args=mark_args,
        settings_args=settings_flags(without("shards", "scatter_min_share")),
        plan_dir=lambda wildcards, input: str(Path(input.groups).parent),
        cpgs_args=optional_file_arg("--cpgs", "cpgs"),
        covariates=sample_covariates,
        tads_args=optional_file_arg("--tads", "tads"),
        loops_args=optional_file_arg("--loops", "loops"),
    shell:
        "epibench shards --sample {wildcards.sample:q} --group {wildcards.group:q}"
        " --plan-dir {params.plan_dir:q} {params.cpgs_args} --regions {input.regions:q}"
        " --reference {input.fasta:q} {params.marks_args} {params.settings_args}"
        " --covariates-json {params.covariates:q} {params.tads_args} {params.loops_args}"
        " --out-dir {output:q} > {log:q} 2>&1"
