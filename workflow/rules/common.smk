# Path helpers and input functions shared by all rules. The config's checks, defaults and derived
# values live in epibench.config, the output layout in epibench.outputs.
import functools
import hashlib
import json
import re
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from epibench import outputs
from epibench.checkout import foreign_package, foreign_package_warning, package_without
from epibench.cli.common import settings_flags
from epibench.config import (
    MODEL_FILES,
    TRAINING_KEYS,
    WORKFLOW_KEYS,
    ConfigError,
    calls_file_labels,
    model_train_settings,
    motif_model,
    other_cohort_pattern,
    other_cohort_target,
    seed_replicates,
    variant_model,
)
from epibench.config import setup as cohort_setup
from epibench.data.groups import read_groups
from epibench.io.atomic import atomic_path
from epibench.io.input_records import cg_check_record, lengths_record
from epibench.io.mark_readers import track_kind
from epibench.io.mark_tracks import needs_conversion
from epibench.path_grids import to_word
from epibench.evaluate.leaderboard import BASE_MODE
from epibench.train.launch import launcher_prefix
from epibench.train_settings import as_words

# Another checkout's package (an environment installed from another clone) runs this workflow's jobs:
# said at the run's start (a cluster job, which reads this file again, would repeat it in its log)
if (
    workflow.is_main_process
    and (jobs_package := package_without(Path(workflow.basedir)))
    and foreign_package(Path(workflow.basedir), jobs_package)
):
    logger.warning(
        f"WARNING: {foreign_package_warning(Path(workflow.basedir), jobs_package)}"
    )

# The config checked and what follows from it (epibench.config): stops with the file, key or row; its
# warnings once, at the run's start, not again in each cluster job's log (a job reads the config too)
try:
    SETUP = cohort_setup(config, workflow.configfiles, warn=workflow.is_main_process)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None
SAMPLES = SETUP.samples
# each sample's sheet row as a dict, for the input and params functions, which run for every job (and
# again as checkpoints finish): a pandas lookup costs ~40 us, a row selection ~1 ms, several thousand
# times over with hundreds of samples
ROWS = SAMPLES.to_dict("index")

# The rules run `epibench` (and `torchrun`): where no activated environment puts them on PATH (the
# venv's Snakemake run with nothing activated), those beside the Python that runs Snakemake. Appended,
# so an activated environment or a rule's own conda environment comes first. The folder is not resolved:
# a venv's python is a link to the system's, whose folder has no epibench.
shell.prefix(f'export PATH="$PATH":{shlex.quote(str(Path(sys.executable).parent))}; ')

LABELLED = SETUP.labelled
TO_PREDICT = SETUP.to_predict
COHORT = config["cohort"]
RESULTS = f"results/{COHORT}"
LOGS = f"logs/{COHORT}"
BENCH = f"{LOGS}/benchmarks"
MODELS = list(config["models"])
CURVE_MODELS = SETUP.curve_models
HELD_OUT_MODELS = SETUP.held_out_models
LOSO_CONTROL = SETUP.loso_control
TRAINED = SETUP.trained
# model -> (settings that decide it, runtime-only settings): epibench.config.model_train_settings
TRAIN_SETTINGS = {
    model: model_train_settings(config["train"], entry)
    for model, entry in TRAINED.items()
}
SEQUENCE_ONLY = SETUP.sequence_only
BASELINES = SETUP.baselines
ENSEMBLES = config["evaluate"]["ensembles"]
PLAN = SETUP.plan
# the samples whose marks score the variants (none without variants.vcf)
VARIANT_SAMPLES = PLAN.values["variant_sample"] if "variants" in PLAN.features else []
VARIANT_MODEL = variant_model(config)
MOTIF_MODEL = motif_model(config)
# every file the report shows (the workflow's default target needs them all)
REPORTED = [f"{RESULTS}/{path}" for path in outputs.targets(PLAN)]
# the models a caption names as the comparison's
CAPTION_CONTEXT = {
    "new": config["evaluate"]["new"],
    "original": config["evaluate"]["original"],
}


# the catalogue's patterns of every rule's outputs (``result``; ``evaluation/{figure}.png`` stands for
# roc.png, pr.png, ...) and the files of any model folder a model may start from (``pretrained``: read
# where they are, trained by this config or not): rule unmade_result takes the other paths under the
# results folder. A dict for its keys: input functions call ``result`` again for every job.
RULE_RESULT_PATTERNS = dict.fromkeys(
    f"models/{{folder}}/{name}" for name in MODEL_FILES
)


