# A target of another cohort than the config's (its --configfile forgotten): the run stops saying so
# (epibench.config.other_cohort_target), not with Snakemake's "no rule to produce". Another cohort's
# model a model of this one starts from (pretrained) is read, not stopped at.


rule other_cohort:
    input:
        other_cohort_stop,
    output:
        "results/{other}/{path}",
    log:
        "logs/{other}/other_cohort/{path}.log",
    wildcard_constraints:
        other=other_cohort_pattern(config),
        path=".+",
    conda:
        "../../envs/epibench.yaml"
    shell:
        "false"
