"""Sequence windows read straight from an indexed FASTA, for the data loader.

The shards store no sequence: every CpG's window is cut at load time from the cohort's
normalised reference (``results/<cohort>/reference/genome.fa``, see epibench.io.reference),
memory-mapped, so the genome is stored once on disk and once in the page cache however many
samples and overlapping windows read it. A base at 0-based position ``p`` of a record with
.fai fields (offset, bases per line ``lenc``, bytes per line ``lenb``) is the byte at
``offset + p + (p // lenc) * (lenb - lenc)``; positions outside the sequence read as N.
The map is opened lazily and not pickled, so DataLoader workers (fork or spawn) each map
the file themselves.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.chrom_aliases import reference_aliases
from epibench.codes import CODE_OF_BYTE, N_CODE

FAI_COLUMNS = ["name", "length", "offset", "lenc", "lenb"]


def fai_fingerprint(fasta_path: str | os.PathLike) -> str:
    """SHA-256 of the FASTA's .fai: names, lengths and layout, a cheap identity of the genome copy."""
    return hashlib.sha256(Path(f"{fasta_path}.fai").read_bytes()).hexdigest()


class GenomeWindows:
    """Fixed-width windows of base codes from an uncompressed FASTA with a .fai index."""

    def __init__(self, fasta_path: str | os.PathLike):
        self.fasta_path = Path(fasta_path)
        fai = Path(f"{fasta_path}.fai")
        if not self.fasta_path.exists() or not fai.exists():
            raise InputError("reference FASTA or its .fai index is missing", path=fai)
        index = pd.read_csv(
            fai,
            sep="\t",
            header=None,
            usecols=range(5),
            names=FAI_COLUMNS,
            dtype={"name": str},
        )
        self.names: list[str] = list(index["name"])
        self.aliases = reference_aliases(fasta_path)  # other name -> name, the reference stage's
        self.lengths = index["length"].to_numpy(np.int64)
        self._offset = index["offset"].to_numpy(np.int64)
        self._lenc = np.maximum(index["lenc"].to_numpy(np.int64), 1)
        self._extra = index["lenb"].to_numpy(np.int64) - index["lenc"].to_numpy(np.int64)
        self._bytes: np.memmap | None = None

    def index_of(self, names: list[str]) -> np.ndarray:
        """Row of each sequence name in the .fai; (len(names),) int64."""
        rows = {name: i for i, name in enumerate(self.names)}
        missing = [n for n in names if n not in rows]
        if missing:
            raise InputError(
                f"sequences {missing[:5]} are not in the reference",
                path=self.fasta_path,
            )
        return np.array([rows[n] for n in names], dtype=np.int64)

    def windows(self, seq_index: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
        """Base codes of [start, start + width) on each sequence (``index_of`` rows).

        seq_index, starts: (N,) ints. Returns (N, width) uint8 codes (epibench.codes.BASES).
        """
        if self._bytes is None:
            self._bytes = np.memmap(self.fasta_path, dtype=np.uint8, mode="r")
        pos = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(width, dtype=np.int64)
        seq_index = np.asarray(seq_index, dtype=np.int64)[:, None]
        inside = (pos >= 0) & (pos < self.lengths[seq_index])
        pos = np.where(inside, pos, 0)
        byte = self._offset[seq_index] + pos + (pos // self._lenc[seq_index]) * self._extra[seq_index]
        codes = CODE_OF_BYTE[self._bytes[byte]]
        codes[~inside] = N_CODE
        return codes

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_bytes": None}
