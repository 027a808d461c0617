"""Window geometry: where a CpG's sequence window and histone bins lie on its chromosome.

Sequence window: for a window of W bp around the C at 0-based ``pos`` (+ strand), the window
is [pos - (W//2 - 1), pos + W//2 + 1), so the CG sits at indices W//2-1 and W//2 (499-500
for W=1000) and reverse complement maps it to the same two indices. Bases outside the
chromosome are N.

Histone bins: marks are stored once per chromosome as means over a fixed grid of
``bin_size`` bins ([0, b), [b, 2b), ...), not per CpG (neighbouring windows overlap ~10x).
A CpG's W // bin_size bins are the consecutive grid bins whose first edge is the grid edge
nearest its sequence window's start, so the binned view is offset from the sequence window
by at most bin_size / 2 bp (0 when the window starts on the grid).
"""

from __future__ import annotations

import numpy as np


def window_starts(pos: np.ndarray, window: int) -> np.ndarray:
    """0-based start of each sequence window, shape (N,) int64; may be negative near chromosome starts."""
    return np.asarray(pos, dtype=np.int64) - (window // 2 - 1)


def first_bins(pos: np.ndarray, window: int, bin_size: int) -> np.ndarray:
    """Grid index of each CpG's first histone bin, (N,) int64 (may be negative near the start)."""
    return np.floor_divide(window_starts(pos, window) + bin_size // 2, bin_size)


def input_span(pos: np.ndarray, window: int, bin_size: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last bp (inclusive) that a CpG's inputs (sequence window and histone bins) read."""
    starts = window_starts(pos, window)
    bin_starts = first_bins(pos, window, bin_size) * bin_size
    n_bins = window // bin_size
    first = np.minimum(starts, bin_starts)
    last = np.maximum(starts + window, bin_starts + n_bins * bin_size) - 1
    return first, last
