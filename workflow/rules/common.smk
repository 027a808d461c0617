# Helpers shared by all rules: config and sample-sheet validation, paths, parameters.
import json
import math
import shlex
import sys
import warnings
from pathlib import Path

import jsonschema
import pandas as pd
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate as validate_schema


def validate(config, config_files=()):
    """Check config and sample sheet against the schemas (filling defaults); every named file must exist.
    config_files: the YAML/JSON files the config came from (named in the messages)."""
    schema_path = workflow.source_path("../schemas/config.schema.yaml")
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    try:
        validate_schema(config, schema_path)
    # Snakemake raises its WorkflowError while handling jsonschema's error, which says more
    except WorkflowError as exc:
        if not isinstance(exc.__context__, jsonschema.ValidationError):
            raise
        raise WorkflowError(
            config_error_message(exc.__context__, config_files)
        ) from None
    check_numbers(config, schema)
    missing = [
        f"{key}: {path}"
        for key, path in [
            ("samples", config["samples"]),
            ("reference.fasta", config["reference"]["fasta"]),
            ("reference.gtf", config["reference"]["gtf"]),
            ("reference.enhancers", config["reference"]["enhancers"]),
            ("reference.cpg_islands", config["reference"]["cpg_islands"]),
            ("reference.blacklist", config["reference"]["blacklist"]),
            ("reference.tads", config["reference"]["tads"]),
            ("reference.loops", config["reference"]["loops"]),
            ("truth", config["truth"]),
        ]
        if path and not Path(path).is_file()
    ]
    if missing:
        raise WorkflowError(
            "config names files that do not exist (or are not files):\n  "
            + "\n  ".join(missing)
        )
    sheet = read_sample_sheet(config["samples"])
    if "coverage" not in sheet.columns:
        sheet["coverage"] = ""
    if "format" in sheet.columns:  # an empty cell: detect the format
        sheet["format"] = sheet["format"].replace("", "auto")
    absent_marks = [
        m for m in [*config["marks"], *config["covariates"]] if m not in sheet.columns
    ]
    if absent_marks:
        raise WorkflowError(
            f"{config['samples']}: config marks/covariates {absent_marks} have no column in the sample sheet"
        )
    try:  # its message names the row (0-based) and the field, not the file
        validate_schema(sheet, workflow.source_path("../schemas/samples.schema.yaml"))
    except WorkflowError as exc:
        raise WorkflowError(f"{config['samples']}: {exc}") from exc
    if "plan" in set(sheet["sample"]):
        raise WorkflowError(
            f"{config['samples']}: 'plan' is reserved (results/<cohort>/shards/plan); rename that sample"
        )
    if sheet["sample"].duplicated().any():
        dup = sorted(sheet.loc[sheet["sample"].duplicated(), "sample"])
        raise WorkflowError(f"{config['samples']}: duplicated sample names {dup}")
    if not (sheet["methylation"] != "").any():
        raise WorkflowError(
            f"{config['samples']}: no sample has methylation calls to train on"
        )
    to_predict = sorted(sheet.loc[sheet["methylation"] == "", "sample"])
    if to_predict and not config["marks"]:
        raise WorkflowError(
            f"{config['samples']}: samples {to_predict} have no methylation calls, so they would be "
            "predicted from their histone marks, but config 'marks' is empty: give them methylation "
            "calls, or name their marks in 'marks' with a bigWig column each"
        )
    # records, not itertuples: a mark such as ATAC-seq is no Python identifier
    for row in sheet.to_dict("records"):
        if row["coverage"] and not row["methylation"]:
            raise WorkflowError(
                f"{config['samples']}: sample {row['sample']} has a coverage file but no methylation calls"
            )
        for column in ["methylation", "coverage", *config["marks"]]:
            path = row[column]
            if column in ("methylation", "coverage") and not path:
                continue  # coverage is optional; no methylation: a sample to predict
            if not path or not Path(path).is_file():
                raise WorkflowError(
                    f"{config['samples']}: sample {row['sample']}, column {column}: file {path!r} "
                    "does not exist (or is not a file)"
                )
    window, bin_size = config["shards"]["window"], config["shards"]["bin_size"]
    if window % bin_size or window % 2:
        raise WorkflowError(
            f"shards.window ({window}) must be even and a multiple of shards.bin_size ({bin_size})"
        )
    for key in ("original", "new"):
        if config["evaluate"][key] not in config["models"]:
            raise WorkflowError(
                f"evaluate.{key} {config['evaluate'][key]!r} is not a model in 'models'"
            )
    names = [
        *config["models"],
        *config["evaluate"]["baselines"],
        *config["evaluate"]["ensembles"],
    ]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise WorkflowError(
            f"models, evaluate.baselines and evaluate.ensembles share the names {clash}"
        )
    for name, members in config["evaluate"]["ensembles"].items():
        unknown = [m for m in members if m not in config["models"]]
        if unknown:
            raise WorkflowError(
                f"evaluate.ensembles.{name}: {unknown} are not models in 'models'"
            )
    curve_model = config["learning_curve"]["model"]
    if curve_model and curve_model not in config["models"]:
        raise WorkflowError(
            f"learning_curve.model {curve_model!r} is not a model in 'models'"
        )
    if config["attribute"]["model"] not in config["models"]:
        raise WorkflowError(
            f"attribute.model {config['attribute']['model']!r} is not a model in 'models'"
        )
    return sheet.set_index("sample", drop=False)


