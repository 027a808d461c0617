"""Reference genome: per-chromosome ACGTN codes, CpG positions, and the reference stage.

Where the index lives (decided here): the reference stage, :func:`write_reference_index`,
never writes beside the user's FASTA (it may be read-only, shared, or gzip-compressed).
It writes into the stage's output folder (``results/<cohort>/reference/``):

- ``genome.fa``: a normalised copy: compressed input (gzip, bgzip, bzip2, xz, Zstandard) decompressed (or a UCSC ``.2bit``
  decoded, by its magic number), every base upper case, anything that is not ACGT written
  as ``N``, headers cut to their first word (the name pyfaidx uses), 60 bases per line;
- ``genome.fa.fai``: its samtools/pyfaidx index;
- ``chrom_sizes.tsv``: header ``chrom length n_cpg``, one row per sequence in FASTA order;
- ``chrom_aliases.tsv``: other names of its sequences (``epibench.io.chrom_aliases``), from the
  definition lines the copy leaves out and an alias table the user gives.

Each is written atomically, the index after the FASTA (pyfaidx treats an index older
than its FASTA as stale). Later stages open the copy with ``Reference(".../genome.fa")``,
which only reads an existing index and never builds one, so parallel jobs cannot race
to write it. pyfaidx 0.9 could be pointed at an index elsewhere (``indexname=``), but it
cannot read plain gzip FASTA nor files with irregular line lengths, and a clean copy
means every later reader (pyfaidx, bedtools, a genome browser) sees the same sequence.

Reading (``Reference``): pyfaidx parses the .fai, but a whole chromosome is read straight
from the file at its .fai offset and converted with one ``bytes.translate`` per ~1 MB
(newlines dropped, bytes mapped to codes), the same codes as through pyfaidx at about a
quarter of the time and a third of the memory; ``Reference.cg_at`` (the methylation CG
check) reads only the bases around the queried positions from the memory-mapped copy, one
chromosome at a time, and ``Reference.bases_around_gathered`` those on every short sequence (a
draft assembly's scaffolds) at once. Both fall back to pyfaidx (whole chromosome) for FASTAs
whose layout they cannot take.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.chrom_aliases import ALIAS_TABLE, alias_table, reference_aliases, write_alias_table
from epibench.io.textfile import iter_raw_lines
from epibench.codes import BASES, C_CODE, CODE_OF_BYTE, G_CODE, N_CODE, cg_starts

LINE_WIDTH = 60
TWOBIT_MAGIC = 0x1A412743
# the description epibench standin-genome gives each record: random bases with a CG at each call
STANDIN_MARK = "epibench-standin"

# byte -> normalised FASTA byte (upper-case ACGT, N otherwise), for the copy.
_NORMALISED_BYTE = bytes(BASES[c].encode()[0] for c in CODE_OF_BYTE)
_WHITESPACE = b" \t\r\n\v\f"
# the same map as a bytes.translate table, and the bytes Reference reads per chunk
_CODE_TABLE = CODE_OF_BYTE.tobytes()
_READ_CHUNK = 1 << 20
_NEWLINE = ord("\n")
# sequences shorter than this (a draft assembly's scaffolds) are read together by
# ``Reference.bases_around_gathered``, from the whole file memory-mapped
GATHER_MAX_BP = 1 << 20


def _codes_at(codes: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(N,) uint8: ``codes[pos]``, N_CODE where ``pos`` is outside ``codes`` (L,)."""
    inside = (pos >= 0) & (pos < len(codes))
    if not len(codes):
        return np.full(len(pos), N_CODE, dtype=np.uint8)
    return np.where(inside, codes[np.clip(pos, 0, len(codes) - 1)], np.uint8(N_CODE)).astype(np.uint8)


