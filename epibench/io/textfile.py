"""Opening text inputs that may be compressed, finding lines for error messages, reading fields.

Compression is decided from the magic bytes, never from the suffix, so a gzip file named
``.txt`` or a plain file named ``.gz`` both read correctly: gzip (``1f 8b``; bgzip files,
concatenated gzip members, read as gzip), bzip2 (``BZh`` and a block-size digit), xz
(``fd 37 7a 58 5a 00``) and Zstandard (``28 b5 2f fd``), as archives on GEO and lab servers
come. A UTF-8 byte-order mark before the first line is skipped, lines ended by CR alone read
as ended by LF; a zip or tar archive (of any compression) is refused, naming what it holds, and
so are R and HDF5 data files and an index (tabix, CSI, BAM) given in place of its file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pyarrow as pa

from epibench.errors import InputError

# a BED/GTF coordinate: decimal digits, at most 18 (far beyond any sequence, and within int64
# with room to spare, so that promoter arithmetic and bedtools cannot overflow)
COORDINATE = re.compile(r"[0-9]{1,18}")
# a number in scientific notation (1e+05, 1.5E7): R's write.table writes round positions so
_SCIENTIFIC = re.compile(r" *[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+ *")


def scientific_hint(*values: str) -> str:
    """The fix, as a message's tail, where a field that must be an integer holds a number in
    scientific notation (``1e+05``); "" otherwise."""
    if any(_SCIENTIFIC.fullmatch(value) for value in values):
        return (
            " (scientific notation, as R's write.table writes round numbers: write the file again "
            "after options(scipen = 999), or with format(x, scientific = FALSE))"
        )
    return ""


# a compression's magic bytes (a regular expression over the file's first 6 bytes) and its name
# as pyarrow's codecs spell it
_MAGIC = (
    (re.compile(rb"\x1f\x8b"), "gzip"),
    (re.compile(rb"BZh[1-9]"), "bz2"),
    (re.compile(rb"\xfd7zXZ\x00"), "xz"),
    (re.compile(rb"\x28\xb5\x2f\xfd"), "zstd"),
)
_READABLE = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz", "zstd": "Zstandard"}
UTF8_BOM = b"\xef\xbb\xbf"  # what Excel's "CSV UTF-8" and Notepad write before the first line
# A file name's compression suffix, for the formats a name decides (``.cov.gz``, ``.tagAlign.bz2``).
COMPRESSED_SUFFIX = r"(?:\.(?:gz|bgz|bz2|xz|zst))?"
# Errors the decompressors raise on a damaged or truncated stream (gzip's BadGzipFile, bz2's
# "Invalid data stream" and pyarrow's codec errors are OSErrors).
DECOMPRESSION_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)


def compression(path: str | os.PathLike) -> str | None:
    """``gzip``, ``bz2``, ``xz`` or ``zstd`` by the file's first bytes; None for a plain file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from exc
    return next((name for magic, name in _MAGIC if magic.match(head)), None)


def stream_problem(path: str | os.PathLike) -> str:
    """What an error while reading ``path`` means: ``damaged or truncated <its compression>
    stream``, or ``cannot read`` for a plain file."""
    kind = compression(path)
    return f"damaged or truncated {_READABLE[kind]} stream" if kind else "cannot read"


@contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open ``path`` for reading its text's bytes (``_prepared``)."""
    stream, _ = _prepared(path)
    with stream as fh:
        yield fh


