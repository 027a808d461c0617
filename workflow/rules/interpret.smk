rule attribute:
    input:
        model=f"{RESULTS}/models/{config['attribute']['model']}/model.safetensors",
        shards=shard_dirs,
    output:
        kmers=f"{RESULTS}/interpret/top_kmers.tsv",
        arrays=f"{RESULTS}/interpret/attributions.npz",
        summary=f"{RESULTS}/interpret/summary.json",
        sequence=report(
            f"{RESULTS}/interpret/sequence_attribution.png",
            caption="../report/sequence_attribution.rst",
            category="Interpretation",
        ),
        histone=report(
            f"{RESULTS}/interpret/histone_attribution.png",
            caption="../report/histone_attribution.rst",
            category="Interpretation",
        ),
    log:
        f"{LOGS}/attribute.log",
    benchmark:
        f"{BENCH}/attribute.tsv"
    conda:
        "../../envs/epibench.yaml"
    threads: 2
    params:
        model_dir=lambda wildcards, input: str(Path(input.model).parent),
        settings=as_json(config["attribute"]),
        out_dir=lambda wildcards, output: str(Path(output.kmers).parent),
    shell:
        "epibench attribute --model-dir {params.model_dir:q} --shards {input.shards:q}"
        " --settings-json {params.settings:q} --threads {threads} --out-dir {params.out_dir:q} > {log:q} 2>&1"
