"""Six-column count bedGraphs: chrom, start, end, percent, n methylated, n unmethylated.

Bismark coverage (``.bismark.cov``) is 1-based (start = end = the cytosine);
``.zero.cov`` and MethylDackel bedGraphs (after a ``track`` line) are 0-based half-open
(MethylDackel ``--mergeContext`` gives one 2-bp interval starting at the C). No strand
column: the reference decides whether a row sits on the C or the G of a CpG.
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import Calls, unstranded_counts
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


def read_zero_based(source: Source) -> Calls:
    return _read(source, base=0)


def read_one_based(source: Source) -> Calls:
    return _read(source, base=1)


def check_end(source: Source, start: np.ndarray, end: np.ndarray, base: int) -> None:
    """A 0-based half-open interval ends after its start; a 1-based closed one not before it.

    A row with start == end is therefore one-based: reading such a file zero-based (which
    would move every call one base to the right) is an error naming the line.
    """
    if base == 0:
        check(
            source,
            end <= start,
            "end <= start: an empty zero-based interval (a file whose rows have "
            "start == end is one-based Bismark coverage, format bismark_cov)",
        )
    else:
        check(source, end < start, "end < start")


def _read(source: Source, base: int) -> Calls:
    cols = read_columns(
        source,
        {
            0: ("chrom", STR),
            1: ("start", INT),
            2: ("end", INT),
            3: ("percent", FLOAT),
            4: ("count methylated", INT),
            5: ("count unmethylated", INT),
        },
    )
    start, percent, n_meth, n_unmeth = cols[1], cols[3], cols[4], cols[5]
    check_start(source, start, base)
    check_end(source, start, cols[2], base)
    check_fraction(source, percent, "percent", 100)
    check_count(source, n_meth, "methylated count")
    check_count(source, n_unmeth, "unmethylated count")
    return unstranded_counts(source, cols[0], start - base, n_meth, n_meth + n_unmeth, base)
