"""Signal tracks (bigWig): whole-chromosome values with NaN where the track has no data."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pyBigWig

from epibench.errors import InputError
from epibench.io.chroms import harmonise

BIGWIG_MAGIC = 0x888FFC26
BIGBED_MAGIC = 0x8789F2EB
# a bigWig's fixed header and its zoom-level headers (UCSC bigWig format; the writer's byte order):
# magic, version, zoom levels, offsets of the chromosome tree, data and index, 2 field counts,
# offsets of autoSql and the summary, buffer size, reserved; per zoom level: reduction level,
# reserved, offsets of its data and index
_HEADER, _ZOOM = "IHHQQQHHQQIQ", "IIQQ"
_HEADER_SIZE, _ZOOM_SIZE = struct.calcsize("<" + _HEADER), struct.calcsize("<" + _ZOOM)


def check_bigwig_complete(path: str | os.PathLike) -> None:
    """InputError unless ``path`` is a bigWig that holds every part its header points to.

    libBigWig (under pyBigWig) reads the zoom-level headers without checking the file's end: a
    bigWig cut short there crashes the process (a segmentation fault) instead of failing. So
    the header's offsets are checked against the file's size before pyBigWig opens it.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(_HEADER_SIZE)
            orders = [
                o for o, e in (("<", "little"), (">", "big")) if head[:4] == BIGWIG_MAGIC.to_bytes(4, e)
            ]
            if not orders:
                raise InputError("not a bigWig file (no 0x888FFC26 magic number)", path=path)
            if len(head) < _HEADER_SIZE:
                raise InputError("truncated bigWig: the file ends inside its header", path=path)
            fields = struct.unpack(orders[0] + _HEADER, head)
            zooms = fh.read(fields[2] * _ZOOM_SIZE)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from exc
    if len(zooms) < fields[2] * _ZOOM_SIZE:
        raise InputError("truncated bigWig: the file ends inside its zoom-level headers", path=path)
    offsets = [fields[3], fields[4], fields[5], fields[8], fields[9]]
    offsets += [offset for level in struct.iter_unpack(orders[0] + _ZOOM, zooms) for offset in level[2:]]
    if max(offsets) >= size:
        raise InputError(f"truncated bigWig: its header points to byte {max(offsets)} of {size}", path=path)


def _magic(path: str | os.PathLike) -> int | None:
    """The first 4 bytes as an unsigned integer in the byte order that names a UCSC big* file, else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from exc
    if len(head) < 4:
        return None
    for order in ("little", "big"):  # bigWig writers use the host byte order; readers accept both
        value = int.from_bytes(head, order)
        if value in (BIGWIG_MAGIC, BIGBED_MAGIC):
            return value
    return None


def is_big_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a bigWig or a bigBed by its magic number (either byte order)."""
    return _magic(path) is not None


def is_bigwig(path: str | os.PathLike) -> bool:
    """True when ``path`` starts with the bigWig magic number 0x888FFC26 (either byte order)."""
    return _magic(path) == BIGWIG_MAGIC


def is_bigbed(path: str | os.PathLike) -> bool:
    """True when ``path`` starts with the bigBed magic number 0x8789F2EB (either byte order)."""
    return _magic(path) == BIGBED_MAGIC


_AUTOSQL_FIELD = re.compile(r"^\s*\w+(?:\[\w*\])?\s+(\w+)\s*;", re.MULTILINE)


def open_bigbed(path: str | os.PathLike):
    """An open pyBigWig handle of the bigBed ``path`` (close it), an InputError when it is none."""
    handle = pyBigWig.open(str(path))
    if handle is None or not handle.isBigBed():
        if handle is not None:
            handle.close()
        raise InputError("cannot open as bigBed", path=path)
    return handle


def autosql_fields(handle) -> list[str]:
    """The field names of an open bigBed's autoSql (``chrom``, ``chromStart``, ...); [] without one."""
    return _AUTOSQL_FIELD.findall((handle.SQL() or b"").decode("latin-1"))


def bigbed_entries(handle, window: int | None = None) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """(chromosome, entries) of an open bigBed in file order, chromosomes in file order: each entry
    (start, end, the other fields tab-separated), 0-based half-open. With ``window`` (bp), a
    chromosome's entries come a window at a time (by start: each entry once), so that no more than
    one window's entries are held."""
    for chrom, length in handle.chroms().items():
        step = window or max(length, 1)
        for start in range(0, max(length, 1), step):
            entries = handle.entries(chrom, start, min(start + step, length)) or []
            if start:  # an entry reaching in from the window before was listed there
                entries = [entry for entry in entries if entry[0] >= start]
            yield chrom, entries


def bigbed_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """(line number, text) of the bigBed's entries as ``bigBedToBed`` writes them (a BED3's without a
    tab after its end), numbered from 1."""
    handle = open_bigbed(path)
    try:
        number = 0
        for chrom, entries in bigbed_entries(handle):
            for start, end, rest in entries:
                number += 1
                yield number, f"{chrom}\t{start}\t{end}" + (f"\t{rest}" if rest else "")
    finally:
        handle.close()


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

    A chromosome missing from the bigWig reads as all-NaN (its signal is missing, not zero), and
    so does every chromosome of a bigWig that holds no data at all.
    With ``reference_names``, the bigWig's names are matched to the reference's
    (``1`` in the file serves ``chr1``, ``MT`` serves ``chrM``, and so do the reference's ``aliases``;
    epibench.io.chroms.harmonise).
    NaN/inf values stored in the file are treated as missing. A file that is no bigWig, or one
    cut short (``check_bigwig_complete``), is an InputError.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        reference_names: Iterable[str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ):
        self.path = str(path)
        check_bigwig_complete(path)
        try:
            self._bw = pyBigWig.open(self.path)
        except RuntimeError as err:
            raise InputError(f"cannot open as bigWig ({err})", path=path) from None
        if self._bw is None or not self._bw.isBigWig():
            raise InputError(
                "not a bigWig file (a bedGraph, wiggle, peaks, bigBed or aligned reads: `epibench mark-bigwig` "
                "makes one, as the workflow does)",
                path=path,
            )
        self.chrom_lengths: dict[str, int] = dict(self._bw.chroms())
        mapping = (
            harmonise(self.chrom_lengths, reference_names, aliases) if reference_names is not None else {}
        )
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
        if len(vals) != stop - start:  # pyBigWig returns nothing at all for a bigWig without data
            return out
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


class MissingTrack:
    """A mark a sample has no file for: every base and bin missing (NaN), as ``Track`` reads an
    uncovered one; the model masks it, the normalisation leaves it out."""

    def values(self, chrom: str, end: int, start: int = 0) -> np.ndarray:
        """(end - start,) float32 NaN."""
        return np.full(end - start, np.nan, dtype=np.float32)

    def grid_means(self, chrom: str, length: int, bin_size: int, chunk_bins: int = 10_000) -> np.ndarray:
        """(ceil(length / bin_size),) float32 NaN."""
        return np.full(-(-length // bin_size), np.nan, dtype=np.float32)

    def close(self) -> None:
        """Nothing to close."""


def open_track(
    path: str | os.PathLike | None, reference_names: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Track | MissingTrack:
    """``Track(path)`` on the reference's names (and aliases), or a ``MissingTrack`` for an empty path (no file)."""
    return Track(path, reference_names, aliases) if path else MissingTrack()