def result(stage, pattern):
    """Rule ``stage``'s output ``pattern`` under the cohort's results folder. Every output is in the
    catalogue (epibench/outputs.py): one it does not list stops the workflow before it runs.
    """
    if not outputs.matching(pattern, stage):
        raise WorkflowError(
            f"rule {stage} writes {pattern}, which the output catalogue (epibench/outputs.py) "
            "does not list for that rule: add it there"
        )
    RULE_RESULT_PATTERNS.update(
        dict.fromkeys(output.pattern for output in outputs.matching(pattern, stage))
    )
    return f"{RESULTS}/{pattern}"


def reported(stage, pattern):
    """``result(stage, pattern)`` marked for the Snakemake report, with the catalogue's caption and
    section (its category)."""
    path = result(stage, pattern)
    section = outputs.matching(pattern, stage)[0].section
    return report(path, caption=caption_file(stage, pattern), category=section)


def caption_file(stage, pattern):
    """The caption file (reStructuredText, Jinja) of a reported output, written from the catalogue
    into .snakemake/epibench_captions/ when it differs; its absolute path."""
    text = outputs.caption_template(pattern, stage, CAPTION_CONTEXT)
    name = hashlib.sha1(pattern.encode()).hexdigest()[:10]
    path = Path(".snakemake", "epibench_captions", f"{stage}.{name}.rst").resolve()
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return str(path)


# every predictions table the evaluation reads: the trained models', the baselines' and the ensembles'
PREDICTIONS = [
    *expand(result("predict", "evaluation/predictions/{model}.parquet"), model=MODELS),
    *expand(
        result("baseline", "evaluation/predictions/{baseline}.parquet"),
        baseline=BASELINES,
    ),
    *expand(
        result("ensemble", "evaluation/predictions/{ensemble}.parquet"),
        ensemble=ENSEMBLES,
    ),
]

# the new and the original model's predictions (one table where they are the same model)
COMPARED_PREDICTIONS = expand(
    result("predict", "evaluation/predictions/{model}.parquet"),
    model=dict.fromkeys([config["evaluate"]["new"], config["evaluate"]["original"]]),
)
# every table's --block-bp: evaluate.bootstrap_block_bp, or with auto the JSON of rule bootstrap_block
# (BLOCK_CHOICE, each such rule's input `block`) whose block it reads
BLOCK_CHOICE = (
    [result("bootstrap_block", "evaluation/bootstrap_block.json")]
    if "auto_block" in PLAN.features
    else []
)


def chosen_block_bp(wildcards, input):
    """A table rule's --block-bp: its input `block` (BLOCK_CHOICE) with auto, else the config's bp."""
    return input.block[0] if BLOCK_CHOICE else config["evaluate"]["bootstrap_block_bp"]


# the wildcards' values (rule unmade_result takes a path that none of them makes up)
WILDCARD_CONSTRAINTS = {
    "sample": "|".join(re.escape(sample) for sample in SAMPLES.index),
    "model": "|".join(re.escape(model) for model in TRAINED),
    "baseline": "|".join(BASELINES) or "^$",
    "ensemble": "|".join(re.escape(ensemble) for ensemble in ENSEMBLES) or "^$",
    "group": "[^/]+",
    "mark": "|".join(re.escape(mark) for mark in config["marks"]) or "^$",
}


wildcard_constraints:
    **WILDCARD_CONSTRAINTS,


# the output of rule mark_bigwig, a mark given as bedGraph, wiggle, peaks, bigBed or reads made a bigWig
MARK_BIGWIG = "marks/{sample}/{mark}.bw"


@functools.cache
def mark_file(sample, mark):
    """The bigWig of a sample's mark: the sample sheet's file, or (rule mark_bigwig) its conversion
    where that is a bedGraph, a wiggle, a peak file, a bigBed or aligned reads; "" for a mark the
    sample lacks. Cached: whether a file is a bigWig is read from its first bytes, once per run rather
    than for every job that names it (several per sample, each evaluated again after a checkpoint).
    """
    path = ROWS[sample][mark]
    if path and needs_conversion(path):
        return f"{RESULTS}/{MARK_BIGWIG.format(sample=sample, mark=mark)}"
    return path


def mark_label(sample, mark):
    """How the input checks and the name table label a sample's mark file."""
    return f"{sample}.{mark}"


