"""Chromosome-name harmonisation report across the inputs of a cohort.

``results/<cohort>/reference/chrom_names.tsv`` says, for every sequence name of every
input (GTF, BEDs, bigWigs, methylation calls), whether it was kept, renamed to the
FASTA's spelling, or dropped and why (:func:`epibench.io.chroms.harmonisation_table`).

Listing the names of a file is cheap: a bigWig's (or bigBed's) come from its header
(``lengths.bigwig_lengths``); a text file (GTF, BED, any tab-separated table with the
chromosome first, plain or compressed) is read in blocks with one regular-expression pass
per block, no Python work per line. A UCSC table with a ``bin`` column first
(``#bin chrom chromStart ...``) gives its second column, and so does a table whose first line
names the columns with the chromosome second (methylKit's ``chrBase chr base ...``); a first line
of column names (DSS's ``chr pos N X``, gemBS's ``Contig Pos0 ...``) is no sequence name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

import pandas as pd

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.chroms import HARMONISATION_COLUMNS, harmonisation_table
from epibench.io.lengths import bigwig_lengths
from epibench.io.regions import has_bin_column, is_bin_header
from epibench.io.textfile import DECOMPRESSION_ERRORS, names_columns, open_binary, stream_problem
from epibench.io.tracks import is_big_file

__all__ = [
    "HARMONISATION_COLUMNS",
    "cohort_harmonisation",
    "harmonisation_table",
    "sequence_names",
    "text_sequence_names",
    "bigwig_sequence_names",
    "write_harmonisation_table",
    "merged_harmonisation_tables",
]

KINDS = ("auto", "gtf", "bed", "text", "bigwig")
_SKIP = rb"(?!#|track[ \t]|browser[ \t])"  # header lines of BED-like files, GTF comments
_FIELD = rb"([^ \t\r\n]+)[ \t]"
_COLUMN = {
    0: re.compile(rb"^" + _SKIP + _FIELD, re.MULTILINE),
    1: re.compile(rb"^" + _SKIP + rb"[^ \t\r\n]*[ \t]+" + _FIELD, re.MULTILINE),
}
# a wiggle's names: the chrom= of its fixedStep/variableStep lines
_WIG_CHROM = re.compile(rb"^(?:fixedStep|variableStep)[ \t][^\n]*?\bchrom=([^ \t\r\n]+)", re.MULTILINE)
_BLOCK = 1 << 22
# what a first line of column names calls the chromosome column
_CHROM_COLUMN_NAMES = {"chr", "chrom", "chromosome", "contig", "seqnames", "seqname", "#chrom"}


def sequence_names(path: str | os.PathLike, kind: str = "auto") -> list[str]:
    """Distinct sequence names of a file, in file order.

    kind: ``bigwig`` (bigWig or bigBed header), ``gtf``/``bed``/``text`` (first column
    of a tab-separated text file, see :func:`text_sequence_names`), or ``auto``: bigWig/
    bigBed by their magic bytes, text otherwise.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "bigwig" or (kind == "auto" and is_big_file(path)):
        return bigwig_sequence_names(path)
    if is_big_file(path):
        raise InputError(f"a bigWig/bigBed file, not {kind} text", path=path)
    return text_sequence_names(path)


def bigwig_sequence_names(path: str | os.PathLike) -> list[str]:
    """Sequence names in a bigWig's (or bigBed's) header, in the file's order."""
    return list(bigwig_lengths(path))


