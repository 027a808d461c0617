"""rastair ``call`` BED output: TAPS methylation calls per cytosine (Ludwig Institute's successor
of asTair).

A header line ``#chr start end name beta_est strand unmod mod no_snp snp coverage genotype
gt_p_score gt_conf_score cpg``, then one row per cytosine of a CpG: start 0-based (end = start + 1),
the strand (``+`` a row on the C, ``-`` on the G of its CpG), the reads that read the cytosine as
unmodified (``unmod``) and as modified (``mod``: in TAPS the converted, methylated ones), then
genotype columns, and ``cpg``: ``REF`` for a CpG of the reference, ``NEW`` for a de novo CpG that
a variant of the sample makes (not a CpG of the reference: dropped as not in CG context, counted).
n_meth = mod, n_total = unmod + mod; ``coverage`` (every read over the base, SNP evidence included)
and ``beta_est`` (``.`` where no read decided) are not read. Files of rastair 1 have no ``cpg``
column (14 columns).
"""

from __future__ import annotations

import re

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import INT, STR, Source, check_count, check_start, decode, read_columns

FORMAT = "rastair"
N_COLUMNS = (14, 15)
BASE = 0
STRANDS = {"+": ON_C, "-": ON_G}
CPG_KINDS = {"REF": 1, "NEW": 0}  # a CpG of the reference, a de novo CpG of the sample
_GENOTYPE = re.compile(r"[ACGT]/[ACGT]")


def is_row(fields: list[str]) -> bool:
    """Whether tab-separated ``fields`` look like a rastair row: 14 or 15 fields, a strand in the
    sixth, a genotype (``C/C``, ``G/A``) in the twelfth and, with 15, ``REF`` or ``NEW`` last."""
    n = len(fields)
    return (
        n in N_COLUMNS
        and fields[5] in STRANDS
        and bool(_GENOTYPE.fullmatch(fields[11]))
        and (n == 14 or fields[14] in CPG_KINDS)
    )


def read(source: Source) -> Calls:
    columns = {0: ("chr", STR), 1: ("start", INT), 5: ("strand", STR), 6: ("unmod", INT), 7: ("mod", INT)}
    if source.n_columns == 15:
        columns[14] = ("cpg", STR)
    cols = read_columns(source, columns)
    start, unmod, mod = cols[1], cols[6], cols[7]
    check_start(source, start, BASE)
    check_count(source, unmod, "unmod")
    check_count(source, mod, "mod")
    cg_context = None
    if source.n_columns == 15:
        cg_context = decode(source, cols[14], CPG_KINDS, "cpg").astype(bool)
    return Calls(
        source=source,
        chrom=cols[0],
        pos=start - BASE,
        strand=decode(source, cols[5], STRANDS, "strand"),
        n_meth=mod.astype(np.float64),
        n_total=unmod + mod,
        cg_context=cg_context,
        row=None,  # call i is data row i
        base=BASE,
    )
