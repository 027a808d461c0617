"""A cohort's config: checked against the schemas (epibench/schemas/, defaults filled in), its sample
sheet read and checked, and what the workflow derives from both (``CohortSetup``).

``setup(config, config_files)`` is all the workflow calls (workflow/rules/common.smk); a problem is a
``ConfigError`` naming the config file or the sample sheet, the key or row, what was wrong and what
is allowed.
"""

from __future__ import annotations

import copy
import csv
import difflib
import logging
import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pandas as pd
import yaml
from jsonschema import Draft202012Validator, validators

from epibench import columns_format
from epibench.covariate_numbers import is_numeric
from epibench.errors import InputError
from epibench.file_hints import nearest_name_hint
from epibench.model_settings import DEFAULTS as MODEL_DEFAULTS
from epibench.outputs import CohortPlan
from epibench.sample_names import sample_name
from epibench.sheet_marks import warn_of_mark_file_names
from epibench.train_settings import MACHINE_KEYS, RUNTIME_KEYS
from epibench.train_settings import split as split_train_settings

log = logging.getLogger(__name__)

SCHEMAS = Path(__file__).with_name("schemas")
# keys of a model entry that say where its weights start from
TRANSFER_KEYS = ("pretrained", "freeze", "mark_map")
# keys of a model entry only the workflow reads
WORKFLOW_KEYS = ("held_out_samples",)
# sample names a message lists at most (a cohort of hundreds would fill the screen)
SHOWN_SAMPLES = 20


def model_train_settings(train: dict, entry: dict) -> tuple[dict, dict]:
    """A trained model's ``epibench train`` settings from the config's ``train`` section and the
    model's entry (its own TRAINING_KEYS win; the machine's keys left out but for the processes they
    make, gpus x nodes, which decide the effective batch), as (those that decide the trained model,
    those that only decide how training runs: epibench.train_settings)."""
    own = {k: entry[k] for k in TRAINING_KEYS if k in entry}
    settings = {k: v for k, v in train.items() if k not in MACHINE_KEYS}
    processes = train.get("gpus", 1) * train.get("nodes", 1)
    return split_train_settings(settings | own | {"processes": processes})


class ConfigError(InputError):
    """A config or sample sheet the workflow cannot run: the message says where and what."""


def _with_defaults(validator_class):
    """A validator class that fills each missing property with its schema default (a copy) before
    checking it (the jsonschema FAQ's recipe, as Snakemake's validate does)."""
    check_properties = validator_class.VALIDATORS["properties"]

    def fill_then_check(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": fill_then_check})


FILLING_VALIDATOR = _with_defaults(Draft202012Validator)


def load_schema(name: str) -> dict:
    """``epibench/schemas/<name>.schema.yaml``."""
    return yaml.safe_load((SCHEMAS / f"{name}.schema.yaml").read_text())


TRAIN_SCHEMA = load_schema("config")["properties"]["train"]  # what a model's own train setting may be
# train settings the cohort shares: read by other rules too (the baselines normalise the marks alike)
COHORT_TRAIN_KEYS = ("histone_norm",)
# keys of a model entry that are training settings, not architecture: its own value of every train:
# setting that decides the trained model (not the machine's, the runtime ones or the cohort's), or
# the learning curve's fraction and passes
TRAINING_KEYS = (
    "fraction",
    "passes",
    *(
        key
        for key in TRAIN_SCHEMA["properties"]
        if key not in (*MACHINE_KEYS, *RUNTIME_KEYS, *COHORT_TRAIN_KEYS)
    ),
)


def schema_summary(schema: dict) -> str:
    """What a config key allows, in words: its description, type, choices and bounds."""
    parts = [schema["description"]] if "description" in schema else []
    named = set(re.findall(r"\w+", schema.get("description", "")))
    if "enum" in schema and not {str(choice) for choice in schema["enum"]} <= named:
        parts.append("one of " + ", ".join(map(str, schema["enum"])))
    elif "type" in schema:
        kind = schema["type"]
        parts.append(" or ".join(kind) if isinstance(kind, list) else kind)
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="))
        if key in schema
    ]
    if "minItems" in schema:
        bounds.append(f"at least {schema['minItems']} item(s)")
    if "pattern" in schema:
        bounds.append(f"matching {schema['pattern']}")
    return "; ".join(parts + bounds)


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    path = Path(path)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def config_keys(path: str | Path) -> set[str]:
    """The top-level keys of a YAML/JSON config file (none when it is no mapping)."""
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set()
    return set(data) if isinstance(data, dict) else set()


def what_failed(error: jsonschema.ValidationError) -> str:
    """What was wrong with a value, in a few words: jsonschema's own message, but for a value not
    among the choices (the choices follow in ``schema_summary``, not listed twice)."""
    if error.validator == "enum":
        return f"{error.instance!r} is none of the choices"
    return error.message


# keys a user may write for reference.gtf, which reads every gene-model format by its content
_GENE_MODEL_KEYS = {
    "gff",
    "gff3",
    "gff2",
    "gtf3",
    "annotation",
    "genes",
    "gene_models",
    "gtf_file",
    "gff_file",
}


def _mostly_unknown(keys: set[str], allowed: set[str]) -> bool:
    return len(keys - allowed) > len(keys & allowed)


def config_error_message(error: jsonschema.ValidationError, config_files: tuple | list) -> str:
    """One message for a config that fails the schema: the files, the key, what was wrong and what is
    allowed (never the schema itself). A file with more unknown keys than config keys is no config
    file: most often a target that followed --configfile on the command line (a model.json shares
    ``marks`` with the config, an ingest QC none)."""
    where = ", ".join(map(shown_path, config_files)) or "config"
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    properties = error.schema.get("properties", {})
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return "\n".join(
            f"{where}: missing key {'.'.join(filter(None, [key, m]))!r}: {schema_summary(properties.get(m, {}))}"
            for m in missing
        )
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = sorted(set(error.instance) - set(properties))
        message = (
            f"{where}: unknown key(s) {', '.join(unknown)} in {key or 'the top level'}; "
            f"allowed there: {', '.join(properties)}"
        )
        hints = []
        for name in unknown:
            if key == "reference" and name.lower() in _GENE_MODEL_KEYS:
                hints.append(
                    f"{name}: give the gene models as reference.gtf, whatever their format (GTF, GFF3 such as "
                    "NCBI's GCF_*_genomic.gff, GFF2, BED12 or a genePred table: read by their content)"
                )
            elif close := difflib.get_close_matches(name, list(properties), n=1, cutoff=0.75):
                hints.append(f"{name}: did you mean {close[0]}?")
        if hints:
            message += "\n" + "\n".join(hints)
        strangers = (
            [] if key else [f for f in config_files if _mostly_unknown(config_keys(f), set(properties))]
        )
        if strangers:
            message += (
                f"\n{', '.join(map(shown_path, strangers))} is no EpiBench config file (most of its keys are no "
                "config key). Snakemake's --configfile takes every word after it as a config file: name targets "
                "first, snakemake results/<cohort>/report/index.html --configfile config/<cohort>.yaml"
            )
        return message
    return f"{where}: {key or 'the config'}: {what_failed(error)}; allowed: {schema_summary(error.schema)}"


