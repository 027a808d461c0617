"""Reference genome: per-chromosome ACGTN codes, CpG positions, and the reference stage.

Where the index lives (decided here): the reference stage, :func:`write_reference_index`,
never writes beside the user's FASTA (it may be read-only, shared, or gzip-compressed).
It writes into the stage's output folder (``results/<cohort>/reference/``):

- ``genome.fa``: a normalised copy: gzip/bgzip input decompressed, every base upper
  case, anything that is not ACGT written as ``N``, headers cut to their first word (the
  name pyfaidx uses), 60 bases per line;
- ``genome.fa.fai``: its samtools/pyfaidx index;
- ``chrom_sizes.tsv``: header ``chrom length n_cpg``, one row per sequence in FASTA order.

Each is written atomically, the index after the FASTA (pyfaidx treats an index older
than its FASTA as stale). Later stages open the copy with ``Reference(".../genome.fa")``,
which only reads an existing index and never builds one, so parallel jobs cannot race
to write it. pyfaidx 0.9 could be pointed at an index elsewhere (``indexname=``), but it
cannot read plain gzip FASTA nor files with irregular line lengths, and a clean copy
means every later reader (pyfaidx, bedtools, a genome browser) sees the same sequence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.textfile import GZIP_ERRORS, open_binary
from epibench.vocab import BASES, N_CODE

C_CODE = BASES.index("C")
G_CODE = BASES.index("G")
LINE_WIDTH = 60

# byte -> sequence code; lower-case acgt map like upper case, anything else is N.
_CODE_OF_BYTE = np.full(256, N_CODE, dtype=np.uint8)
for _code, _base in enumerate(BASES[:N_CODE]):
    _CODE_OF_BYTE[ord(_base)] = _code
    _CODE_OF_BYTE[ord(_base.lower())] = _code

# byte -> normalised FASTA byte (upper-case ACGT, N otherwise), for the copy.
_NORMALISED_BYTE = bytes(BASES[c].encode()[0] for c in _CODE_OF_BYTE)
_WHITESPACE = b" \t\r\n\v\f"


def cg_mask(codes: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """True where ``codes[pos:pos+2]`` is C, G; False for positions outside the sequence.

    codes: (L,) uint8 sequence codes of one chromosome; pos: (N,) int 0-based positions.
    Returns (N,) bool.
    """
    pos = np.asarray(pos, dtype=np.int64)
    inside = (pos >= 0) & (pos < len(codes) - 1)
    if len(codes) < 2:
        return inside
    safe = np.where(inside, pos, 0)
    return inside & (codes[safe] == C_CODE) & (codes[safe + 1] == G_CODE)


class Reference:
    """Read-only access to an indexed FASTA as sequence codes (A0 C1 G2 T3 N4, ``epibench.vocab.BASES``).

    Lower-case (soft-masked) bases read as their upper-case code; IUPAC and any other
    letter read as N. Only the most recently used chromosome is held in memory.

    fasta_path: a plain FASTA with a ``.fai`` beside it (normally the stage copy
    ``genome.fa``). build_index: let pyfaidx build a missing or stale ``.fai`` beside
    the FASTA (for ad-hoc use and tests; pipeline stages leave it False).
    """

    def __init__(self, fasta_path: str | os.PathLike, build_index: bool = False):
        self.fasta_path = Path(fasta_path)
        if not build_index and not Path(f"{fasta_path}.fai").exists():
            raise InputError(
                "no .fai index beside the FASTA; run the reference stage "
                "(epibench.io.reference.write_reference_index) and use its genome.fa",
                path=fasta_path,
            )
        try:
            self._fasta = pyfaidx.Fasta(
                str(fasta_path), as_raw=True, rebuild=build_index, build_index=build_index
            )
        except (
            pyfaidx.FastaIndexingError,
            pyfaidx.FastaNotFoundError,
            pyfaidx.IndexNotFoundError,
            ValueError,
        ) as exc:
            raise InputError(f"cannot read FASTA: {exc}", path=fasta_path) from exc
        self._cached_chrom: str | None = None
        self._cached_codes: np.ndarray | None = None

    @property
    def chroms(self) -> list[str]:
        """Sequence names in FASTA order."""
        return list(self._fasta.keys())

    def length(self, chrom: str) -> int:
        """Length of ``chrom`` in bp."""
        return self._fasta.faidx.index[chrom].rlen

    def codes(self, chrom: str) -> np.ndarray:
        """The whole chromosome as a read-only (L,) uint8 array of codes (cached: last chromosome only)."""
        if chrom != self._cached_chrom:
            if chrom not in self._fasta.faidx.index:
                raise KeyError(f"{chrom!r} is not a sequence of {self.fasta_path}")
            self._cached_codes = None  # free the previous chromosome before reading the next
            text = self._fasta[chrom][:]
            codes = _CODE_OF_BYTE[np.frombuffer(text.encode("latin-1", "replace"), dtype=np.uint8)]
            codes.flags.writeable = False
            self._cached_chrom, self._cached_codes = chrom, codes
        return self._cached_codes

    def cpg_positions(self, chrom: str) -> np.ndarray:
        """(K,) int64 sorted 0-based positions of the C of every CG on the + strand of ``chrom``."""
        codes = self.codes(chrom)
        return np.flatnonzero((codes[:-1] == C_CODE) & (codes[1:] == G_CODE)).astype(np.int64)

    def is_cg(self, chrom: str, pos: np.ndarray) -> np.ndarray:
        """(N,) bool: True where 0-based ``pos`` is the C of a CG (+ strand) of ``chrom``."""
        return cg_mask(self.codes(chrom), pos)

    def close(self) -> None:
        self._fasta.close()


def write_reference_index(fasta_path: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Reference stage: write ``genome.fa``, ``genome.fa.fai`` and ``chrom_sizes.tsv`` into ``out_dir``.

    See the module docstring for what the copy holds. Memory: one chromosome at a time.
    Returns the path of the copy (``out_dir/genome.fa``).
    """
    out_dir = Path(out_dir)
    target = out_dir / "genome.fa"
    rows = []  # (chrom, length, n_cpg, offset of the first base)
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        offset = 0
        for name, seq in _records(fasta_path):
            header = b">" + name.encode() + b"\n"
            body = _wrap(seq)
            out.write(header)
            out.write(body)
            rows.append((name, len(seq), seq.count(b"CG"), offset + len(header)))
            offset += len(header) + len(body)
        if not rows:
            raise InputError("no sequences (no '>' header line) in the FASTA", path=fasta_path)
    with atomic_path(out_dir / "genome.fa.fai") as tmp:
        # samtools' convention: a one-line sequence gives its own length as bases per line
        tmp.write_text(
            "".join(
                f"{n}\t{ln}\t{off}\t{min(ln, LINE_WIDTH)}\t{min(ln, LINE_WIDTH) + 1}\n"
                for n, ln, _, off in rows
            )
        )
    sizes = pd.DataFrame([r[:3] for r in rows], columns=["chrom", "length", "n_cpg"])
    with atomic_path(out_dir / "chrom_sizes.tsv") as tmp:
        sizes.to_csv(tmp, sep="\t", index=False)
    return target


