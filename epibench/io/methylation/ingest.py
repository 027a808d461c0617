"""Entry point of the methylation stage: one file in, the canonical CpG table and a QC dict out."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd

from epibench import columns_format
from epibench.errors import InputError
from epibench.io.methylation import (
    bedgraph,
    bedmethyl,
    bigbed_bedmethyl,
    biscuit,
    bigwig,
    column_spec,
    count_table,
    cytosine_report,
    cytosine_tables,
    gembs,
    methylc,
    methylkit,
    nanopolish,
    pacbio,
    rastair,
)
from epibench.io.methylation.calls import Calls
from epibench.io.methylation.canonical import MIN_CG_SHARE, MIN_COVERAGE, to_canonical
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.columns import BLOCK_BYTES, Block, Source, text_blocks
from epibench.io.parquet import write_parquet
from epibench.io.reference import Reference

CANONICAL_COLUMNS = ("chrom", "pos", "n_meth", "n_total", "level")

READERS = {
    "methylc": methylc.read,
    "bedmethyl": bedmethyl.read_encode,
    "modkit": bedmethyl.read_modkit,
    bedmethyl.MODKIT_5MC_5HMC: bedmethyl.read_modkit_5mc_5hmc,
    "bismark_cov": bedgraph.read_one_based,
    "bismark_zero_cov": bedgraph.read_zero_based,
    "bismark_cpg_report": cytosine_report.read_one_based,
    "bismark_zero_cpg_report": cytosine_report.read_zero_based,
    "methyldackel": bedgraph.read_zero_based,
    "count_table": count_table.read,
    methylkit.FORMAT: methylkit.read,
    "allc": cytosine_tables.read_allc,
    "cgmap": cytosine_tables.read_cgmap,
    "methratio": cytosine_tables.read_methratio,
    "batmeth2": cytosine_tables.read_batmeth2,
    "methylkit_tabix": cytosine_tables.read_methylkit_tabix,
    biscuit.FORMAT: biscuit.read,
    bedmethyl.MODKIT_BEDGRAPH: biscuit.read,
    gembs.FORMAT: gembs.read,
    bigbed_bedmethyl.FORMAT: bigbed_bedmethyl.read,
    nanopolish.FORMAT: nanopolish.read,
    pacbio.PBCPG: pacbio.read_pbcpg,
    pacbio.METHBAT: pacbio.read_methbat,
    rastair.FORMAT: rastair.read,
    bigwig.FORMAT: bigwig.read,  # also takes coverage_path
}


def reader_of(fmt: str):
    """The reader of a text format's Source: ``READERS[fmt]``, or the column spec's reader."""
    return column_spec.read if columns_format.is_spec(fmt) else READERS[fmt]


def ingest(
    path: str | os.PathLike,
    reference: Reference,
    fmt: str | None = None,
    min_coverage: int = MIN_COVERAGE,
    min_cg_share: float = MIN_CG_SHARE,
    coverage_path: str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Read a methylation file (text, plain or compressed, or bigWig; detected unless ``fmt`` names a ``READERS`` key).

    Returns the canonical table (CONTRACT item 1: chrom, pos 0-based + strand C, n_meth,
    n_total, level; FASTA order; n_total >= min_coverage) and the QC dict described in
    ``canonical``: format, n_records, n_non_cg_context_dropped, renamed_chroms,
    dropped_chroms ({name: calls}), n_zero_depth_dropped, cg_share, n_off_cg_dropped,
    n_cpgs_merged, n_below_min_coverage, n_kept, mean_coverage, mean_level (plus
    format-specific counts such as modkit's n_other_modification_rows), coverage_known
    (True unless the depth is unknown) and warnings (a list of messages, usually empty).

    coverage_path: only for ``roadmap_bigwig`` (a Roadmap FractionalMethylation bigWig),
    the sample's ReadCoverage bigWig: n_total = coverage, n_meth = level x coverage. Without
    it the depth is unknown: n_total counts the strand values merged into each CpG (1 or
    2), ``min_coverage`` is not applied, QC ``coverage_known`` and ``min_coverage_applied``
    are False, ``mean_coverage`` is None, and a warning is logged and listed in QC
    ``warnings`` (see ``epibench.io.methylation.bigwig``). Given for a text format, it is
    an InputError (their depth is in the file).

    Raises InputError for unreadable or inconsistent input, naming the file and line.
    """
    if min_coverage < 1:
        raise ValueError(f"min_coverage must be >= 1, got {min_coverage}")
    if not 0 <= min_cg_share <= 1:
        raise ValueError(f"min_cg_share must be in 0..1, got {min_cg_share}")
    calls = read_calls(path, fmt, coverage_path)
    table, qc = to_canonical(calls, reference, applied_min_coverage(calls, min_coverage), min_cg_share)
    depth_qc = coverage_qc(calls.qc, min_coverage)
    return table, qc | depth_qc | {"warnings": qc["warnings"] + depth_qc["warnings"]}


