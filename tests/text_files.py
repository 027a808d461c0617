"""Test inputs written as text files: one helper for every test module that writes lines."""

from __future__ import annotations

import gzip
from pathlib import Path


def write_lines(path: Path, lines: list[str], gz: bool = False) -> Path:
    """``path`` with each of ``lines`` written as a line ending in a newline, gzip-compressed when
    ``gz``; returns ``path``."""
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path
