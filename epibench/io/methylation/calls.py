"""The per-call table every format reader returns, before strands are merged."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from epibench.io.methylation.columns import Labels, Source

# Calls.strand values
ON_C, ON_G, UNSTRANDED = 1, -1, 0


@dataclass
class Calls:
    """N methylation calls as read from a file, coordinates already 0-based.

    chrom: chromosome name per call (codes into names, as in the file, not yet harmonised).
    pos: (N,) int64 0-based position of the called base: the C for a + strand call, the G
        of the CpG for a - strand call, either for an unstranded call.
    strand: (N,) int8 ON_C (+), ON_G (-) or UNSTRANDED (the reference decides which base it is).
    n_meth: (N,) float64 methylated reads (a fraction of n_total where only a level is known).
    n_total: (N,) int64 read depth.
    cg_context: (N,) bool, True where the file calls the row CG context; None when the
        format has no context column.
    row: (N,) int64 data-row index in the file (for error messages, see ``table``); None when
        call i is data row i (every row a call, none dropped: no (N,) index array to build).
    base: coordinate base the file was read as (0 or 1), for the off-by-one diagnosis.
    qc: format-specific counts for the QC report (e.g. modkit rows of other modifications).
    n_rows: data rows in the file (default N; kept through ``subset``).
    """

    source: Source
    chrom: Labels
    pos: np.ndarray
    strand: np.ndarray
    n_meth: np.ndarray
    n_total: np.ndarray
    cg_context: np.ndarray | None
    row: np.ndarray | None
    base: int
    qc: dict[str, int] = field(default_factory=dict)
    n_rows: int = -1

    def __post_init__(self) -> None:
        if self.n_rows < 0:
            self.n_rows = len(self.pos)

    def __len__(self) -> int:
        return len(self.pos)

    def data_row(self, i: int) -> int:
        """Data-row index in the file of call ``i``."""
        return int(i if self.row is None else self.row[i])

    def subset(self, keep: np.ndarray) -> "Calls":
        """The calls where ``keep`` (N,) bool is True (``self``, nothing copied, when it is True everywhere)."""
        if keep.all():
            return self
        return Calls(
            source=self.source,
            chrom=Labels(self.chrom.codes[keep], self.chrom.names),
            pos=self.pos[keep],
            strand=self.strand[keep],
            n_meth=self.n_meth[keep],
            n_total=self.n_total[keep],
            cg_context=None if self.cg_context is None else self.cg_context[keep],
            row=np.flatnonzero(keep) if self.row is None else self.row[keep],
            base=self.base,
            qc=self.qc,
            n_rows=self.n_rows,
        )

    def in_file(self, source: Source, first_row: int) -> "Calls":
        """These calls of a part of ``source`` (a ``table.Block``, a bigWig chromosome) whose first
        data row is ``first_row`` of the file: the file's Source, ``row`` as the file's data-row indices."""
        rows = np.arange(len(self), dtype=np.int64) if self.row is None else self.row
        return replace(self, source=source, row=rows + first_row)


def unstranded_counts(
    source: Source, chrom: Labels, pos: np.ndarray, n_meth: np.ndarray, n_total: np.ndarray, base: int
) -> Calls:
    """The Calls of a count format without strand or context column (every data row a call): ``pos``
    (N,) already 0-based, the reference decides whether each sits on the C or the G of its CpG."""
    return Calls(
        source=source,
        chrom=chrom,
        pos=pos,
        strand=np.full(len(pos), UNSTRANDED, dtype=np.int8),
        n_meth=n_meth.astype(np.float64),
        n_total=n_total,
        cg_context=None,
        row=None,  # call i is data row i
        base=base,
    )


def concat(parts: list["Calls"]) -> "Calls":
    """One Calls of consecutive parts of a file (1 or more, chromosome names shared, ``row`` counted
    from each part's first data row): arrays joined, ``qc`` added (``add_qc``), ``n_rows`` summed;
    ``row`` None when every part kept all its data rows in order."""
    first = parts[0]
    row = None
    if not all(p.row is None and len(p) == p.n_rows for p in parts):
        starts = np.cumsum([0] + [p.n_rows for p in parts[:-1]])
        row = np.concatenate([p.in_file(first.source, int(start)).row for p, start in zip(parts, starts)])
    qc: dict = {}
    for part in parts:
        qc = add_qc(qc, part.qc)
    return Calls(
        source=first.source,
        chrom=Labels(np.concatenate([p.chrom.codes for p in parts]), first.chrom.names),
        pos=np.concatenate([p.pos for p in parts]),
        strand=np.concatenate([p.strand for p in parts]),
        n_meth=np.concatenate([p.n_meth for p in parts]),
        n_total=np.concatenate([p.n_total for p in parts]),
        cg_context=None if first.cg_context is None else np.concatenate([p.cg_context for p in parts]),
        row=row,
        base=first.base,
        qc=qc,
        n_rows=sum(p.n_rows for p in parts),
    )


def add_qc(a: dict, b: dict) -> dict:
    """The QC counts of two consecutive parts of one file as one: numbers summed, lists joined,
    dicts merged key by key (recursively); other values (format name, flags, paths) are the same in
    every part and kept from ``a``."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = add_qc(out[key], value)
        elif isinstance(value, list) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            out[key] = out[key] + value
    return out
