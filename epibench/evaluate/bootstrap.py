"""Percentile bootstrap confidence intervals over CpGs.

A replicate resamples the CpGs (rows) of one scope with replacement, within each
stratum (here: each sample) separately, so every replicate keeps each sample's CpG
count and per-sample statistics stay defined; samples themselves are held fixed. One
set of resampled rows feeds every metric of a replicate, so the metrics' intervals
come from the same replicates.

CpGs are not independent: neighbours share their methylation over hundreds of bases, and one
CpG's measurements in several samples agree. A block bootstrap (``blocks``: a genomic block
code per row) resamples whole blocks instead, each drawn block giving all its rows, of every
sample: wider, more honest intervals where the test data is a few regions of one genome.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

DEFAULT_N_BOOT = 200
DEFAULT_BLOCK_BP = 10_000  # the command line's and the config's genomic block (bp); 0 resamples CpGs
# Fewer blocks than this: no block interval. Draws of one block are that block (a zero-width
# interval), and of a few blocks take a handful of values: such intervals exclude 0 for two equally
# good models in 50-100 % of cases (2-3 blocks, simulated), about as often as they should from 10 on.
MIN_BLOCKS = 10


def scope_rng(seed: int, *keys: str) -> np.random.Generator:
    """A Generator seeded by ``seed`` and ``keys`` (e.g. model, scope, value).

    The stream depends on the keys, not on how many scopes were drawn before, so a
    scope's interval is the same whichever other models, samples or chromosomes share
    the table.
    """
    key_hashes = [zlib.crc32(k.encode("utf-8")) for k in keys]
    return np.random.default_rng([int(seed), *key_hashes])


def resample_indices(strata: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One bootstrap resample: row indices drawn with replacement within each stratum.

    ``strata`` (n,) integer codes, one per row. Returns int64 (n,) indices, sorted
    ascending, each stratum contributing as many draws as it has rows. Sorted indices
    keep any row order the caller set up (for instance rows sorted by score, which
    keeps later stable sorts cheap).
    """
    n = strata.size
    grouped = np.argsort(strata, kind="stable")
    _, starts, sizes = np.unique(strata[grouped], return_index=True, return_counts=True)
    draw_start = np.repeat(starts, sizes)
    draw_size = np.repeat(sizes, sizes)
    picks = grouped[draw_start + (rng.random(n) * draw_size).astype(np.int64)]
    return np.repeat(np.arange(n), np.bincount(picks, minlength=n))


def resample_blocks(blocks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One block bootstrap resample: as many blocks as ``blocks`` (n,) names (integer codes
    0..B-1, every one used), drawn with replacement; each draw gives every row of its block.
    Returns int64 row indices, sorted ascending; their number varies around n."""
    n_blocks = int(blocks.max()) + 1 if blocks.size else 0
    draws = np.bincount(rng.integers(0, n_blocks, n_blocks), minlength=n_blocks)
    return np.repeat(np.arange(blocks.size), draws[blocks])


def bootstrap_ci(
    statistic: Callable[[np.ndarray], np.ndarray],
    strata: np.ndarray,
    rng: np.random.Generator,
    n_boot: int = DEFAULT_N_BOOT,
    level: float = 0.95,
    blocks: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of a vector of statistics.

    ``statistic(idx)`` maps sorted int64 row indices to float64 (k,) values (one per
    metric). ``strata`` (n,) integer codes resampled within (see ``resample_indices``);
    with ``blocks`` (n,) (codes 0..B-1) whole blocks are resampled instead (``resample_blocks``).
    Returns (low, high), each (k,): the (1 - level)/2 and (1 + level)/2 quantiles
    (linear interpolation) over the replicates where the statistic is defined;
    ``nan`` where no replicate is, and everywhere where ``blocks`` holds fewer than ``MIN_BLOCKS``.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")

    if blocks is not None and np.unique(blocks).size < MIN_BLOCKS:
        k = np.asarray(statistic(np.arange(blocks.size))).size
        return np.full(k, np.nan), np.full(k, np.nan)

    def resample() -> np.ndarray:
        return resample_indices(strata, rng) if blocks is None else resample_blocks(blocks, rng)

    replicates = np.array([statistic(resample()) for _ in range(n_boot)], dtype=np.float64)
    tail = (1.0 - level) / 2.0
    low = np.full(replicates.shape[1], np.nan)
    high = np.full(replicates.shape[1], np.nan)
    defined = ~np.isnan(replicates).all(axis=0)
    if defined.any():
        low[defined], high[defined] = np.nanquantile(replicates[:, defined], [tail, 1.0 - tail], axis=0)
    return low, high
