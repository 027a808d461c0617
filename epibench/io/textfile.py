"""Opening text inputs that may be gzip-compressed, finding lines for error messages, reading fields.

Compression is decided from the magic bytes (``1f 8b``), never from the suffix, so a
gzip file named ``.txt`` or a plain file named ``.gz`` both read correctly. bgzip files
(concatenated gzip members) read as gzip.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from epibench.errors import InputError

# a BED/GTF coordinate: decimal digits, at most 18 (far beyond any sequence, and within int64
# with room to spare, so that promoter arithmetic and bedtools cannot overflow)
COORDINATE = re.compile(r"[0-9]{1,18}")
GZIP_MAGIC = b"\x1f\x8b"
# Errors Python's gzip module raises on a damaged or truncated stream.
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def is_gzip(path: str | os.PathLike) -> bool:
    """True when the file starts with the gzip magic bytes."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from exc


@contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open ``path`` for reading bytes, decompressing gzip/bgzip transparently."""
    if is_gzip(path):
        with gzip.open(path, "rb") as fh:
            yield fh
    else:
        with open(path, "rb") as fh:
            yield fh


def iter_raw_lines(path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` (1-based; the bytes of the line, its end included).

    One line is read ahead, so a damaged or truncated gzip stream is an InputError before the
    partial line it ends in is yielded (a reader never judges a cut line as if it were data).
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
        except GZIP_ERRORS as exc:
            raise InputError(
                f"damaged or truncated gzip stream after line {number} ({exc})", path=path
            ) from exc


def iter_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, line end stripped); a damaged gzip stream is an InputError
    (``iter_raw_lines``)."""
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
    except (OSError, *GZIP_ERRORS):
        return None  # unreadable: the caller's own reading names the problem
    if start == b"BAM\x01":
        return "BAM"
    return "SAM" if start in (b"@HD\t", b"@SQ\t") else None
