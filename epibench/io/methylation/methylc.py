"""WashU Epigenome Browser methylC: chrom, start, end, context, level (0-1), strand, depth.

0-based half-open, one row per cytosine. Older files swap the last two columns (depth
before strand); the strand column is the one of 6 and 7 that holds ``+``/``-`` in the
sampled rows (in most of them, where one has a bad strand: reading then names its line).
Only a level is given, so n_meth = level x depth (float).
"""

from __future__ import annotations


from epibench.errors import InputError
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

BASE = 0
CG_CONTEXTS = {"CG", "CpG"}


def read(source: Source) -> Calls:
    strand_col = _strand_column(source)
    depth_col = 11 - strand_col  # columns 5 and 6 (0-based) hold strand and depth in either order
    cols = read_columns(
        source,
        {
            0: ("chrom", STR),
            1: ("start", INT),
            3: ("context", STR),
            4: ("level", FLOAT),
            strand_col: ("strand", STR),
            depth_col: ("depth", INT),
        },
    )
    start, level, depth = cols[1], cols[4], cols[depth_col]
    check_start(source, start, BASE)
    check_fraction(source, level, "level", 1)
    check_count(source, depth, "read depth")
    return Calls(
        source=source,
        chrom=cols[0],
        pos=start - BASE,
        strand=decode(source, cols[strand_col], {"+": ON_C, "-": ON_G}, "strand"),
        n_meth=level * depth,
        n_total=depth,
        cg_context=cols[3].isin(CG_CONTEXTS),
        row=None,  # call i is data row i
        base=BASE,
    )


def _strand_column(source: Source) -> int:
    """Column 5 or 6 (0-based), whichever holds +/- in more of the sampled rows, so that reading
    names the line of a row with a bad strand (or with the wrong number of columns)."""
    rows = [fields for fields in source.sample if len(fields) == 7]
    counts = {col: sum(fields[col] in ("+", "-") for fields in rows) for col in (5, 6)}
    col = max(counts, key=counts.get)
    if counts[col]:
        return col
    from epibench.io.methylation.detect import detected_hint  # detect imports the readers

    raise InputError(
        "methylC: neither column 6 nor column 7 holds +/- in the first rows"
        + detected_hint(source.path, "methylc"),
        path=source.path,
        line=source.n_header + 1,
    )
