"""Which genes, TSSs and enhancers are active in which sample.

A liability model makes activity correlated across samples: feature f is active in
sample s when ``base_f + shared_f + own_fs > 0`` with ``shared_f ~ N(0, 1)`` (the
same in every sample) and ``own_fs ~ N(0, 0.7^2)``. Genes whose primary TSS is in a
CpG island have ``base = 1.2`` (active in ~84 % of samples), other genes ``-0.5``
(~34 %), giving ~60 % overall; enhancers have ``base = 0`` (~50 %). The primary TSS
of an active gene is active; an alternative TSS is active in a further 60 % of the
samples where its gene is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epibench.demo.annotation import ChromLayout
from epibench.demo.streams import stream

BASE_CGI_GENE, BASE_OTHER_GENE, BASE_ENHANCER = 1.2, -0.5, 0.0
SHARED_SD, OWN_SD = 1.0, 0.7
P_ALT_TSS = 0.6


@dataclass(frozen=True)
class ChromActivity:
    """Activity in one sample on one chromosome, in layout order: genes (G,), transcripts (T,), enhancers (E,) bool."""

    genes: np.ndarray
    transcripts: np.ndarray
    enhancers: np.ndarray


def _liability(rng: np.random.Generator, base: np.ndarray, n_samples: int) -> np.ndarray:
    """(n_samples, F) bool: active where base + shared + own noise > 0."""
    shared = rng.normal(0.0, SHARED_SD, base.size)
    own = rng.normal(0.0, OWN_SD, (n_samples, base.size))
    return base + shared + own > 0


def _promoter_in_island(layout: ChromLayout) -> np.ndarray:
    """(G,) bool: the gene's primary TSS lies in a CpG island."""
    tss = np.array([g.transcripts[0].tss for g in layout.genes], dtype=np.int64)
    return np.array([any(s <= t < e for s, e in layout.islands) for t in tss], dtype=bool)


def draw_activity(seed: int, chrom_index: int, layout: ChromLayout, n_samples: int) -> list[ChromActivity]:
    """Activity of every feature of one chromosome in each of ``n_samples`` samples (list index = sample)."""
    rng = stream(seed, "activity", chrom_index)
    base = np.where(_promoter_in_island(layout), BASE_CGI_GENE, BASE_OTHER_GENE)
    genes = _liability(rng, base, n_samples)
    enhancers = _liability(rng, np.full(len(layout.enhancers), BASE_ENHANCER), n_samples)
    gene_of = np.array([k for k, g in enumerate(layout.genes) for _ in g.transcripts], dtype=np.int64)
    is_alt = np.array([j > 0 for g in layout.genes for j in range(len(g.transcripts))], dtype=bool)
    alt_on = rng.random((n_samples, gene_of.size)) < P_ALT_TSS
    transcripts = genes[:, gene_of] & (~is_alt | alt_on)
    return [ChromActivity(genes[s], transcripts[s], enhancers[s]) for s in range(n_samples)]
