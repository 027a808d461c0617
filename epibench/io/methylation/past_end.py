"""Calls past the end of their reference sequence, and what the length error says about them.

A call beyond its sequence's end stops the run (``lengths.check_calls_within``). Usually that is
another assembly; but when the calls within the sequences sit on the reference's cytosines as read
(the CG check's measure), the reference is shorter than the sequences the calls were made on: a
FASTA excerpt of a chromosome (a test on its first megabases) or a shortened version. The error
then says so, with the count of calls past each end, how far the farthest lies, the first such
line of the file, and a one-line way to drop them.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from epibench.io.chroms import listed
from epibench.io.methylation import bigbed_bedmethyl, bigwig
from epibench.io.methylation.calls import Calls
from epibench.io.methylation.columns import Source, locate
from epibench.io.methylation.offsets import OffsetFit
from epibench.io.reference import Reference
from epibench.io.textfile import compression
from epibench.errors import excerpt

_BINARY = {bigwig.FORMAT, bigbed_bedmethyl.FORMAT}  # no lines to quote or to filter with awk


@dataclass
class PastEnd:
    """A file's calls at or past the end of their reference sequence, gathered part by part.

    lengths: (S,) int64 bp of each sequence of ``reference.chroms``; counts: (S,) int64 calls past
    each; ends: (S,) int64 the largest 0-based position + 1 of those calls (0 without one); first:
    the first such call in file order, None without one: (its data row, its sequence's index into
    ``reference.chroms``, the file's name of that sequence, its position as the file writes it:
    0-based + ``base``, the file's coordinate base); names: the file's name of each sequence with a
    call past its end, by index into ``reference.chroms``.
    """

    lengths: np.ndarray
    counts: np.ndarray
    ends: np.ndarray
    first: tuple[int, int, str, int, int] | None = None
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def start(cls, reference: Reference) -> PastEnd:
        """No call yet, against ``reference``'s lengths."""
        lengths = np.array([reference.length(name) for name in reference.chroms], dtype=np.int64)
        return cls(lengths, np.zeros(len(lengths), dtype=np.int64), np.zeros(len(lengths), dtype=np.int64))

    def add(self, calls: Calls, ref_chrom: np.ndarray) -> np.ndarray:
        """Count the calls of ``calls`` (a part, in file order; ``ref_chrom``: (N,) index into the
        reference's sequences) past their sequence's end; return that (N,) bool mask."""
        past = calls.pos >= self.lengths[ref_chrom]
        if past.any():
            self.counts += np.bincount(ref_chrom[past], minlength=len(self.counts))
            np.maximum.at(self.ends, ref_chrom[past], calls.pos[past] + 1)
            indices, rows = np.unique(ref_chrom[past], return_index=True)
            for index, row in zip(indices.tolist(), np.flatnonzero(past)[rows].tolist()):
                self.names.setdefault(index, str(calls.chrom.names[calls.chrom.codes[row]]))
            if self.first is None:
                i = int(np.argmax(past))
                name = str(calls.chrom.names[calls.chrom.codes[i]])
                self.first = (
                    calls.data_row(i),
                    int(ref_chrom[i]),
                    name,
                    int(calls.pos[i]) + calls.base,
                    calls.base,
                )
        return past

    def cause(
        self, source: Source, reference: Reference, fit: Callable[[], OffsetFit], min_share: float
    ) -> tuple[str, str] | None:
        """The length error's verdict and advice (``lengths.check_lengths``' ``cause``) when the calls
        within the sequences fit the reference: ``fit()`` (their ``OffsetFit``, measured only here, on
        the error's path) has at least ``min_share`` of them on a cytosine as read. None when no call
        is past an end or they do not fit (another assembly: the error's own verdict)."""
        if self.first is None:
            return None
        measured = fit()
        if not measured.n_calls or measured.cytosine_share() < min_share:
            return None
        row, index, name, position, base = self.first
        beyond = {
            reference.chroms[i]: f"{_calls(self.counts[i])} past its {self.lengths[i]:,} bp, the farthest "
            f"{self.ends[i] - self.lengths[i]:,} bp beyond"
            for i in np.flatnonzero(self.counts)
        }
        number, text = (None, "") if source.fmt in _BINARY else locate(source, row)
        where = f"; the first at line {number:,}: {excerpt(text)}" if number else ""
        n_past, share = int(self.counts.sum()), _floored(measured.cytosine_share())
        verdict = (
            f"{_calls(n_past)} {'lies' if n_past == 1 else 'lie'} past the end of their sequence "
            f"({listed(beyond, 5)}{where}), yet {share} of the first {_calls(measured.n_calls)} within the "
            "sequences sit on a cytosine of the reference as read: the reference looks like an excerpt "
            "or a shorter version of the sequences the calls were made on, not another assembly"
        )
        advice = (
            "Use the FASTA of the whole chromosomes as reference.fasta, or drop the calls past the end"
            + _dropping(source, text, name, position, self._last_positions(base))
        )
        return verdict, advice

    def _last_positions(self, base: int) -> dict[str, int]:
        """The file's name of each sequence with a call past its end -> its last position as a file of
        coordinate ``base`` writes it."""
        return {name: int(self.lengths[i]) - 1 + base for i, name in sorted(self.names.items())}


def _floored(share: float) -> str:
    """``share`` in per cent, rounded down to two decimals (99.995 % reads 99.99%, not 100.00%)."""
    return f"{math.floor(share * 10_000) / 100:.2f}%"


def _calls(n: int) -> str:
    """``n`` calls, in words: ``1 call``, ``12,345 calls``."""
    return f"{int(n):,} call" + ("" if n == 1 else "s")


def _dropping(source: Source, text: str, name: str, position: int, last: dict[str, int]) -> str:
    """``, e.g. <shell line>``: a line that writes ``source`` without its rows past the end of their
    sequence (``last``: the file's name of each such sequence -> its last position as the file writes
    positions), its columns found from ``text``, the line of a call past the end (``name`` and
    ``position`` each in a column of its own, the position's after the name's), for a plain or gzip
    text file (by its first bytes, as the readers tell); "" where no such line can be written."""
    fields = text.split()
    if name not in fields or str(position) not in fields[fields.index(name) + 1 :]:
        return ""
    if any(c in sequence for sequence in last for c in '"\\'):  # no awk string could hold the name
        return ""
    chrom = fields.index(name) + 1
    column = fields.index(str(position), chrom) + 1
    past = " || ".join(f'(${chrom}=="{sequence}" && ${column}>{end})' for sequence, end in last.items())
    program = shlex.quote(f"!({past})")
    path = source.path
    quoted, out = shlex.quote(str(path)), shlex.quote(str(path.with_name(f"trimmed_{path.name}")))
    packed = compression(path)
    if packed == "gzip":
        return f", e.g.: gzip -dc {quoted} | awk {program} | gzip > {out}"
    if packed is not None:
        return ""
    return f", e.g.: awk {program} {quoted} > {out}"