def cg_flags(before: np.ndarray, here: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each base is the C of a CG and whether it is the G of a CG (+ strand), from the codes
    of the base before it, itself and the base after it (three (N,) uint8, ``bases_around``)."""
    return (here == C_CODE) & (after == G_CODE), (here == G_CODE) & (before == C_CODE)


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


# the reference stage's record beside its genome.fa: the FASTA it was prepared from, the assembly matched
ASSEMBLY_RECORD = "assembly.json"


def shown_reference(fasta_path: str | os.PathLike) -> str:
    """The FASTA as messages name it: the reference stage's copy with the file it was prepared from
    (``results/c/reference/genome.fa, the copy of /data/GRCh38.fa``), as its ``assembly.json`` records
    it, else the path alone (a FASTA read ad hoc)."""
    record = Path(fasta_path).parent / ASSEMBLY_RECORD
    try:
        source = json.loads(record.read_text()).get("fasta")
    except (OSError, ValueError, AttributeError):  # none, unreadable, or not a record
        return str(fasta_path)
    return f"{fasta_path}, the copy of {source}" if source else str(fasta_path)


class Reference:
    """Read-only access to an indexed FASTA as sequence codes (A0 C1 G2 T3 N4, ``epibench.codes.BASES``).

    Lower-case (soft-masked) bases read as their upper-case code; IUPAC and any other
    letter read as N. Only the most recently used chromosome is held in memory (``codes``);
    ``cg_at`` reads the bases around given positions without it where it can.

    fasta_path: a plain FASTA with a ``.fai`` beside it (normally the stage copy
    ``genome.fa``). build_index: let pyfaidx build a missing or stale ``.fai`` beside
    the FASTA (for ad-hoc use and tests; pipeline stages leave it False).
    ``aliases``: other name -> sequence name, the stage's ``chrom_aliases.tsv`` beside the copy
    ({} without one); pass it to ``epibench.io.chroms.harmonise`` with ``chroms``. ``shown``: the
    FASTA as messages name it (``shown_reference``: the copy and the user's file it copies).
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
        self.aliases = reference_aliases(fasta_path)
        self.shown = shown_reference(fasta_path)
        self._cached_chrom: str | None = None
        self._cached_codes: np.ndarray | None = None
        self._mapped: tuple[str, np.ndarray, int] | None = None  # cg_at: (chrom, its bytes, first base)
        self._regular: dict[str, bool] = {}  # chrom -> its lines lie where the .fai says (cg_at)
        self._chroms: list[str] = list(self._fasta.keys())
        self._layout: tuple[np.ndarray, ...] | None = None  # bases_around_gathered: per sequence
        self._whole: np.ndarray | None = None  # bases_around_gathered: the file memory-mapped

    @property
    def chroms(self) -> list[str]:
        """Sequence names in FASTA order (listed once, at opening: a draft assembly has tens of
        thousands, and callers ask per sequence)."""
        return self._chroms

    def length(self, chrom: str) -> int:
        """Length of ``chrom`` in bp."""
        return self._fasta.faidx.index[chrom].rlen

    def codes(self, chrom: str) -> np.ndarray:
        """The whole chromosome as a read-only (L,) uint8 array of codes (cached: last chromosome only)."""
        if chrom != self._cached_chrom:
            if chrom not in self._fasta.faidx.index:
                raise KeyError(f"{chrom!r} is not a sequence of {self.fasta_path}")
            self._cached_codes = None  # free the previous chromosome before reading the next
            codes = self._read_codes(chrom)
            if codes is None:  # not a plain ASCII FASTA laid out as its .fai says: pyfaidx
                text = self._fasta[chrom][:]
                codes = CODE_OF_BYTE[np.frombuffer(text.encode("latin-1", "replace"), dtype=np.uint8)]
            codes.flags.writeable = False
            self._cached_chrom, self._cached_codes = chrom, codes
        return self._cached_codes

    def _read_codes(self, chrom: str) -> np.ndarray | None:
        """``chrom``'s codes read straight from the file, or None where only pyfaidx's path applies.

        Reads the very bytes pyfaidx's ``fetch(chrom, 1, rlen)`` would (from the .fai
        offset, the sequence's newlines included), in chunks of about 1 MB, and converts
        each with ``bytes.translate``: ``\\n`` and ``\\r`` deleted (pyfaidx strips both),
        every other byte mapped like ``CODE_OF_BYTE``. So the codes are identical to the
        pyfaidx path, without its whole-chromosome str, its latin-1 copy and the fancy
        index (about 4x faster, a third of the peak memory, on the normalised ``genome.fa``).
        None, to fall back on pyfaidx, for a bgzip or fsspec FASTA, a record without line
        lengths, a non-ASCII byte (pyfaidx decodes UTF-8) or a sequence whose bases do
        not add up to the .fai length (pyfaidx would return what it found).
        """
        faidx = self._fasta.faidx
        record = faidx.index[chrom]
        if getattr(faidx, "_bgzf", False) or getattr(faidx, "_fs", None) or record.lenc <= 0:
            return None
        # byte range of pyfaidx's Faidx.from_file(chrom, 1, rlen), clipped to the record's end as there
        length = record.rlen
        n_bytes = (length // record.lenc) * (record.lenb - record.lenc) + length
        n_bytes = min(n_bytes, record.bend - record.offset)
        codes = np.empty(length, dtype=np.uint8)
        chunk = max(1, _READ_CHUNK // record.lenb) * record.lenb
        done = 0
        with open(self.fasta_path, "rb", buffering=0) as fh:
            fh.seek(record.offset)
            while n_bytes > 0:
                raw = fh.read(min(chunk, n_bytes))
                if not raw:
                    break
                n_bytes -= len(raw)
                if not raw.isascii():
                    return None
                part = raw.translate(_CODE_TABLE, b"\r\n")
                if done + len(part) > length:
                    return None
                codes[done : done + len(part)] = np.frombuffer(part, dtype=np.uint8)
                done += len(part)
        return codes if done == length else None

    def cpg_positions(self, chrom: str) -> np.ndarray:
        """(K,) int64 sorted 0-based positions of the C of every CG on the + strand of ``chrom``."""
        codes = self.codes(chrom)
        return np.flatnonzero(cg_starts(codes)).astype(np.int64)

    def is_cg(self, chrom: str, pos: np.ndarray) -> np.ndarray:
        """(N,) bool: True where 0-based ``pos`` is the C of a CG (+ strand) of ``chrom``."""
        return cg_mask(self.codes(chrom), pos)

    def cg_at(self, chrom: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each 0-based ``pos`` is the C of a CG, and whether it is the G of a CG (+ strand).

        Equal to ``(cg_mask(codes, pos), cg_mask(codes, pos - 1))`` for ``codes = self.codes(chrom)``,
        both (N,) bool, read through ``bases_around``.
        """
        return cg_flags(*self.bases_around(chrom, pos))

    def bases_around(self, chrom: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The codes of the base before, at and after each 0-based ``pos`` of ``chrom``: three (N,)
        uint8 arrays, ``N_CODE`` where a base lies outside the sequence.

        Without making the (L,) codes where it can: when every position has a base on either side
        (1 <= pos <= L - 2), ``chrom`` is not the cached chromosome, and its lines lie where the
        .fai says (every full line ``lenc`` bases and a newline, checked once per chromosome: the
        normalised ``genome.fa`` always), only the three bases around each position are read, from
        the chromosome's bytes memory-mapped (one chromosome at a time).
        """
        pos = np.asarray(pos, dtype=np.int64)
        if chrom not in self._fasta.faidx.index:
            raise KeyError(f"{chrom!r} is not a sequence of {self.fasta_path}")
        record = self._fasta.faidx.index[chrom]
        inside = bool(len(pos)) and pos.min() >= 1 and pos.max() <= record.rlen - 2
        mapped = None if chrom == self._cached_chrom or not inside else self._mapped_record(chrom)
        if mapped is None:
            codes = self.codes(chrom)
            if not inside:
                return tuple(_codes_at(codes, pos + step) for step in (-1, 0, 1))
            # every position has a base on either side: no bounds masks
            return codes[pos - 1], codes[pos], codes[1:][pos]
        raw, start = mapped
        at = pos // record.lenc
        at += pos  # byte of each base, counted from the first base of the record
        here = raw[start:][at]
        # the bases before and after: the bytes beside, or, where that is a newline, beyond it
        after, before = raw[start + 1 :][at], raw[start - 1 :][at]
        for beside, step in ((after, 1), (before, -1)):
            line_end = np.flatnonzero(beside == _NEWLINE)
            beside[line_end] = raw[at[line_end] + (start + 2 * step)]
        return CODE_OF_BYTE[before], CODE_OF_BYTE[here], CODE_OF_BYTE[after]

    def gathered(self) -> np.ndarray:
        """(K,) bool per sequence (``chroms`` order): read together by ``bases_around_gathered``:
        shorter than ``GATHER_MAX_BP``, in a plain file, and laid out as the .fai says (a newline
        byte after every ``lenc`` bases and after the last, each checked once, at the first call)."""
        if self._layout is None:
            faidx = self._fasta.faidx
            records = [faidx.index[name] for name in self._chroms]
            offset, length, line_bases, line_bytes = (
                np.fromiter((getattr(r, field) for r in records), np.int64, len(records))
                for field in ("offset", "rlen", "lenc", "lenb")
            )
            plain = not getattr(faidx, "_bgzf", False) and getattr(faidx, "_fs", None) is None
            short = (
                (line_bases > 0) & (line_bytes == line_bases + 1) & (length > 0) & (length < GATHER_MAX_BP)
            )
            line_bases = np.maximum(line_bases, 1)
            gathered = short & plain
            if gathered.any():
                self._whole = np.memmap(self.fasta_path, dtype=np.uint8, mode="r")
                gathered &= _laid_out_as_indexed(self._whole, gathered, offset, length, line_bases)
            self._layout = (gathered, offset, length, line_bases)
        return self._layout[0]

    def bases_around_gathered(
        self, chrom_index: np.ndarray, pos: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``bases_around`` for positions on many sequences at once, all of them ``gathered``:
        ``chrom_index`` (N,) each position's sequence (index into ``chroms``), ``pos`` (N,) 0-based.

        Each base's byte is computed from its sequence's .fai offset and line length and read from
        the whole file memory-mapped, so no step costs per sequence (a draft assembly has 10^5
        scaffolds).
        """
        if not self.gathered()[chrom_index].all():
            raise ValueError("bases_around_gathered: a position on a sequence that is not gathered")
        _, offset, length, line_bases = (part[chrom_index] for part in self._layout)
        pos = np.asarray(pos, dtype=np.int64)
        codes = []
        for step in (-1, 0, 1):
            at = pos + step
            inside = (at >= 0) & (at < length)
            at = np.where(inside, at, 0)
            raw = self._whole[offset + at + at // line_bases]
            codes.append(np.where(inside, CODE_OF_BYTE[raw], np.uint8(N_CODE)).astype(np.uint8))
        return codes[0], codes[1], codes[2]

    def _mapped_record(self, chrom: str) -> tuple[np.ndarray, int] | None:
        """``chrom``'s record memory-mapped for ``cg_at``, and the index of its first base in it.

        One chromosome mapped at a time (mapping the next unmaps the previous: the resident
        file pages never exceed one chromosome's). None where the record is not regular:
        a bgzip (or fsspec) FASTA, not one newline byte per line (``lenb == lenc + 1``, so
        no CRLF), no newline where the .fai puts the end of a full line, or the file too
        short for the last base.
        """
        if self._mapped is not None and self._mapped[0] == chrom:
            return self._mapped[1:]
        if self._regular.get(chrom) is False:
            return None
        self._mapped = None  # unmap the previous chromosome first
        mapped = self._map_regular_record(chrom)
        self._regular[chrom] = mapped is not None
        if mapped is not None:
            self._mapped = (chrom, *mapped)
        return mapped

    def _map_regular_record(self, chrom: str) -> tuple[np.ndarray, int] | None:
        """Map ``chrom``'s bytes and check its layout (see ``_mapped_record``)."""
        faidx = self._fasta.faidx
        record = faidx.index[chrom]
        if (
            getattr(faidx, "_bgzf", False)
            or getattr(faidx, "_fs", None) is not None
            or record.lenc <= 0
            or record.lenb != record.lenc + 1
            or record.offset < 1
        ):
            return None
        first = record.offset
        last = first + (record.rlen - 1) + (record.rlen - 1) // record.lenc  # the byte of the last base
        low = (first - 1) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY  # mmap's alignment
        with open(self.fasta_path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size <= last:
                return None
            data = np.frombuffer(
                mmap.mmap(fh.fileno(), last + 1 - low, access=mmap.ACCESS_READ, offset=low), dtype=np.uint8
            )
        start = first - low
        if not np.all(data[start + record.lenc : start + (last - first) : record.lenb] == _NEWLINE):
            return None
        return data, start

    def close(self) -> None:
        self._fasta.close()
        self._mapped = self._whole = None


def _laid_out_as_indexed(
    data: np.ndarray, candidates: np.ndarray, offset: np.ndarray, length: np.ndarray, line_bases: np.ndarray
) -> np.ndarray:
    """(K,) bool: for each ``candidates`` sequence, every byte the .fai (``offset``, ``length``,
    ``line_bases``; one newline byte per line) puts after a full line or after the last base is a
    newline (or the file's end, after the last), in the file's bytes ``data``; False elsewhere."""
    ok = candidates.copy()
    which = np.flatnonzero(candidates)
    after_last = offset[which] + length[which] + (length[which] - 1) // line_bases[which]
    ends_well = (after_last < len(data)) & (data[np.minimum(after_last, len(data) - 1)] == _NEWLINE)
    ok[which] &= ends_well | (after_last == len(data))
    n_inner = (length[which] - 1) // line_bases[which]  # newlines between a sequence's bases
    record = np.repeat(which, n_inner)
    line = np.arange(len(record)) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
    at = offset[record] + line * (line_bases[record] + 1) + line_bases[record]
    bad = (at >= len(data)) | (data[np.minimum(at, len(data) - 1)] != _NEWLINE)
    ok[np.unique(record[bad])] = False
    return ok


def is_standin(fasta: str | os.PathLike) -> bool:
    """Whether ``fasta``'s first record is a stand-in sequence (``STANDIN_MARK`` in its header line,
    as ``epibench standin-genome`` writes it): not a genome, whatever its lengths match."""
    for _, raw in iter_raw_lines(fasta):
        if raw.startswith(b">"):
            return STANDIN_MARK.encode() in raw
    return False


def write_reference_index(
    fasta_path: str | os.PathLike, out_dir: str | os.PathLike, alias_file: str | os.PathLike | None = None
) -> Path:
    """Reference stage: write ``genome.fa``, ``genome.fa.fai``, ``chrom_sizes.tsv`` and
    ``chrom_aliases.tsv`` into ``out_dir``.

    See the module docstring for what the copy holds; the aliases come from the FASTA's definition
    lines and ``alias_file`` (``epibench.io.chrom_aliases``). Memory: one chromosome at a time.
    Returns the path of the copy (``out_dir/genome.fa``).
    """
    out_dir = Path(out_dir)
    target = out_dir / "genome.fa"
    rows = []  # (chrom, length, n_cpg, offset of the first base)
    descriptions: dict[str, str] = {}  # chrom -> the rest of its definition line
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        offset = 0
        for name, description, seq in _records(fasta_path):
            descriptions[name] = description
            header = b">" + name.encode() + b"\n"
            body = _wrap(seq)
            out.write(header)
            out.write(body)
            rows.append((name, len(seq), seq.count(b"CG"), offset + len(header)))
            offset += len(header) + len(body)
        if not rows:
            raise InputError("no sequences (no '>' header line) in the FASTA", path=fasta_path)
    # read before the index is written: a bad alias table leaves the copy without one (unusable)
    aliases = alias_table(list(descriptions), descriptions, alias_file)
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
    write_alias_table(aliases, out_dir / ALIAS_TABLE)
    return target


def is_twobit(path: str | os.PathLike) -> bool:
    """True when ``path`` starts with the UCSC .2bit signature 0x1A412743 (either byte order)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from exc
    return len(head) == 4 and TWOBIT_MAGIC in (int.from_bytes(head, "little"), int.from_bytes(head, "big"))


def _records(fasta_path: str | os.PathLike) -> Iterator[tuple[str, str, bytes]]:
    """Yield ``(name, the rest of its definition line, normalised sequence bytes)`` per FASTA (or
    .2bit: no definition line) record, one record in memory at a time."""
    if is_twobit(fasta_path):
        yield from _twobit_records(fasta_path)
        return
    name: str | None = None
    description = ""
    parts: list[bytes] = []
    seen: set[str] = set()
    for number, line in iter_raw_lines(fasta_path):
        if line.startswith(b">"):
            if name is not None:
                yield _finish(fasta_path, name, description, parts)
            words = line[1:].split(maxsplit=1)
            if not words:
                raise InputError("header line without a sequence name", fasta_path, number)
            name = words[0].decode("latin-1")
            description = words[1].strip().decode("latin-1") if len(words) > 1 else ""
            if name in seen:
                raise InputError(f"sequence name {name!r} appears twice", fasta_path, number)
            seen.add(name)
            parts = []
        elif name is None:
            if line.strip():
                raise InputError("sequence before the first '>' header line", fasta_path, number)
        else:
            parts.append(line.translate(_NORMALISED_BYTE, _WHITESPACE))
    if name is not None:
        yield _finish(fasta_path, name, description, parts)


def check_twobit_complete(path: str | os.PathLike) -> None:
    """InputError unless the .2bit ``path`` holds every record its index points to, whole.

    lib2bit (under py2bit) reads a file cut inside its packed bases without an error (the
    missing bases come back as T), so each record's end is computed from its header (UCSC
    .2bit layout: per sequence its length, N blocks, mask blocks, a reserved word, then 4
    bases per byte) and checked against the file's size first.
    """
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        _check_twobit_records(data, path)


def _check_twobit_records(data: mmap.mmap, path: str | os.PathLike) -> None:
    """``check_twobit_complete`` on the file's bytes ``data``."""
    order = "<" if int.from_bytes(data[:4], "little") == TWOBIT_MAGIC else ">"

    def words(offset: int, count: int, size: str = "I") -> tuple[int, ...]:
        end = offset + struct.calcsize(size) * count
        if end > len(data):
            raise InputError(
                f"truncated .2bit: the file ends at byte {len(data)}, inside a header", path=path
            )
        return struct.unpack_from(f"{order}{count}{size}", data, offset)

    version, n_sequences = words(4, 2)
    offset_size = "Q" if version == 1 else "I"
    at = 16
    for _ in range(n_sequences):
        (name_size,) = words(at, 1, "B")
        (record,) = words(at + 1 + name_size, 1, offset_size)
        at += 1 + name_size + struct.calcsize(offset_size)
        length, n_blocks = words(record, 2)
        (n_masks,) = words(record + 8 + 8 * n_blocks, 1)
        end = record + 8 + 8 * n_blocks + 4 + 8 * n_masks + 4 + (length + 3) // 4
        if end > len(data):
            name = data[at - name_size - struct.calcsize(offset_size) : at - struct.calcsize(offset_size)]
            raise InputError(
                f"truncated .2bit: sequence {name.decode('latin-1')!r} needs bytes up to {end}, "
                f"the file has {len(data)}",
                path=path,
            )


def _twobit_records(path: str | os.PathLike) -> Iterator[tuple[str, str, bytes]]:
    """``_records`` of a UCSC .2bit file (py2bit: its N blocks as N, soft-masking dropped), checked
    whole first (``check_twobit_complete``)."""
    import py2bit

    check_twobit_complete(path)
    try:
        handle = py2bit.open(str(path))
        names = list(handle.chroms())
    except RuntimeError as exc:
        raise InputError(f"cannot read as .2bit ({exc})", path=path) from None
    try:
        for name in names:
            try:
                seq = handle.sequence(name)
            except RuntimeError as exc:
                raise InputError(f"cannot read sequence {name!r} of the .2bit ({exc})", path=path) from None
            yield _finish(path, name, "", [seq.encode("latin-1").translate(_NORMALISED_BYTE)])
    finally:
        handle.close()


def _finish(fasta_path, name: str, description: str, parts: list[bytes]) -> tuple[str, str, bytes]:
    seq = b"".join(parts)
    if not seq:
        raise InputError(f"sequence {name!r} is empty", path=fasta_path)
    return name, description, seq


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
