"""Cut fixed windows around CpGs out of whole-chromosome arrays (vectorised, no per-CpG loop).

Window convention: for a window of W bp around the C at 0-based ``pos`` (+ strand),
the window is [pos - (W//2 - 1), pos + W//2 + 1), so the CG sits at indices W//2-1 and W//2
(499-500 for W=1000) and reverse complement maps it to the same two indices.
Bases outside the chromosome are N.
"""

from __future__ import annotations

import numpy as np

from epibench.vocab import N_CODE


def window_starts(pos: np.ndarray, window: int) -> np.ndarray:
    """0-based start of each window, shape (N,) int64; may be negative near chromosome starts."""
    return np.asarray(pos, dtype=np.int64) - (window // 2 - 1)


def sequence_windows(chrom_codes: np.ndarray, pos: np.ndarray, window: int) -> np.ndarray:
    """Sequence codes of each CpG's window.

    chrom_codes: (L,) uint8 codes of one chromosome. pos: (N,) 0-based C positions.
    Returns (N, window) uint8, N-padded past the chromosome ends.
    """
    padded = np.full(len(chrom_codes) + 2 * window, N_CODE, dtype=np.uint8)
    padded[window : window + len(chrom_codes)] = chrom_codes
    views = np.lib.stride_tricks.sliding_window_view(padded, window)
    return views[window_starts(pos, window) + window].copy()


def binned_window_means(
    signal: np.ndarray, pos: np.ndarray, window: int, bin_size: int
) -> np.ndarray:
    """Mean signal per bin of each CpG's window, ignoring uncovered (NaN) bases.

    signal: (L,) float, NaN where the track has no data. Returns (N, window // bin_size)
    float32; a bin with no covered base is NaN (missing), never 0.
    """
    n_bins = window // bin_size
    covered = ~np.isnan(signal)
    csum = np.concatenate([[0.0], np.cumsum(np.where(covered, signal, 0.0), dtype=np.float64)])
    ccount = np.concatenate([[0], np.cumsum(covered, dtype=np.int64)])
    edges = window_starts(pos, window)[:, None] + bin_size * np.arange(n_bins + 1)[None, :]
    edges = np.clip(edges, 0, len(signal))
    sums = csum[edges[:, 1:]] - csum[edges[:, :-1]]
    counts = ccount[edges[:, 1:]] - ccount[edges[:, :-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means.astype(np.float32)