def schema_summary(schema):
    """What a config key allows, in words: its description, type, choices and bounds."""
    parts = [schema["description"]] if "description" in schema else []
    if "enum" in schema:
        parts.append("one of " + ", ".join(map(str, schema["enum"])))
    elif "type" in schema:
        kind = schema["type"]
        parts.append(" or ".join(kind) if isinstance(kind, list) else kind)
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (
            ("minimum", ">="),
            ("exclusiveMinimum", ">"),
            ("maximum", "<="),
        )
        if key in schema
    ]
    if "minItems" in schema:
        bounds.append(f"at least {schema['minItems']} item(s)")
    if "pattern" in schema:
        bounds.append(f"matching {schema['pattern']}")
    return "; ".join(parts + bounds)


def config_error_message(error, config_files):
    """One message for a config that fails the schema: the files, the key, what was wrong and what is
    allowed (never the schema itself). A file whose keys are all unknown is no config file: most
    often a target that followed --configfile on the command line."""
    where = ", ".join(map(shown_path, config_files)) or "config"
    key = "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
    ).lstrip(".")
    properties = error.schema.get("properties", {})
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        lines = [
            f"{where}: missing key {'.'.join(filter(None, [key, m]))!r}: {schema_summary(properties.get(m, {}))}"
            for m in missing
        ]
        return "\n".join(lines)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = sorted(set(error.instance) - set(properties))
        message = (
            f"{where}: unknown key(s) {', '.join(unknown)} in {key or 'the top level'}; "
            f"allowed there: {', '.join(properties)}"
        )
        strangers = (
            []
            if key
            else [f for f in config_files if not config_keys(f) & set(properties)]
        )
        if strangers:
            message += (
                f"\n{', '.join(map(shown_path, strangers))} is no EpiBench config file (none of its keys is a config key). "
                "Snakemake's --configfile takes every word after it as a config file: name targets first, "
                "snakemake results/<cohort>/report/index.html --configfile config/<cohort>.yaml"
            )
        return message
    return f"{where}: {key or 'the config'}: {error.message}; allowed: {schema_summary(error.schema)}"


def shown_path(path):
    """``path`` relative to the working directory when it lies below it."""
    path = Path(path)
    return (
        str(path.relative_to(Path.cwd()))
        if path.is_relative_to(Path.cwd())
        else str(path)
    )


def config_keys(path):
    """The top-level keys of a YAML/JSON config file (none when it is no mapping)."""
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set()
    return set(data) if isinstance(data, dict) else set()


