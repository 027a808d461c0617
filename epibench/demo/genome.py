"""The demo reference sequence: background, CpG islands, the planted motif, N runs, soft-masking.

Sequences are uint8 code arrays (``epibench.codes.BASES``: A=0, C=1, G=2, T=3, N=4).
Both background and islands are drawn i.i.d. with an elevated GC content and then
CpG-depleted the way deamination does it: a share of CG dinucleotides turns into TG
or CA (never creating a new CG). The draw GC and the share kept are solved in
closed form from the target GC and CpG observed/expected ratio:

- background: GC ~0.41, CpG o/e ~0.23;
- islands: GC ~0.65, CpG o/e ~0.8.

``PROTECTIVE_MOTIF`` (or its reverse complement ``TGAGTCA``) is then written
5-40 bp beside a random ``MOTIF_TARGET_SHARE`` of the CpGs outside islands. The
motif has no CG and starts with T and ends with A, so writing it never creates a
CpG; it may overwrite one. Which CpGs sit within ``MOTIF_REACH`` bp of a motif is
decided afterwards by scanning the final sequence (:func:`motif_near`): a planted
motif also reaches the CpGs around its target, so about 14 % of the CpGs outside
islands (11-12 % of all) end up flagged.
"""

from __future__ import annotations

import numpy as np

from epibench.demo.annotation import ChromLayout
from epibench.demo.intervals import covered
from epibench.demo.streams import stream
from epibench.codes import BASES, N_CODE

PROTECTIVE_MOTIF = "TGACTCA"
MOTIF_REACH = 50
MOTIF_TARGET_SHARE = 0.065
BACKGROUND_GC, BACKGROUND_CPG_OE = 0.41, 0.23
ISLAND_GC, ISLAND_CPG_OE = 0.65, 0.8
FASTA_WIDTH = 60

_A, _C, _G, _T = (BASES.index(b) for b in "ACGT")
_COMPLEMENT = np.array([_T, _G, _C, _A, N_CODE], dtype=np.uint8)
_LOOKUP = np.full(256, N_CODE, dtype=np.uint8)
_LOOKUP[np.frombuffer(b"ACGT", dtype=np.uint8)] = [_A, _C, _G, _T]


def encode(seq: str) -> np.ndarray:
    """Codes (len(seq),) uint8 of an upper-case string; anything but ACGT becomes N."""
    return _LOOKUP[np.frombuffer(seq.encode(), dtype=np.uint8)]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    return _COMPLEMENT[codes[::-1]]


MOTIF_CODES = np.stack([encode(PROTECTIVE_MOTIF), reverse_complement(encode(PROTECTIVE_MOTIF))])


def draw_parameters(gc: float, cpg_oe: float) -> tuple[float, float]:
    """(GC to draw with, share of CG to keep) so that depletion ends at ``gc`` and ``cpg_oe``.

    Drawing with GC g gives CG frequency f = (g/2)^2; keeping a share k turns (1-k) f
    of the C/G into A/T, so the final GC is g - (1-k) f and the final CG frequency
    k f = cpg_oe (gc/2)^2. Eliminating k: g^2/4 - g + (gc - cpg_oe gc^2/4) = 0.
    """
    kept = cpg_oe * gc * gc / 4
    g = 2 * (1 - np.sqrt(1 - (gc - kept)))
    return float(g), float(kept / (g * g / 4))


def draw_sequence(rng: np.random.Generator, n: int, gc: float, cpg_oe: float) -> np.ndarray:
    """(n,) uint8 codes with GC content ``gc`` and CpG observed/expected ``cpg_oe`` on average."""
    g, keep = draw_parameters(gc, cpg_oe)
    cumulative = np.cumsum([(1 - g) / 2, g / 2, g / 2])
    codes = np.searchsorted(cumulative, rng.random(n), side="right").astype(np.uint8)
    cg = np.flatnonzero((codes[:-1] == _C) & (codes[1:] == _G))
    lose = cg[rng.random(cg.size) >= keep]
    to_t = rng.random(lose.size) < 0.5
    codes[lose[to_t]] = _T
    codes[lose[~to_t] + 1] = _A
    return codes


