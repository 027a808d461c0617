"""Bad-input suite, workflow config, sample sheet and covariates (generated cases).

The config and the sample sheet are checked by ``epibench.config.validate`` (the workflow calls it when
Snakemake parses the workflow) on generated damage: every config key set to a value of the wrong type or
range (NaN and infinity included, which JSON Schema bounds let through), unknown and missing keys; a
sample sheet cut at a random byte, with a row too long or too short, a sample twice, a bad name, a
directory or a missing file for a path, a mark column such as ``ATAC-seq``, or nothing in it. Each must
stop with a ConfigError naming the key or the sheet; a sound sheet comes back whole. Four cases go
through ``snakemake -n`` itself. Covariate cells are encoded by ``epibench.data.covariates`` as its
docstring says, or refused with an InputError.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import cut_points
from conftest import REPO, copy_workflow, count_case
from epibench import config as cohort_config
from epibench.config import ConfigError
from epibench.data.covariates import encode_covariates
from epibench.errors import InputError

SCHEMA = cohort_config.load_schema("config")
MARKS = ["H3K4me3", "ATAC-seq"]  # a mark name that is no Python identifier
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> dict:
    """Files a config can name (their content is not read by validate) and a sound config and sheet."""
    root = tmp_path_factory.mktemp("config_cohort")
    for name in ("genome.fa", "genes.gtf", "s1.bed", "s2.bed", "s3.bed"):
        (root / name).write_text("x\n")
    for sample in ("s1", "s2", "s3"):
        for mark in MARKS:
            (root / f"{sample}.{mark}.bw").write_text("x\n")
    (root / "a_folder").mkdir()
    config = yaml.safe_load((REPO / "tests" / "workflow" / "tiny.yaml").read_text())
    config.update(
        samples=str(root / "samples.tsv"), marks=MARKS, covariates=["condition", "purity"], truth=""
    )
    config["reference"] = {"fasta": str(root / "genome.fa"), "gtf": str(root / "genes.gtf")}
    config["learning_curve"]["pretrained"] = ""
    header = ["sample", "methylation", "format", "condition", "purity", *MARKS]
    rows = [
        [s, str(root / f"{s}.bed"), "bedmethyl", c, p, *(str(root / f"{s}.{m}.bw") for m in MARKS)]
        for s, c, p in (("s1", "normal", "1.0"), ("s2", "tumour", "0.7"), ("s3", "tumour", ""))
    ]
    (root / "samples.tsv").write_text("".join("\t".join(row) + "\n" for row in [header, *rows]))
    return {"root": root, "config": config, "header": header, "rows": rows}


def validate(config: dict):
    """validate() on a copy (it fills defaults in)."""
    return cohort_config.validate(copy.deepcopy(config))


# --- config keys ------------------------------------------------------------------------------


def leaves(schema: dict, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict]]:
    """(key path, schema) of every key the schema describes with properties of its own."""
    out = []
    for key, sub in schema.get("properties", {}).items():
        if "properties" in sub:
            out += leaves(sub, path + (key,))
        elif key != "models":
            out.append((path + (key,), sub))
    return out


def bad_values(schema: dict) -> list:
    """Values ``schema`` refuses, or that the workflow cannot use though JSON Schema bounds pass them."""
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "enum" in schema:
        return ["bogus", 3]
    # a list key's null (YAML's `marks:` with nothing after it) reads as [], refused only below minItems
    null_refused = "null" not in types and ("array" not in types or schema.get("minItems", 0) > 0)
    out = [None] if null_refused else []
    if "integer" in types:
        out += ["12", 1.5, True, math.nan, math.inf, 100.0]
    elif "number" in types:
        out += ["0.5", True, math.nan, math.inf, -math.inf]
    elif "boolean" in types:
        out += ["yes", 1]
    elif "array" in types:
        out += ["x", {"a": 1}, [{"a": 1}]]
    elif "string" in types:
        out += [5, ["a"], {"a": 1}]
    for bound, step in (("minimum", -1), ("exclusiveMinimum", 0), ("maximum", 1)):
        if bound in schema:
            out.append(schema[bound] + step)
    if "pattern" in schema:
        out.append("a name with spaces/and slashes")
    return out


KEYS = leaves(SCHEMA)
MUTATIONS = st.one_of(
    st.sampled_from(KEYS).flatmap(
        lambda leaf: st.tuples(st.just("set"), st.just(leaf[0]), st.sampled_from(bad_values(leaf[1])))
    ),
    st.tuples(
        st.just("unknown"), st.sampled_from([(), *{p[:1] for p, s in KEYS if len(p) > 1}]), st.just("windwo")
    ),
    st.tuples(st.just("missing"), st.sampled_from([(k,) for k in SCHEMA["required"]]), st.none()),
)


@settings(max_examples=200, **SETTINGS)
@given(mutation=MUTATIONS)
def test_a_bad_config_value_names_its_key(mutation, cohort):
    """A config key of the wrong type or range, unknown or missing: a ConfigError naming it."""
    count_case("config")
    kind, path, value = mutation
    config = copy.deepcopy(cohort["config"])
    section = config
    for key in path[:-1] if kind != "unknown" else path:
        section = section.setdefault(key, {})
    if kind == "set":
        section[path[-1]] = value
    elif kind == "unknown":
        section[value] = 1
    else:
        del section[path[-1]]
    with pytest.raises(Exception) as info:
        validate(config)
    assert info.type is ConfigError, f"{info.type.__name__}: {info.value}"
    assert (value if kind == "unknown" else path[-1]) in str(info.value)


# --- the sample sheet -------------------------------------------------------------------------

SHEET_DAMAGE = [
    "intact",
    "truncate",
    "long row",
    "short row",
    "twice",
    "bad name",
    "folder",
    "missing",
    "windows-1252",
    "undecodable",
    "empty rows",
    "open quote",
    "empty",
]


@st.composite
def sheets(draw, cohort: dict) -> tuple[bytes, list[str] | None]:
    """(sample sheet bytes, the samples validate must return, or None for a ConfigError)."""
    header, rows = cohort["header"], [list(row) for row in cohort["rows"]]
    damage = draw(st.sampled_from(SHEET_DAMAGE))
    i = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from([1, 5, 6]))  # methylation or a mark
    if damage == "long row":
        rows[i].insert(draw(st.integers(0, len(rows[i]))), "x")
    elif damage == "short row":
        del rows[i][-draw(st.integers(1, 3)) :]
    elif damage == "twice":
        rows.insert(draw(st.integers(0, len(rows))), list(rows[i]))
    elif damage == "bad name":
        rows[i][0] = draw(st.sampled_from(["s 1", "s/1", "plan", "", "s1;rm"]))
    elif damage == "folder":
        rows[i][column] = str(cohort["root"] / "a_folder")
    elif damage == "missing":
        rows[i][column] = str(cohort["root"] / "no_such.bw")
    elif damage == "open quote":
        rows[i][column] = '"' + rows[i][column]
    lines = ["# the cohort", "\t".join(header), *("\t".join(row) for row in rows)]
    if damage == "empty rows":  # a spreadsheet's: a tab after every cell, rows of empty cells
        lines = [line + "\t" for line in lines]
        lines.insert(draw(st.integers(2, len(lines))), "\t" * draw(st.integers(0, len(header) + 1)))
    data = ("".join(line + "\n" for line in lines)).encode()
    if damage == "windows-1252":  # Excel's tab-delimited text on Windows: a category with an accent
        return data.replace(b"tumour", "tumour\xe9".encode("cp1252"), 1), [row[0] for row in rows]
    if damage == "undecodable":  # 0x81: neither UTF-8 nor Windows-1252
        return data.replace(b"tumour", b"tumour\x81", 1), None
    if damage == "empty":
        return draw(st.sampled_from([b"", b"# nothing\n", "\t".join(header).encode() + b"\n"])), None
    if damage == "truncate":  # sound only when cut after a row (its line end or not) and a row is left
        starts = [len("".join(line + "\n" for line in lines[:k])) for k in range(len(lines))]
        line_ends = [start + len(line) + end for start, line in zip(starts, lines) for end in (0, 1)]
        cut = draw(st.one_of(cut_points(len(data)), st.sampled_from(line_ends)))
        if any(start < cut < start + len(line) for start, line in zip(starts, lines)):
            return data[:cut], None  # a line cut short
        whole = sum(start + len(line) <= cut for start, line in zip(starts, lines))
        return data[:cut], [row[0] for row in rows[: whole - 2]] if whole > 2 else None
    return data, [row[0] for row in rows] if damage in ("intact", "empty rows") else None


@settings(max_examples=120, **SETTINGS)
@given(data=st.data())
def test_a_bad_sample_sheet_names_it(data, cohort):
    """A damaged sample sheet: a ConfigError naming it; a sound one (maybe cut after a row)
    comes back whole."""
    count_case("config")
    sheet, want = data.draw(sheets(cohort))
    config = cohort["config"] | {"samples": str(cohort["root"] / "damaged.tsv")}
    Path(config["samples"]).write_bytes(sheet)
    if want is None:
        with pytest.raises(Exception) as info:
            validate(config)
        assert info.type is ConfigError, f"{info.type.__name__}: {info.value}"
        assert config["samples"] in str(info.value)
        return
    got = validate(config)
    assert got.index.tolist() == want
    assert got.loc[want, MARKS].values.tolist() == [row[5:] for row in cohort["rows"] if row[0] in want]


def test_a_methylation_only_cohort_is_valid(cohort, tmp_path):
    """No marks key and no mark column: every sample with methylation calls, marks filled in as []."""
    sheet = tmp_path / "methylation_only.tsv"
    sheet.write_text("".join("\t".join(row[:5]) + "\n" for row in [cohort["header"], *cohort["rows"]]))
    config = copy.deepcopy(cohort["config"]) | {"samples": str(sheet)}
    del config["marks"]
    got = cohort_config.validate(config)
    assert config["marks"] == [] and got.index.tolist() == ["s1", "s2", "s3"]


# --- through snakemake -n ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        "empty sample sheet",
        "NaN min_cg_share",
        "a sample to predict, no marks",
        "a results file",
        "a target of another cohort",
        "a misspelt target of the cohort",
    ],
)
def test_snakemake_dry_run_stops_with_the_message(damage, cohort, tmp_path):
    """``snakemake -n`` in a copy of the workflow stops on the damage with the message validate()
    gives: a few lines naming the file and the key, never the schema."""
    count_case("config")
    root = copy_workflow(tmp_path / "repo")
    config = copy.deepcopy(cohort["config"])
    config_files = ["config/bad.yaml"]
    targets: list[str] = []
    if damage == "a sample to predict, no marks":
        del config["marks"]
        config["samples"] = str(tmp_path / "to_predict.tsv")
        rows = [[*row[:5]] for row in cohort["rows"]]
        rows[2][1:3] = ["", ""]  # s3: no methylation calls, no format
        lines = [cohort["header"][:5], *rows]
        Path(config["samples"]).write_text("".join("\t".join(line) + "\n" for line in lines))
        expected = [config["samples"], "samples ['s3'] have no methylation calls", "'marks' is empty"]
    elif damage == "a results file":  # `snakemake --configfile c.yaml results/x/models/m/model.json`
        (root / "results").mkdir()
        model_json = {"format": "epibench-model", "marks": config["marks"], "window": 1000, "arch": "cnn"}
        (root / "results" / "model.json").write_text(json.dumps(model_json))
        config_files.append("results/model.json")
        expected = [
            "unknown key(s) arch, format, window",
            "results/model.json is no EpiBench config file",
            "name targets first",
        ]
    elif damage == "a target of another cohort":  # `snakemake results/liver/...` without its --configfile
        targets = ["results/liver/evaluation/leaderboard.tsv"]
        config.pop("variants")  # the tiny cohort's variants name its sample1: a sound config otherwise
        expected = [
            "results/liver/evaluation/leaderboard.tsv is of cohort 'liver'",
            "--configfile config/liver.yaml",
        ]
    elif damage == "a misspelt target of the cohort":  # Snakemake alone: "No rule to produce"
        own = f"results/{config['cohort']}/evaluation"
        targets = [f"{own}/leaderbord.tsv"]
        config.pop("variants")
        expected = [
            f"{own}/leaderbord.tsv is no file of the workflow",
            f"did you mean {own}/leaderboard.tsv?",
        ]
    elif damage == "empty sample sheet":
        config["samples"] = str(tmp_path / "empty.tsv")
        (tmp_path / "empty.tsv").write_text("")
        expected = [str(tmp_path / "empty.tsv"), "cannot read the sample sheet"]
    else:
        config["ingest"] = {"min_cg_share": math.nan}
        expected = ["ingest.min_cg_share", "not a finite number"]
    (root / "config" / "bad.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *targets, "--configfile", *config_files],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert all(text in output for text in expected), output[-2000:]
    message = output.split("Building DAG of jobs...")[-1]  # after the run's header, where there is one
    assert len(message.splitlines()) < 15 and "properties" not in output, output[-2000:]


# --- covariates -------------------------------------------------------------------------------

NUMBERS = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:g}")
CATEGORIES = st.sampled_from(["tumour", "normal", "stage II", "1a"])
NON_FINITE = st.sampled_from(["inf", "-inf", "nan", "NaN", "1e999", "Infinity", " inf "])


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_covariates_encode_as_documented_or_are_refused(data):
    """Numeric, categorical, padded, empty and non-finite cells: the documented features, or an InputError."""
    count_case("covariates")
    spec, want = {}, {}
    refused = False
    for column in ("purity", "condition", "batch")[: data.draw(st.integers(1, 3))]:
        cell = st.one_of(NUMBERS, CATEGORIES, NON_FINITE) if data.draw(st.booleans()) else NUMBERS
        levels = data.draw(st.lists(cell, min_size=1, max_size=4))
        value = data.draw(st.sampled_from(["", *levels, "not a level"]))
        padded = data.draw(st.sampled_from(["", " "]))
        spec[column] = {"value": padded + value + padded, "levels": levels}
        stripped = [level.strip() for level in levels]
        numbers = [_number(level) for level in stripped]
        if (value and value.strip() not in stripped) or any(
            n is not None and not math.isfinite(n) for n in numbers
        ):
            refused = True
        elif all(n is not None for n in numbers):
            want[column] = _number(value.strip()) if value else None
        else:
            for level in sorted(set(stripped)):
                want[f"{column}={level}"] = (1.0 if value.strip() == level else 0.0) if value else None
    if refused:
        with pytest.raises(Exception) as info:
            encode_covariates(spec)
        assert info.type is InputError, f"{info.type.__name__}: {info.value}"
        assert "covariate" in str(info.value)
        return
    assert encode_covariates(spec) == want


def _number(text: str) -> float | None:
    """``text`` as a number if it reads as one (the docstring's 'parses as a number')."""
    try:
        return float(text)
    except ValueError:
        return None