def read_sample_sheet(path):
    """The sample sheet as strings ("" for an empty cell). A sheet pandas cannot read as a header
    row and tab-separated rows (empty, a row with more fields than the header, not UTF-8) is a
    WorkflowError naming it."""
    try:
        with warnings.catch_warnings():
            # index_col=False: a row longer than the header is an error, not an index column
            warnings.simplefilter("error", pd.errors.ParserWarning)
            sheet = pd.read_csv(path, sep="\t", dtype=str, comment="#", index_col=False)
    except (
        pd.errors.EmptyDataError,
        pd.errors.ParserError,
        pd.errors.ParserWarning,
        UnicodeDecodeError,
    ) as exc:
        raise WorkflowError(
            f"{path}: cannot read the sample sheet (a header row, then one tab-separated row "
            f"per sample): {exc}"
        )
    return sheet.fillna("")


def check_numbers(value, schema, key="config"):
    """Raise WorkflowError for a number the schema lets through that the workflow cannot use:
    NaN or infinite (YAML .nan/.inf pass JSON Schema bounds), or a float such as 1000.0 where
    the schema wants an integer. ``key``: where ``value`` sits, for the message."""
    if isinstance(value, float):
        types = schema.get("type", [])
        if not math.isfinite(value):
            raise WorkflowError(f"{key}: {value} is not a finite number")
        if "integer" in (types if isinstance(types, list) else [types]):
            raise WorkflowError(f"{key}: {value} must be an integer")
    elif isinstance(value, dict):
        for name, item in value.items():
            sub = schema.get("properties", {}).get(
                name, schema.get("additionalProperties")
            )
            check_numbers(item, sub if isinstance(sub, dict) else {}, f"{key}.{name}")
    elif isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            check_numbers(
                item, items if isinstance(items, dict) else {}, f"{key}[{index}]"
            )


SAMPLES = validate(config, workflow.configfiles)

# The rules run `epibench` (and `torchrun`): where no activated environment puts them on PATH (the
# venv's Snakemake run with nothing activated), those beside the Python that runs Snakemake. Appended,
# so an activated environment or a rule's own conda environment comes first. The folder is not resolved:
# a venv's python is a link to the system's, whose folder has no epibench.
shell.prefix(f'export PATH="$PATH":{shlex.quote(str(Path(sys.executable).parent))}; ')

# samples with methylation calls (trained and scored on), and those to predict (marks only)
LABELLED = [s for s in SAMPLES.index if SAMPLES.loc[s, "methylation"]]
TO_PREDICT = [s for s in SAMPLES.index if not SAMPLES.loc[s, "methylation"]]
COHORT = config["cohort"]
RESULTS = f"results/{COHORT}"
LOGS = f"logs/{COHORT}"
BENCH = f"{LOGS}/benchmarks"
MODELS = list(config["models"])
TRANSFER_KEYS = ("pretrained", "freeze", "mark_map")
# keys of a model entry that are training settings, not architecture
TRAINING_KEYS = ("seed", "fraction")


def curve_models():
    """The learning curve's runs: name -> model entry (the curve model at each fraction, from
    scratch and, with learning_curve.pretrained, fine-tuned)."""
    curve = config["learning_curve"]
    if not curve["model"]:
        return {}
    base = {
        k: v
        for k, v in config["models"][curve["model"]].items()
        if k not in TRANSFER_KEYS
    }
    runs = {}
    for fraction in curve["fractions"]:
        label = f"{fraction * 100:g}".replace(".", "p") + "pct"
        runs[f"{curve['model']}_scratch_{label}"] = base | {"fraction": fraction}
        if curve["pretrained"]:
            runs[f"{curve['model']}_finetuned_{label}"] = base | {
                "fraction": fraction,
                "pretrained": curve["pretrained"],
                "freeze": curve["freeze"],
            }
    return runs


CURVE_MODELS = curve_models()


def held_out_models():
    """Leave-one-sample-out runs: name -> the new model's entry with the sample it must not see."""
    if not config["evaluate"]["leave_one_sample_out"]:
        return {}
    if len(LABELLED) < 2:
        raise WorkflowError(
            "evaluate.leave_one_sample_out needs two or more samples with methylation calls"
        )
    new = config["evaluate"]["new"]
    return {
        f"{new}_without_{s}": config["models"][new] | {"held_out_sample": s}
        for s in LABELLED
    }


