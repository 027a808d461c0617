"""Bismark cytosine report (``CpG_report.txt``, also ``CX_report.txt``).

chrom, position (1-based; 0-based from ``coverage2cytosine --zero_based``, format
``bismark_zero_cpg_report``, which the content cannot tell apart), strand, count methylated,
count unmethylated, context, trinucleotide. Every CpG on both strands is listed, covered or not
(uncovered rows have 0 + 0 reads); ``-`` rows give the G of the CpG.
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import (
    INT,
    STR,
    Source,
    check_count,
    check_start,
    decode,
    read_columns,
)


def read_one_based(source: Source) -> Calls:
    return _read(source, base=1)


def read_zero_based(source: Source) -> Calls:
    return _read(source, base=0)


def _read(source: Source, base: int) -> Calls:
    cols = read_columns(
        source,
        {
            0: ("chrom", STR),
            1: ("position", INT),
            2: ("strand", STR),
            3: ("count methylated", INT),
            4: ("count unmethylated", INT),
            5: ("context", STR),
        },
    )
    position, n_meth, n_unmeth = cols[1], cols[3], cols[4]
    check_start(source, position, base)
    check_count(source, n_meth, "methylated count")
    check_count(source, n_unmeth, "unmethylated count")
    return Calls(
        source=source,
        chrom=cols[0],
        pos=position - base,
        strand=decode(source, cols[2], {"+": ON_C, "-": ON_G}, "strand"),
        n_meth=n_meth.astype(np.float64),
        n_total=n_meth + n_unmeth,
        cg_context=cols[5].isin({"CG"}),
        row=None,  # call i is data row i
        base=base,
    )
