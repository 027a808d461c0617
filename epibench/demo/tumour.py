"""Tumour-like demo samples: the normal rules, then two known tumour changes, mixed by purity.

In a tumour cell a CpG's logit ``z`` (``epibench.demo.methylation``) moves by

    + 6.0  in CIMP islands: a seeded 40 % of the CpG islands of each chromosome (the CpG-island
           methylator phenotype), the same islands in every tumour of the cohort;
    - 1.5  in partially methylated domains (PMDs): seeded 50-kb blocks, ~30 % of each chromosome;

and the sample is ``purity`` tumour cells and ``1 - purity`` normal ones, so its methylation
probability is ``purity * sigmoid(z + shift) + (1 - purity) * sigmoid(z)``. The histone marks
follow the sample's activity as for a normal sample: only the condition and purity covariates
tell a model that the sample is a tumour. ``tumour_regions.bed`` lists the changed regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epibench.demo.annotation import ChromLayout
from epibench.demo.intervals import covered
from epibench.demo.methylation import CpgSites
from epibench.demo.streams import stream

CIMP_SHARE, CIMP_SHIFT = 0.4, 6.0
PMD_BP, PMD_SHARE, PMD_SHIFT = 50_000, 0.3, -1.5
DEFAULT_PURITY = 0.7


@dataclass(frozen=True)
class TumourRegions:
    """The changed regions of one chromosome: (start, end) 0-based half-open intervals."""

    cimp_islands: list[tuple[int, int]]
    pmds: list[tuple[int, int]]


def tumour_regions(seed: int, chrom_index: int, layout: ChromLayout) -> TumourRegions:
    """The CIMP islands and PMD blocks of a chromosome (the same for every tumour of the cohort)."""
    rng = stream(seed, "tumour", chrom_index)
    islands = [tuple(map(int, island)) for island in layout.islands]
    cimp = [island for island in islands if rng.random() < CIMP_SHARE]
    starts = np.arange(0, layout.length, PMD_BP)
    pmds = [(int(s), int(min(s + PMD_BP, layout.length))) for s in starts if rng.random() < PMD_SHARE]
    return TumourRegions(cimp, pmds)


def tumour_probability(
    p_normal: np.ndarray, sites: CpgSites, layout: ChromLayout, regions: TumourRegions, purity: float
) -> np.ndarray:
    """(K,) methylation probability of a tumour sample of ``purity`` (0-1] from its normal-cell one."""
    z = np.log(p_normal) - np.log1p(-p_normal)
    shift = (
        CIMP_SHIFT * covered(layout.length, regions.cimp_islands)[sites.pos]
        + PMD_SHIFT * covered(layout.length, regions.pmds)[sites.pos]
    )
    p_tumour = 1.0 / (1.0 + np.exp(-(z + shift)))
    return purity * p_tumour + (1.0 - purity) * p_normal


def region_bed_lines(layouts: list[ChromLayout], regions: list[TumourRegions]) -> list[str]:
    """BED4 lines (chrom, start, end, cimp_island | pmd) of every chromosome, by position."""
    lines = []
    for layout, chrom_regions in zip(layouts, regions):
        rows = [(s, e, "cimp_island") for s, e in chrom_regions.cimp_islands]
        rows += [(s, e, "pmd") for s, e in chrom_regions.pmds]
        lines += [f"{layout.name}\t{s}\t{e}\t{kind}" for s, e, kind in sorted(rows)]
    return lines
