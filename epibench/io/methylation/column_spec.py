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
  CpG); without it the reference decides whether a row sits on the C or the G.

Example, the second sample of a methylKit ``unite()`` table: ``columns:chrom=1,pos=2,strand=4,
total=8,meth=9``. Lines of ``#``, ``track`` and a line of column names before the data are skipped
(as for every format); columns are split at tabs, or at white space in a file without a tab.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from epibench.errors import InputError
from epibench.io.methylation.calls import ON_C, ON_G, Calls, unstranded_counts
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

PREFIX = "columns:"
KEYS = ("chrom", "pos", "strand", "meth", "unmeth", "total", "level", "percent")
_COUNT_SETS = ({"meth", "total"}, {"meth", "unmeth"}, {"level", "total"}, {"percent", "total"})
STRANDS = {"+": ON_C, "-": ON_G, "F": ON_C, "R": ON_G}


@dataclass(frozen=True)
class ColumnSpec:
    """Where a table holds each value: ``columns`` key -> 0-based column; ``base`` the coordinate
    base of ``pos`` (0 or 1)."""

    columns: dict[str, int]
    base: int

    @property
    def text(self) -> str:
        """The spec as the sample sheet writes it (1-based columns, ``base`` last)."""
        named = ",".join(f"{key}={column + 1}" for key, column in self.columns.items())
        return f"{PREFIX}{named},base={self.base}"

    @property
    def n_columns(self) -> int:
        """Columns a data row needs at least."""
        return max(self.columns.values()) + 1

    def with_base(self, base: int) -> "ColumnSpec":
        return replace(self, base=base)


def is_spec(fmt: str | None) -> bool:
    """Whether a format value is a column spec (``columns:...``), not a format's name."""
    return fmt is not None and fmt.startswith(PREFIX)


def parse(fmt: str) -> ColumnSpec:
    """The ColumnSpec of ``columns:key=N,...`` (module docstring); ValueError saying what is wrong."""
    columns: dict[str, int] = {}
    base = 1
    for item in fmt[len(PREFIX) :].split(","):
        key, _, value = item.strip().partition("=")
        key, value = key.strip(), value.strip()
        if key == "base":
            if value not in ("0", "1"):
                raise ValueError(f"base is 0 or 1, got {value!r}")
            base = int(value)
            continue
        if key not in KEYS:
            raise ValueError(f"unknown key {key!r} in {item.strip()!r}: keys are {', '.join(KEYS)} and base")
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{key} names a column by its number from 1, got {value!r}")
        if key in columns:
            raise ValueError(f"{key} is given twice")
        columns[key] = int(value) - 1
    missing = [key for key in ("chrom", "pos") if key not in columns]
    if missing:
        raise ValueError(f"no {' or '.join(missing)} column: chrom and pos are needed")
    counts = set(columns) - {"chrom", "pos", "strand"}
    if counts not in _COUNT_SETS:
        choices = "; ".join(" and ".join(sorted(pair)) for pair in _COUNT_SETS)
        raise ValueError(f"the counts are one of: {choices} (given: {', '.join(sorted(counts)) or 'none'})")
    shared = [column + 1 for column in set(columns.values()) if list(columns.values()).count(column) > 1]
    if shared:
        raise ValueError(f"column {shared[0]} is named for two values")
    return ColumnSpec(columns, base)


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