def text_sequence_names(path: str | os.PathLike) -> list[str]:
    """Distinct first-column values of a text file (plain or compressed), in file order.

    Lines starting with ``#``, ``track`` or ``browser``, and lines with a single field,
    are skipped; columns may be separated by tabs or spaces. When the first header line
    is ``#bin chrom ...``, or the first data row looks like a UCSC table row with a bin
    (:func:`epibench.io.regions.has_bin_column`), the second column is read instead; of a wiggle
    (first data line ``fixedStep``/``variableStep``), the ``chrom=`` of those lines.
    """
    names: dict[bytes, None] = {}
    pattern, header = None, None
    rest = b""
    try:
        with open_binary(path) as fh:
            while True:
                block = fh.read(_BLOCK)
                data = rest + block
                if block:
                    cut = data.rfind(b"\n") + 1
                    data, rest = data[:cut], data[cut:]
                if pattern is None:
                    pattern, header = _column_pattern(data, final=not block)
                if pattern is not None:
                    names.update(dict.fromkeys(pattern.findall(data)))
                elif block:
                    rest = data + rest  # no data row seen yet: keep the header lines for the decision
                if not block:
                    break
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(
            f"{stream_problem(path)} ({getattr(exc, 'strerror', None) or exc})", path=path
        ) from exc
    names.pop(header, None)
    return [name.decode("latin-1") for name in names]


def _column_pattern(data: bytes, final: bool) -> tuple[re.Pattern[bytes] | None, bytes | None]:
    """The regular expression for the name column, from the header lines and first data row in
    ``data``, and the name it takes from a first line of column names (to leave out), if any.

    (None, None) when ``data`` holds no data row yet (and the file goes on).
    """
    for raw in data.split(b"\n"):
        text = raw.rstrip(b"\r").decode("latin-1")
        if not text.strip():
            continue
        if text.startswith(("#", "track", "browser")):
            if is_bin_header(text):
                return _COLUMN[1], None
            continue
        if text.startswith(("fixedStep", "variableStep")):
            return _WIG_CHROM, None
        fields = text.split()
        if names_columns(text):
            column = 1 if fields[1].lower() in _CHROM_COLUMN_NAMES else 0
            return _COLUMN[column], fields[column].encode("latin-1")
        return (_COLUMN[1] if has_bin_column(fields) else _COLUMN[0]), None
    return (_COLUMN[0] if final else None), None


def cohort_harmonisation(
    reference_names: list[str],
    files: dict[str, str | os.PathLike],
    known: dict[str, list[str]] | None = None,
    aliases: Mapping[str, str] | None = None,
    on_unreadable: Callable[[str, InputError], None] | None = None,
) -> pd.DataFrame:
    """:func:`harmonisation_table` of the cohort's inputs.

    files: input label -> path; names are listed with :func:`sequence_names` (``auto``).
    known: input label -> names already at hand (e.g.
    :attr:`epibench.io.regions.RegionAnnotation.input_chroms`, so the GTF is not read
    twice); these rows come first. aliases: the reference's (``Reference.aliases``).
    on_unreadable: called with the label and the error of a file whose names cannot be read,
    which is then left out of the table (the cohort's input check names every such file in one
    run); without it, the error is raised.
    """
    inputs = dict(known or {})
    for label, path in files.items():
        if label in inputs:
            raise ValueError(f"input label {label!r} given twice")
        try:
            inputs[label] = sequence_names(path)
        except InputError as error:
            if on_unreadable is None:
                raise
            on_unreadable(label, error)
    return harmonisation_table(reference_names, inputs, aliases)


# the table's rows in the file: what needs a look first (a genome's thousands of kept names last)
ACTION_ORDER = ("dropped", "renamed", "kept")


def write_harmonisation_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the table as TSV atomically (``chrom_names.tsv``): dropped names first (with an empty
    name_in_reference), then renamed, then kept (``ACTION_ORDER``; else in the table's order)."""
    order = table["action"].map({action: rank for rank, action in enumerate(ACTION_ORDER)})
    ordered = table.iloc[order.argsort(kind="stable")]
    with atomic_path(path) as tmp:
        ordered[list(HARMONISATION_COLUMNS)].to_csv(tmp, sep="\t", index=False, na_rep="")


def merged_harmonisation_tables(paths: list[str | os.PathLike]) -> pd.DataFrame:
    """The rows of several written tables (each sample's, ``write_harmonisation_table``), in the
    order given; written again, the dropped names of all come first."""
    tables = [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in paths]
    return (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(HARMONISATION_COLUMNS))
    )