def mark_reads_args(wildcards):
    """The ``mark_reads`` settings as flags for a mark given as aligned reads (BAM, CRAM, SAM,
    tagAlign), none for other tracks, whose conversion ignores them (input function of the
    mark_bigwig rule)."""
    if track_kind(ROWS[wildcards.sample][wildcards.mark]) != "reads":
        return ""
    return settings_flags(config["mark_reads"])


def sample_marks(wildcards):
    """Input function: the job's sample's mark bigWigs, in config order (those it has)."""
    return [path for m in config["marks"] if (path := mark_file(wildcards.sample, m))]


def all_marks():
    """Every sample's mark bigWigs (those each has), by sample then mark."""
    return [
        (s, m, path)
        for s in SAMPLES.index
        for m in config["marks"]
        if (path := mark_file(s, m))
    ]


def mark_args(wildcards):
    """``--mark NAME=PATH`` arguments of a sample, in config order (paths quoted for the shell;
    ``NAME=`` for a mark the sample lacks)."""
    return " ".join(
        f"--mark {shlex.quote(f'{m}={mark_file(wildcards.sample, m)}')}"
        for m in config["marks"]
    )


def missing_marks_args(wildcards):
    """``--missing-marks SAMPLE=MARK,MARK`` for every labelled sample whose sheet row leaves marks empty."""
    lacking = {s: [m for m in config["marks"] if not ROWS[s][m]] for s in LABELLED}
    return " ".join(
        f"--missing-marks {shlex.quote(f'{s}={marks}')}"
        for s, lacks in lacking.items()
        if (marks := ",".join(lacks))
    )


def input_track_args(wildcards):
    """``--input SAMPLE MARK PATH`` for every sample's histone bigWig (the datahub shows them beside the predictions)."""
    return " ".join(
        f"--input {shlex.quote(s)} {shlex.quote(m)} {shlex.quote(path)}"
        for s, m, path in all_marks()
    )


def linked_track_args(flag, pattern, samples):
    """Params function: ``flag SAMPLE PATH`` for each of ``samples``, ``pattern``'s bigWig of it
    (an imputed sample's levels, a sample's variant deltas), linked in the datahub."""
    return lambda wildcards: " ".join(
        f"{flag} {shlex.quote(s)} {shlex.quote(pattern.format(sample=s))}"
        for s in samples
    )


def optional_file_arg(flag, name):
    """Params function: ``FLAG PATH`` for an optional input file ``name``, or nothing when it is not given."""
    return lambda wildcards, input: (
        f"{flag} {shlex.quote(input[name])}" if input[name] else ""
    )


def list_arg(flag, values):
    """``FLAG V1 V2 ...``, each value quoted, or nothing when ``values`` is empty."""
    return f"{flag} " + " ".join(shlex.quote(str(v)) for v in values) if values else ""


def flag_list_arg(flag, values):
    """``FLAG V1 V2 ...``, each value quoted; the flag alone for no values (where an empty list
    means something of its own: none skipped)."""
    return " ".join([flag, *(shlex.quote(str(v)) for v in values)])


def mode_args():
    """The flags of the modes (the comparisons of the leaderboard and paired.tsv): the base mode of a
    cohort whose models read other than the seed's sequence + marks (epibench.config.base_mode), and the models and baselines reading the neighbour context with its new
    model."""
    flags = (
        f"--base-mode {shlex.quote(SETUP.base_mode)}"
        if SETUP.base_mode != BASE_MODE
        else ""
    )
    if SETUP.context_models:
        names = " ".join(shlex.quote(name) for name in SETUP.context_models)
        flags += f" --neighbour-models {names}"
    if SETUP.context_new:
        flags += f" --new-with-neighbours {shlex.quote(SETUP.context_new)}"
    return flags


def sample_files(only=None):
    """label -> path of every methylation, coverage and mark file of the sample sheet, or of sample
    ``only``'s (a sample's methylation and coverage files labelled as ``calls_file_labels`` names
    them)."""
    files = {}
    rows = {only: ROWS[only]} if only else ROWS
    for sample, row in rows.items():
        labels = calls_file_labels(sample, len(row["methylation"]))
        for column in ["methylation", "coverage"]:
            files |= {
                f"{label}.{column}": path
                for label, path in zip(labels, row[column])
                if path
            }
        files |= {
            mark_label(sample, mark): row[mark] for mark in config["marks"] if row[mark]
        }
    return files


def sample_names_args(wildcards):
    """Params function: ``--input LABEL=PATH`` of each of the sample's files (``epibench
    chrom-names``; quoted for the shell)."""
    return " ".join(
        f"--input {shlex.quote(f'{label}={path}')}"
        for label, path in sample_files(wildcards.sample).items()
    )


