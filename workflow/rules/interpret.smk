rule attribute:
    input:
        model=f"{RESULTS}/models/{config['attribute']['model']}/model.safetensors",
        shards=shard_dirs,
    output:
        kmers=f"{RESULTS}/interpret/top_kmers.tsv",
        arrays=f"{RESULTS}/interpret/attributions.npz",
        summary=f"{RESULTS}/interpret/summary.json",
    log:
        f"{LOGS}/attribute.log",
    benchmark:
        f"{BENCH}/attribute.tsv"
    conda:
        "../../envs/epibench.yaml"
    threads: config["train"]["threads"]
    params:
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        settings=as_json(config["attribute"]),
        out_dir=lambda wildcards, output: str(Path(output.kmers).parent),
    shell:
        "epibench attribute --model-dir {params.model_dir:q} --shards {input.shards:q}"
        " --settings-json {params.settings:q} --threads {threads:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule interpret_figure:
    input:
        rules.attribute.output.arrays,
    output:
        png=report(
            f"{RESULTS}/interpret/{{interpret_figure}}.png",
            caption="../report/interpret_figure.rst",
            category="Interpretation",
        ),
        pdf=f"{RESULTS}/interpret/{{interpret_figure}}.pdf",
    log:
        f"{LOGS}/interpret/{{interpret_figure}}.log",
    wildcard_constraints:
        interpret_figure="|".join(INTERPRET_FIGURES),
    conda:
        "../../envs/epibench.yaml"
    params:
        stem=lambda wildcards, output: output.png[: -len(".png")],
    shell:
        "epibench attribute-figure --kind {wildcards.interpret_figure:q} --attributions {input:q}"
        " --out {params.stem:q} > {log:q} 2>&1"