def _decompressed(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for reading bytes, decompressed (module docstring) where it is compressed."""
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "zstd":  # the standard library of Python < 3.14 has no Zstandard
        return io.BufferedReader(pa.input_stream(str(path), compression="zstd"))
    return open(path, "rb")


def _prepared(path: str | os.PathLike) -> tuple[BinaryIO, bool]:
    """``path`` opened for reading its text's bytes: decompressed, a zip or tar archive refused, the
    UTF-8 byte-order mark that spreadsheets and Windows editors put first skipped, lines ended by CR
    alone (classic Mac OS, Excel for Mac's "CSV (Macintosh)") read as ended by LF; and
    whether the bytes read differ from the file's (decompressed) bytes so."""
    fh = _decompressed(path)
    try:
        head = fh.peek(tarfile.BLOCKSIZE)
        _refuse_archive(path, fh, head[: tarfile.BLOCKSIZE])
        _refuse_data_file(path, head)
        _refuse_index(path, head)
        bom = head.startswith(UTF8_BOM)
        if bom:
            fh.read(len(UTF8_BOM))
        if b"\r" in head and b"\n" not in head:
            return io.BufferedReader(_LineFeeds(fh)), True
        return fh, bom
    except DECOMPRESSION_ERRORS as exc:
        fh.close()
        raise InputError(f"{stream_problem(path)} ({exc})", path=path) from exc
    except BaseException:
        fh.close()
        raise


class _LineFeeds(io.RawIOBase):
    """The bytes of a stream whose lines end in CR alone, each CR read as LF."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer)).replace(b"\r", b"\n")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _refuse_archive(path: str | os.PathLike, fh: BinaryIO, head: bytes) -> None:
    """An InputError for a zip or tar archive (``fh``: its stream, decompressed, at its start;
    ``head``: its first 512 bytes), which holds files rather than being one: GEO's
    ``GSE*_RAW.tar``, a folder zipped for e-mail."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            names = []
        listed = f" of {len(names)} files ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
        raise InputError(
            f"a zip archive{listed if names else ''}: unzip it and give what it holds (each sample's "
            "file on its own row of the sample sheet)",
            path=path,
        )
    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except tarfile.HeaderError:  # no tar header block: its checksum holds only for one
        return
    try:  # the first member's name, after any pax or GNU long-name header
        first = tarfile.open(fileobj=fh, mode="r|").next()
    except (tarfile.TarError, *DECOMPRESSION_ERRORS):
        first = None
    raise InputError(
        f"a tar archive{f' (its first file: {first.name})' if first else ''}, as GEO's GSE*_RAW.tar: "
        "extract it (tar -xf) and give the files it holds (each sample's file on its own row of the "
        "sample sheet)",
        path=path,
    )


# data files of analysis environments, by their first bytes (decompressed): R's save() (RDX3, RDA2,
# ...), R's saveRDS() (serialization versions 2 and 3, in xdr, ascii or native binary) and HDF5
_DATA_FILES = (
    (
        re.compile(rb"RD[XAB][23]\n|X\n\x00\x00\x00[\x02\x03]|A\n[23]\n|B\n[\x02\x03]\x00\x00\x00"),
        "an R object (saveRDS or save: a bsseq, methrix or methylKit object?)",
    ),
    (re.compile(rb"\x89HDF\r\n\x1a\n"), "an HDF5 file (an HDF5-backed bsseq or methrix object?)"),
)


def _refuse_data_file(path: str | os.PathLike, head: bytes) -> None:
    """An InputError for an R or HDF5 data file (``head``: its first bytes, decompressed): the
    objects R users keep their calls in, not a table."""
    for magic, what in _DATA_FILES:
        if magic.match(head):
            raise InputError(
                f"{what}, not a text table: write each sample's counts as a table first (the README's "
                "'From R objects' gives the lines for bsseq, methrix and methylKit), then give that",
                path=path,
            )


# indexes that sit beside a table, by their first bytes (decompressed): tabix's .tbi, a .csi, a .bai
_INDEX_FILES = (
    (b"TBI\x01", "a tabix index (.tbi)"),
    (b"CSI\x01", "a CSI index (.csi)"),
    (b"BAI\x01", "a BAM index (.bai)"),
)


def _refuse_index(path: str | os.PathLike, head: bytes) -> None:
    """An InputError for an index (``head``: its first bytes, decompressed) given in place of the file
    it indexes, as a tab completion to ``E003.methylC.gz.tbi`` gives it."""
    for magic, what in _INDEX_FILES:
        if head.startswith(magic):
            indexed = re.sub(r"\.(tbi|csi|bai)$", "", os.fspath(path), flags=re.IGNORECASE)
            raise InputError(
                f"{what}, not the data: give the file it indexes"
                + (f" ({indexed})" if indexed != os.fspath(path) else "")
                + " in its place",
                path=path,
            )


def arrow_stream(path: str | os.PathLike) -> pa.NativeFile:
    """``path`` as a pyarrow input stream, decompressed by pyarrow's codecs; read through Python
    (``_prepared``) where pyarrow lacks the codec (xz), or a byte-order mark or lines ended by CR
    alone make the bytes read differ from the file's."""
    kind = compression(path)
    stream, changed = _prepared(path)
    if kind == "xz" or changed:
        return pa.input_stream(stream)
    stream.close()
    return pa.input_stream(str(path), compression=kind)


def iter_raw_lines(path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` (1-based; the bytes of the line, its end included).

    One line is read ahead, so a damaged or truncated compressed stream is an InputError before
    the partial line it ends in is yielded (a reader never judges a cut line as if it were data).
    """
    with open_binary(path) as fh:
        number = 0  # lines read whole
        try:
            line = fh.readline()
            while line:
                number += 1
                following = fh.readline()
                yield number, line
                line = following
        except DECOMPRESSION_ERRORS as exc:
            raise InputError(f"{stream_problem(path)} after line {number} ({exc})", path=path) from exc


def iter_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, line end stripped); a damaged compressed stream is an
    InputError (``iter_raw_lines``)."""
    for number, raw in iter_raw_lines(path):
        yield number, raw.rstrip(b"\r\n").decode("latin-1")


def is_number(field: str) -> bool:
    """Whether a text field reads as a number (``float`` syntax: ``1``, ``-0.5``, ``1e3``, ``nan``)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def names_columns(text: str) -> bool:
    """Whether a first line names the columns: no whitespace-separated field after the first (the
    chromosome) reads as a number. A line with one bad number among numbers is a damaged data row."""
    fields = text.split()
    return len(fields) > 1 and not any(is_number(field) for field in fields[1:])


def alignment_format(path: str | os.PathLike) -> str | None:
    """``BAM``, ``CRAM`` or ``SAM`` when ``path`` holds aligned reads (by content: ``CRAM`` magic,
    BGZF whose stream starts ``BAM\\1``, or a first line of a SAM header), else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head == b"CRAM":
            return "CRAM"
        with open_binary(path) as fh:
            start = fh.read(4)
    except DECOMPRESSION_ERRORS:
        return None  # unreadable: the caller's own reading names the problem
    if start == b"BAM\x01":
        return "BAM"
    return "SAM" if start in (b"@HD\t", b"@SQ\t") else None
