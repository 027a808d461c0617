"""PacBio HiFi CpG pileups: pb-CpG-tools ``aligned_bam_to_cpg_scores`` and MethBat ``pileup``.

Both write one row per CpG, strands collapsed, on its C (0-based begin, end = begin + 1), with the
haplotype the row counts in a ``type`` column (``Total``, ``hap1``, ``hap2``) and ``mod_score`` a
percent; v3 of pb-CpG-tools and MethBat write ``##key=value`` lines and a ``#chrom ...`` line of
column names first (header lines to detection).

``pbcpg`` (pb-CpG-tools v2 and v3, ``<prefix>.combined.bed[.gz]``, ``.hap1``, ``.hap2``): chrom,
begin, end, mod_score, type, cov, then in ``model`` pileup mode est_mod_count, est_unmod_count,
discretized_mod_score (9 columns), in ``count`` mode mod_count, unmod_count, avg_mod_score,
avg_unmod_score (10). n_meth = column 7 (the modified count; the model's estimate, whose sum
with column 8 is cov), n_total = cov.

``methbat`` (MethBat ``pileup``, ``<prefix>.5mC.bed.gz``; 15 columns): chrom, start, end, name (the
modification code: ``m``, ``h``, ``a``), score (tenths of a percent), strand, mod_score, type, cov,
mod_count, unmod_count, inferred_unmod_count, diff_base_count, avg_mod_score, avg_unmod_score.
n_meth = mod_count, n_total = cov; rows of other modifications (its 5hmC and 6mA files) are
counted and dropped.

A file that holds ``Total`` rows (MethBat interleaves the three types; pb-CpG-tools writes a file
per type) is read from them, its haplotype rows counted and dropped; a file of one haplotype
(``<prefix>.hap1.bed.gz``) is read whole.
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import (
    INT,
    STR,
    Source,
    check,
    check_count,
    check_start,
    decode,
    read_columns,
)

BASE = 0
PBCPG, METHBAT = "pbcpg", "methbat"
N_COLUMNS = {PBCPG: (9, 10), METHBAT: (15,)}
TYPES = {"Total", "hap1", "hap2"}
ALL_READS = "Total"
FIVE_MC = "m"
_STRANDS = {"+": ON_C, "-": ON_G, ".": ON_C}  # "." (strands collapsed): the row sits on the C


def pileup_format(fields: list[str]) -> str | None:
    """``pbcpg`` or ``methbat`` when tab-separated ``fields`` look like a row of one, else None."""
    n = len(fields)
    if n in N_COLUMNS[PBCPG] and fields[4] in TYPES and fields[1].isdigit() and fields[2].isdigit():
        return PBCPG
    if n in N_COLUMNS[METHBAT] and fields[7] in TYPES and fields[5] in _STRANDS:
        return METHBAT
    return None


def read_pbcpg(source: Source) -> Calls:
    return _read(source, type_column=4, n_total_column=5, n_meth_column=6)


def read_methbat(source: Source) -> Calls:
    return _read(source, type_column=7, n_total_column=8, n_meth_column=9, code_column=3, strand_column=5)


def _read(
    source: Source,
    type_column: int,
    n_total_column: int,
    n_meth_column: int,
    code_column: int | None = None,
    strand_column: int | None = None,
) -> Calls:
    """The calls of a pileup whose columns are at these indices (0-based); ``code_column``: the
    modification code's, None for a file of 5mC only; ``strand_column`` None for rows on the C."""
    columns = {
        0: ("chrom", STR),
        1: ("begin", INT),
        type_column: ("type", STR),
        n_total_column: ("cov", INT),
        n_meth_column: ("modified count", INT),
    }
    if code_column is not None:
        columns[code_column] = ("modification code", STR)
    if strand_column is not None:
        columns[strand_column] = ("strand", STR)
    cols = read_columns(source, columns)
    begin, n_total, n_meth = cols[1], cols[n_total_column], cols[n_meth_column]
    check_start(source, begin, BASE)
    check_count(source, n_total, "cov")
    check_count(source, n_meth, "modified count")
    check(source, n_meth > n_total, "a modified count above cov")
    types = cols[type_column]
    check(source, ~types.isin(TYPES), f"type must be one of {', '.join(sorted(TYPES))}")
    has_total = any(fields[type_column] == ALL_READS for fields in source.sample)
    keep = np.ones(len(begin), bool)
    qc = {}
    if strand_column is None:
        strand = np.full(len(begin), ON_C, dtype=np.int8)
    else:
        strand = decode(source, cols[strand_column], _STRANDS, "strand")
    if code_column is not None:
        keep = cols[code_column].isin({FIVE_MC})
        qc["n_other_modification_rows"] = int((~keep).sum())
    haplotype = keep & ~types.isin({ALL_READS}) if has_total else np.zeros(len(begin), bool)
    keep &= ~haplotype
    qc["n_haplotype_rows_dropped"] = int(haplotype.sum())
    calls = Calls(
        source=source,
        chrom=cols[0],
        pos=begin - BASE,
        strand=strand,
        n_meth=n_meth.astype(np.float64),
        n_total=n_total,
        cg_context=None,
        row=None,  # call i is data row i
        base=BASE,
        qc=qc,
    )
    return calls.subset(keep)
