rule attribute:
    input:
        model=rules.train.output.model.format(model=config["attribute"]["model"]),
        shards=shard_dirs,
    output:
        kmers=result("attribute", "interpret/top_kmers.tsv"),
        arrays=result("attribute", "interpret/attributions.npz"),
        summary=result("attribute", "interpret/summary.json"),
    log:
        f"{LOGS}/attribute.log",
    benchmark:
        f"{BENCH}/attribute.tsv"
    conda:
        "../../envs/epibench.yaml"
    threads: config["train"]["threads"]
    params:
        shards=paths_word("shards"),
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        per_region=config["attribute"]["per_region"],
        n_steps=config["attribute"]["n_steps"],
        max_steps=config["attribute"]["max_steps"],
        tolerance=config["attribute"]["tolerance"],
        kmer=config["attribute"]["kmer"],
        out_dir=lambda wildcards, output: str(Path(output.kmers).parent),
    shell:
        "epibench attribute --model-dir {params.model_dir:q} --shards {params.shards:q}"
        " --per-region {params.per_region:q} --n-steps {params.n_steps:q} --max-steps {params.max_steps:q}"
        " --tolerance {params.tolerance:q} --kmer {params.kmer:q}"
        " --threads {threads:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule attribute_figure:
    input:
        rules.attribute.output.arrays,
    output:
        png=reported("attribute_figure", "interpret/{figure}.png"),
        pdf=result("attribute_figure", "interpret/{figure}.pdf"),
    log:
        f"{LOGS}/interpret/{{figure}}.log",
    benchmark:
        f"{BENCH}/interpret/{{figure}}.tsv"
    wildcard_constraints:
        figure="|".join(outputs.kinds(PLAN, "attribute_figure", ".png")),
    conda:
        "../../envs/epibench.yaml"
    params:
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench attribute-figure --kind {wildcards.figure:q} --attributions {input:q}"
        " --out {params.stem:q} > {log:q} 2>&1"


rule motifs:
    input:
        model=rules.train.output.model.format(model=MOTIF_MODEL),
        shards=shard_dirs,
        assembly=rules.reference.output.assembly,
    output:
        table=result("motifs", "interpret/motifs.tsv"),
        png=reported("motifs", "interpret/motifs.png"),
        pdf=result("motifs", "interpret/motifs.pdf"),
    log:
        f"{LOGS}/interpret/motifs.log",
    benchmark:
        f"{BENCH}/interpret/motifs.tsv"
    conda:
        "../../envs/epibench.yaml"
    threads: config["train"]["threads"]
    params:
        shards=paths_word("shards"),
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        n_windows=config["motifs"]["n_windows"],
        n_steps=config["motifs"]["n_steps"],
        jaspar=config["motifs"]["jaspar"],
        tax_group=config["motifs"]["tax_group"],
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench motifs --model-dir {params.model_dir:q} --shards {params.shards:q}"
        " --n-windows {params.n_windows:q} --n-steps {params.n_steps:q} --jaspar {params.jaspar:q}"
        " --tax-group {params.tax_group:q} --assembly {input.assembly:q}"
        " --threads {threads:q} --out-table {output.table:q} --out-figure {params.stem:q} > {log:q} 2>&1"