def cpg_positions(codes: np.ndarray) -> np.ndarray:
    """0-based positions (K,) int64 of the C of every CG on the + strand."""
    return np.flatnonzero((codes[:-1] == _C) & (codes[1:] == _G)).astype(np.int64)


def motif_starts(codes: np.ndarray) -> np.ndarray:
    """Sorted 0-based starts (H,) int64 of the motif in either orientation."""
    windows = np.lib.stride_tricks.sliding_window_view(codes, MOTIF_CODES.shape[1])
    hits = (windows[:, None, :] == MOTIF_CODES[None]).all(axis=2).any(axis=1)
    return np.flatnonzero(hits).astype(np.int64)


def motif_near(cpgs: np.ndarray, starts: np.ndarray, reach: int = MOTIF_REACH) -> np.ndarray:
    """(K,) bool: a motif lies within ``reach`` bp of the CpG [c, c+2) (gap between the two intervals)."""
    width = MOTIF_CODES.shape[1]
    if starts.size == 0:
        return np.zeros(cpgs.size, dtype=bool)
    padded = np.concatenate([[-(1 << 40)], starts, [1 << 40]])
    right = padded[np.searchsorted(padded, cpgs + 2)]
    left = padded[np.searchsorted(padded, cpgs - width, side="right") - 1]
    return (right - (cpgs + 2) <= reach) | (cpgs - (left + width) <= reach)


def _plant_motif(rng: np.random.Generator, codes: np.ndarray, allowed: np.ndarray) -> None:
    """Write the motif 5-40 bp beside ``MOTIF_TARGET_SHARE`` of the CpGs whose motif would fit in ``allowed``."""
    width = MOTIF_CODES.shape[1]
    cpgs = cpg_positions(codes)
    cpgs = cpgs[allowed[cpgs]]
    targets = cpgs[rng.random(cpgs.size) < MOTIF_TARGET_SHARE]
    gap = rng.integers(5, 41, targets.size)
    right = rng.random(targets.size) < 0.5
    orientation = rng.integers(0, 2, targets.size)
    starts = np.where(right, targets + 2 + gap, targets - gap - width)
    fits = (starts >= 0) & (starts + width <= codes.size)
    blocked = np.concatenate([[0], np.cumsum(~allowed)])
    fits[fits] &= blocked[starts[fits] + width] == blocked[starts[fits]]
    starts, orientation = starts[fits], orientation[fits]
    order = np.argsort(starts, kind="stable")
    starts, orientation = starts[order], orientation[order]
    alone = np.concatenate([[True], np.diff(starts) >= width])
    starts, orientation = starts[alone], orientation[alone]
    codes[starts[:, None] + np.arange(width)] = MOTIF_CODES[orientation]


def chromosome_sequence(seed: int, chrom_index: int, layout: ChromLayout) -> np.ndarray:
    """(length,) uint8 codes of one chromosome: background, islands, motif, then N runs."""
    rng = stream(seed, "sequence", chrom_index)
    codes = draw_sequence(rng, layout.length, BACKGROUND_GC, BACKGROUND_CPG_OE)
    for s, e in layout.islands:
        codes[s:e] = draw_sequence(rng, e - s, ISLAND_GC, ISLAND_CPG_OE)
    island_mask = covered(layout.length, layout.islands)
    n_mask = covered(layout.length, layout.n_runs)
    _plant_motif(rng, codes, ~island_mask & ~n_mask)
    codes[n_mask] = N_CODE
    return codes


def soft_mask(layout: ChromLayout) -> np.ndarray:
    """(length,) bool: bases written in lower case (the layout's repeats)."""
    return covered(layout.length, layout.repeats)


def fasta_bytes(name: str, codes: np.ndarray, lower: np.ndarray, description: str = "") -> bytes:
    """One FASTA record, ``FASTA_WIDTH`` bases a line; bases under ``lower`` in lower case;
    ``description`` after the name on its header line."""
    letters = np.frombuffer(BASES.encode(), dtype=np.uint8)[codes]
    letters = np.where(lower, letters | 0x20, letters).astype(np.uint8).tobytes()
    lines = [letters[i : i + FASTA_WIDTH] for i in range(0, len(letters), FASTA_WIDTH)]
    header = f">{name} {description}" if description else f">{name}"
    return header.encode() + b"\n" + b"\n".join(lines) + b"\n"