def check_numbers(value, schema: dict, key: str = "config") -> None:
    """Raise ConfigError for a number the schema lets through that the workflow cannot use: NaN or
    infinite (YAML .nan/.inf pass JSON Schema bounds), or a float such as 1000.0 where the schema wants
    an integer. ``key``: where ``value`` sits, for the message."""
    if isinstance(value, float):
        types = schema.get("type", [])
        if not math.isfinite(value):
            raise ConfigError(f"{key}: {value} is not a finite number")
        if "integer" in (types if isinstance(types, list) else [types]):
            raise ConfigError(f"{key}: {value} must be an integer")
    elif isinstance(value, dict):
        for name, item in value.items():
            sub = schema.get("properties", {}).get(name, schema.get("additionalProperties"))
            check_numbers(item, sub if isinstance(sub, dict) else {}, f"{key}.{name}")
    elif isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            check_numbers(item, items if isinstance(items, dict) else {}, f"{key}[{index}]")


def _sheet_encoding(data: bytes) -> str:
    """``utf-16`` for a sheet's bytes that start with a UTF-16 byte-order mark (a spreadsheet's
    "Unicode text" export, tab-separated), else ``utf-8``."""
    return "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"


# a workbook's first bytes: .xlsx and .ods are zip files, .xls an OLE2 compound file
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

# cell separators of a sample sheet: a tab, or what a spreadsheet's CSV holds (semicolons where the
# decimal separator is a comma)
_SEPARATORS = {"\t": "tab", ",": "comma", ";": "semicolon"}


def _sheet_separator(text: str) -> str:
    """A tab when the header (first line that is not blank or ``#``) holds one, else a comma or a
    semicolon it holds (CSV), else a tab."""
    header = next((line for line in text.split("\n") if line.strip() and not line.startswith("#")), "")
    return next((sep for sep in _SEPARATORS if sep in header), "\t")


def _sheet_text(path: str | Path) -> str:
    """The sheet's text (UTF-8, or UTF-16 by its byte-order mark; a UTF-8 byte-order mark dropped;
    lines ended by CR alone, as Excel for Mac's "CSV (Macintosh)" ends them, ended by LF). A sheet
    that is not UTF-8 is read as Windows-1252, as Excel saves "Text (Tab delimited)" on Windows
    (accents in a cell or path), with a warning naming the first such byte."""
    text = _decoded_sheet(path)
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def _decoded_sheet(path: str | Path) -> str:
    """The sheet's bytes decoded (``_sheet_text``)."""
    data = Path(path).read_bytes()
    if data.startswith(_WORKBOOK_MAGIC):
        raise ConfigError(
            "a spreadsheet workbook (.xlsx, .xls or .ods), not text: save the sheet as "
            "'Text (Tab delimited)' or CSV and name that file in samples:",
            path=path,
        )
    encoding = _sheet_encoding(data)
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                pass
            else:
                log.warning(
                    "%s is not UTF-8 (byte 0x%02x at offset %d): read as Windows-1252, as Excel saves "
                    "tab-delimited text on Windows (%r); save it as UTF-8 to be sure",
                    path,
                    data[exc.start],
                    exc.start,
                    text[max(exc.start - 20, 0) : exc.start + 20],
                )
                return text
        raise ConfigError(
            f"cannot read the sample sheet: neither UTF-8, Windows-1252 nor UTF-16 with a byte-order mark "
            f"({exc})",
            path=path,
        ) from None


def _sheet_records(path: str | Path, text: str, separator: str) -> list[tuple[int, list[str]]]:
    """(line number from 1, cells without surrounding spaces) of the header and every row, as ``csv``
    reads them (a quoted cell may hold the separator). Lines starting with ``#`` are comments (a ``#``
    inside a cell, a path's or a sample's, is kept); records whose cells are all empty (blank lines, a
    spreadsheet's empty formatted rows) are left out. A quoted cell that runs past its line (a quote not
    closed) is a ConfigError at its line."""
    kept = [
        (number, line.removesuffix("\r"))
        for number, line in enumerate(text.removesuffix("\n").split("\n"), 1)
    ]
    fed: list[int] = []  # the numbers of the lines csv has read so far

    def lines():
        for number, line in kept:
            if not line.startswith("#"):
                fed.append(number)
                yield line + "\n"

    reader = csv.reader(lines(), delimiter=separator)
    records = []
    while True:
        before = len(fed)
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise ConfigError(f"cannot read the sample sheet: {exc}", path=path, line=fed[-1]) from None
        if any("\n" in cell for cell in cells):
            raise ConfigError(
                f"a quoted cell runs from this line to line {fed[-1]}: a quote not closed?",
                path=path,
                line=fed[before],
            )
        cells = [cell.strip() for cell in cells]
        if any(cells):
            records.append((fed[before], cells))


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """The sample sheet as strings ("" for an empty cell), header names and cells without the spaces a
    spreadsheet leaves around them, indexed by each row's line in the file (from 1, comment and blank
    lines counted). Tab-separated, or comma- or semicolon-separated (CSV, with its quoting); UTF-8,
    Windows-1252, or UTF-16 with its byte-order mark (Excel's "Unicode Text"). Empty cells after the
    header's last and columns without a name or a value (a spreadsheet's) are dropped. A ConfigError
    names the file, and the line where there is one, for a sheet without a header, a row with fewer
    cells than the header (cut short: an empty cell is a sample's missing mark) or with more, a column
    without a name that holds values, or a name given to two columns."""
    text = _sheet_text(path)
    separator = _sheet_separator(text)
    records = _sheet_records(path, text, separator)
    if not records:
        raise ConfigError(
            "cannot read the sample sheet: it is empty (it needs a header row, then one row per sample)",
            path=path,
        )
    (header_line, header), rows = records[0], records[1:]
    while not header[-1]:  # a tab after the header's last name
        header.pop()
    if len(header) == 1 and len(header[0].split()) > 1:
        raise ConfigError(
            f"the header is one column, {header[0]!r}: its names are separated by spaces, not tabs (an "
            "editor that turns tabs into spaces?). Separate the columns with tabs (or save the sheet as CSV)",
            path=path,
            line=header_line,
        )
    _check_row_lengths(path, text, separator, rows, len(header))
    used = [
        k for k, name in enumerate(header) if name or any(k < len(cells) and cells[k] for _, cells in rows)
    ]
    for k in used:
        if not header[k]:
            raise ConfigError(
                f"column {k + 1} holds values but has no name in the header", path=path, line=header_line
            )
    names = [header[k] for k in used]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"the header names columns {twice} twice", path=path, line=header_line)
    return pd.DataFrame(
        [[cells[k] if k < len(cells) else "" for k in used] for _, cells in rows],
        columns=names,
        index=pd.Index([number for number, _ in rows], name="line"),
        dtype=str,
    )


def _check_row_lengths(
    path: str | Path, text: str, separator: str, rows: list[tuple[int, list[str]]], n_columns: int
) -> None:
    """ConfigError for a row (``_sheet_records``) with fewer cells than the header or more that are not
    empty, or a sheet that ends inside its last row (no line end after an empty last cell): an empty cell
    is a sample's missing mark, so a row cut short must not read as one. ``text``: the sheet's."""
    name = _SEPARATORS[separator]
    for number, cells in rows:
        if len(cells) < n_columns or any(cells[n_columns:]):
            raise ConfigError(
                f"a row with {len(cells)} {name}-separated cells, the header has {n_columns}"
                + (f": cut short? (an empty cell still needs its {name})" if len(cells) < n_columns else ""),
                path=path,
                line=number,
            )
    last_line = text.rsplit("\n", 1)[-1]
    if rows and last_line.endswith(separator) and rows[-1][0] == text.count("\n") + 1:
        raise ConfigError(
            "the sheet ends inside its last row (an empty last cell and no line end): cut short?",
            path=path,
            line=rows[-1][0],
        )


