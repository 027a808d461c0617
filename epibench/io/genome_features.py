"""3D-genome annotations as genome-wide channels on the shard grid, beside the histone marks.

- TADs (BED: chrom, start, end of each domain, e.g. from Arrowhead or a TAD caller):
  channel ``tad_boundary_distance`` = log10(1 + bp from a bin's centre to the nearest TAD
  boundary, a domain's start or end);
- loops (BEDPE: chrom1, start1, end1, chrom2, start2, end2, e.g. HiCCUPS): channel
  ``loop_anchor_distance`` = log10(1 + bp from a bin's centre to the nearest anchor, 0 inside);
- with TADs also the domain of every bin (``tad_ids``: index, -1 outside any), from which the
  dataset derives the per-CpG channel ``same_tad`` (1 where a window bin lies in the CpG's
  own domain).

Sequence names are matched to the reference (``1``/``chr1``); rows on sequences it lacks are
left out. A chromosome with no boundary (or anchor) gets NaN there: missing, not far away.
The same channels serve every sample; the model reads them like marks (a Hi-C compartment
eigenvector bigWig, being a signal, is simply a mark: ``log1p_signal`` keeps its sign).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from epibench.errors import InputError
from epibench.io.chroms import harmonise
from epibench.io.regions import read_bed_intervals
from epibench.io.textfile import COORDINATE, iter_lines, scientific_hint

TAD_CHANNEL = "tad_boundary_distance"
LOOP_CHANNEL = "loop_anchor_distance"


def _bin_centres(length: int, bin_size: int) -> np.ndarray:
    """(G,) float64 centre (bp) of each grid bin of a ``length``-bp sequence."""
    return np.arange(0, length, bin_size, dtype=np.float64) + bin_size / 2


def interval_distance_grid(starts: np.ndarray, ends: np.ndarray, length: int, bin_size: int) -> np.ndarray:
    """(G,) float32 log10(1 + distance in bp) from each bin centre to the nearest [start, end)
    interval (0 inside one); NaN everywhere when there is none. Points: intervals with end = start."""
    centres = _bin_centres(length, bin_size)
    if not len(starts):
        return np.full(len(centres), np.nan, np.float32)
    order = np.argsort(starts, kind="stable")
    starts, ends = np.asarray(starts, np.float64)[order], np.asarray(ends, np.float64)[order]
    reach = np.maximum.accumulate(ends)  # furthest end among intervals starting at or before
    right = np.searchsorted(starts, centres, side="right")  # intervals starting after: right..
    before = np.where(right > 0, np.maximum(centres - reach[np.maximum(right - 1, 0)], 0.0), np.inf)
    after = np.where(right < len(starts), starts[np.minimum(right, len(starts) - 1)] - centres, np.inf)
    return np.log10(1.0 + np.minimum(before, after)).astype(np.float32)


class GenomeFeatures:
    """TAD boundaries and loop anchors per reference sequence, and their grid channels.

    reference_names: the FASTA's sequence names; aliases: other name -> reference name
    (``Reference.aliases``), for the files' sequence names.
    """

    def __init__(
        self,
        reference_names: list[str],
        tads: str | os.PathLike | None = None,
        loops: str | os.PathLike | None = None,
        aliases: Mapping[str, str] | None = None,
    ):
        self.channels: list[str] = []
        self._points: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
        self._domains: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
        if tads:
            frame = read_bed_intervals(tads)
            boundaries = {}
            for chrom, rows in _on_reference(frame["chrom"], reference_names, aliases).items():
                points = np.unique(
                    np.concatenate([frame["start"].to_numpy()[rows], frame["end"].to_numpy()[rows]])
                )
                boundaries[chrom] = (points, points)
            self.channels.append(TAD_CHANNEL)
            self._points.append(boundaries)
            self._domains = {
                chrom: (frame["start"].to_numpy()[rows], frame["end"].to_numpy()[rows])
                for chrom, rows in _on_reference(frame["chrom"], reference_names, aliases).items()
            }
        if loops:
            self.channels.append(LOOP_CHANNEL)
            self._points.append(_read_loop_anchors(loops, reference_names, aliases))

    def grids(self, chrom: str, length: int, bin_size: int) -> list[np.ndarray]:
        """One (G,) float32 grid per channel for the reference sequence ``chrom``."""
        empty = (np.empty(0, np.int64), np.empty(0, np.int64))
        return [
            interval_distance_grid(*points.get(chrom, empty), length, bin_size) for points in self._points
        ]

    @property
    def has_tads(self) -> bool:
        return self._domains is not None

    def tad_ids(self, chrom: str, length: int, bin_size: int) -> np.ndarray:
        """(G,) int32 index of the TAD holding each bin centre of ``chrom`` (in the file's order
        on that sequence), -1 outside every TAD (the first one listed wins where TADs overlap)."""
        centres = _bin_centres(length, bin_size)
        ids = np.full(len(centres), -1, np.int32)
        starts, ends = self._domains.get(chrom, (np.empty(0), np.empty(0)))
        for index in range(len(starts) - 1, -1, -1):  # reversed: the first listed is written last
            ids[(centres >= starts[index]) & (centres < ends[index])] = index
        return ids


def _on_reference(
    chroms, reference_names: list[str], aliases: Mapping[str, str] | None
) -> dict[str, np.ndarray]:
    """reference name -> row indices of ``chroms`` (names as in the file) on it."""
    chroms = np.asarray(chroms, dtype=str)
    mapping = harmonise(set(chroms.tolist()), reference_names, aliases)
    return {
        ref: np.flatnonzero(np.isin(chroms, [name for name, r in mapping.items() if r == ref]))
        for ref in sorted({r for r in mapping.values() if r is not None})
    }


def _read_loop_anchors(
    path: str | os.PathLike, reference_names: list[str], aliases: Mapping[str, str] | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """reference name -> (starts, ends) of both anchors of every loop of a BEDPE (``#``/track lines
    and a header row such as HiCCUPS' ``chr1 x1 x2 chr2 y1 y2 ...`` skipped: a first row with no
    integer among the four anchor coordinates; a typo in one of them is an error, not a header)."""
    chroms, starts, ends = [], [], []
    first_row = True
    for number, text in iter_lines(path):
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        fields = text.split("\t")
        if first_row and len(fields) >= 6 and not any(COORDINATE.fullmatch(fields[i]) for i in (1, 2, 4, 5)):
            first_row = False
            continue
        first_row = False
        if len(fields) < 6:
            raise InputError(
                f"a BEDPE row has at least 6 tab-separated columns, found {len(fields)}", path, number
            )
        for chrom, start, end in (fields[0:3], fields[3:6]):
            if not (COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end)) or int(end) < int(start):
                raise InputError(
                    "anchor start/end must be integers (at most 18 digits) with start <= end: "
                    f"{start!r}, {end!r}{scientific_hint(start, end)}",
                    path,
                    number,
                )
            chroms.append(chrom)
            starts.append(int(start))
            ends.append(int(end))
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    return {
        ref: (starts[rows], ends[rows])
        for ref, rows in _on_reference(chroms, reference_names, aliases).items()
    }
