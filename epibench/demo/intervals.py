"""Interval helpers on 0-based, half-open coordinates, vectorised with numpy."""

from __future__ import annotations

import numpy as np


def interval_mask(length: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Boolean array (length,), True on every base covered by some [start, end) (clipped to the chromosome)."""
    starts = np.clip(np.asarray(starts, dtype=np.int64), 0, length)
    ends = np.clip(np.asarray(ends, dtype=np.int64), 0, length)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta[:-1]) > 0


def covered(length: int, intervals) -> np.ndarray:
    """Boolean array (length,), True on bases inside any (start, end) pair of ``intervals``."""
    pairs = np.array(list(intervals), dtype=np.int64).reshape(-1, 2)
    return interval_mask(length, pairs[:, 0], pairs[:, 1])


def distance_to_points(start: int, end: int, points: np.ndarray) -> int:
    """Smallest distance in bp between the interval [start, end) and any of ``points`` (a large number if none)."""
    points = np.asarray(points, dtype=np.int64)
    if points.size == 0:
        return 1 << 40
    gaps = np.maximum(np.maximum(start - points, points - (end - 1)), 0)
    return int(gaps.min())


def overlaps(start: int, end: int, intervals: list[tuple[int, int]], pad: int = 0) -> bool:
    """Whether [start - pad, end + pad) overlaps any (s, e) of ``intervals``."""
    return any(start - pad < e and s < end + pad for s, e in intervals)
