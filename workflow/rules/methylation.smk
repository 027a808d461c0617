# Ingest, scattered per sample x shard group: each sample's CG fit (fit_calls), then the cohort's CG
# check and input lengths (check_inputs: a checkpoint, so that a sample's jobs read only its own files' records, and another
# sample added or removed reruns none of them), then read each file once (ingest_split; a sample's several files each into
# calls/<k>/), check and merge each group's calls apart, the files' reads of a CpG pooled
# (ingest_group), then the sample's QC (ingest_summary).
rule fit_calls:
    input:
        calls=lambda wildcards: list(ROWS[wildcards.sample]["methylation"]),
        coverage=lambda wildcards: [c for c in ROWS[wildcards.sample]["coverage"] if c],
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
    output:
        result("fit_calls", "qc/{sample}/cg_fit.json"),
    log:
        f"{LOGS}/fit_calls/{{sample}}.log",
    benchmark:
        f"{BENCH}/fit_calls/{{sample}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        calls_args=fit_calls_args,
    shell:
        "epibench fit-calls --reference {input.fasta:q} {params.calls_args} --out {output:q} > {log:q} 2>&1"


# Runs in the Snakemake process itself (localrule), also on a cluster: it reads small JSON records
# and the marks' bigWig headers, a second's work whose own SLURM job would wait in the queue.
checkpoint check_inputs:
    input:
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        assembly=rules.reference.output.assembly,
        fits=expand(rules.fit_calls.output[0], sample=LABELLED),
        marks=[path for *_, path in all_marks()],
    output:
        fits=result("check_inputs", "qc/cg_check.tsv"),
        lengths=result("check_inputs", "qc/input_lengths.tsv"),
        records=directory(result("check_inputs", "qc/inputs_checked")),
    log:
        f"{LOGS}/check_inputs.log",
    benchmark:
        f"{BENCH}/check_inputs.tsv"
    localrule: True
    conda:
        "../../envs/epibench.yaml"
    params:
        input_args=check_input_args,
        min_cg_share=config["ingest"]["min_cg_share"],
    shell:
        "epibench check-inputs --reference {input.fasta:q} --assembly {input.assembly:q} {params.input_args}"
        " --fits {input.fits:q}"
        " --min-cg-share {params.min_cg_share:q} --out {output.fits:q} --lengths-out {output.lengths:q}"
        " --records-dir {output.records:q} > {log:q} 2>&1"


rule ingest_split:
    input:
        checked=sample_call_records,
        calls=lambda wildcards: list(ROWS[wildcards.sample]["methylation"]),
        coverage=lambda wildcards: [c for c in ROWS[wildcards.sample]["coverage"] if c],
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
        groups=rules.shard_plan.output.groups,
    output:
        calls=directory(result("ingest_split", "methylation/{sample}/calls")),
        qc=result("ingest_split", "qc/{sample}/read.json"),
    log:
        f"{LOGS}/ingest/{{sample}}/split.log",
    benchmark:
        f"{BENCH}/ingest/{{sample}}/split.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        calls_args=calls_file_args,
        min_coverage=config["ingest"]["min_coverage"],
    shell:
        "epibench ingest-split {params.calls_args} --sample {wildcards.sample:q}"
        " --reference {input.fasta:q} --min-coverage {params.min_coverage:q}"
        " --groups {input.groups:q} --out-dir {output.calls:q} --qc {output.qc:q} > {log:q} 2>&1"


rule ingest_group:
    input:
        checked=sample_call_records,
        calls=rules.ingest_split.output.calls,
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
    output:
        table=result("ingest_group", "methylation/{sample}/cpgs/{group}.parquet"),
        qc=result("ingest_group", "qc/{sample}/{group}.ingest.json"),
    log:
        f"{LOGS}/ingest/{{sample}}/{{group}}.log",
    benchmark:
        f"{BENCH}/ingest/{{sample}}/{{group}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        calls=lambda wildcards, input: [
            Path(input.calls, str(k), f"{wildcards.group}.parquet")
            for k in range(1, len(ROWS[wildcards.sample]["methylation"]) + 1)
        ],
        min_coverage=config["ingest"]["min_coverage"],
        min_cg_share=config["ingest"]["min_cg_share"],
    shell:
        "epibench ingest-group --calls {params.calls:q} --reference {input.fasta:q}"
        " --min-coverage {params.min_coverage:q} --min-cg-share {params.min_cg_share:q}"
        " --out {output.table:q} --qc {output.qc:q} > {log:q} 2>&1"


rule ingest_summary:
    input:
        checked=sample_call_records,
        split=rules.ingest_split.output.qc,
        calls=rules.ingest_split.output.calls,
        groups=lambda wildcards: sample_group_files(
            rules.ingest_group.output.qc, wildcards
        ),
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
    output:
        result("ingest_summary", "qc/{sample}.ingest.json"),
    log:
        f"{LOGS}/ingest/{{sample}}/summary.log",
    benchmark:
        f"{BENCH}/ingest/{{sample}}/summary.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        min_coverage=config["ingest"]["min_coverage"],
        min_cg_share=config["ingest"]["min_cg_share"],
    shell:
        "epibench ingest-summary --split-qc {input.split:q} --group-qc {input.groups:q}"
        " --calls {input.calls:q} --reference {input.fasta:q} --min-coverage {params.min_coverage:q}"
        " --min-cg-share {params.min_cg_share:q} --out {output:q} > {log:q} 2>&1"
