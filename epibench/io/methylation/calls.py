"""The per-call table every format reader returns, before strands are merged."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from epibench.io.methylation.table import Labels, Source

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
