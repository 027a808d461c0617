"""Histone-mark tracks that are not bigWigs -> a bigWig on the reference's sequences.

Labs bring marks as bedGraph (deepTools ``bamCoverage --outFileFormat bedgraph``, MACS
``*_treat_pileup.bdg`` or ``bdgcmp`` fold enrichment), as wiggle (``fixedStep``/``variableStep``,
older GEO submissions), as peak calls (MACS/ENCODE narrowPeak, broadPeak, gappedPeak, plain BED,
HOMER ``findPeaks`` peak files), as bigBed peaks (ENCODE's bigBed narrowPeak), or as the aligned
reads themselves (BAM, CRAM, SAM, tagAlign: their coverage, epibench.io.read_coverage). The shard
builder reads bigWigs (``epibench.io.tracks.Track``), so ``epibench mark-bigwig`` writes each
such file once as a bigWig whose header is the reference's sequences and lengths:

- bedGraph and wiggle: the value over each interval (a wiggle's positions are 1-based, each
  covering ``span`` bases); a base outside every interval is missing (NaN). Intervals of one
  sequence may come in any order but may not overlap. Columns are split at tabs, or at white
  space in a line without a tab (UCSC's own examples).
- peaks: the peak's ``signalValue`` (column 7 of narrowPeak and broadPeak, 13 of gappedPeak;
  of a bigBed the autoSql field ``signalValue``; of a HOMER peak file, whose start is 1-based,
  its Normalized Tag Count, tags per 10 M) inside it, the largest where peaks overlap, and
  0 between peaks (no peak was called there: a measurement, not missing) on every sequence with
  a peak; a sequence without any peak is missing (the file may be an excerpt). Where no
  signalValue is given (BED3-6 and BED12, -1 throughout, a bigBed without that field) a peak is 1;
  a peak of -1 among peaks with values (merged peak sets) is missing inside, unless another peak
  covers it.
- names meet the reference's as everywhere (``chroms.harmonise``: chr1/1/NC_000001.11,
  chrM/MT); intervals on sequences the reference lacks are dropped and counted. An interval
  that starts past the end of its sequence is an InputError (another assembly); one that only
  ends past it (MACS peaks at a chromosome's end) is clipped and counted.

The file is read a chunk at a time (``epibench.io.mark_readers``) and each sequence's intervals
kept as a bigWig holds them, uint32 start and end and float32 value: 12 bytes per interval, so a
genome-wide bedGraph of 300 M lines fits in ~4 GB.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyBigWig

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.chroms import harmonise
from epibench.io.mark_readers import KINDS, NOT_GIVEN, PEAK_KINDS, interval_chunks, line_records, track_kind
from epibench.io.tracks import is_bigwig
from epibench.progress import ProgressLog

if TYPE_CHECKING:
    from epibench.io.read_coverage import ReadSettings

log = logging.getLogger(__name__)

_ENTRIES_PER_CALL = 1 << 20  # intervals handed to pyBigWig at a time (as Python lists)
# what a peak's value is, where not its signalValue
PEAK_VALUE = {"homer": "the Normalized Tag Count", "seacr": "the mean signal (SEACR's total signal / length)"}


def needs_conversion(path: str | os.PathLike) -> bool:
    """True for a mark file that is no bigWig (by its magic number): ``write_mark_bigwig`` makes one."""
    return not is_bigwig(path)


def write_mark_bigwig(
    path: str | os.PathLike,
    lengths: Mapping[str, int],
    out: str | os.PathLike,
    kind: str = "auto",
    aliases: Mapping[str, str] | None = None,
    reads: ReadSettings | None = None,
    fasta: str | os.PathLike | None = None,
) -> dict:
    """Write the mark track ``path`` (module docstring) as the bigWig ``out``, atomically.

    lengths: the reference's sequence name -> length in bp, in its order (the bigWig's header);
    aliases: other name -> reference name (``Reference.aliases``). kind: one of ``KINDS``, or ``auto``
    (a bigBed by its magic number, BAM/CRAM/SAM by content, a text file by its columns: 4 with a
    number last is a bedGraph, 9/10/15 are broad/narrow/gappedPeak, 3-6 and 12 BED, a tagAlign's
    ``N 1000`` reads, HOMER's ``#PeakID`` column names a HOMER peak file). Reads (``reads``: their
    settings; ``fasta``: a CRAM's reference) become their coverage (epibench.io.read_coverage, whose
    QC is returned). Returns the QC: kind, value (what the bigWig holds), n_intervals (read), n_kept,
    renamed ({name in file: reference name}), dropped ({name: intervals}), n_clipped,
    n_empty (zero-length or NaN intervals dropped), n_without_value (peaks of -1 among peaks with
    a signalValue: missing inside) and the sequences with data.
    """
    if is_bigwig(path):
        raise InputError("already a bigWig: give it as the mark as it is", path=path)
    kind = track_kind(path) if kind == "auto" else kind
    if kind not in KINDS:
        raise InputError(f"unknown mark track kind {kind!r}: one of {', '.join(KINDS)} or auto", path=path)
    if kind == "reads":
        from epibench.io.read_coverage import ReadSettings, write_read_coverage

        return write_read_coverage(path, lengths, out, reads or ReadSettings(), aliases, fasta)
    kept = _KeptIntervals(path, kind, lengths, aliases)
    progress = ProgressLog(log)
    for chunk in interval_chunks(path, kind):
        kept.add(chunk)
        progress("%s: %s intervals read", path, f"{kept.n_intervals:,}")
    if not kept.n_on_reference:
        names = ", ".join(map(str, list(kept.dropped)[:5]))
        raise InputError(
            f"no interval lies on a sequence of the reference (the file names {names}): another assembly or "
            "organism?",
            path=path,
        )
    peaks = kind in PEAK_KINDS
    presence = peaks and not kept.any_value  # no signalValue given (-1 throughout)
    with_data = [chrom for chrom in lengths if chrom in kept.parts]
    n_kept = sum(len(starts) for chrom in with_data for starts, _, _ in kept.parts[chrom])
    write_bigwig_entries(out, lengths, _sequence_entries(kept, with_data, peaks, presence))
    return {
        "kind": kind,
        "value": (
            "1 inside a peak, 0 between peaks"
            if presence
            else (
                f"{PEAK_VALUE.get(kind, 'signalValue')} inside a peak, 0 between peaks"
                if peaks
                else "the bedGraph value; missing elsewhere"
            )
        ),
        "n_intervals": kept.n_intervals,
        "n_kept": n_kept,
        "renamed": {name: ref for name, ref in kept.mapping.items() if ref is not None and ref != name},
        "dropped": dict(kept.dropped),
        "n_clipped": kept.n_clipped,
        "n_empty": kept.n_empty,
        "n_without_value": kept.n_not_given if peaks and not presence else 0,
        "sequences_with_data": with_data,
    }


class _KeptIntervals:
    """A track's intervals on the reference's sequences, gathered chunk by chunk.

    parts: reference sequence -> list of (starts, ends, values) in file order: uint32 starts and
    ends (0-based half-open, ends clipped to the sequence) and float32 values, what a bigWig holds.
    mapping: name in the file -> reference name (None: dropped). The counts are the QC's.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        kind: str,
        lengths: Mapping[str, int],
        aliases: Mapping[str, str] | None = None,
    ):
        self.path, self.kind, self.lengths, self.aliases = path, kind, lengths, aliases
        self.parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.mapping: dict[str, str | None] = {}
        self.dropped: Counter[str] = Counter()
        self.n_intervals = self.n_on_reference = self.n_empty = self.n_clipped = self.n_not_given = 0
        self.any_value = False  # some kept interval has a value >= 0

    def add(self, chunk: pd.DataFrame) -> None:
        """Keep the intervals of one ``interval_chunks`` frame that lie on a reference sequence (an
        interval starting past its sequence's end is an InputError naming its line)."""
        self.n_intervals += len(chunk)
        names = pd.Categorical(chunk["chrom"])
        self.mapping.update(
            harmonise([n for n in names.categories if n not in self.mapping], self.lengths, self.aliases)
        )
        order = np.argsort(names.codes, kind="stable")
        bounds = np.searchsorted(names.codes[order], np.arange(len(names.categories) + 1))
        starts, ends, values = (chunk[c].to_numpy()[order] for c in ("start", "end", "value"))
        for code, name in enumerate(names.categories):
            rows = slice(int(bounds[code]), int(bounds[code + 1]))
            chrom = self.mapping[name]
            if chrom is None:
                self.dropped[str(name)] += rows.stop - rows.start
                continue
            self.n_on_reference += rows.stop - rows.start
            self._keep(name, chrom, starts[rows], ends[rows], values[rows])

    def _keep(self, name: str, chrom: str, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> None:
        """Keep one sequence's intervals of a chunk: the empty (zero-length, NaN) dropped and counted,
        ends clipped to the sequence."""
        empty = (ends <= starts) | ~np.isfinite(values)
        self.n_empty += int(empty.sum())
        starts, ends, values = starts[~empty], ends[~empty], values[~empty]
        length = self.lengths[chrom]
        beyond = np.flatnonzero(starts >= length)
        if len(beyond):
            first = beyond[0]
            raise InputError(
                f"an interval starts at {starts[first]:,}, past the end of {chrom} in the reference "
                f"({length:,} bp): the track is of another assembly",
                self.path,
                self._line_of(chrom, starts[first], min(ends[first], length)),
            )
        self.n_clipped += int((ends > length).sum())
        self.any_value |= bool((values >= 0).any())
        self.n_not_given += int((values == NOT_GIVEN).sum())
        self.parts.setdefault(chrom, []).append(
            (starts.astype(np.uint32), np.minimum(ends, length).astype(np.uint32), values.astype(np.float32))
        )

    def take(self, chrom: str, overlaps: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One sequence's intervals sorted by start (starts, ends, values), released from ``parts``;
        an overlap is an InputError naming its line unless ``overlaps`` (peaks)."""
        starts, ends, values = (np.concatenate(column) for column in zip(*self.parts.pop(chrom)))
        order = np.argsort(starts, kind="stable")
        starts, ends, values = starts[order], ends[order], values[order]
        overlapping = np.flatnonzero(starts[1:] < ends[:-1]) + 1
        if not overlaps and len(overlapping):
            i = overlapping[0]
            raise InputError(
                f"the interval {chrom}:{starts[i]:,}-{ends[i]:,} overlaps "
                f"{starts[i - 1]:,}-{ends[i - 1]:,}: a bedGraph's intervals may not overlap",
                self.path,
                self._line_of(chrom, starts[i], ends[i]),
            )
        return starts, ends, values

    def _line_of(self, chrom: str, start: int, end: int) -> int | None:
        """The line of the first interval on ``chrom`` (as any name in the file) from ``start`` to
        ``end`` (after clipping to the sequence); None for a bigBed, which has no lines."""
        if self.kind == "bigbed":
            return None
        names = {name for name, ref in self.mapping.items() if ref == chrom}
        length = self.lengths[chrom]
        return next(
            (
                number
                for number, name, lo, hi, _ in line_records(self.path, self.kind)
                if lo == start and min(hi, length) == end and name in names
            ),
            None,
        )


def _sequence_entries(
    kept: _KeptIntervals, chroms: Iterable[str], peaks: bool, presence: bool
) -> Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(chrom, starts, ends, values) of each of ``chroms`` in turn, as the bigWig holds them: a
    bedGraph's intervals, or peaks painted into segments over the whole sequence (1 inside where
    ``presence``; a peak of ``NOT_GIVEN`` otherwise missing inside: no segment)."""
    for chrom in chroms:
        starts, ends, values = kept.take(chrom, overlaps=peaks)
        if peaks:
            values = np.ones_like(values) if presence else np.where(values == NOT_GIVEN, np.nan, values)
            starts, ends, values = _peak_segments(starts, ends, values, kept.lengths[chrom])
            given = ~np.isnan(values)
            starts, ends, values = starts[given], ends[given], values[given]
        yield chrom, starts, ends, values


def _peak_segments(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peaks (sorted by start, possibly overlapping) -> non-overlapping segments covering
    [0, length): the largest value of the peaks over each, 0 where there is none (a NaN peak
    only where no other peak is)."""
    bounds = np.unique(np.concatenate([[0, length], starts, ends]))
    segment_values = np.zeros(len(bounds) - 1, dtype=values.dtype)
    first, last = np.searchsorted(bounds, starts), np.searchsorted(bounds, ends)
    for i in np.argsort(np.nan_to_num(values, nan=-np.inf), kind="stable"):  # larger values painted last
        segment_values[first[i] : last[i]] = values[i]
    return bounds[:-1], bounds[1:], segment_values


def write_bigwig_entries(
    out: str | os.PathLike,
    lengths: Mapping[str, int],
    entries: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """A bigWig with header ``lengths`` and the (chrom, starts, ends, values) of ``entries`` (in the
    header's order), atomically: an error while ``entries`` are made leaves no file."""
    with atomic_path(out) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(lengths.items()))
            for chrom, starts, ends, values in entries:
                for lo in range(0, len(starts), _ENTRIES_PER_CALL):
                    part = slice(lo, lo + _ENTRIES_PER_CALL)
                    handle.addEntries(
                        [chrom] * len(starts[part]),
                        starts[part].tolist(),
                        ends=ends[part].tolist(),
                        values=values[part].tolist(),
                    )
        finally:
            handle.close()
