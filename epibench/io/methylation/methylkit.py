"""methylKit's text table (``*.myCpG.txt``, also written by ``MethylDackel extract --methylKit``).

A header line ``chrBase chr base strand coverage freqC freqT``, then one row per cytosine:
an id (``chr21.9764539``, not read), chrom, position (1-based), strand (``F`` forward, ``R``
reverse), read depth, percent methylated (0-100, two decimals), percent unmethylated. An ``R``
row gives the cytosine of the reverse strand, which is the G of the forward strand's CpG.
No context column: methylKit writes one file per context, named for it (``.myCpG.txt``,
``.myCHG.txt``); the reference keeps the CpGs.
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import (
    FLOAT,
    INT,
    STR,
    Source,
    check_count,
    check_fraction,
    check_start,
    decode,
    read_columns,
)

FORMAT = "methylkit"
N_COLUMNS = 7
BASE = 1
STRANDS = {"F": ON_C, "R": ON_G}


def united_samples(header: str) -> int:
    """How many samples a methylKit ``unite()`` table's header line names (``chr start end strand``
    then ``coverage1 numCs1 numTs1``, ``coverage2 ...``), 0 when ``header`` is not one."""
    fields = header.split()
    if fields[:4] != ["chr", "start", "end", "strand"] or len(fields) < 7 or (len(fields) - 4) % 3:
        return 0
    n = (len(fields) - 4) // 3
    expected = [f"{name}{i}" for i in range(1, n + 1) for name in ("coverage", "numCs", "numTs")]
    return n if fields[4:] == expected else 0


def read(source: Source) -> Calls:
    cols = read_columns(
        source,
        {
            1: ("chrom", STR),
            2: ("base", INT),
            3: ("strand", STR),
            4: ("coverage", INT),
            5: ("freqC", FLOAT),
        },
    )
    position, coverage, percent = cols[2], cols[4], cols[5]
    check_start(source, position, BASE)
    check_count(source, coverage, "coverage")
    check_fraction(source, percent, "freqC", 100)
    return Calls(
        source=source,
        chrom=cols[1],
        pos=position - BASE,
        strand=decode(source, cols[3], STRANDS, "strand"),
        # freqC is 100 x numCs / coverage to two decimals: the count comes back exactly below depth 10,000
        n_meth=np.rint(percent * coverage / 100),
        n_total=coverage,
        cg_context=None,
        row=None,  # call i is data row i
        base=BASE,
    )


def is_row(fields: list[str]) -> bool:
    """Whether tab-separated ``fields`` look like a methylKit data row: 7 fields, an F/R strand in
    the fourth, the position an integer."""
    return len(fields) == N_COLUMNS and fields[3] in STRANDS and fields[2].isdigit()