def read_calls(
    path: str | os.PathLike, fmt: str | None = None, coverage_path: str | os.PathLike | None = None
) -> Calls:
    """The per-strand calls of a methylation file (format detected unless ``fmt`` names a ``READERS`` key)."""
    source = detect_source(path, fmt)
    if source.fmt == bigwig.FORMAT:
        return bigwig.read(source, coverage_path)
    _no_coverage_file(source, coverage_path)
    return reader_of(source.fmt)(source)


def read_call_parts(
    source: Source, coverage_path: str | os.PathLike | None = None, block_bytes: int = BLOCK_BYTES
) -> Iterator[Calls]:
    """The calls of ``read_calls`` in consecutive parts, in one pass over the file: a text file a
    ``table.Block`` of about ``block_bytes`` at a time, a bigWig a chromosome at a time.

    source: from ``detect_source``. Each part's ``source`` is the file's and its ``row`` the
    file's data-row indices; its ``qc`` and ``n_rows`` are its own (``calls.add_qc`` adds them up).
    """
    first_row = 0
    for calls in _parts(source, coverage_path, block_bytes):
        yield calls.in_file(source, first_row)
        first_row += calls.n_rows


def _parts(source: Source, coverage_path: str | os.PathLike | None, block_bytes: int) -> Iterator[Calls]:
    """The calls of a bigWig a chromosome at a time, of a bigBed a window of a chromosome at a time,
    of a text file a block at a time (``row`` counted from each part's first data row)."""
    if source.fmt == bigwig.FORMAT:
        yield from bigwig.read_chromosomes(source, coverage_path)
        return
    _no_coverage_file(source, coverage_path)
    if source.fmt == bigbed_bedmethyl.FORMAT:
        yield from bigbed_bedmethyl.read_parts(source)
        return
    reader, first_row = reader_of(source.fmt), 0
    for text in text_blocks(source, block_bytes):
        calls = reader(Block(**vars(source), first_row=first_row, text=text))
        yield calls
        first_row += calls.n_rows


def _no_coverage_file(source: Source, coverage_path: str | os.PathLike | None) -> None:
    """A coverage file given for a text format is an InputError."""
    if coverage_path is not None:
        raise InputError(
            f"a coverage file ({coverage_path}) applies only to {bigwig.FORMAT}; "
            f"{source.fmt} files hold their own read depth",
            path=source.path,
        )


def applied_min_coverage(calls: Calls, min_coverage: int) -> int:
    """``min_coverage``, or 1 when the file does not give the read depth (see ``coverage_qc``)."""
    return min_coverage if calls.qc.get("coverage_known", True) else 1


def coverage_qc(reader_qc: dict, min_coverage: int) -> dict:
    """QC keys on the read depth of a file (``reader_qc``: its Calls' ``qc``):
    coverage_known, warnings, and without a known depth min_coverage_applied False and
    mean_coverage None (the caller logs the warnings)."""
    if reader_qc.get("coverage_known", True):
        return {"coverage_known": True, "warnings": []}
    message = bigwig.UNKNOWN_COVERAGE_WARNING.format(min_coverage=min_coverage)
    return {
        "coverage_known": False,
        "min_coverage_applied": False,
        "mean_coverage": None,
        "warnings": [message],
    }


def write_canonical(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the canonical table to Parquet atomically."""
    write_parquet(df, path, CANONICAL_COLUMNS)
