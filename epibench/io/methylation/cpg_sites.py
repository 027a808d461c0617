"""Where each methylation call's CpG is on the reference, whether the call sits on a CG at all, and
whether it sits on a cytosine (of any context)."""

from __future__ import annotations

import numpy as np

from epibench.codes import C_CODE, G_CODE, N_CODE
from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED, Calls
from epibench.io.reference import Reference, cg_flags


def _on_strand(strand: np.ndarray, plus: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """(N,) bool per call: ``plus`` for a + call, ``minus`` for a - call, either for an unstranded one."""
    return np.where(strand == ON_C, plus, np.where(strand == ON_G, minus, plus | minus))


def _cpg_of(
    on_c: np.ndarray, on_g: np.ndarray, pos: np.ndarray, strand: np.ndarray, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Position of the + strand C of each call's CpG (into ``out`` if given), and whether the call sits on a CG at all.

    on_c, on_g: (N,) bool, the called base is the C of a CG / the G of a CG (``Reference.cg_at``).
    """
    on_cg = _on_strand(strand, on_c, on_g)
    to_g = (strand == ON_G) | ((strand == UNSTRANDED) & ~on_c)
    return np.subtract(pos, to_g, out=out), on_cg


def _by_chrom(ref_chrom: np.ndarray):
    """Yield (reference chromosome index, rows) in FASTA order.

    rows: a slice where each chromosome's calls are one run of rows (a file sorted by
    chromosome, in any chromosome order: no sort, and the columns are read as views),
    else an (n,) array of row indices.
    """
    if not len(ref_chrom):
        return
    bounds = np.flatnonzero(ref_chrom[1:] != ref_chrom[:-1]) + 1
    starts = np.r_[0, bounds]
    chroms = ref_chrom[starts]
    if len(np.unique(chroms)) == len(chroms):
        ends = np.r_[bounds, len(ref_chrom)]
        for i in np.argsort(chroms, kind="stable"):
            yield chroms[i], slice(int(starts[i]), int(ends[i]))
        return
    order = np.argsort(ref_chrom, kind="stable")
    chroms, starts = np.unique(ref_chrom[order], return_index=True)
    yield from zip(chroms, np.split(order, starts[1:]))


def _split_gathered(ref_chrom: np.ndarray, reference: Reference) -> tuple[np.ndarray, np.ndarray]:
    """The rows of calls on sequences ``reference`` reads together (``Reference.gathered``: short
    scaffolds), and ``ref_chrom`` with those rows set to -1 (for ``_by_chrom`` to pass over)."""
    gathered = reference.gathered()[ref_chrom] if len(ref_chrom) else np.zeros(0, dtype=bool)
    if not gathered.any():
        return np.zeros(0, dtype=np.int64), ref_chrom
    return np.flatnonzero(gathered), np.where(gathered, -1, ref_chrom)


def locate_cpgs(
    calls: Calls, ref_chrom: np.ndarray, reference: Reference, shift: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per call: position of its CpG's + strand C, and whether it sits on a CG (positions moved by ``shift``).

    The calls on short sequences all at once (``Reference.bases_around_gathered``), the others
    chromosome by chromosome in FASTA order (``Reference.cg_at``: for the normalised
    ``genome.fa``, the bases around the calls, never a whole chromosome in memory).
    """
    cpg_pos = np.empty(len(calls), dtype=np.int64)
    on_cg = np.zeros(len(calls), dtype=bool)
    gathered, rest = _split_gathered(ref_chrom, reference)
    if len(gathered):
        pos = calls.pos[gathered] + shift
        on_c, on_g = cg_flags(*reference.bases_around_gathered(ref_chrom[gathered], pos))
        cpg_pos[gathered], on_cg[gathered] = _cpg_of(on_c, on_g, pos, calls.strand[gathered])
    for chrom, rows in _by_chrom(rest):
        if chrom < 0:
            continue
        pos = calls.pos[rows] + shift if shift else calls.pos[rows]
        on_c, on_g = reference.cg_at(reference.chroms[chrom], pos)
        if isinstance(rows, slice):  # write into the outputs directly
            on_cg[rows] = _cpg_of(on_c, on_g, pos, calls.strand[rows], out=cpg_pos[rows])[1]
        else:
            cpg_pos[rows], on_cg[rows] = _cpg_of(on_c, on_g, pos, calls.strand[rows])
    return cpg_pos, on_cg


def called_bases(calls: Calls, ref_chrom: np.ndarray, reference: Reference) -> np.ndarray:
    """(N,) uint8: the reference's base code (``epibench.codes``) at each call's position, ``N_CODE``
    for a call on no sequence (``ref_chrom`` -1). ``ref_chrom``: (N,) index of each call's sequence in
    ``reference.chroms``. Calls on short sequences are looked up at once, as in ``locate_cpgs``."""
    out = np.full(len(calls), N_CODE, dtype=np.uint8)
    gathered, rest = _split_gathered(ref_chrom, reference)
    if len(gathered):
        out[gathered] = reference.bases_around_gathered(ref_chrom[gathered], calls.pos[gathered])[1]
    for chrom, rows in _by_chrom(rest):
        if chrom < 0:
            continue
        out[rows] = reference.bases_around(reference.chroms[chrom], calls.pos[rows])[1]
    return out


def cytosine_of_strand(calls: Calls, bases: np.ndarray) -> np.ndarray:
    """(N,) bool: whether each call's base (``called_bases``) is a cytosine of its strand."""
    return _on_strand(calls.strand, bases == C_CODE, bases == G_CODE)


def on_cytosine(calls: Calls, ref_chrom: np.ndarray, reference: Reference) -> np.ndarray:
    """(N,) bool: whether each call's base is a cytosine of its strand on the reference, in any
    context (CG, CHG, CHH): a C for a + call, a G (the - strand's C) for a - call, either for an
    unstranded call. ``ref_chrom``: (N,) index of each call's sequence in ``reference.chroms``.
    Calls on short sequences are looked up at once, as in ``locate_cpgs``."""
    return cytosine_of_strand(calls, called_bases(calls, ref_chrom, reference))
