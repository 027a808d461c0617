"""Plain count tables: chrom, position (1-based), total reads, methylated reads.

Many tools export this four-column layout (MethylSeekR's and bsseq's example tables, DSS's
input, with or without DSS's ``chr pos N X`` column-header line): one row per CpG, the position
the C of the CpG on the forward strand with strands merged, or a cytosine of either strand.
No strand column: the reference decides whether a row sits on the C or the G of a CpG.
"""

from __future__ import annotations

from epibench.io.methylation.calls import Calls, unstranded_counts
from epibench.io.methylation.columns import INT, STR, Source, check, check_count, check_start, read_columns

BASE = 1
N_COLUMNS = 4


def read(source: Source) -> Calls:
    cols = read_columns(
        source,
        {0: ("chrom", STR), 1: ("position", INT), 2: ("total reads", INT), 3: ("methylated reads", INT)},
    )
    position, n_total, n_meth = cols[1], cols[2], cols[3]
    check_start(source, position, BASE)
    check_count(source, n_total, "total read count")
    check_count(source, n_meth, "methylated read count")
    check(source, n_meth > n_total, "more methylated reads (column 4) than total reads (column 3)")
    return unstranded_counts(source, cols[0], position - BASE, n_meth, n_total, BASE)
