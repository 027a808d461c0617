"""Signal tracks (bigWig): whole-chromosome values with NaN where the track has no data."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pyBigWig

from epibench.errors import InputError
from epibench.io.chroms import harmonise


class Track:
    """An open bigWig. ``values(chrom, length)`` gives (length,) float32, NaN = not covered.

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

    def values(self, chrom: str, length: int) -> np.ndarray:
        """Per-base signal of ``chrom`` (reference name) over [0, length); (length,) float32."""
        name = self._aliases.get(chrom, chrom)
        out = np.full(length, np.nan, dtype=np.float32)
        if name not in self.chrom_lengths:
            return out
        end = min(length, self.chrom_lengths[name])
        vals = np.asarray(self._bw.values(name, 0, end, numpy=True), dtype=np.float32)
        vals[~np.isfinite(vals)] = np.nan
        out[:end] = vals
        return out

    def close(self) -> None:
        self._bw.close()

    def __enter__(self) -> "Track":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
