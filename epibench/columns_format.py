"""The sample sheet's ``columns:`` format value: which column of a table holds what.

``columns:chrom=1,pos=2,meth=3,total=4``: 1-based columns (as ``cut -f`` counts them) of the
sequence name, the called base's position (``base=1``, the default, or ``base=0``), the counts
(``meth`` with ``total`` or ``unmeth``, or ``level`` 0-1 / ``percent`` 0-100 with ``total``) and
an optional ``strand``. The grammar only: ``epibench.io.methylation.column_spec`` reads a table by
it; the sheet's check (``epibench.config``) parses it before any job runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

PREFIX = "columns:"
KEYS = ("chrom", "pos", "strand", "meth", "unmeth", "total", "level", "percent")
_COUNT_SETS = ({"meth", "total"}, {"meth", "unmeth"}, {"level", "total"}, {"percent", "total"})


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
