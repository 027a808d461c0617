"""BISCUIT's methylation BED (``biscuit vcf2bed -t cg``; ``biscuit mergecg``).

Five tab-separated columns: chrom, start (0-based), end, beta (methylated share, 0-1, to two or
three decimals), coverage. ``vcf2bed`` writes one row per cytosine of either strand (1 bp: the
reference decides whether it is the C or the G of its CpG); ``mergecg`` one row per CpG with
both strands summed (2 bp, from its C).
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import ON_C, UNSTRANDED, Calls
from epibench.io.methylation.columns import (
    FLOAT,
    INT,
    STR,
    Source,
    check,
    check_count,
    check_fraction,
    check_start,
    read_columns,
)
from epibench.io.textfile import is_number

FORMAT = "biscuit"
N_COLUMNS = 5
BASE = 0
CYTOSINE, CPG = 1, 2  # row widths (bp): vcf2bed, mergecg


def read(source: Source) -> Calls:
    cols = read_columns(
        source,
        {0: ("chrom", STR), 1: ("start", INT), 2: ("end", INT), 3: ("beta", FLOAT), 4: ("coverage", INT)},
    )
    start, width, beta, coverage = cols[1], cols[2] - cols[1], cols[3], cols[4]
    check_start(source, start, BASE)
    check(
        source, (width != CYTOSINE) & (width != CPG), "a row neither 1 bp (a cytosine) nor 2 bp (a CpG) wide"
    )
    check_fraction(source, beta, "beta", 1)
    check_count(source, coverage, "coverage")
    return Calls(
        source=source,
        chrom=cols[0],
        pos=start,
        strand=np.where(width == CPG, ON_C, UNSTRANDED).astype(np.int8),
        # beta is given to two decimals (three in later versions): the count comes back exactly
        # below coverage 100 (1,000)
        n_meth=np.rint(beta * coverage),
        n_total=coverage,
        cg_context=None,
        row=None,  # call i is data row i
        base=BASE,
    )


def is_row(fields: list[str]) -> bool:
    """Whether tab-separated ``fields`` look like a BISCUIT row: 5 fields, a 1- or 2-bp interval,
    a fraction, a whole coverage."""
    if len(fields) != N_COLUMNS or not all(f.isdigit() for f in (fields[1], fields[2], fields[4])):
        return False
    return (
        int(fields[2]) - int(fields[1]) in (CYTOSINE, CPG)
        and is_number(fields[3])
        and 0 <= float(fields[3]) <= 1
    )