def calls_file_args(wildcards):
    """Params function: ``--input PATH --format NAME [--coverage PATH]`` for each methylation file of
    the job's sample (``epibench ingest-split``; --coverage once per file or not at all; quoted for
    the shell)."""
    row = ROWS[wildcards.sample]
    args = [arg for path in row["methylation"] for arg in ("--input", path)]
    args += [arg for fmt in row["format"] for arg in ("--format", fmt)]
    if any(row["coverage"]):
        args += [arg for path in row["coverage"] for arg in ("--coverage", path)]
    return " ".join(shlex.quote(arg) for arg in args)


def sample_call_records(wildcards):
    """Input function of every per-sample rule: the check_inputs records of the sample's methylation
    files (epibench.io.input_records), not the cohort's tables. Each such rule names them, unread
    beyond ingest_split: after the checkpoint, Snakemake re-examines exactly the jobs that take its
    output, so a sample whose records are unchanged is not rerun when another comes or goes.
    """
    records = checkpoints.check_inputs.get().output.records
    n_files = len(ROWS[wildcards.sample]["methylation"])
    return [
        cg_check_record(records, label)
        for label in calls_file_labels(wildcards.sample, n_files)
    ]


def sample_mark_records(wildcards):
    """Input function of shards (of the per-sample jobs, the only ones reading marks), the check_inputs
    records of the sample's mark files; a mark added or dropped reruns its shards, not its ingest.
    """
    records = checkpoints.check_inputs.get().output.records
    return [
        lengths_record(records, mark_label(wildcards.sample, mark))
        for mark in config["marks"]
        if mark_file(wildcards.sample, mark)
    ]


def fit_calls_args(wildcards):
    """``epibench fit-calls`` arguments: each of the sample's methylation files, with its format and
    coverage file, under the label ``calls_file_labels`` gives it (quoted for the shell).
    """
    row = ROWS[wildcards.sample]
    args = []
    labels = calls_file_labels(wildcards.sample, len(row["methylation"]))
    for label, path, fmt, coverage in zip(
        labels, row["methylation"], row["format"], row["coverage"]
    ):
        args += ["--sample", f"{label}={path}", "--format", f"{label}={fmt}"]
        if coverage:
            args += ["--coverage", f"{label}={coverage}"]
    return " ".join(shlex.quote(arg) for arg in args)


def check_input_args(wildcards):
    """``epibench check-inputs`` arguments: every histone bigWig (``mark_file``), labelled
    ``mark_label``; quoted for the shell."""
    return " ".join(
        shlex.quote(arg)
        for sample, mark, path in all_marks()
        for arg in ("--bigwig", f"{mark_label(sample, mark)}={path}")
    )


# each covariate's levels in the cohort (every shards job's --covariates-json names them)
COVARIATE_LEVELS = {
    column: sorted(set(SAMPLES[column]) - {""}) for column in config["covariates"]
}


def sample_covariates(wildcards):
    """Params function: the sample's covariates as JSON for ``epibench shards --covariates-json``
    (each column's cell and the cohort's values; epibench.data.covariates encodes them).
    """
    return as_json(
        {
            column: {
                "value": ROWS[wildcards.sample][column],
                "levels": COVARIATE_LEVELS[column],
            }
            for column in config["covariates"]
        }
    )


def as_json(value):
    """A config value as a JSON string, for ``{params.x:q}`` on a command line."""
    return json.dumps(value, sort_keys=True)


def without(section, *keys):
    """A config section without ``keys`` (settings another rule or the launcher uses)."""
    return {k: v for k, v in config[section].items() if k not in keys}


def model_spec(wildcards):
    """Params function: the model's architecture (and transfer) settings as KEY=VALUE words, so that a
    rerun's reason reads ``'d_model=64'`` where one changed."""
    entry = TRAINED[wildcards.model]
    return as_words(
        {k: v for k, v in entry.items() if k not in TRAINING_KEYS + WORKFLOW_KEYS}
    )


def train_settings(wildcards):
    """Params function: the train settings that decide the model (with the model's own ones) as
    KEY=VALUE words, so that a rerun's reason reads ``'epochs=30'`` where a setting changed.
    """
    learned, _ = TRAIN_SETTINGS[wildcards.model]
    return as_words(learned)


def train_runtime(wildcards):
    """Resource: the train settings that only decide how training runs (num_workers, log_every,
    device...: epibench.train_settings.RUNTIME_KEYS) as JSON."""
    _, runtime = TRAIN_SETTINGS[wildcards.model]
    return as_json(runtime)


