"""Histone-mark signal of the demo samples, as fold-change-like values in 50-bp bins, and its bigWig files.

Per sample, chromosome and mark, bin b (centre x_b) holds
``(1 + signal(x_b)) * Gamma(shape 5, scale 0.2)`` (background noise of mean 1),
rounded to 1/32 (exact in float32, so the bigWigs compress), where signal is:

- H3K4me3: a Gaussian bump (sd 400 bp, height 20) 300 bp downstream of each active TSS;
- H3K27ac: a bump (sd 500 bp, height 10) on each active TSS, and one (sd half the
  enhancer length + 250 bp, height 8) on each active enhancer;
- H3K36me3: over the primary transcript of each active gene, 1.2 at the TSS rising
  linearly to 4 at the 3' end.

Each height is scaled by LogNormal(0, 0.3) per feature and sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyBigWig

from epibench.demo.activity import ChromActivity
from epibench.demo.annotation import ChromLayout
from epibench.demo.streams import stream
from epibench.io.atomic import atomic_path

MARKS = ("H3K4me3", "H3K27ac", "H3K36me3")
BIN_BP = 50
NOISE_SHAPE = 5.0
QUANTUM = 1 / 32


def _bumps(x: np.ndarray, centres: np.ndarray, sds: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """(n_bins,) sum of Gaussian bumps, one per (centre, sd, height)."""
    if centres.size == 0:
        return np.zeros(x.size)
    return (heights[:, None] * np.exp(-0.5 * ((x[None, :] - centres[:, None]) / sds[:, None]) ** 2)).sum(
        axis=0
    )


def _gene_body_ramp(
    x: np.ndarray, layout: ChromLayout, active: ChromActivity, heights: np.ndarray
) -> np.ndarray:
    """(n_bins,) H3K36me3 signal: 1.2 -> 4 (times the gene's height) from TSS to 3' end of each active gene."""
    out = np.zeros(x.size)
    for gene, on, height in zip(layout.genes, active.genes, heights):
        if not on:
            continue
        inside = (x >= gene.start) & (x < gene.end)
        frac = (x[inside] - gene.start) / (gene.end - gene.start)
        frac = frac if gene.strand == "+" else 1.0 - frac
        out[inside] += height * (1.2 + 2.8 * frac)
    return out


def mark_values(
    seed: int, sample_index: int, chrom_index: int, layout: ChromLayout, active: ChromActivity
) -> np.ndarray:
    """(len(MARKS), n_bins) float32 values of the three marks on one chromosome in one sample."""
    rng = stream(seed, "marks", sample_index, chrom_index)
    x = np.arange(0, layout.length, BIN_BP) + BIN_BP / 2
    transcripts = [t for g in layout.genes for t in g.transcripts]
    on = [t for t, a in zip(transcripts, active.transcripts) if a]
    tss = np.array([t.tss for t in on], dtype=float)
    direction = np.array([1.0 if t.strand == "+" else -1.0 for t in on])
    enh = [e for e, a in zip(layout.enhancers, active.enhancers) if a]
    enh_mid = np.array([(e.start + e.end) / 2 for e in enh])
    enh_sd = np.array([(e.end - e.start) / 2 + 250 for e in enh])

    def heights(base: float, n: int) -> np.ndarray:
        return base * rng.lognormal(0.0, 0.3, n)

    k4me3 = _bumps(x, tss + 300 * direction, np.full(tss.size, 400.0), heights(20, tss.size))
    k27ac = _bumps(x, tss, np.full(tss.size, 500.0), heights(10, tss.size)) + _bumps(
        x, enh_mid, enh_sd, heights(8, len(enh))
    )
    k36me3 = _gene_body_ramp(x, layout, active, heights(1.0, len(layout.genes)))
    signal = np.stack([k4me3, k27ac, k36me3])
    noisy = (1.0 + signal) * rng.gamma(NOISE_SHAPE, 1.0 / NOISE_SHAPE, signal.shape)
    return (np.round(noisy / QUANTUM) * QUANTUM).astype(np.float32)


def _runs(keep: np.ndarray) -> list[tuple[int, int]]:
    """[i, j) index runs where ``keep`` is True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def write_bigwig(
    path: Path,
    chrom_sizes: list[tuple[str, int]],
    values: list[np.ndarray],
    gap: tuple[str, int, int] | None = None,
) -> None:
    """Write one track: ``values[k]`` (n_bins,) for chromosome k in ``BIN_BP`` steps (a last partial bin as
    a bedGraph entry). ``gap`` = (chrom, start, end) leaves the bins touching [start, end) without entries.
    """
    with atomic_path(path) as tmp:
        _write_entries(tmp, chrom_sizes, values, gap)


def _write_entries(
    path: Path,
    chrom_sizes: list[tuple[str, int]],
    values: list[np.ndarray],
    gap: tuple[str, int, int] | None,
) -> None:
    bw = pyBigWig.open(str(path), "w")
    try:
        bw.addHeader(list(chrom_sizes))
        for (chrom, length), vals in zip(chrom_sizes, values):
            starts = np.arange(vals.size, dtype=np.int64) * BIN_BP
            keep = np.ones(vals.size, dtype=bool)
            if gap is not None and gap[0] == chrom:
                keep &= (starts + BIN_BP <= gap[1]) | (starts >= gap[2])
            full = starts + BIN_BP <= length
            for i, j in _runs(keep & full):
                bw.addEntries(
                    chrom,
                    int(starts[i]),
                    values=vals[i:j].astype(np.float64),
                    span=BIN_BP,
                    step=BIN_BP,
                )
            for i in np.flatnonzero(keep & ~full):
                bw.addEntries([chrom], [int(starts[i])], ends=[length], values=[float(vals[i])])
    finally:
        bw.close()
