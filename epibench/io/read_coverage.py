"""A mark given as aligned reads (BAM, CRAM, SAM, or a tagAlign / BED6 of reads) -> its coverage bigWig.

Labs with their own ChIP-seq hold their marks as alignments; ENCODE's and Roadmap's older releases
as tagAlign files (BED6 of reads: chrom, start, end, ``N``, ``1000``, strand). ``epibench
mark-bigwig`` makes the signal bamCoverage (deepTools) or ``bedtools genomecov`` would:

- each read counts as its fragment: a single-end read extended from its 5' end to
  ``fragment_bp`` in its strand's direction (MACS's ``--extsize``, deepTools' ``--extendReads``,
  ``bedtools genomecov -fs``; 0 keeps the read as aligned), a proper pair once, as the insert
  between its mates (read 1's template length: ``bedtools genomecov -pc``); fragments are clipped
  to their sequence;
- left out (alignments only: a tagAlign has no flags): unmapped, secondary, supplementary,
  duplicate-flagged and QC-failed records, mates of pairs that are not proper, and mapping
  quality below ``min_mapq`` (255, "not available", passes any minimum);
- the value of each ``bin_bp`` bin is the mean fragment coverage of its bases per million counted
  fragments (CPM: samples sequenced to different depths compare), 0 where no fragment lies (a
  measured 0, not missing), on every sequence of the reference; names meet the reference's as
  everywhere (``chroms.harmonise``), reads on sequences it lacks are dropped and counted.

Coverage is kept as one int64 difference array per sequence (bp per bin, exact), so memory is
8 bytes per bin: 500 MB for a human genome in 50-bp bins, whatever the number of reads.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.chroms import harmonise
from epibench.io.mark_tracks import write_bigwig_entries
from epibench.io.textfile import COORDINATE, alignment_format, iter_lines, scientific_hint
from epibench.progress import ProgressLog

log = logging.getLogger(__name__)

READS_PER_BATCH = 1 << 20
_SKIPPED_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC fail, duplicate, supplementary
_STRANDS = {"+": False, "-": True}  # is_reverse


@dataclass(frozen=True)
class ReadSettings:
    """How reads become coverage: fragment_bp (bp a single-end read is extended to; 0: as aligned),
    min_mapq (alignments below it left out), bin_bp (bp per value of the bigWig)."""

    fragment_bp: int = 200
    min_mapq: int = 10
    bin_bp: int = 50

    def __post_init__(self):
        if self.fragment_bp < 0 or self.min_mapq < 0 or self.bin_bp < 1:
            raise ValueError(f"read settings out of range: {self}")


@dataclass
class _Batch:
    """Up to READS_PER_BATCH reads: names (as in the file), starts, ends (0-based half-open, as
    aligned), reverse strand, and template length (0 for a single-end read)."""

    names: list[str] | np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    reverse: np.ndarray
    insert: np.ndarray


def write_read_coverage(
    path: str | os.PathLike,
    lengths: Mapping[str, int],
    out: str | os.PathLike,
    settings: ReadSettings = ReadSettings(),
    aliases: Mapping[str, str] | None = None,
    fasta: str | os.PathLike | None = None,
) -> dict:
    """Write the coverage (module docstring) of the reads in ``path`` as the bigWig ``out``, atomically.

    lengths: the reference's sequence name -> length (bp), in its order (the bigWig's header); aliases:
    other name -> reference name; fasta: the reference FASTA a CRAM's reads decode against. Returns
    the QC: kind, value, n_intervals (records read), n_kept (fragments counted), renamed, dropped
    ({name: reads}), n_clipped (fragments cut at a sequence's end), n_left_out ({reason: records}),
    n_without_value (0) and the sequences with data.
    """
    diffs = {
        chrom: np.zeros(-(-length // settings.bin_bp) + 1, np.int64) for chrom, length in lengths.items()
    }
    mapping: dict[str, str | None] = {}
    counts: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    progress = ProgressLog(log)
    if alignment_format(path):
        batches = _alignment_batches(path, settings, counts, fasta)
    else:
        batches = _tagalign_batches(path, counts)
    for batch in batches:
        progress("%s: %s records read", path, f"{counts['record']:,}")
        _add_batch(batch, settings, lengths, aliases, mapping, diffs, counts, dropped)
    if not counts["counted"]:
        raise InputError(
            f"no read to count: of {counts['record']:,} records, none passes (mapped, primary, mapping "
            f"quality >= {settings.min_mapq}, on the reference's sequences; left out: "
            f"{_left_out_counts(counts)}, on other sequences: {dict(dropped)})",
            path=path,
        )
    per_million = 1e6 / counts["counted"]
    with_data = [chrom for chrom, diff in diffs.items() if diff.any()]
    write_bigwig_entries(out, lengths, _coverage_entries(diffs, lengths, settings.bin_bp, per_million))
    return {
        "kind": "reads",
        "value": (
            f"mean fragment coverage per million fragments (CPM) in {settings.bin_bp}-bp bins, fragments "
            + (f"of {settings.fragment_bp} bp" if settings.fragment_bp else "as aligned")
            + "; 0 where none"
        ),
        "n_intervals": counts["record"],
        "n_kept": counts["counted"],
        "renamed": {name: ref for name, ref in mapping.items() if ref is not None and ref != name},
        "dropped": dict(dropped),
        "n_clipped": counts["clipped"],
        "n_left_out": _left_out_counts(counts),
        "n_without_value": 0,
        "sequences_with_data": with_data,
    }


def _left_out_counts(counts: Counter) -> dict[str, int]:
    """{reason: records} of the records not counted (``counts``' ``skip <reason>`` entries)."""
    return {reason[5:]: n for reason, n in counts.items() if reason.startswith("skip ") and n}


def _add_batch(
    batch: _Batch,
    settings: ReadSettings,
    lengths: Mapping[str, int],
    aliases: Mapping[str, str] | None,
    mapping: dict[str, str | None],
    diffs: dict[str, np.ndarray],
    counts: Counter,
    dropped: Counter,
) -> None:
    """Add a batch's fragments to the per-sequence difference arrays ``diffs`` (module docstring)."""
    codes, names = pd.factorize(np.asarray(batch.names, dtype=object))
    mapping.update(harmonise([name for name in names if name not in mapping], lengths, aliases))
    starts, ends = _fragments(batch, settings.fragment_bp)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    for code, name in enumerate(names):
        rows = order[bounds[code] : bounds[code + 1]]
        chrom = mapping[name]
        if chrom is None:
            dropped[name] += len(rows)
            continue
        length = lengths[chrom]
        lo, hi = np.clip(starts[rows], 0, length), np.clip(ends[rows], 0, length)
        counts["clipped"] += int(((starts[rows] < 0) | (ends[rows] > length)).sum())
        kept = hi > lo
        counts["skip fragment outside its sequence"] += int((~kept).sum())
        counts["counted"] += int(kept.sum())
        _add_spans(diffs[chrom], lo[kept], hi[kept], settings.bin_bp)


def _fragments(batch: _Batch, fragment_bp: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of each read's fragment, int64, before clipping: a pair's insert from its
    leftmost base, a single-end read extended from its 5' end to ``fragment_bp`` (as aligned at 0)."""
    starts, ends = batch.starts.astype(np.int64), batch.ends.astype(np.int64)
    paired = batch.insert != 0
    if fragment_bp:
        starts = np.where(batch.reverse, ends - fragment_bp, starts)
        ends = np.where(batch.reverse, ends, starts + fragment_bp)
    leftmost = np.where(batch.insert > 0, batch.starts, batch.ends + batch.insert)
    starts = np.where(paired, leftmost, starts)
    ends = np.where(paired, leftmost + np.abs(batch.insert), ends)
    return starts, ends


def _add_spans(diff: np.ndarray, starts: np.ndarray, ends: np.ndarray, bin_bp: int) -> None:
    """Add the bases each span [start, end) covers in each bin to ``diff``, a difference array over
    the bins (its running sum: covered bp per bin): interior bins ``bin_bp``, the first and last bin
    what the span covers of them."""
    if not len(starts):
        return
    first, last = starts // bin_bp, (ends - 1) // bin_bp
    before = starts - first * bin_bp  # bp of the first bin before the span
    after = (last + 1) * bin_bp - ends  # bp of the last bin after it
    lo, hi = int(first.min()), int(last.max()) + 2  # the bins the batch touches, and one past
    for at, weights in (
        (first, bin_bp - before),
        (first + 1, before),
        (last, -after),
        (last + 1, after - bin_bp),
    ):
        diff[lo:hi] += np.bincount(at - lo, weights=weights, minlength=hi - lo).astype(np.int64)


def _coverage_entries(
    diffs: dict[str, np.ndarray], lengths: Mapping[str, int], bin_bp: int, per_million: float
) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(chrom, starts, ends, values) per sequence, runs of equal value merged: mean coverage per bin
    (covered bp / the bin's bases; the last bin may be short) times ``per_million``."""
    for chrom, length in lengths.items():
        covered = np.cumsum(diffs.pop(chrom)[:-1])
        edges = np.minimum(np.arange(len(covered) + 1, dtype=np.int64) * bin_bp, length)
        values = (covered / np.diff(edges) * per_million).astype(np.float32)
        change = np.flatnonzero(np.diff(values)) + 1
        run_starts = np.concatenate([[0], change])
        run_ends = np.concatenate([change, [len(values)]])
        yield chrom, edges[run_starts], edges[run_ends], values[run_starts]


def _alignment_batches(
    path: str | os.PathLike, settings: ReadSettings, counts: Counter, fasta: str | os.PathLike | None
) -> Iterator[_Batch]:
    """The counted records of a BAM, CRAM or SAM (module docstring), of READS_PER_BATCH records at a
    time; every record is counted in ``counts`` as ``record``, those left out as ``skip <reason>``.
    Python reads six numbers per record; the filters run on a batch's arrays (``_counted``)."""
    import pysam

    try:
        handle = pysam.AlignmentFile(str(path), reference_filename=str(fasta) if fasta else None)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the alignments: {exc}", path=path) from None
    with handle:
        names = np.asarray(handle.references, dtype=object)
        columns: tuple[list[int], ...] = ([], [], [], [], [], [])
        ids, starts, ends, flags, mapqs, inserts = (column.append for column in columns)
        try:
            for read in handle.fetch(until_eof=True):
                ids(read.reference_id)
                starts(read.reference_start)
                ends(read.reference_end or -1)  # None: no CIGAR
                flags(read.flag)
                mapqs(read.mapping_quality)
                inserts(read.template_length)
                if len(columns[0]) == READS_PER_BATCH:
                    yield _counted(columns, names, settings.min_mapq, counts)
                    for column in columns:
                        column.clear()
        except OSError as exc:  # a BAM cut short, a CRAM without its reference
            raise InputError(
                f"cannot read the alignments: {exc} (a file cut short, or a CRAM whose reference is not the "
                "FASTA given?)",
                path=path,
            ) from None
        if columns[0]:
            yield _counted(columns, names, settings.min_mapq, counts)


def _counted(columns: tuple[list[int], ...], names: np.ndarray, min_mapq: int, counts: Counter) -> _Batch:
    """The reads of a batch of alignment records that are counted (module docstring). columns:
    reference id (-1: none), start, end (-1: no CIGAR), flag, mapping quality and template length of
    each record; names: the file's sequence names by id. Each record is counted in ``counts`` as
    ``record``, each left out as ``skip <reason>`` under the first reason that holds."""
    ids, starts, ends, flags, mapq, insert = (np.asarray(column, np.int64) for column in columns)
    paired, proper = (flags & 0x1) != 0, (flags & 0x2) != 0
    counted_mate = proper & ((flags & 0x40) != 0) & (insert != 0)  # read 1 of a proper pair, with its insert
    reasons = {
        "unmapped, secondary, supplementary, duplicate or QC-failed": ((flags & _SKIPPED_FLAGS) != 0)
        | (ids < 0)
        | (ends < 0),
        f"mapping quality below {min_mapq}": mapq < min_mapq,
        "mate 2 of a proper pair, or a pair that is not proper": paired & proper & ~counted_mate,
        "not a proper pair": paired & ~proper,
    }
    left_out = np.zeros(len(ids), bool)
    for reason, applies in reasons.items():
        counts[f"skip {reason}"] += int((applies & ~left_out).sum())
        left_out |= applies
    counts["record"] += len(ids)
    kept = ~left_out
    return _Batch(
        names[ids[kept]],
        starts[kept],
        ends[kept],
        (flags[kept] & 0x10) != 0,
        np.where(paired, insert, 0)[kept],
    )


def _as_batch(columns: tuple[list, list, list, list, list]) -> _Batch:
    names, starts, ends, reverse, insert = columns
    return _Batch(
        names,
        np.asarray(starts, np.int64),
        np.asarray(ends, np.int64),
        np.asarray(reverse, bool),
        np.asarray(insert, np.int64),
    )


def _tagalign_batches(path: str | os.PathLike, counts: Counter) -> Iterator[_Batch]:
    """The reads of a tagAlign / BED6 of reads (chrom, start, end, name, score, strand; 0-based
    half-open), READS_PER_BATCH at a time, each counted in ``counts`` as ``record``; a line that is
    not one is an InputError naming it."""
    batch: tuple[list, list, list, list, list] = ([], [], [], [], [])
    for number, text in iter_lines(path):
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        fields = text.split("\t")
        if len(fields) < 6:
            raise InputError(
                f"a tagAlign line has 6 columns (chrom, start, end, name, score, strand), found {len(fields)}",
                path,
                number,
            )
        start, end, strand = fields[1], fields[2], fields[5]
        if not (COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end)) or int(end) <= int(start):
            raise InputError(
                f"start and end must be integers with 0 <= start < end: {start!r}, {end!r}{scientific_hint(start, end)}",
                path,
                number,
            )
        if strand not in _STRANDS:
            raise InputError(f"a read's strand is + or -, found {strand!r}", path, number)
        counts["record"] += 1
        for column, value in zip(batch, (fields[0], int(start), int(end), _STRANDS[strand], 0)):
            column.append(value)
        if len(batch[0]) == READS_PER_BATCH:
            yield _as_batch(batch)
            batch = ([], [], [], [], [])
    if batch[0]:
        yield _as_batch(batch)
