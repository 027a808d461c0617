"""Roadmap FractionalMethylation bigWig (+ optional ReadCoverage bigWig) -> per-base calls.

Roadmap Epigenomics publishes WGBS as ``E###_WGBS_FractionalMethylation.bigwig`` (the
methylation level, 0-1, at each covered CpG base) and ``E###_WGBS_ReadCoverage.bigwig``
(the reads at the same bases). Intervals are 0-based half-open. A file may hold a value
on both the C and the G of a CpG (one per strand) or on the C only; either way every
covered base becomes one call whose strand the reference decides (``UNSTRANDED``), and
``canonical`` merges the calls of a CpG onto its C, as for the other readers.

Detected from the content: a bigWig starts with the magic number 0x888FFC26 (``epibench.io.tracks.is_bigwig``).

Counts:

- with a ReadCoverage bigWig (``coverage_path``): per base n_total = coverage and
  n_meth = level x coverage (snapped to the nearest integer when within float32 rounding
  of it, since levels are stored as float32). Strands merged: counts summed, so the
  CpG's level is the depth-weighted mean. Coverage must be a non-negative integer. A base
  with a level but no coverage interval (or a NaN/infinite coverage) is dropped and counted
  (``n_missing_coverage_dropped``, chromosomes absent from the coverage file in
  ``chroms_without_coverage``); more than ``MAX_MISSING_COVERAGE_SHARE`` of them means the
  two files do not belong together and is an error.
- without it the depth is unknown. The reader gives each base n_total = 1 and n_meth =
  level, so after strand merging a CpG's ``n_total`` is the number of strand values merged
  (1 or 2), **not reads**, and its level is the unweighted mean of its strands.
  ``ingest`` then cannot apply ``min_coverage``: it keeps every CpG, sets QC
  ``coverage_known`` False, ``min_coverage_applied`` False, ``mean_coverage`` None, adds
  the reason to QC ``warnings`` and logs it (see ``UNKNOWN_COVERAGE_WARNING``).

Checks (``InputError`` naming the file and ``chrom:start-end``, as a bigWig has no lines):
a level outside 0-1 (a hint when it looks like a percent), an interval longer than 2 bp
(one value per CpG base is expected: a longer run is a signal track, not per-CpG
methylation), overlapping intervals, a file cut short (checked before pyBigWig opens it:
``epibench.io.tracks.check_bigwig_complete``). NaN and infinite levels are skipped and
counted (``n_nan_values_skipped``). ``n_records`` counts covered bases (``n_intervals``
the intervals they came from).

Memory: intervals are read per chromosome in windows of ``WINDOW`` bp. ``read`` holds the
calls of the whole file as arrays (about 33 bytes per covered base), as for the text
formats; ``read_chromosomes`` gives them one chromosome at a time.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyBigWig

from epibench.errors import InputError
from epibench.io.chroms import harmonise
from epibench.io.methylation.calls import UNSTRANDED, Calls, concat
from epibench.io.methylation.columns import Labels, Source
from epibench.io.tracks import check_bigwig_complete, is_bigwig

FORMAT = "roadmap_bigwig"
WINDOW = 1 << 24  # bp of intervals fetched at a time
MAX_SPAN = 2  # bp: the C and the G of one CpG
MAX_MISSING_COVERAGE_SHARE = 0.05
UNKNOWN_COVERAGE_WARNING = (
    "coverage unknown: no ReadCoverage bigWig was given for this FractionalMethylation "
    "bigWig, so n_total is the number of strand values merged into each CpG (1 or 2), "
    "not reads; min_coverage ({min_coverage}) was not applied and coverage-based weights "
    "are not meaningful. Give the sample's ReadCoverage bigWig in the sample sheet's coverage "
    "column (epibench ingest --coverage) to filter and weight by depth."
)


def source(path: str | os.PathLike) -> Source:
    """The ``Source`` of a bigWig (no header lines, columns or sampled rows)."""
    return Source(Path(path), FORMAT, 0, 0, False, ())


def read(source: Source, coverage_path: str | os.PathLike | None = None) -> Calls:
    """Every covered base of the FractionalMethylation bigWig ``source.path`` as one call.

    coverage_path: the sample's ReadCoverage bigWig (read depth at the same bases), or None
    when the depth is unknown (module docstring: n_total = 1 per base). Returns ``Calls``
    with 0-based positions, strand UNSTRANDED, base 0, and QC counts in ``Calls.qc``.
    """
    return concat(list(read_chromosomes(source, coverage_path)))


def read_chromosomes(source: Source, coverage_path: str | os.PathLike | None = None) -> Iterator[Calls]:
    """``read`` one chromosome at a time, in file order: per chromosome its calls, QC counts and
    ``n_rows`` (covered bases, with those dropped for missing coverage). The share of bases
    without coverage is judged after the last chromosome (an InputError then)."""
    path = source.path
    levels, coverage = _open(path), None
    try:
        coverage = _open(coverage_path) if coverage_path is not None else None
        chrom_lengths = dict(levels.chroms())
        if not chrom_lengths:
            raise InputError("the bigWig lists no chromosomes", path=path)
        cov_names = harmonise(chrom_lengths, coverage.chroms()) if coverage is not None else {}
        names = np.array(list(chrom_lengths), dtype=object)
        n_records, n_missing, without_coverage = 0, 0, []
        for code, chrom in enumerate(chrom_lengths):
            starts, ends, values = _intervals(levels, path, chrom, chrom_lengths[chrom])
            qc = {
                "n_intervals": len(starts),
                "n_nan_values_skipped": 0,
                "coverage_known": coverage is not None,
                "coverage_path": None if coverage_path is None else str(coverage_path),
            }
            pos, level = _bases(path, chrom, starts, ends, values)
            finite = np.isfinite(level)
            qc["n_nan_values_skipped"] = int((~finite).sum())
            pos, level = pos[finite], level[finite]
            _check_levels(path, chrom, pos, level)
            n_bases = len(pos)
            if coverage is None:
                n_meth, n_total = level, np.ones(len(pos), dtype=np.int64)
            else:
                cov_chrom = cov_names.get(chrom)
                if cov_chrom is None:
                    depth = np.full(len(pos), np.nan)
                else:
                    depth = _depth_at(coverage, Path(coverage_path), cov_chrom, pos)
                has = np.isfinite(depth)
                qc["n_missing_coverage_dropped"] = int((~has).sum())
                qc["chroms_without_coverage"] = [chrom] if cov_chrom is None and len(pos) else []
                without_coverage += qc["chroms_without_coverage"]
                pos, level, depth = pos[has], level[has], depth[has]
                n_total = depth.astype(np.int64)
                n_meth = _snap(level * n_total, n_total)
            n_records += n_bases
            n_missing += n_bases - len(pos)
            yield Calls(
                source=source,
                chrom=Labels(np.full(len(pos), code, dtype=np.int32), names),
                pos=pos,
                strand=np.full(len(pos), UNSTRANDED, dtype=np.int8),
                n_meth=np.asarray(n_meth, dtype=np.float64),
                n_total=n_total,
                cg_context=None,
                row=None,  # a bigWig has no lines: calls are numbered in order
                base=0,
                qc=qc,
                n_rows=n_bases,
            )
    finally:
        levels.close()
        if coverage is not None:
            coverage.close()
    if coverage is not None and n_records and n_missing / n_records > MAX_MISSING_COVERAGE_SHARE:
        raise InputError(
            f"{n_missing:,} of {n_records:,} methylation values ({n_missing / n_records:.1%}) have no "
            f"read coverage in {coverage_path} (at most {MAX_MISSING_COVERAGE_SHARE:.0%} allowed; "
            f"chromosomes missing there: {without_coverage or 'none'}): is it the ReadCoverage "
            "bigWig of the same sample and assembly?",
            path=path,
        )


def _open(path: str | os.PathLike):
    if not is_bigwig(path):
        raise InputError("not a bigWig file (no 0x888FFC26 magic number)", path=path)
    check_bigwig_complete(path)  # before pyBigWig: a bigWig cut short can crash it
    try:
        bw = pyBigWig.open(str(path))
    except RuntimeError as exc:
        raise InputError(f"cannot open as bigWig ({exc})", path=path) from None
    if bw is None or not bw.isBigWig():
        raise InputError("cannot open as bigWig", path=path)
    return bw


def _intervals(bw, path: Path, chrom: str, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts int64, ends int64, values float64) of ``chrom``, sorted; overlaps are an error."""
    parts = []
    for lo in range(0, length, WINDOW):
        try:
            found = bw.intervals(chrom, lo, min(length, lo + WINDOW))
        except RuntimeError as exc:
            raise InputError(
                f"cannot read intervals of {chrom}:{lo}-{lo + WINDOW} ({exc})", path=path
            ) from None
        if not found:
            continue
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.float64, count=3 * len(found))
        rows = flat.reshape(-1, 3)
        parts.append(rows[rows[:, 0] >= lo])  # an interval across lo was returned with the window before
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    rows = np.concatenate(parts)
    starts, ends = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    overlap = np.flatnonzero(starts[1:] < ends[:-1])
    if len(overlap):
        i = overlap[0]
        raise InputError(
            f"overlapping intervals {chrom}:{starts[i]}-{ends[i]} and {chrom}:{starts[i + 1]}-{ends[i + 1]}",
            path=path,
        )
    return starts, ends, rows[:, 2]