HELD_OUT_MODELS = held_out_models()
# every model to train: the cohort's models, the learning curve's and leave-one-sample-out runs
TRAINED = config["models"] | CURVE_MODELS | HELD_OUT_MODELS
# keys of a model entry only the workflow reads
WORKFLOW_KEYS = ("held_out_sample",)
# The models' input channels beside the sequence (epibench.data.dataset) are the marks, the 3D-genome
# features and the covariates. Without any (a methylation-only cohort) the models read the sequence alone:
# there is no mark to ablate, no histone attribution or attention, and gbm_histone, with no histone feature
# to read, runs as gbm_region (epibench.evaluate.baselines).
SEQUENCE_ONLY = not (
    config["marks"]
    or config["covariates"]
    or config["reference"]["tads"]
    or config["reference"]["loops"]
)
BASELINES = list(
    dict.fromkeys(
        "gbm_region" if name == "gbm_histone" and SEQUENCE_ONLY else name
        for name in config["evaluate"]["baselines"]
    )
)
ENSEMBLES = config["evaluate"]["ensembles"]
# every predictions table the evaluation reads: the trained models', the baselines' and the ensembles'
PREDICTIONS = expand(
    f"{RESULTS}/evaluation/predictions/{{model}}.parquet",
    model=MODELS + BASELINES + list(ENSEMBLES),
)
INTERPRET_FIGURES = [
    "sequence_attribution",
    *([] if SEQUENCE_ONLY else ["histone_attribution", "attention"]),
    "cpg_explanations",
]
EVALUATION_FILES = [
    f"{RESULTS}/evaluation/{name}"
    for name in (
        "metrics.tsv",
        "comparison.tsv",
        "leaderboard.tsv",
        *(
            f"{figure}.png"
            for figure in ("roc", "pr", "pred_vs_obs", "per_region", "comparison")
        ),
        *(
            f"ablation/{config['evaluate']['new']}.{suffix}"
            for suffix in ("tsv", "png")
            if config["evaluate"]["ablation"] and not SEQUENCE_ONLY
        ),
        *(["learning_curve.tsv", "learning_curve.png"] if CURVE_MODELS else []),
        *(["by_covariate.tsv", "by_covariate.png"] if config["covariates"] else []),
        *(["loso.tsv", "loso.png"] if HELD_OUT_MODELS else []),
        *(
            f"ensembles/{name}.{suffix}"
            for name in ENSEMBLES
            for suffix in ("members.tsv", "calibration.tsv", "png")
        ),
    )
]


wildcard_constraints:
    sample="|".join(SAMPLES.index),
    model="|".join(TRAINED),
    baseline="|".join(BASELINES) or "^$",
    ensemble="|".join(ENSEMBLES) or "^$",
    group="[^/]+",


def sample_file(column):
    """Input function: the sample sheet's ``column`` for the job's sample."""
    return lambda wildcards: SAMPLES.loc[wildcards.sample, column]


def mark_args(wildcards):
    """``--mark NAME=PATH`` arguments of a sample, in config order (paths quoted for the shell)."""
    row = SAMPLES.loc[wildcards.sample]
    return " ".join(f"--mark {shlex.quote(f'{m}={row[m]}')}" for m in config["marks"])


def input_track_args(wildcards):
    """``--input SAMPLE MARK PATH`` for every sample's histone bigWig (the datahub shows them beside the predictions)."""
    return " ".join(
        f"--input {shlex.quote(s)} {shlex.quote(m)} {shlex.quote(SAMPLES.loc[s, m])}"
        for s in SAMPLES.index
        for m in config["marks"]
    )


def optional_file_arg(flag, name):
    """Params function: ``FLAG PATH`` for an optional input file ``name``, or nothing when it is not given."""
    return lambda wildcards, input: (
        f"{flag} {shlex.quote(input[name])}" if input[name] else ""
    )