def _check_required_columns(sheet: pd.DataFrame, path: str | Path) -> None:
    """ConfigError naming the required columns (samples.schema.yaml) the header lacks and the nearest
    names it has (``methylation_file`` for ``methylation``), before any row is checked: a header's
    mistake is no row's."""
    absent = [name for name in load_schema("samples")["required"] if name not in sheet.columns]
    if not absent:
        return
    columns = list(sheet.columns)
    hints = [
        f"{close[0]!r} to {name!r}"
        for name in absent
        for close in [
            difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
            or [c for c in columns if name in c.lower() and c not in absent][:1]
        ]
        if close
    ]
    raise ConfigError(
        f"the header has no column {' or '.join(map(repr, absent))} (required; its columns: {columns})"
        + (f"; rename {', '.join(hints)}" if hints else ""),
        path=path,
    )


def _nearest_choice(error: jsonschema.ValidationError) -> str:
    """'did you mean X? ' for a value none of an enum's choices is, where one is spelt nearly alike
    (``bismark_coverage`` -> ``bismark_cov``), else ""."""
    if error.validator != "enum" or not isinstance(error.instance, str):
        return ""
    choices = [str(choice) for choice in error.validator_value]
    close = difflib.get_close_matches(error.instance, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


# what R, pandas or a spreadsheet write in a cell they have nothing for, where the sheet means none by an
# empty cell
PLACEHOLDERS = {"na", "n/a", "nan", "none", "null", "-", "."}
# what an empty cell of each column means, for the message about a placeholder
EMPTY_MEANS = {
    "methylation": "a sample without methylation calls is predicted from its marks",
    "format": "the format is detected from the file",
    "coverage": "no ReadCoverage bigWig",
}


def _check_placeholders(sheet: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """ConfigError at the first cell of ``columns`` (a sample's files and format) holding a placeholder
    such as R's ``NA`` where the sheet says "none" by an empty cell; the message says what the empty
    cell would mean."""
    for line, row in zip(sheet.index, sheet.to_dict("records")):
        for column in columns:
            cell = row.get(column)
            if isinstance(cell, str) and cell.strip().lower() in PLACEHOLDERS:
                means = EMPTY_MEANS.get(column, f"the sample lacks mark {column}: its channel is missing")
                raise ConfigError(
                    f"sample {row['sample']!r}, column {column}: {cell!r} is read as it is written, not as none; "
                    f"for none, leave the cell empty ({means})",
                    path=path,
                    line=line,
                )


def check_sheet_rows(sheet: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Every row against samples.schema.yaml, with its defaults filled in (``format`` auto, in any
    case: ``bedMethyl``, ``CGmap``), indexed as ``sheet`` (by line); a bad row is a ConfigError
    naming its line in the file (the sheet's index, as ``read_sample_sheet`` gives it) and field."""
    schema = load_schema("samples")
    records = []
    for line, record in zip(sheet.index, sheet.to_dict("records")):
        if isinstance(record.get("format"), str):
            record["format"] = record["format"].strip().lower()
        # the schema lists the formats by name; a column spec (columns:...) is checked by its parser
        spec = record["format"] if columns_format.is_spec(record.get("format")) else None
        if spec:
            record["format"] = "auto"
        try:
            FILLING_VALIDATOR(schema).validate(record)
        except jsonschema.ValidationError as error:
            field = ".".join(map(str, error.absolute_path)) or "the row"
            spelt = (
                sample_name(record["sample"]) if field == "sample" and error.validator == "pattern" else ""
            )
            raise ConfigError(
                f"sample {record.get('sample', '?')!r}, column {field}: {what_failed(error)}; "
                + _nearest_choice(error)
                + f"allowed: {schema_summary(error.schema)}"
                + (f"; write {spelt!r}" if spelt else ""),
                path=path,
                line=line,
            ) from None
        if spec:
            try:
                columns_format.parse(spec)
            except ValueError as exc:
                raise ConfigError(
                    f"sample {record['sample']!r}, column format {spec!r}: {exc}", path=path, line=line
                ) from None
            record["format"] = spec
        records.append(record)
    return pd.DataFrame(
        records, columns=list(dict.fromkeys([*sheet.columns, *schema["properties"]])), index=sheet.index
    )


def apply_schema(config: dict, config_files: tuple | list = ()) -> None:
    """Check ``config`` against config.schema.yaml, filling its defaults in place (the config files
    are read again only for keys given twice, which the YAML reader keeps the last of)."""
    schema = load_schema("config")
    for path in config_files:
        _check_unique_keys(path)
    _chromosome_numbers_as_names(config)
    _yaml_readings(config, schema)
    try:
        FILLING_VALIDATOR(schema).validate(config)
    except jsonschema.ValidationError as error:
        raise ConfigError(config_error_message(error, config_files)) from None
    check_numbers(config, schema)


class _KeyGivenTwice(ValueError):
    """A mapping key given twice in one YAML mapping: (key, first line, second line)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML reader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        first_line: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _KeyGivenTwice(key, first_line[key], line)
            first_line[key] = line
        return super().construct_mapping(node, deep)


def _check_unique_keys(path: str | Path) -> None:
    """A ConfigError naming a key the config file ``path`` gives twice in one section (a second
    ``train:`` pasted below the first: the YAML reader would keep the second alone)."""
    try:
        with open(path, encoding="utf-8") as fh:
            yaml.load(fh, Loader=_UniqueKeyLoader)
    except _KeyGivenTwice as twice:
        key, first, second = twice.args
        raise ConfigError(
            f"key {key!r} is given twice (lines {first} and {second}): YAML would keep the second alone and "
            "drop the first without a word; merge them into one",
            path=path,
            line=second,
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # Snakemake read it, or said why it could not


# a number in exponent notation without a decimal point (1e-3): YAML 1.1 reads it as text
_EXPONENT_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _yaml_readings(config: object, schema: dict) -> None:
    """Values YAML read otherwise than the schema wants them, as the schema wants them, in place: text
    in exponent notation where a number is wanted (``lr: 1e-3``) as that number, and null where a list
    is wanted (``marks:`` with nothing after the colon, a cohort without marks) as an empty list."""
    if not isinstance(config, dict):
        return
    properties, others = schema.get("properties", {}), schema.get("additionalProperties")
    for key, value in config.items():
        sub = properties.get(key, others if isinstance(others, dict) else {})
        if (
            isinstance(value, str)
            and sub.get("type") in ("number", "integer")
            and _EXPONENT_NUMBER.fullmatch(value)
        ):
            number = float(value)
            config[key] = int(number) if sub["type"] == "integer" and number.is_integer() else number
        elif value is None and sub.get("type") == "array":
            config[key] = []
        elif isinstance(value, dict):
            _yaml_readings(value, sub)


def _chromosome_numbers_as_names(config: dict) -> None:
    """The held-out chromosomes YAML reads as numbers (``val_chroms: [2]``, Ensembl's names
    unquoted) as their names (``"2"``), in place."""
    split = config.get("split")
    for key in ("val_chroms", "test_chroms"):
        names = split.get(key) if isinstance(split, dict) else None
        if isinstance(names, list):
            split[key] = [str(n) if isinstance(n, int) and not isinstance(n, bool) else n for n in names]


def validate(config: dict, config_files: tuple | list = ()) -> pd.DataFrame:
    """Check ``config`` against the schema, filling its defaults in place, and its sample sheet; every
    named file must exist. Returns the sheet as strings, one row per sample (``pooled_rows``: its
    methylation files' cells as tuples), indexed by sample. ``config_files``: the
    YAML/JSON files the config came from (named in the messages)."""
    apply_schema(config, config_files)
    reference = config["reference"]
    missing = [
        f"{key}: {path}"
        for key, path in [
            ("samples", config["samples"]),
            *((f"reference.{name}", path) for name, path in reference.items()),
            ("truth", config["truth"]),
        ]
        if path and not Path(path).is_file()
    ]
    missing = [
        entry + _missing_file_hint(entry.split(": ", 1)[1], config_files=config_files) for entry in missing
    ]
    if missing:
        raise ConfigError(
            "config names files that do not exist (or are not files):\n  " + "\n  ".join(missing),
            path=config_files[0] if config_files else None,
        )
    _check_demo_files(config, config_files)
    if config["regions"]["enhancer_states"] and not reference["enhancers"]:
        raise ConfigError(
            f"regions.enhancer_states {config['regions']['enhancer_states']} name states of an enhancer "
            "BED, but reference.enhancers gives none",
            path=config_files[0] if config_files else None,
        )
    sheet_path = config["samples"]
    sheet = read_sample_sheet(sheet_path)
    _check_required_columns(sheet, sheet_path)
    written = list(sheet.columns)  # the header as the sheet writes it
    if "coverage" not in sheet.columns:
        sheet["coverage"] = ""
    if "format" in sheet.columns:  # an empty cell: detect the format
        sheet["format"] = sheet["format"].replace("", "auto")
    absent_marks = [m for m in [*config["marks"], *config["covariates"]] if m not in sheet.columns]
    if absent_marks:
        hints = [
            f"the sheet's column {close[0]!r} for config's {name!r}"
            for name in absent_marks
            for close in [difflib.get_close_matches(name, written, n=1, cutoff=0.6)]
            if close
        ]
        raise ConfigError(
            f"config marks/covariates {absent_marks} have no column in the sample sheet (its columns: "
            f"{written}); names must match exactly, case included"
            + (f": did you mean {', '.join(hints)}? Rename one of the two" if hints else ""),
            path=sheet_path,
        )
    _check_covariate_numbers(sheet, config["covariates"], sheet_path)
    empty_marks = [m for m in config["marks"] if not (sheet[m] != "").any()]
    if empty_marks:
        raise ConfigError(
            f"marks {empty_marks} have no file for any sample: leave them out of config 'marks'",
            path=sheet_path,
        )
    _check_placeholders(sheet, ["methylation", "format", "coverage", *config["marks"]], sheet_path)
    sheet = check_sheet_rows(sheet, sheet_path)
    _check_samples(sheet, config, sheet_path)
    warn_of_mark_file_names(sheet, config["marks"], sheet_path)
    try:
        _check_settings(config)
    except ConfigError as error:  # named at the config file, not at the workflow line that loads it
        if error.path is not None or not config_files:
            raise
        raise ConfigError(str(error), path=", ".join(map(shown_path, config_files))) from None
    read = [*config["marks"], *config["covariates"]]
    rows = pooled_rows(sheet, sheet_path, read)
    _warn_covariate_cells(rows, config["covariates"], sheet_path)
    return rows.set_index("sample", drop=False)


# the sheet's columns that describe one methylation file of a sample; every other describes the sample
PER_FILE_COLUMNS = ("methylation", "format", "coverage")


def pooled_rows(sheet: pd.DataFrame, sheet_path: str | Path, read: Sequence[str] = ()) -> pd.DataFrame:
    """One row per sample, in the order of its first row: ``PER_FILE_COLUMNS`` as tuples of its rows'
    cells, one per methylation file (lanes, replicates, a file per chromosome: their reads are pooled
    per CpG at ingest; empty tuples for a sample without methylation calls, to be predicted), and each
    other column the value its rows give.

    ``sheet``: ``check_sheet_rows``' rows, indexed by line; ``read``: the columns the workflow reads
    of a sample (its marks and covariates). Rows of one sample must each name a methylation file,
    not one another row names, and agree on the columns read (a cell left empty on some of them
    takes the others' value); a ConfigError names the lines. A column not read may describe each
    file (a lane, a library): its distinct values are joined by "; ".
    """
    # a sample of one row (most of a cohort's, all of a cohort of hundreds without lanes) is that row:
    # built from plain dicts, as pandas' per-group selections cost ~3 ms a sample (a second at 300
    # samples, paid by every Snakemake start: a dry run, and each cluster job)
    lines: dict[str, list] = {}
    for line, sample in zip(sheet.index, sheet["sample"]):
        lines.setdefault(sample, []).append(line)
    records = dict(zip(sheet.index, sheet.to_dict("records")))
    rows = []
    for sample, sample_lines in lines.items():
        if len(sample_lines) == 1:
            record = records[sample_lines[0]]
            calls = bool(record["methylation"])
            rows.append(
                {
                    column: ((value,) if calls else ()) if column in PER_FILE_COLUMNS else value
                    for column, value in record.items()
                }
            )
            continue
        group = sheet.loc[sample_lines]
        _check_pooled(sample, group, sheet_path)
        row = {}
        for column in sheet.columns:
            if column in PER_FILE_COLUMNS:
                row[column] = tuple(group[column]) if group["methylation"].iloc[0] else ()
                continue
            given = group.loc[group[column] != "", column]
            if given.nunique() > 1 and column not in read:
                row[column] = "; ".join(pd.unique(given))
                continue
            if given.nunique() > 1:
                other = given[given != given.iloc[0]]
                raise ConfigError(
                    f"sample {sample!r}: column {column} is {given.iloc[0]!r} on line {given.index[0]} but "
                    f"{other.iloc[0]!r} here; the rows of one sample pool its methylation files and must "
                    "agree on its other columns (or leave them empty)",
                    path=sheet_path,
                    line=other.index[0],
                )
            row[column] = given.iloc[0] if len(given) else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=sheet.columns)


def calls_file_labels(sample: str, n_files: int) -> list[str]:
    """How tables and logs name each of a sample's ``n_files`` methylation files: the sample's name
    for its one file, ``<sample>#<k>`` (k from 1, in sheet order) for each of several."""
    return [sample] if n_files == 1 else [f"{sample}#{k}" for k in range(1, n_files + 1)]


def _check_pooled(sample: str, group: pd.DataFrame, sheet_path: str | Path) -> None:
    """ConfigError for rows of one sample (``group``, indexed by line) where one names no methylation
    file or two name the same file."""
    lines = list(group.index)
    for line, path in group["methylation"].items():
        if not path:
            raise ConfigError(
                f"sample {sample!r} is on lines {lines}: the rows of one sample pool its methylation "
                "files, and this one names none (give each sample's marks on a row with its calls)",
                path=sheet_path,
                line=line,
            )
    seen: dict[Path, int] = {}
    for line, path in group["methylation"].items():
        same = seen.setdefault(Path(path).resolve(), line)
        if same != line:
            raise ConfigError(
                f"sample {sample!r}: this row names the methylation file of line {same} again ({path!r}); "
                "the rows of one sample pool its files, each once",
                path=sheet_path,
                line=line,
            )


_COMMA_NUMBER = re.compile(r"[+-]?\d+,\d+")
_INTEGER = re.compile(r"[+-]?\d+")


def _check_covariate_numbers(sheet: pd.DataFrame, covariates: list[str], sheet_path: str) -> None:
    """ConfigError for a covariate column of numbers written with a comma (``0,75``, a spreadsheet of a
    decimal-comma locale; or ``1,000``) or with R's ``NA`` for an unknown one: read as text, each value
    would become a category of its own."""
    for column in covariates:
        values = [v for v in sheet[column] if v]
        commas = [v for v in values if _COMMA_NUMBER.fullmatch(v)]
        placeholders = [v for v in values if v.strip().lower() in PLACEHOLDERS]
        if commas and all(_COMMA_NUMBER.fullmatch(v) or _INTEGER.fullmatch(v) for v in values):
            bad, why = commas[0], (
                "is a number written with a comma, which would read as a category, not a number: write 0.75, "
                "not 0,75 (a decimal point, no thousands separator)"
            )
        elif placeholders and is_numeric([v for v in values if v not in placeholders]):
            bad, why = placeholders[0], (
                "is no number, so the column would read as categories, one per value: for an unknown value "
                "leave the cell empty (missing to the models, left out of every stratum)"
            )
        else:
            continue
        row = sheet[sheet[column] == bad].iloc[0]
        raise ConfigError(
            f"covariate {column}: {bad!r} (sample {row['sample']}) {why}", path=sheet_path, line=row.name
        )


def _warn_covariate_cells(rows: pd.DataFrame, covariates: list[str], sheet_path: str) -> None:
    """Warn of what a covariate column likely holds by mistake (``rows``: one per sample): samples
    with an empty cell (their channel is missing and ``by_covariate`` leaves them out of every
    stratum) and values that differ only in case or spaces (``Liver`` beside ``liver``: two strata)."""
    for column in covariates:
        empty = rows.loc[rows[column].str.strip() == "", "sample"].tolist()
        if empty:
            log.warning(
                "%s: covariate %s is empty for %d of %d samples (%s): their %s is unknown to the models and "
                "they are in no stratum of evaluation/by_covariate.tsv; fill the cells if they are known",
                sheet_path,
                column,
                len(empty),
                len(rows),
                ", ".join(empty[:10]) + (f", ... ({len(empty) - 10} more)" if len(empty) > 10 else ""),
                column,
            )
        spellings: dict[str, set[str]] = {}
        for value in rows[column]:
            if value.strip():
                spellings.setdefault(" ".join(value.split()).casefold(), set()).add(value)
        alike = [sorted(values) for values in spellings.values() if len(values) > 1]
        if alike:
            log.warning(
                "%s: covariate %s has values that differ only in case or spaces, each a level of its own "
                "(a channel and a stratum): %s; write each level one way",
                sheet_path,
                column,
                "; ".join(" vs ".join(repr(v) for v in values) for values in alike),
            )


def _check_samples(sheet: pd.DataFrame, config: dict, sheet_path: str) -> None:
    """Sample names not reserved, something to train on, and every file of a row present."""
    if "plan" in set(sheet["sample"]):
        raise ConfigError(
            "'plan' is reserved (results/<cohort>/shards/plan); rename that sample", path=sheet_path
        )
    if not (sheet["methylation"] != "").any():
        raise ConfigError("no sample has methylation calls to train on", path=sheet_path)
    to_predict = sorted(sheet.loc[sheet["methylation"] == "", "sample"])
    if to_predict and not config["marks"]:
        raise ConfigError(
            f"samples {to_predict} have no methylation calls, so they would be predicted from their histone "
            "marks, but config 'marks' is empty: give them methylation calls, or name their marks in 'marks' "
            "with a track column each (bigWig, bedGraph or peaks)",
            path=sheet_path,
        )
    # records, not itertuples: a mark such as ATAC-seq is no Python identifier
    for line, row in zip(sheet.index, sheet.to_dict("records")):
        if row["coverage"] and not row["methylation"]:
            raise ConfigError(
                f"sample {row['sample']} has a coverage file but no methylation calls",
                path=sheet_path,
                line=line,
            )
        if config["marks"] and not row["methylation"] and not any(row[m] for m in config["marks"]):
            raise ConfigError(
                f"sample {row['sample']} has neither methylation calls nor any mark: nothing to train on "
                "or to predict from",
                path=sheet_path,
                line=line,
            )
        for column in ["methylation", "coverage", *config["marks"]]:
            path = row[column]
            if not path:
                continue  # coverage is optional; no methylation: a sample to predict; no mark: missing
            if not Path(path).is_file():
                raise ConfigError(
                    f"sample {row['sample']}, column {column}: file {path!r} does not exist (or is not a file)"
                    + _missing_file_hint(path, sheet_path),
                    path=sheet_path,
                    line=line,
                )


def _not_a_regular_file(path: str) -> str | None:
    """What lies at ``path`` where a file was expected but none is read: a broken symlink, a folder, a
    named pipe or other special file (a pipe is read once; each input is read by several jobs); None
    where nothing lies there."""
    at = Path(path)
    if at.is_symlink() and not at.exists():
        return f"a symlink to {os.readlink(at)!r}, which does not exist"
    if at.is_dir():
        return "a folder: name a file in it"
    if at.exists():
        return "not a regular file but a named pipe, socket or device: give a regular file, which every job can read"
    return None


def _missing_file_hint(path: str, sheet_path: str | None = None, config_files: tuple | list = ()) -> str:
    """What a path that names no file likely meant: a URL (ENCODE and GEO files are often pasted
    so), a ``~`` no shell expanded, or a path relative to the sample sheet's folder, or to the
    config file's folder or the one above it (snakemake run from elsewhere), where paths are read
    relative to the working directory."""
    if there := _not_a_regular_file(path):
        return f" ({there})"
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", path):
        return " (a URL: download the file first, e.g. wget or curl, and give its local path)"
    if path.startswith("~") and Path(path).expanduser().is_file():
        return f" (no shell expands ~ here: write {str(Path(path).expanduser())!r})"
    beside_sheet = Path(sheet_path).parent / path if sheet_path and not Path(path).is_absolute() else None
    if beside_sheet is not None and beside_sheet.is_file():
        return (
            f" in the working directory {str(Path.cwd())!r}; relative paths are read from there, not from the "
            f"sheet's folder: write {shown_path(beside_sheet)!r}"
        )
    folders = (
        [] if Path(path).is_absolute() else [p for c in config_files for p in Path(c).resolve().parents[:2]]
    )
    found = next((folder for folder in folders if (folder / path).is_file()), None)
    if found is not None:
        return (
            f" in the working directory {str(Path.cwd())!r}, where relative paths are read from; it is in "
            f"{str(found)!r}: run snakemake there (snakemake --directory {shown_path(found)}), or write "
            f"{str(found / path)!r}"
        )
    return nearest_name_hint(path)


# the embedded demo cohort's files (its synthetic genome, annotation and truth), below the workflow's folder
DEMO_FILES = Path("resources") / "demo"


def _check_demo_files(config: dict, config_files: tuple | list) -> None:
    """A ConfigError when a cohort's own reference FASTA is given beside the demo's annotation, truth or
    VCF (a copy of config/config.yaml or demo_full.yaml that kept them): the demo's synthetic enhancers,
    CpG islands, true levels and variants lie on its own chr1-chr5, so on another genome they would
    label the wrong places (the VCF stopping the run only at its first REF, after training)."""
    demo = (Path.cwd() / DEMO_FILES).resolve()
    reference = config["reference"]
    if Path(reference["fasta"]).resolve().is_relative_to(demo):
        return
    kept = [
        f"{key}: {path}"
        for key, path in [
            *((f"reference.{name}", p) for name, p in reference.items()),
            ("truth", config["truth"]),
            ("variants.vcf", config["variants"]["vcf"]),
        ]
        if path and Path(path).resolve().is_relative_to(demo)
    ]
    if kept:
        raise ConfigError(
            f"the config gives its own reference.fasta ({reference['fasta']}) but the demo cohort's files for "
            f"{', '.join(kept)}: the demo's synthetic annotation, truth and variants would label the wrong "
            "places of your genome. Delete those keys (or give your cohort's own files)",
            path=config_files[0] if config_files else None,
        )


# a model setting's default -> the values it takes (a whole number for an int, any number for a float)
_SETTING_KINDS = (
    (bool, (bool,), "true or false"),
    (int, (int,), "a whole number"),
    (float, (int, float), "a number"),
    (str, (str,), "a word"),
    (tuple, (list, tuple), "a list of whole numbers"),
)


def _check_model_settings(name: str, entry: dict) -> None:
    """A ConfigError for a setting of model ``name`` its architecture lacks (with the nearest it
    has) or of another type than its default's, or for its own value of a train: setting that the
    train: schema rejects: checked here, not hours later when it trains."""
    defaults = MODEL_DEFAULTS[entry["arch"]]
    for key, value in entry.items():
        if key in TRAIN_SCHEMA["properties"] and key in TRAINING_KEYS:
            rule = {k: v for k, v in TRAIN_SCHEMA["properties"][key].items() if k != "default"}
            try:
                jsonschema.validate(value, rule)
            except jsonschema.ValidationError as error:
                raise ConfigError(f"models.{name}.{key}: {what_failed(error)} (as train.{key})") from None
            continue
        if key in ("arch", *TRAINING_KEYS, *TRANSFER_KEYS, *WORKFLOW_KEYS):
            continue
        if key not in defaults:
            if key in TRAIN_SCHEMA["properties"]:  # the machine's, or read by other rules too
                raise ConfigError(
                    f"models.{name}: {key!r} is a train: setting of every model (train.{key}), not one "
                    f"model's; a model's own training settings: {', '.join(TRAINING_KEYS)}"
                )
            close = difflib.get_close_matches(key, [*defaults, *TRAINING_KEYS, *TRANSFER_KEYS], n=1)
            raise ConfigError(
                f"models.{name}: {entry['arch']} models have no setting {key!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; theirs: {', '.join(defaults)}; and a model's own training settings: "
                + ", ".join(TRAINING_KEYS)
            )
        default = defaults[key]
        kind = next(kind for kind in _SETTING_KINDS if isinstance(default, kind[0]))
        wrong = not isinstance(value, kind[1]) or (isinstance(value, bool) and not isinstance(default, bool))
        if kind[0] is tuple and not wrong:
            wrong = not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        if wrong:
            raise ConfigError(
                f"models.{name}.{key}: {value!r} is not {kind[2]} (the default: {default!r})"
                + ("; write it without quotes" if isinstance(value, str) and kind[0] is not str else "")
            )


def _not_models(unknown: list[str], models: dict) -> str:
    """The end of a message about names that are no key of config ``models``: the models there are,
    and the likely one for each name (``hybrid_seed2`` where ``hybrid_seed1`` is)."""
    verb = "is not a model" if len(unknown) == 1 else "are not models"
    return f"{verb} in 'models' (its models: {', '.join(models)})" + _likely_ones(unknown, list(models))


def _likely_ones(unknown: list[str], names: list[str]) -> str:
    """ ": did you mean 'b' for 'bb'?": the nearest of ``names`` for each of ``unknown`` that has one
    ("" where none has)."""
    hints = [
        f"{close[0]!r} for {name!r}"
        for name in unknown
        for close in [difflib.get_close_matches(name, names, n=1, cutoff=0.6)]
        if close
    ]
    return f": did you mean {', '.join(hints)}?" if hints else ""


def _check_settings(config: dict) -> None:
    """Settings that must agree with each other: window and bin size, and the models named elsewhere."""
    window, bin_size = config["shards"]["window"], config["shards"]["bin_size"]
    if window % bin_size or window % 2:
        raise ConfigError(
            f"shards.window ({window}) must be even and a multiple of shards.bin_size ({bin_size})"
        )
    models = config["models"]
    for name, entry in models.items():
        _check_model_settings(name, entry)
    for key in ("original", "new"):
        if config["evaluate"][key] not in models:
            raise ConfigError(
                f"evaluate.{key} {config['evaluate'][key]!r} {_not_models([config['evaluate'][key]], models)}"
            )
    names = [*models, *config["evaluate"]["baselines"], *config["evaluate"]["ensembles"]]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ConfigError(f"models, evaluate.baselines and evaluate.ensembles share the names {clash}")
    for name, members in config["evaluate"]["ensembles"].items():
        unknown = [m for m in members if m not in models]
        if unknown:
            raise ConfigError(f"evaluate.ensembles.{name}: {unknown} {_not_models(unknown, models)}")
    curve_model = config["learning_curve"]["model"]
    if curve_model and curve_model not in models:
        raise ConfigError(f"learning_curve.model {curve_model!r} {_not_models([curve_model], models)}")
    explained = config["attribute"]["model"]
    if explained not in models:
        raise ConfigError(f"attribute.model {explained!r} {_not_models([explained], models)}")
    readers = [f"model {n}" for n, m in models.items() if m.get("neighbours")]
    readers += [f"baseline {n}" for n in config["evaluate"]["baselines"] if n in CONTEXT_BASELINES]
    if readers and not config["shards"]["neighbours"]:
        raise ConfigError(
            f"{', '.join(readers)} read(s) the neighbour context, but shards.neighbours is 0: set it to "
            "K, the measured CpGs on each side (e.g. 5)"
        )
    if models[config["attribute"]["model"]].get("neighbours"):
        raise ConfigError(
            f"attribute.model {config['attribute']['model']!r} reads the neighbour context; the attributions "
            "cover sequence and marks: name a model without neighbours: true"
        )

    check_variants(config, models)
    if motif_model(config) not in models:
        raise ConfigError(
            f"motifs.model {motif_model(config)!r} {_not_models([motif_model(config)], models)}"
        )


MODEL_FILES = ("model.safetensors", "model.json")  # what a pretrained folder gives a model to start from


def other_cohort_starts(config: dict) -> dict[str, str]:
    """The pretrained folders of another cohort this config's models start from, by config key
    (``models.<name>.pretrained``, ``learning_curve.pretrained`` where the curve runs):
    ``results/<other>/models/<model>``, the schema's own example."""
    starts = {
        f"models.{name}.pretrained": entry.get("pretrained") for name, entry in config["models"].items()
    }
    curve = config["learning_curve"]
    starts["learning_curve.pretrained"] = curve["pretrained"] if curve["model"] else ""
    return {
        key: folder
        for key, folder in starts.items()
        if len(parts := Path(folder or "").parts) > 2
        and parts[0] == "results"
        and parts[1] != config["cohort"]
    }


def other_cohort_pattern(config: dict) -> str:
    """The wildcard constraint of the first folder under ``results/`` that is not the config's cohort
    (rule other_cohort), nor the start of a file of another cohort's model this config's start from
    (``other_cohort_starts``) that is there: an input to read, not a target to stop at (a missing one
    is stopped at, and ``other_cohort_target`` says to train it). Lookaheads on the rest of the path,
    since the constraint sits inside the whole path's pattern, where ``$`` only matches at its end."""
    read = [
        Path(*Path(folder).parts[1:], name).as_posix()
        for folder in other_cohort_starts(config).values()
        for name in MODEL_FILES
        if (Path(folder) / name).is_file()
    ]
    files = f"(?!(?:{'|'.join(re.escape(path) for path in dict.fromkeys(read))})$)" if read else ""
    return f"(?!{re.escape(config['cohort'])}/){files}[^/]+"


def other_cohort_target(target: str, config: dict, config_files: tuple | list = ()) -> str:
    """What to do about a target under ``results/<other>/`` where the config's cohort is another
    (``snakemake results/liver/...`` without ``--configfile config/liver.yaml``), which Snakemake
    alone would answer with "no rule to produce"; or, for a file of another cohort's model this
    config starts from (``other_cohort_starts``) that is not there yet, the key and how to train it."""
    other, cohort = Path(target).parts[1], config["cohort"]
    given = ", ".join(map(shown_path, config_files)) or "no config file"
    for key, folder in other_cohort_starts(config).items():
        if Path(target).parent == Path(folder) and Path(target).name in MODEL_FILES:
            model = Path(folder).name
            own = f"results/{cohort}/models/{model}"
            return (
                f"{given}: {key} {folder!r} is a model of cohort {other!r}, not trained: train it first "
                f"(snakemake {folder}/model.safetensors --configfile config/{other}.yaml)"
                + (f", or start from this cohort's own: {own}" if model in config["models"] else "")
            )
    return (
        f"{target} is of cohort {other!r}, but the config ({given}) is of cohort {cohort!r}: "
        f"{_misspelt_cohort_hint(target, other, cohort)}add "
        f"--configfile config/{other}.yaml after the targets (snakemake {target} --configfile config/{other}.yaml)"
    )


def _misspelt_cohort_hint(target: str, other: str, cohort: str) -> str:
    """ "did you mean <the target under the config's cohort>? Else " where ``other`` reads as a typo
    of ``cohort`` (results/trail/ for results/trial/) and has no config/<other>.yaml, else nothing."""
    if Path("config", f"{other}.yaml").exists() or not difflib.get_close_matches(
        other, [cohort], cutoff=0.75
    ):
        return ""
    meant = Path("results", cohort, *Path(target).parts[2:]).as_posix()
    return f"did you mean {meant}? Else, for cohort {other!r}, "


def motif_model(config: dict) -> str:
    """The model whose motifs are named: motifs.model, else attribute.model."""
    return config["motifs"]["model"] or config["attribute"]["model"]


def check_variants(config: dict, models: dict) -> None:
    """ConfigError for a variants section naming an unknown or neighbour-reading model or sample."""
    variants = config["variants"]
    if not variants["vcf"]:
        return
    model = variant_model(config)
    if model not in models:
        raise ConfigError(f"variants.model {model!r} {_not_models([model], models)}")
    if models[model].get("neighbours"):
        raise ConfigError(
            f"variants.model {model!r} reads the neighbour context, which a variant's allele does not "
            "change: name a model without neighbours: true"
        )


def variant_model(config: dict) -> str:
    """The model that scores the variants: variants.model, else evaluate.new."""
    return config["variants"]["model"] or config["evaluate"]["new"]


CONTEXT_BASELINES = ("gbm_neighbours",)  # baselines that read the neighbour context


def reads_context(config: dict, name: str) -> bool:
    """Whether model or baseline ``name`` reads the neighbour context (the leaderboard's mode)."""
    entry = config["models"].get(name)
    return name in CONTEXT_BASELINES or bool(entry and entry.get("neighbours"))


def seed_replicates(config: dict) -> dict[str, str]:
    """Seed replicates among the configured models: name -> the model it repeats (the same entry but
    ``seed``, trained from another seed: ``hybrid_seed1`` -> ``hybrid``). Of each such group the model
    repeated is the new model (evaluate.new) where it is one of them, else the original, else the first
    listed. The gap between the two is training randomness alone (the leaderboard's seed note)."""
    default_seed = config["train"].get("seed")
    evaluate = config.get("evaluate", {})
    preferred = [evaluate.get("new"), evaluate.get("original")]
    groups: list[tuple[dict, list[str]]] = []
    for name, entry in config["models"].items():
        rest = {k: v for k, v in entry.items() if k != "seed"}
        group = next((names for other, names in groups if other == rest), None)
        if group is None:
            groups.append((rest, [name]))
        else:
            group.append(name)
    replicates = {}
    for _, names in groups:
        first = next((name for name in preferred if name in names), names[0])
        seed = config["models"][first].get("seed", default_seed)
        for name in names:
            if name != first and config["models"][name].get("seed", default_seed) != seed:
                replicates[name] = first
    return replicates


def curve_models(config: dict) -> dict[str, dict]:
    """The learning curve's runs: name -> model entry (the curve model at each fraction, from
    scratch and, with learning_curve.pretrained, fine-tuned; with ``budget: steps`` each passes
    over its share of the CpGs 1/fraction times per epoch). The scratch run on all training CpGs
    is the curve model itself where that starts from scratch on all of them: the same entry, not a
    second training of it."""
    curve = config["learning_curve"]
    if not curve["model"]:
        return {}
    entry = config["models"][curve["model"]]
    base = {k: v for k, v in entry.items() if k not in TRANSFER_KEYS}
    model_is_whole_scratch = base == entry and entry.get("fraction", 1.0) == 1.0
    runs = {}
    for fraction in curve["fractions"]:
        label = f"{fraction * 100:g}".replace(".", "p") + "pct"
        share = {"fraction": fraction}
        if curve["budget"] == "steps" and fraction < 1:
            share["passes"] = round(1 / fraction, 6)
        if fraction == 1.0 and model_is_whole_scratch:
            runs[curve["model"]] = entry
        else:
            runs[f"{curve['model']}_scratch_{label}"] = base | share
        if curve["pretrained"]:
            tuned = {"pretrained": curve["pretrained"], "freeze": curve["freeze"]}
            runs[f"{curve['model']}_finetuned_{label}"] = base | share | tuned
    return runs


def held_out_models(config: dict, labelled: list[str], samples: pd.DataFrame) -> dict[str, dict]:
    """Leave-one-out runs: name -> the new model's entry with the samples it must not see
    (``held_out_samples``): each sample alone, or with ``evaluate.leave_out_by`` every sample
    sharing that sheet column's value (a patient's tumour and normal; a sample whose cell is empty
    alone). ``samples``: the checked sheet, one row per sample."""
    evaluate = config["evaluate"]
    if not evaluate["leave_one_sample_out"]:
        return {}
    column = evaluate["leave_out_by"]
    if column and column not in samples.columns:
        raise ConfigError(
            f"evaluate.leave_out_by {column!r} is no column of the sample sheet (its columns: "
            f"{', '.join(samples.columns)})"
        )
    groups: dict[str, list[str]] = {}
    for sample in labelled:
        value = str(samples.loc[sample, column]).strip() if column else ""
        groups.setdefault(sample_name(value) if value else sample, []).append(sample)
    if len(groups) < 2:
        held = f"groups of {column}" if column else "samples"
        raise ConfigError(f"evaluate.leave_one_sample_out needs two or more {held} with methylation calls")
    new = evaluate["new"]
    return {
        f"{new}_without_{name}": config["models"][new] | {"held_out_samples": held}
        for name, held in groups.items()
    }


def loso_control(config: dict, held_out: dict[str, dict], labelled: list[str]) -> dict[str, dict]:
    """The leave-one-out comparison's control (``held_out``: ``held_out_models``' runs): name -> the
    new model's entry trained on every sample but on the share of the training CpGs a held-out run
    keeps on average (its ``fraction`` times the mean share of samples kept), so with about the same
    CpGs and optimizer steps. A held-out run trains the same epochs on fewer rows: against the cohort
    model alone its gap mixes the smaller budget with the unseen sample; against this, the sample
    alone. Empty without leave-one-out runs."""
    if not held_out:
        return {}
    new = config["evaluate"]["new"]
    entry = config["models"][new]
    kept = sum(1 - len(run["held_out_samples"]) / len(labelled) for run in held_out.values()) / len(held_out)
    share = round(entry.get("fraction", 1.0) * kept, 4)
    return {f"{new}_loso_control": entry | {"fraction": share}}


def variant_samples(config: dict, samples: pd.DataFrame, config_files: tuple | list = ()) -> list[str]:
    """The samples whose marks score the variants (variants.samples, else every sample); ConfigError
    at the config file naming one the sample sheet lacks, the sheet's samples and the likely one."""
    chosen = config["variants"]["samples"] or list(samples.index)
    names = list(samples.index)
    unknown = [s for s in chosen if s not in samples.index]
    if unknown:
        shown = ", ".join(names[:SHOWN_SAMPLES]) + (
            f", ... ({len(names)} in all)" if len(names) > SHOWN_SAMPLES else ""
        )
        raise ConfigError(
            f"variants.samples {unknown} are not in the sample sheet {shown_path(config['samples'])} "
            f"(its samples: {shown})" + _likely_ones(unknown, names),
            path=config_files[0] if config_files else None,
        )
    return chosen


def input_channels(config: dict) -> list[str]:
    """What the models read beside the sequence (their input channels, epibench.data.dataset), in
    order: "marks", "covariates", "3D genome" (TADs or loops); none given, none."""
    reference = config["reference"]
    given = {
        "marks": config["marks"],
        "covariates": config["covariates"],
        "3D genome": reference["tads"] or reference["loops"],
    }
    return [name for name, value in given.items() if value]


def sequence_only(config: dict) -> bool:
    """Whether the models read the sequence alone (no ``input_channels``). Then there is no mark to
    ablate, no histone attribution or attention, and gbm_histone, with no histone feature to read,
    runs as gbm_region (epibench.evaluate.baselines)."""
    return not input_channels(config)


def base_mode(config: dict) -> str:
    """The leaderboard's mode of the models without the neighbour context: the sequence and its
    ``input_channels``: "sequence + marks" (the seed's), "sequence" alone, "sequence + covariates",
    "sequence + marks + 3D genome", ..."""
    return " + ".join(["sequence", *input_channels(config)])


@dataclass(frozen=True)
class CohortSetup:
    """What the workflow derives from a checked config.

    samples: the sample sheet, one row per sample (``validate``), indexed by sample.
    labelled: samples with methylation calls (trained and scored on); to_predict: those without.
    curve_models, held_out_models: the learning curve's and leave-one-sample-out runs (name -> entry);
    loso_control: the leave-one-out comparison's control run (``loso_control``).
    trained: every model to train (the config's, then those three).
    sequence_only: see ``sequence_only``; base_mode: see ``base_mode``.
    baselines: the baselines scored (gbm_histone as gbm_region when sequence_only).
    context_models: the models and baselines that read the neighbour context (``reads_context``);
    context_new: the new model of that mode, the first model with ``neighbours: true`` (None without).
    plan: the output catalogue's lists and features for this cohort (epibench.outputs).
    """

    samples: pd.DataFrame
    labelled: list[str]
    to_predict: list[str]
    curve_models: dict[str, dict]
    held_out_models: dict[str, dict]
    loso_control: dict[str, dict]
    trained: dict[str, dict]
    sequence_only: bool
    base_mode: str
    baselines: list[str]
    context_models: list[str]
    context_new: str | None
    plan: CohortPlan


@contextmanager
def _package_warnings(shown: bool) -> Iterator[None]:
    """Within: the package's warnings logged (``shown``) or held back (errors still logged)."""
    package_log = logging.getLogger("epibench")
    level = package_log.level
    if not shown:
        package_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        package_log.setLevel(level)


def setup(config: dict, config_files: tuple | list = (), warn: bool = True) -> CohortSetup:
    """Check ``config`` (defaults filled in place) and its sample sheet; what the workflow runs.
    ``warn``: log the checks' warnings (a sheet cell spelt two ways, a mark file named for another
    mark); a cluster job, which reads the config again, passes False: the run's start said them."""
    with _package_warnings(warn):
        samples = validate(config, config_files)
    labelled = [s for s in samples.index if samples.loc[s, "methylation"]]
    to_predict = [s for s in samples.index if not samples.loc[s, "methylation"]]
    curve = curve_models(config)
    held_out = held_out_models(config, labelled, samples)
    control = loso_control(config, held_out, labelled)
    only_sequence = sequence_only(config)
    evaluate = config["evaluate"]
    baselines = list(
        dict.fromkeys(
            "gbm_region" if name == "gbm_histone" and only_sequence else name
            for name in evaluate["baselines"]
        )
    )
    context_models = [name for name in [*config["models"], *baselines] if reads_context(config, name)]
    features = {
        "marks": not only_sequence,
        "ablation": evaluate["ablation"] and not only_sequence,
        "covariates": bool(config["covariates"]),
        "loso": bool(held_out),
        "learning_curve": bool(curve),
        "extras": evaluate["extras"],
        "variants": bool(config["variants"]["vcf"]),
        "auto_block": evaluate["bootstrap_block_bp"] == "auto",
    }
    plan = CohortPlan(
        values={
            "sample": labelled,
            "to_predict": to_predict,
            "model": list(config["models"]),
            "new": [evaluate["new"]],
            "ensemble": list(evaluate["ensembles"]),
            "baseline": baselines,
            "variant_sample": variant_samples(config, samples, config_files),
        },
        features=frozenset(name for name, on in features.items() if on),
    )
    return CohortSetup(
        samples=samples,
        labelled=labelled,
        to_predict=to_predict,
        curve_models=curve,
        held_out_models=held_out,
        loso_control=control,
        trained=config["models"] | curve | held_out | control,
        sequence_only=only_sequence,
        base_mode=base_mode(config),
        baselines=baselines,
        context_models=context_models,
        context_new=next((name for name in config["models"] if name in context_models), None),
        plan=plan,
    )
