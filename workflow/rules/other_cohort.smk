# Targets no rule makes: of another cohort than the config's (its --configfile forgotten), or a file
# of this cohort no rule writes (a misspelt name). The run stops saying so
# (epibench.config.other_cohort_target, epibench.outputs.unmade_result_message), not with Snakemake's
# "no rule to produce". Another cohort's model a model of this one starts from (pretrained) is read,
# not stopped at. Included last: the rules' outputs are known (RULE_RESULT_PATTERNS).


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


rule unmade_result:
    input:
        unmade_result_stop,
    output:
        f"{RESULTS}/{{path}}",
    log:
        f"{LOGS}/unmade_result/{{path}}.log",
    wildcard_constraints:
        path=outputs.unmade_path_constraint(RULE_RESULT_PATTERNS, WILDCARD_CONSTRAINTS),
    conda:
        "../../envs/epibench.yaml"
    shell:
        "false"
