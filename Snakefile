# EpiBench: methylation prediction from sequence and histone marks.
# snakemake --cores 2            the cohort in config/config.yaml (the demo by default)
# snakemake --profile slurm-gpu  on a SLURM cluster (see README)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/methylation.smk"
include: "workflow/rules/regions.smk"
include: "workflow/rules/shards.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        f"{RESULTS}/report/index.html",
    default_target: True
