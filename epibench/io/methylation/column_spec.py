"""Tables no known format describes, read by the columns the user names: ``columns:chrom=1,pos=2,...``.

GEO series carry methylation calls in tables of their authors' own layout (``chr pos meth total``,
``chrom start end beta coverage``), and tables of several samples (methylKit's ``unite()`` output:
``chr start end strand coverage1 numCs1 numTs1 coverage2 ...``; gemBS ``mextr`` on a cohort) hold
each sample in its own columns. The sample sheet's ``format`` cell then names the columns to read,
1-based, as ``cut -f`` counts them:

- ``chrom`` and ``pos`` (the called base's position; ``base=1``, the default, or ``base=0``);
- the counts: ``meth`` with ``total`` or with ``unmeth``, or a level with ``total`` (``level``
  0-1, or ``percent`` 0-100);
- optionally ``strand`` (``+``/``-`` or methylKit's ``F``/``R``: a ``-`` call sits on the G of its
  CpG; ``.``, strands combined); without it, or at a ``.``, the reference decides whether a row
  sits on the C or the G.

Example, the second sample of a methylKit ``unite()`` table: ``columns:chrom=1,pos=2,strand=4,
total=8,meth=9``. Lines of ``#``, ``track`` and a line of column names before the data are skipped
(as for every format); columns are split at tabs, or at white space in a file without a tab.
"""

from __future__ import annotations

import numpy as np

from epibench.columns_format import ColumnSpec, parse
from epibench.errors import InputError
from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED, Calls, unstranded_counts
from epibench.io.methylation.columns import (
    FLOAT,
    INT,
    STR,
    Source,
    check,
    check_count,
    check_fraction,
    check_start,
    decode,
    read_columns,
)

STRANDS = {"+": ON_C, "-": ON_G, "F": ON_C, "R": ON_G, ".": UNSTRANDED}


def read(source: Source) -> Calls:
    """The calls of a table read by the spec in ``source.fmt`` (every data row a call)."""
    spec = parse(source.fmt)
    at = spec.columns
    kinds = {"chrom": STR, "strand": STR, "level": FLOAT, "percent": FLOAT}
    cols = read_columns(source, {column: (key, kinds.get(key, INT)) for key, column in at.items()})
    position = cols[at["pos"]]
    check_start(source, position, spec.base)
    n_total = cols[at["total"]] if "total" in at else cols[at["meth"]] + cols[at["unmeth"]]
    for key in ("meth", "unmeth", "total"):
        if key in at:
            check_count(source, cols[at[key]], f"{key} (column {at[key] + 1})")
    if "meth" in at:
        n_meth = cols[at["meth"]].astype(np.float64)
        if "total" in at:
            check(source, n_meth > n_total, f"more methylated reads (column {at['meth'] + 1}) than total")
    else:
        key = "level" if "level" in at else "percent"
        scale = 1 if key == "level" else 100
        check_fraction(source, cols[at[key]], f"{key} (column {at[key] + 1})", scale)
        n_meth = cols[at[key]] / scale * n_total
    pos = position - spec.base
    if "strand" not in at:
        return unstranded_counts(source, cols[at["chrom"]], pos, n_meth, n_total, spec.base)
    return Calls(
        source=source,
        chrom=cols[at["chrom"]],
        pos=pos,
        strand=decode(source, cols[at["strand"]], STRANDS, f"strand (column {at['strand'] + 1})"),
        n_meth=n_meth,
        n_total=n_total,
        cg_context=None,
        row=None,  # call i is data row i
        base=spec.base,
    )


def checked(fmt: str, path) -> ColumnSpec:
    """``parse``, its ValueError an InputError naming the file."""
    try:
        return parse(fmt)
    except ValueError as exc:
        raise InputError(f"format {fmt!r}: {exc}", path=path) from None