def _bases(
    path: Path, chrom: str, starts: np.ndarray, ends: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One (position, value) per base of the intervals; intervals longer than MAX_SPAN are an error."""
    span = ends - starts
    if len(span) and span.max() > MAX_SPAN:
        i = int(np.argmax(span > MAX_SPAN))
        raise InputError(
            f"interval {chrom}:{starts[i]}-{ends[i]} spans {span[i]} bp; a FractionalMethylation bigWig "
            f"holds one value per CpG base (intervals of 1-{MAX_SPAN} bp): is this a signal track?",
            path=path,
        )
    if not len(span) or span.max() == 1:
        return starts, values
    first = np.repeat(starts, span)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(span) - span, span)
    return first + offset, np.repeat(values, span)


def _check_levels(path: Path, chrom: str, pos: np.ndarray, level: np.ndarray) -> None:
    bad = (level < 0) | (level > 1)
    if bad.any():
        i = int(np.argmax(bad))
        swapped = (
            "a ReadCoverage bigWig (read depths) given as the methylation file? Give the FractionalMethylation "
            "bigWig in the sheet's methylation column and this one in its coverage column"
            if np.all(level == np.round(level))
            else ""
        )
        if level.max() > 100:
            hint = f"; {swapped}" if swapped else ""
        elif level.max() > 1:
            hint = "; is this a percent (0-100) track" + (f", or {swapped}" if swapped else "?")
        else:
            hint = ""
        raise InputError(
            f"methylation level {level[i]:g} at {chrom}:{pos[i]}-{pos[i] + 1} is outside 0-1{hint}", path=path
        )


def _depth_at(bw, path: Path, chrom: str, pos: np.ndarray) -> np.ndarray:
    """(N,) float64 read coverage at the sorted positions ``pos``; NaN where no interval covers one."""
    starts, ends, values = _intervals(bw, path, chrom, dict(bw.chroms())[chrom])
    index = np.searchsorted(starts, pos, side="right") - 1
    inside = (index >= 0) & (pos < ends[np.maximum(index, 0)]) if len(starts) else np.zeros(len(pos), bool)
    depth = np.where(inside, values[np.maximum(index, 0)] if len(starts) else np.nan, np.nan)
    depth[~np.isfinite(depth)] = np.nan
    known = np.isfinite(depth)
    bad = known & ((depth < 0) | (np.abs(depth - np.rint(depth)) > 1e-3))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"read coverage {depth[i]:g} at {chrom}:{pos[i]}-{pos[i] + 1} is not a non-negative "
            "integer: is this the ReadCoverage bigWig?",
            path=path,
        )
    return np.rint(depth)


def _snap(n_meth: np.ndarray, n_total: np.ndarray) -> np.ndarray:
    """level x coverage rounded to the nearest integer where float32 rounding of the level explains the gap."""
    nearest = np.rint(n_meth)
    return np.where(np.abs(n_meth - nearest) <= 1e-6 * np.maximum(n_total, 1), nearest, n_meth)