def _records(fasta_path: str | os.PathLike) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, normalised sequence bytes)`` per FASTA record, one record in memory at a time."""
    name: str | None = None
    parts: list[bytes] = []
    seen: set[str] = set()
    number = 0
    with open_binary(fasta_path) as fh:
        try:
            for number, line in enumerate(fh, start=1):
                if line.startswith(b">"):
                    if name is not None:
                        yield _finish(fasta_path, name, parts)
                    words = line[1:].split()
                    if not words:
                        raise InputError("header line without a sequence name", fasta_path, number)
                    name = words[0].decode("latin-1")
                    if name in seen:
                        raise InputError(f"sequence name {name!r} appears twice", fasta_path, number)
                    seen.add(name)
                    parts = []
                elif name is None:
                    if line.strip():
                        raise InputError("sequence before the first '>' header line", fasta_path, number)
                else:
                    parts.append(line.translate(_NORMALISED_BYTE, _WHITESPACE))
        except GZIP_ERRORS as exc:
            raise InputError(
                f"damaged or truncated gzip stream after line {number} ({exc})", path=fasta_path
            ) from exc
    if name is not None:
        yield _finish(fasta_path, name, parts)


def _finish(fasta_path, name: str, parts: list[bytes]) -> tuple[str, bytes]:
    seq = b"".join(parts)
    if not seq:
        raise InputError(f"sequence {name!r} is empty", path=fasta_path)
    return name, seq


def _wrap(seq: bytes) -> bytes:
    """``seq`` as FASTA body lines of LINE_WIDTH bases, each ending in a newline."""
    n_full = len(seq) // LINE_WIDTH
    full = np.empty((n_full, LINE_WIDTH + 1), dtype=np.uint8)
    full[:, :LINE_WIDTH] = np.frombuffer(seq, dtype=np.uint8, count=n_full * LINE_WIDTH).reshape(
        n_full, LINE_WIDTH
    )
    full[:, LINE_WIDTH] = ord("\n")
    tail = seq[n_full * LINE_WIDTH :]
    return full.tobytes() + (tail + b"\n" if tail else b"")
