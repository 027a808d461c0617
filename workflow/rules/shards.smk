rule shards:
    input:
        cpgs=rules.ingest.output.table,
        regions=rules.regions.output.table,
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        marks=lambda wildcards: [
            SAMPLES.loc[wildcards.sample, m] for m in config["marks"]
        ],
    output:
        directory(f"{RESULTS}/shards/{{sample}}"),
    log:
        f"{LOGS}/shards/{{sample}}.log",
    benchmark:
        f"{BENCH}/shards/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        marks=mark_args,
        settings=as_json(config["shards"]),
    shell:
        "epibench shards --sample {wildcards.sample} --cpgs {input.cpgs:q} --regions {input.regions:q}"
        " --reference {input.fasta:q} {params.marks} --settings-json {params.settings:q}"
        " --out-dir {output:q} > {log:q} 2>&1"
