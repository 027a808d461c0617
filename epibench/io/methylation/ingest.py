"""Entry point of the methylation stage: one file in, the canonical CpG table and a QC dict out."""

from __future__ import annotations

import os

import pandas as pd

from epibench.io.methylation import bedgraph, bedmethyl, cytosine_report, methylc
from epibench.io.methylation.canonical import to_canonical
from epibench.io.methylation.detect import detect_source
from epibench.io.parquet import write_parquet
from epibench.io.reference import Reference

CANONICAL_COLUMNS = ("chrom", "pos", "n_meth", "n_total", "level")

READERS = {
    "methylc": methylc.read,
    "bedmethyl": bedmethyl.read_encode,
    "modkit": bedmethyl.read_modkit,
    "bismark_cov": bedgraph.read_one_based,
    "bismark_zero_cov": bedgraph.read_zero_based,
    "bismark_cpg_report": cytosine_report.read,
    "methyldackel": bedgraph.read_zero_based,
}


def ingest(
    path: str | os.PathLike,
    reference: Reference,
    fmt: str | None = None,
    min_coverage: int = 5,
    min_cg_share: float = 0.95,
) -> tuple[pd.DataFrame, dict]:
    """Read a methylation file (gzip or plain, format detected unless ``fmt`` names one of ``READERS``).

    Returns the canonical table (CONTRACT item 1: chrom, pos 0-based + strand C, n_meth,
    n_total, level; FASTA order; n_total >= min_coverage) and the QC dict described in
    ``canonical``: format, n_records, n_non_cg_context_dropped, renamed_chroms,
    dropped_chroms ({name: calls}), n_zero_depth_dropped, cg_share, n_off_cg_dropped,
    n_cpgs_merged, n_below_min_coverage, n_kept, mean_coverage, mean_level (plus
    format-specific counts such as modkit's n_other_modification_rows).
    Raises InputError for unreadable or inconsistent input, naming the file and line.
    """
    if min_coverage < 1:
        raise ValueError(f"min_coverage must be >= 1, got {min_coverage}")
    if not 0 <= min_cg_share <= 1:
        raise ValueError(f"min_cg_share must be in 0..1, got {min_cg_share}")
    source = detect_source(path, fmt)
    calls = READERS[source.fmt](source)
    return to_canonical(calls, reference, min_coverage, min_cg_share)


def write_canonical(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the canonical table to Parquet atomically."""
    write_parquet(df, path, CANONICAL_COLUMNS)
