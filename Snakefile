# EpiBench: methylation prediction from sequence and histone marks.
# snakemake --cores 2            the cohort in config/config.yaml (the demo by default)
# snakemake --profile slurm-gpu  on a SLURM cluster (see README)
import time
from pathlib import Path

from snakemake.utils import min_version

from epibench.log_warnings import stopped_trainings, warnings_summary

min_version("9.0")

# when this run started: the end-of-run summary reads only the logs written since
RUN_STARTED = time.time()


# The demo cohort, unless --configfile names another cohort's config: that config then stands
# alone (nothing of the demo's is merged into it).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/marks.smk"
include: "workflow/rules/plan.smk"
include: "workflow/rules/methylation.smk"
include: "workflow/rules/regions.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/shards.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/variants.smk"
include: "workflow/rules/impute.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/other_cohort.smk"


rule all:
    default_target: True
    input:
        f"{RESULTS}/report/index.html",
        f"{RESULTS}/tracks/hub.json",
        # every model's weights and predictions as targets: Snakemake remakes a missing file only when
        # it is a target or something after it reruns, and a training cut short (Ctrl-C, a kill) of a
        # model trained before leaves its folder without weights beside the older predictions and report
        expand(rules.train.output.model, model=TRAINED),
        PREDICTIONS,


onerror:
    # a training stopped by Ctrl-C or a scheduler reads above as a failed job: it resumes
    for line in stopped_trainings(LOGS, since=RUN_STARTED):
        print(line)


onsuccess:
    # the warnings the jobs logged, which only their logs hold otherwise
    if summary := warnings_summary(
        LOGS, since=RUN_STARTED, names=set(SAMPLES.index)
    ):
        print(summary)
    # where a newcomer looks next: the cohort's report page, when this run has one; a run of one
    # target (a figure, a table) leaves the page as an earlier run wrote it, and so does --touch
    report_page = Path(f"{RESULTS}/report/index.html")
    if report_page.exists() and workflow.touch:
        print(
            f"EpiBench: --touch marked the outputs up to date and wrote nothing: the report is "
            f"{report_page}, as an earlier run wrote it"
        )
    elif report_page.exists() and report_page.stat().st_mtime >= RUN_STARTED:
        print(f"EpiBench: the report is {report_page} (open it in a browser)")
    elif report_page.exists():
        print(
            f"EpiBench: the report is {report_page}, as an earlier run wrote it (not rewritten by "
            f"this run; `snakemake {report_page}`, before --configfile, brings it up to date)"
        )