def pretrained_files(wildcards):
    """Input function: the files of the model a model entry starts from (none without pretrained)."""
    folder = TRAINED[wildcards.model].get("pretrained")
    return [f"{folder}/model.safetensors", f"{folder}/model.json"] if folder else []


def torchrun_prefix(wildcards, resources):
    """Params function: the launcher before ``epibench train`` (epibench.train.launch): nothing, torchrun
    with several GPUs, srun + torchrun with several nodes."""
    return launcher_prefix(int(config["train"]["gpus"]), int(resources.nodes))


def train_cpus(wildcards):
    """The train job's ``cpus_per_task`` (per node): train.threads and train.num_workers (DataLoader
    workers) for each training process, one per GPU of the node (one on a machine without).
    """
    train = config["train"]
    return max(1, train["gpus"]) * (train["threads"] + train["num_workers"])


def train_gpu_resource(wildcards):
    """The train job's ``gpu`` resource (sbatch --gpus, the job's total): train.gpus on one node; 0
    with several nodes, which ask for theirs per node through ``gres``."""
    return config["train"]["gpus"] if config["train"]["nodes"] == 1 else 0


def train_gres(wildcards):
    """The train job's ``gres`` (sbatch --gres, per node): gpu:<train.gpus> with several nodes, else ""."""
    return f"gpu:{config['train']['gpus']}" if config["train"]["nodes"] > 1 else ""


def plan_groups():
    """The shard groups of the plan (from the shard_plan checkpoint), in reference order."""
    path = checkpoints.shard_plan.get().output.groups
    return list(groups_of_plan(path, Path(path).stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def groups_of_plan(path, mtime_ns):
    """The groups of the plan file ``path`` as it was at ``mtime_ns``: read once, not for every job
    that asks (each sample's ingest_summary, qc, impute, every cohort-wide rule)."""
    return tuple(read_groups(path))


def sample_group_files(pattern, wildcards):
    """Input function body: ``pattern`` for the job's sample and every shard group."""
    return expand(pattern, sample=wildcards.sample, group=plan_groups())


def shard_dirs(wildcards):
    """Input function: every shard-group folder of the samples with methylation calls."""
    return expand(
        result("shards", "shards/{sample}/{group}"),
        sample=LABELLED,
        group=plan_groups(),
    )


def paths_word(name):
    """Params function: the job's input ``name`` (many paths: every sample's shard folders or CpG
    tables) as one JSON word the command expands (epibench.path_grids), so that the shell command
    stays short with hundreds of samples (a JSON list, not a grid, is one word: under 128 KiB).
    """
    return lambda wildcards, input: to_word(list(input[name]))


def train_shard_dirs(wildcards):
    """Input function: the shard folders a model trains on (its held-out samples' left out)."""
    held_out = TRAINED[wildcards.model].get("held_out_samples", [])
    return [d for d in shard_dirs(wildcards) if Path(d).parent.name not in held_out]


def predict_shard_dirs(wildcards):
    """Input function: the shard folders a model is scored on (only its held-out samples', if any)."""
    held_out = TRAINED[wildcards.model].get("held_out_samples")
    dirs = shard_dirs(wildcards)
    return [d for d in dirs if Path(d).parent.name in held_out] if held_out else dirs


def figure_inputs(wildcards):
    """Input function of ``figure``: what it draws from (``tables``): every predictions table (and
    the truth) for a curve, metrics.tsv for per_region, comparison.tsv for comparison.
    """
    if wildcards.figure == "per_region":
        return {"tables": rules.metrics.output[0], "truth": []}
    if wildcards.figure == "comparison":
        return {"tables": rules.compare.output[0], "truth": []}
    return {"tables": PREDICTIONS, "truth": config["truth"] or []}


def sample_cpgs(wildcards):
    """Input function: the sample's canonical CpG table of the group; none for a sample to predict."""
    if wildcards.sample in TO_PREDICT:
        return []
    return rules.ingest_group.output.table.format(**wildcards)


def unmade_result_stop(wildcards):
    """Input function of the unmade_result rule, which makes no file: stops the run naming the
    nearest file of the cohort."""
    raise WorkflowError(outputs.unmade_result_message(wildcards.path, PLAN, COHORT))


def other_cohort_stop(wildcards):
    """Input function of the other_cohort rule, which makes no file: stops the run saying what to do."""
    raise WorkflowError(
        other_cohort_target(
            f"results/{wildcards.other}/{wildcards.path}", config, workflow.configfiles
        )
    )