def sample_files():
    """label -> path of every methylation, coverage and mark file of the sample sheet."""
    files = {}
    for sample, row in SAMPLES.iterrows():
        for column in ["methylation", "coverage", *config["marks"]]:
            if row[column]:
                files[f"{sample}.{column}"] = row[column]
    return files


def check_input_args(wildcards):
    """``epibench check-inputs`` arguments: every sample's methylation file, format and coverage
    file, and every histone bigWig (quoted for the shell)."""
    args = []
    for sample, row in SAMPLES.iterrows():
        if row["methylation"]:
            args += [
                "--sample",
                f"{sample}={row['methylation']}",
                "--format",
                f"{sample}={row.get('format') or 'auto'}",
            ]
        if row["coverage"]:
            args += ["--coverage", f"{sample}={row['coverage']}"]
        args += [
            arg
            for m in config["marks"]
            for arg in ("--bigwig", f"{sample}.{m}={row[m]}")
        ]
    return " ".join(shlex.quote(arg) for arg in args)


def sample_covariates(wildcards):
    """Params function: the sample's covariates as JSON for ``epibench shards --covariates-json``
    (each column's cell and the cohort's values; epibench.data.covariates encodes them).
    """
    return as_json(
        {
            column: {
                "value": SAMPLES.loc[wildcards.sample, column],
                "levels": sorted(set(SAMPLES[column]) - {""}),
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
    """Params function: the model's architecture (and transfer) settings as JSON."""
    entry = TRAINED[wildcards.model]
    return as_json(
        {k: v for k, v in entry.items() if k not in TRAINING_KEYS + WORKFLOW_KEYS}
    )


def train_settings(wildcards):
    """Params function: the train settings as JSON, with the model's own seed and fraction."""
    entry = TRAINED[wildcards.model]
    own = {k: entry[k] for k in TRAINING_KEYS if k in entry}
    return as_json(without("train", "gpus", "threads") | own)


def pretrained_files(wildcards):
    """Input function: the files of the model a model entry starts from (none without pretrained)."""
    folder = TRAINED[wildcards.model].get("pretrained")
    return [f"{folder}/model.safetensors", f"{folder}/model.json"] if folder else []


def torchrun_prefix(wildcards, resources):
    """Params function: ``torchrun`` (DDP, one process per GPU) when the job has several GPUs, else nothing."""
    if resources.gpu <= 1:
        return ""
    return f"torchrun --standalone --nproc-per-node {shlex.quote(str(resources.gpu))} --no-python"


def plan_groups():
    """The shard groups of the plan (from the shard_plan checkpoint), in reference order."""
    groups = pd.read_csv(
        checkpoints.shard_plan.get().output.groups, sep="\t", dtype=str
    )
    return list(groups["group"].unique())


def sample_group_files(pattern, wildcards):
    """Input function body: ``pattern`` for the job's sample and every shard group."""
    return expand(pattern, sample=wildcards.sample, group=plan_groups())


def shard_dirs(wildcards):
    """Input function: every shard-group folder of the samples with methylation calls."""
    return expand(
        f"{RESULTS}/shards/{{sample}}/{{group}}",
        sample=LABELLED,
        group=plan_groups(),
    )


def train_shard_dirs(wildcards):
    """Input function: the shard folders a model trains on (a held-out sample's left out)."""
    held_out = TRAINED[wildcards.model].get("held_out_sample")
    return [d for d in shard_dirs(wildcards) if Path(d).parent.name != held_out]


def predict_shard_dirs(wildcards):
    """Input function: the shard folders a model is scored on (only its held-out sample's, if any)."""
    held_out = TRAINED[wildcards.model].get("held_out_sample")
    dirs = shard_dirs(wildcards)
    return [d for d in dirs if Path(d).parent.name == held_out] if held_out else dirs


def sample_cpgs(wildcards):
    """Input function: the sample's canonical CpG table of the group; none for a sample to predict."""
    if wildcards.sample in TO_PREDICT:
        return []
    return rules.ingest.output.table.format(**wildcards)
