"""Dataset index <-> (shard, row) for the rows of one split, in memory that does not grow with the rows.

A shard's rows are sorted by chromosome and position, and a split is a set of whole
chromosomes or blocks, so one split's rows form a few runs of consecutive rows per shard.
Only the runs are kept: (shard, first row, length), a few per chromosome or block.
"""

from __future__ import annotations

import numpy as np


def split_runs(split_codes: np.ndarray, code: int) -> tuple[np.ndarray, np.ndarray]:
    """Start rows and lengths of the runs of ``split_codes == code``; two (R,) int64 arrays."""
    inside = np.concatenate([[False], np.asarray(split_codes) == code, [False]])
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    starts, ends = edges[0::2], edges[1::2]
    return starts.astype(np.int64), (ends - starts).astype(np.int64)


class RowIndex:
    """Maps dataset indices 0..n-1 to (shard number, row in shard), shard by shard in order."""

    def __init__(self, runs_per_shard: list[tuple[np.ndarray, np.ndarray]]):
        shard, first, length = [], [], []
        for number, (starts, lengths) in enumerate(runs_per_shard):
            shard.append(np.full(len(starts), number, dtype=np.int64))
            first.append(starts)
            length.append(lengths)
        self._shard = np.concatenate(shard) if shard else np.empty(0, np.int64)
        self._first = np.concatenate(first) if first else np.empty(0, np.int64)
        lengths = np.concatenate(length) if length else np.empty(0, np.int64)
        self._offset = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def __len__(self) -> int:
        return int(self._offset[-1])

    def locate(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(shard number, row in shard) of each dataset index; two (N,) int64 arrays."""
        index = np.asarray(index, dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= len(self)):
            raise IndexError(f"dataset index out of range 0..{len(self) - 1}")
        run = np.searchsorted(self._offset, index, side="right") - 1
        return self._shard[run], self._first[run] + index - self._offset[run]

    def shard_ranges(self) -> list[tuple[int, int, int]]:
        """(shard number, first dataset index, end dataset index) of every run, in order."""
        return [(int(s), int(a), int(b)) for s, a, b in zip(self._shard, self._offset[:-1], self._offset[1:])]

    def subset(self, fraction: float, rng: np.random.Generator, block_rows: int = 64) -> "RowIndex":
        """A RowIndex of a random ``fraction`` (0-1] of the rows, taken in blocks of up to
        ``block_rows`` consecutive rows (at least one block), in the original order."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        shard, start, length = [], [], []
        for number, first_row, n_rows in zip(self._shard, self._first, np.diff(self._offset)):
            offsets = np.arange(0, n_rows, block_rows)
            shard.append(np.full(len(offsets), number, dtype=np.int64))
            start.append(first_row + offsets)
            length.append(np.minimum(offsets + block_rows, n_rows) - offsets)
        shard, start, length = (
            np.concatenate(a) if a else np.empty(0, np.int64) for a in (shard, start, length)
        )
        n_keep = max(1, round(fraction * len(shard))) if len(shard) else 0
        keep = np.sort(rng.choice(len(shard), size=n_keep, replace=False))
        runs = [
            (start[keep][shard[keep] == number], length[keep][shard[keep] == number])
            for number in range(int(self._shard.max()) + 1 if len(self._shard) else 0)
        ]
        return RowIndex(runs)
