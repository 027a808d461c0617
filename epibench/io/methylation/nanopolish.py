"""nanopolish / f5c methylation frequency tables (``calculate_methylation_frequency.py``, ``f5c meth-freq``).

A header line (chromosome, start, end, num_motifs_in_group, or num_cpgs_in_group in older
versions, called_sites, called_sites_methylated, methylated_frequency, group_sequence), then one
row per group of nearby CpGs that the caller scored together: start and end are the 0-based
positions of the C of the group's first and last CpG on the + strand (both strands' reads are
merged there), group_sequence the reference around the group from 5 bases before its first C.
called_sites and called_sites_methylated count every CpG of the group once per read, so each of
the group's n CpGs has called_sites / n reads, called_sites_methylated / n of them methylated.
Tables written with ``--split-groups`` have one row per CpG already (group_sequence
``split-group``). The CpGs of a group are found in its group_sequence; a group whose sequence
does not hold its n CpGs, from start to end, is an error naming the line.
"""

from __future__ import annotations

import re

import numpy as np

from epibench.io.methylation.calls import ON_C, Calls
from epibench.io.methylation.columns import INT, STR, Source, check, check_count, check_start, read_columns

FORMAT = "nanopolish_frequency"
BASE = 0
N_COLUMNS = 8
_HEADER = re.compile(
    r"chromosome\tstart\tend\tnum_(motifs|cpgs)_in_group\tcalled_sites\tcalled_sites_methylated\b"
)
_SPLIT = "split-group"


def is_header(text: str) -> bool:
    """Whether a first line is the frequency table's header."""
    return bool(_HEADER.match(text))


def read(source: Source) -> Calls:
    cols = read_columns(
        source,
        {
            0: ("chromosome", STR),
            1: ("start", INT),
            2: ("end", INT),
            3: ("num_motifs_in_group", INT),
            4: ("called_sites", INT),
            5: ("called_sites_methylated", INT),
            7: ("group_sequence", STR),
        },
    )
    start, end, n, called, methylated = cols[1], cols[2], cols[3], cols[4], cols[5]
    check_start(source, start, BASE)
    check(source, n < 1, "num_motifs_in_group below 1")
    check_count(source, called, "called_sites")
    check(source, methylated > called, "called_sites_methylated above called_sites")
    check(source, methylated < 0, "negative called_sites_methylated")
    check(
        source,
        (called % n != 0) | (methylated % n != 0),
        "called_sites(_methylated) not a multiple of num_motifs_in_group (a call per CpG and read)",
    )
    offsets = _cpg_offsets(cols[7].names, int(n.max(initial=1)))  # (labels, max n), -1 past a label's CpGs
    last = offsets[cols[7].codes, n - 1]
    check(
        source,
        (n > 1) & (last != end - start),
        "group_sequence does not hold num_motifs_in_group CpGs from start to end",
    )
    row = np.repeat(np.arange(len(n)), n)
    within = np.arange(len(row)) - np.repeat(np.cumsum(n) - n, n)  # each CpG's index in its group
    offset = np.where(n[row] > 1, offsets[cols[7].codes[row], within], 0)
    return Calls(
        source=source,
        chrom=cols[0]._replace(codes=cols[0].codes[row]),
        pos=start[row] + offset,
        strand=np.full(len(row), ON_C, dtype=np.int8),
        n_meth=(methylated // n)[row].astype(np.float64),
        n_total=(called // n)[row],
        cg_context=None,
        row=row,
        base=BASE,
        n_rows=len(n),
    )


def _cpg_offsets(sequences: np.ndarray, width: int) -> np.ndarray:
    """(len(sequences), width) int64: the offsets of the C of each CG in each group sequence from its
    first CG's C (0 first), -1 where a sequence has fewer CGs (``split-group``: only 0)."""
    out = np.full((len(sequences), width), -1, dtype=np.int64)
    for i, sequence in enumerate(sequences):
        starts = [0] if sequence == _SPLIT else [m.start() for m in re.finditer("(?=CG)", sequence.upper())]
        found = np.asarray(starts[:width], dtype=np.int64) - (starts[0] if starts else 0)
        out[i, : len(found)] = found
    return out
