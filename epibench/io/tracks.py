"""Signal tracks (bigWig): whole-chromosome values with NaN where the track has no data."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pyBigWig

from epibench.errors import InputError
from epibench.io.chroms import harmonise


def grid_bin_means(signal: np.ndarray, bin_size: int) -> np.ndarray:
    """Mean of ``signal`` over each grid bin, ignoring uncovered (NaN) bases.

    signal: (L,) float per bp, NaN where the track has no data. Returns (ceil(L / bin_size),)
    float32; a bin with no covered base is NaN (missing), never 0. The last bin may be short.
    """
    n_grid = -(-len(signal) // bin_size)
    padded = np.full(n_grid * bin_size, np.nan, dtype=np.float32)
    padded[: len(signal)] = signal
    bins = padded.reshape(n_grid, bin_size)
    covered = ~np.isnan(bins)
    counts = covered.sum(axis=1)
    sums = np.where(covered, bins, 0.0).sum(axis=1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).astype(np.float32)


class Track:
    """An open bigWig. ``values(chrom, end)`` gives (end,) float32, NaN = not covered.

    A chromosome missing from the bigWig reads as all-NaN (its signal is missing, not zero).
    With ``reference_names``, the bigWig's names are matched to the reference's
    (``1`` in the file serves ``chr1``, ``MT`` serves ``chrM``; epibench.io.chroms.harmonise).
    NaN/inf values stored in the file are treated as missing.
    """

    def __init__(self, path: str | os.PathLike, reference_names: Iterable[str] | None = None):
        self.path = str(path)
        try:
            self._bw = pyBigWig.open(self.path)
        except RuntimeError as err:
            raise InputError(f"cannot open as bigWig ({err})", path=path) from None
        if self._bw is None or not self._bw.isBigWig():
            raise InputError("not a bigWig file", path=path)
        self.chrom_lengths: dict[str, int] = dict(self._bw.chroms())
        mapping = harmonise(self.chrom_lengths, reference_names) if reference_names is not None else {}
        # reference name -> name in the bigWig
        self._aliases = {ref: name for name, ref in mapping.items() if ref is not None}

    def values(self, chrom: str, end: int, start: int = 0) -> np.ndarray:
        """Per-base signal of ``chrom`` (reference name) over [start, end); (end - start,) float32."""
        name = self._aliases.get(chrom, chrom)
        out = np.full(end - start, np.nan, dtype=np.float32)
        stop = min(end, self.chrom_lengths.get(name, 0))
        if stop <= start:
            return out
        vals = np.asarray(self._bw.values(name, start, stop, numpy=True), dtype=np.float32)
        vals[~np.isfinite(vals)] = np.nan
        out[: stop - start] = vals
        return out

    def grid_means(self, chrom: str, length: int, bin_size: int, chunk_bins: int = 10_000) -> np.ndarray:
        """Mean signal of ``chrom`` over each ``bin_size`` grid bin of [0, length), NaN where no
        base of the bin is covered; (ceil(length / bin_size),) float32. Reads ``chunk_bins`` bins
        at a time, so memory stays at one chunk whatever the chromosome's length.
        """
        chunk_bp = chunk_bins * bin_size
        parts = [
            grid_bin_means(self.values(chrom, min(start + chunk_bp, length), start), bin_size)
            for start in range(0, length, chunk_bp)
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float32)

    def close(self) -> None:
        self._bw.close()

    def __enter__(self) -> "Track":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
