"""True methylation probabilities of the demo CpGs and the bisulfite reads drawn from them.

For CpG c (the C of the + strand, 0-based) in sample s, ``p = sigmoid(z)`` with

    z = 2.6                                    (BASELINE)
        - 3.0 * in_cpg_island(c)               (ISLAND)
        - 2.0 * active_promoter(c)             (PROMOTER: within +/-1 kb of a TSS active in s)
        - 1.5 * active_enhancer(c)             (ENHANCER: inside an enhancer active in s)
        + 0.8 * active_gene_body(c)            (BODY: inside an active gene, not an active promoter)
        - 3.5 * motif_near(c)                  (MOTIF: PROTECTIVE_MOTIF within 50 bp)
        - 0.15 * min(neighbours(c), 8)         (DENSITY: other CpGs within +/-50 bp)
        + noise_s(c)

``noise_s`` is N(0, 0.35^2) per CpG plus a smooth N(0, 0.35^2) field (knots every
1 kb, linearly interpolated), drawn anew for every sample.

Reads: depth ~ NegativeBinomial(r=4, mean 12; mean 8.4 in islands, which WGBS
under-covers), so ~13 % of CpGs have depth < 5 and ~0.5 % none; the reads split
Binomial(depth, 1/2) between the + and the - strand, and the methylated reads of a
strand are Binomial(strand depth, p).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epibench.demo.activity import ChromActivity
from epibench.demo.annotation import ChromLayout
from epibench.demo.genome import cpg_positions, motif_near, motif_starts
from epibench.demo.intervals import covered, interval_mask
from epibench.demo.streams import stream
from epibench.codes import C_CODE, G_CODE, N_CODE

BASELINE, ISLAND, PROMOTER, ENHANCER, BODY, MOTIF, DENSITY = 2.6, -3.0, -2.0, -1.5, 0.8, -3.5, -0.15
PROMOTER_BP, DENSITY_BP, DENSITY_CAP = 1000, 50, 8
NOISE_SD, SMOOTH_SD, SMOOTH_STEP = 0.35, 0.35, 1000
MEAN_DEPTH, ISLAND_DEPTH_FACTOR, DEPTH_SHAPE = 12.0, 0.7, 4


@dataclass(frozen=True)
class CpgSites:
    """The CpGs of one chromosome (K of them) and their sample-independent features."""

    pos: np.ndarray  # (K,) int64, C of the + strand, 0-based
    island: np.ndarray  # (K,) bool
    motif: np.ndarray  # (K,) bool, PROTECTIVE_MOTIF within MOTIF_REACH bp
    neighbours: np.ndarray  # (K,) int64, other CpGs within +/- DENSITY_BP


@dataclass(frozen=True)
class StrandCalls:
    """Reads of one sample at the K CpGs of one chromosome, (K,) int64 each."""

    depth_plus: np.ndarray
    meth_plus: np.ndarray
    depth_minus: np.ndarray
    meth_minus: np.ndarray


def cpg_sites(codes: np.ndarray, layout: ChromLayout) -> CpgSites:
    pos = cpg_positions(codes)
    island = covered(layout.length, layout.islands)[pos]
    neighbours = (
        np.searchsorted(pos, pos + DENSITY_BP, side="right") - np.searchsorted(pos, pos - DENSITY_BP) - 1
    )
    return CpgSites(pos, island, motif_near(pos, motif_starts(codes)), neighbours.astype(np.int64))


def _smooth_noise(rng: np.random.Generator, length: int, pos: np.ndarray) -> np.ndarray:
    knots = np.arange(0, length + SMOOTH_STEP, SMOOTH_STEP)
    return np.interp(pos, knots, rng.normal(0.0, SMOOTH_SD, knots.size))


def true_probability(
    seed: int,
    sample_index: int,
    chrom_index: int,
    sites: CpgSites,
    layout: ChromLayout,
    active: ChromActivity,
) -> np.ndarray:
    """(K,) float64 methylation probability of each CpG in one sample (see the module docstring)."""
    rng = stream(seed, "noise", sample_index, chrom_index)
    tss = layout.tss[active.transcripts]
    promoter = interval_mask(layout.length, tss - PROMOTER_BP, tss + PROMOTER_BP + 1)[sites.pos]
    genes = [(g.start, g.end) for g, on in zip(layout.genes, active.genes) if on]
    body = covered(layout.length, genes)[sites.pos] & ~promoter
    enh = [(x.start, x.end) for x, on in zip(layout.enhancers, active.enhancers) if on]
    enhancer = covered(layout.length, enh)[sites.pos]
    z = (
        BASELINE
        + ISLAND * sites.island
        + PROMOTER * promoter
        + ENHANCER * enhancer
        + BODY * body
        + MOTIF * sites.motif
        + DENSITY * np.minimum(sites.neighbours, DENSITY_CAP)
        + rng.normal(0.0, NOISE_SD, sites.pos.size)
        + _smooth_noise(rng, layout.length, sites.pos)
    )
    return 1.0 / (1.0 + np.exp(-z))


def draw_reads(seed: int, sample_index: int, chrom_index: int, sites: CpgSites, p: np.ndarray) -> StrandCalls:
    """Per-strand depth and methylated read counts for the CpGs of one chromosome in one sample."""
    rng = stream(seed, "reads", sample_index, chrom_index)
    mean = np.where(sites.island, MEAN_DEPTH * ISLAND_DEPTH_FACTOR, MEAN_DEPTH)
    depth = rng.negative_binomial(DEPTH_SHAPE, DEPTH_SHAPE / (DEPTH_SHAPE + mean))
    plus = rng.binomial(depth, 0.5)
    minus = depth - plus
    return StrandCalls(plus, rng.binomial(plus, p), minus, rng.binomial(minus, p))


@dataclass(frozen=True)
class NonCgCalls:
    """A few CHG/CHH cytosines of one chromosome, (J,) each: position of the C (0-based; a G of the
    forward sequence on the - strand), strand '+'/'-', context 'CHG'/'CHH', depth, methylated reads.
    """

    pos: np.ndarray
    strand: np.ndarray
    context: np.ndarray
    depth: np.ndarray
    meth: np.ndarray


def draw_non_cg_calls(
    seed: int, sample_index: int, chrom_index: int, codes: np.ndarray, count: int
) -> NonCgCalls:
    """``count`` random non-CG cytosines (either strand) with rare methylation (p = 0.02), sorted by position."""
    rng = stream(seed, "non_cg", sample_index, chrom_index)
    c, g, n = C_CODE, G_CODE, N_CODE
    i = np.arange(2, codes.size - 2)
    plus = (codes[i] == c) & (codes[i + 1] != g) & (codes[i + 1] != n) & (codes[i + 2] != n)
    minus = (codes[i] == g) & (codes[i - 1] != c) & (codes[i - 1] != n) & (codes[i - 2] != n)
    candidates = i[plus | minus]
    pos = np.sort(rng.choice(candidates, size=min(count, candidates.size), replace=False))
    on_plus = codes[pos] == c
    chg = np.where(on_plus, codes[pos + 2] == g, codes[pos - 2] == c)
    depth = 1 + rng.negative_binomial(DEPTH_SHAPE, DEPTH_SHAPE / (DEPTH_SHAPE + MEAN_DEPTH), pos.size)
    return NonCgCalls(
        pos,
        np.where(on_plus, "+", "-"),
        np.where(chg, "CHG", "CHH"),
        depth,
        rng.binomial(depth, 0.02),
    )
