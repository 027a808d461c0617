"""Test inputs written as text files: one helper for every test module that writes lines, and the
compressions other than gzip that inputs may come in."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pyarrow as pa

# compression -> (file suffix, compress(bytes) -> bytes): Python's bz2 and lzma, pyarrow's Zstandard
COMPRESSORS = {
    "bz2": (".bz2", bz2.compress),
    "xz": (".xz", lzma.compress),
    "zstd": (".zst", lambda data: pa.compress(data, "zstd", asbytes=True)),
}
# the first bytes each format's specification fixes: bzip2 "BZh" and a block size 1-9; xz's
# header magic (xz file format 1.0.4, 2.1.1.1); Zstandard's frame magic 0xFD2FB528 (RFC 8878 3.1.1)
SPEC_MAGIC = {"bz2": b"BZh", "xz": b"\xfd7zXZ\x00", "zstd": (0xFD2FB528).to_bytes(4, "little")}
MAGIC_LENGTH = {"bz2": 4, "xz": 6, "zstd": 4}  # bytes a reader needs to tell the compression


def write_lines(path: Path, lines: list[str], gz: bool = False) -> Path:
    """``path`` with each of ``lines`` written as a line ending in a newline, gzip-compressed when
    ``gz``; returns ``path``."""
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path
