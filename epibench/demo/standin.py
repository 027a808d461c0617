"""A stand-in reference for real methylation calls whose sequence cannot be had here.

What it carries: a CG at every CpG the calls name, and no other CG, so the CG check, the region
annotation, the shards and every CpG-density feature see the real positions of the measured CpGs
(a thinned copy of the real CpG density where the calls are a subsample). Random bases elsewhere
(GC 0.41, ``epibench.demo.genome.draw_sequence`` with every other CG removed).
What it cannot carry: motifs, GC content, repeats, CpGs without a call: a model trained on it
learns from CpG positions, marks and neighbours, never from sequence content, so its sequence
branch is measured on the positions alone.

Calls to CpGs: a + strand call sits on the C, a - strand call on the G (its C one base left); an
unstranded call (bigWig, count table) is taken as the C, but the second of two calls on adjacent
bases (the two strands of one CpG) is taken as that CpG's G.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from epibench.codes import C_CODE, G_CODE
from epibench.demo.genome import draw_sequence, fasta_bytes
from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.methylation.calls import ON_G
from epibench.io.methylation.ingest import read_calls
from epibench.io.reference import STANDIN_MARK

BACKGROUND_GC = 0.41


def cpg_starts(c_positions: np.ndarray) -> np.ndarray:
    """(K,) sorted 0-based C positions of the CpGs given the called cytosines' positions (taken as C):
    a position right after an accepted CpG's C is that CpG's G, not a CpG of its own."""
    starts = []
    for position in np.unique(c_positions):
        if not starts or position != starts[-1] + 1:
            starts.append(int(position))
    return np.asarray(starts, dtype=np.int64)


def standin_codes(length: int, starts: np.ndarray, seed: int) -> np.ndarray:
    """(length,) uint8 base codes: random bases without CG, then C, G at every ``starts`` and ``starts`` + 1."""
    codes = draw_sequence(np.random.default_rng(seed), length, BACKGROUND_GC, 0.0)
    codes[starts] = C_CODE
    codes[starts + 1] = G_CODE
    return codes


def write_standin(calls_paths: list[Path], lengths: dict[str, int], seed: int, out: Path) -> dict[str, int]:
    """The stand-in FASTA of the sequences ``lengths`` (name -> bp) from the calls of ``calls_paths``
    (any methylation format); returns name -> CpGs planted. Calls on other sequences, or past a
    sequence's end, are an InputError (another assembly)."""
    by_chrom: dict[str, list[np.ndarray]] = {name: [] for name in lengths}
    for path in calls_paths:
        calls = read_calls(path)
        names = calls.chrom.names[calls.chrom.codes]
        c_pos = calls.pos - (calls.strand == ON_G)
        for name in np.unique(names):
            if name not in lengths:
                raise InputError(f"calls on {name!r}, which the chromosome sizes do not list", path=path)
            here = c_pos[names == name]
            if here.min() < 0 or here.max() + 1 >= lengths[name]:
                raise InputError(f"a call on {name} lies beyond its {lengths[name]:,} bp", path=path)
            by_chrom[name].append(here)
    planted = {}
    with atomic_path(out) as tmp, open(tmp, "wb") as fasta:
        for index, (name, length) in enumerate(lengths.items()):
            starts = cpg_starts(np.concatenate(by_chrom[name]) if by_chrom[name] else np.empty(0, np.int64))
            codes = standin_codes(length, starts, seed + index)
            description = f"{STANDIN_MARK} seed={seed + index}: random bases with a CG at each call"
            fasta.write(fasta_bytes(name, codes, np.zeros(length, dtype=bool), description))
            planted[name] = len(starts)
    return planted
