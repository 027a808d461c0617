# Histone marks given as bedGraph, wiggle, peaks (narrowPeak, broadPeak, gappedPeak, BED), bigBed or aligned
# reads (BAM, CRAM, SAM, tagAlign: their coverage): each written once as a bigWig on the reference's sequences
# (epibench.io.mark_tracks, epibench.io.read_coverage); bigWigs are used as they are (common.smk: mark_file).
rule mark_bigwig:
    input:
        track=lambda wildcards: ROWS[wildcards.sample][wildcards.mark],
        fasta=rules.reference.output.fasta,
        fai=rules.reference.output.fai,
    output:
        result("mark_bigwig", MARK_BIGWIG),
    log:
        f"{LOGS}/marks/{{sample}}/{{mark}}.log",
    benchmark:
        f"{BENCH}/marks/{{sample}}/{{mark}}.tsv"
    conda:
        "../../envs/epibench.yaml"
    params:
        reads_args=mark_reads_args,
    shell:
        "epibench mark-bigwig --input {input.track:q} --reference {input.fasta:q} {params.reads_args}"
        " --out {output:q} > {log:q} 2>&1"
