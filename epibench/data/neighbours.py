"""The neighbour context: observed methylation of the nearest measured CpGs around each CpG.

As DeepCpG's CpG module and BoostMe use it: for a CpG of a sample, the K nearest CpGs measured in
the same sample on each side, each as its observed level (0-1), log10(1 + read depth) and
log10(1 + distance in bp). Never the CpG itself: strands are merged onto one row per CpG before
this (epibench.io.methylation.canonical), so skipping the CpG's own row also skips its other
strand. Neighbours come from the CpG's own split only (the split of the block each measured CpG
lies in, epibench.data.splits), the way no input window crosses a split boundary: a test CpG reads
no training CpG's level and no training CpG reads a test CpG's.

In a shard (``ShardSettings.neighbours`` K > 0) the measured CpGs are three arrays
(epibench.data.manifest.NEIGHBOUR_ARRAY_DTYPES), sorted by ``nbr_key``, which packs chromosome
index, split code and position into one int64, so a CpG's neighbours are one ``searchsorted`` away
and those of another chromosome or split are told apart by the key's high bits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from epibench.codes import NEIGHBOUR_FEATURES, SPLITS
from epibench.data.splits import SplitMap

POS_BITS = 40  # positions below 2**40 bp


def encode_key(chrom_index: np.ndarray | int, split: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(N,) int64 keys: ((chromosome index x number of splits + split code) << POS_BITS) | position."""
    segment = np.asarray(chrom_index, np.int64) * len(SPLITS) + np.asarray(split, np.int64)
    return (segment << POS_BITS) | np.asarray(pos, np.int64)


def measured_arrays(measured: pd.DataFrame, split_map: SplitMap, chrom: str, chrom_index: int) -> dict:
    """The shard arrays of one chromosome's measured CpGs (``measured``: pos, level, n_total, sorted by pos)."""
    pos = measured["pos"].to_numpy(np.int64)
    key = encode_key(chrom_index, split_map.span_split(chrom, pos, pos), pos)
    order = np.argsort(key, kind="stable")
    return {
        "nbr_key": key[order],
        "nbr_level": measured["level"].to_numpy(np.float32)[order],
        "nbr_total": measured["n_total"].to_numpy(np.float32)[order],
    }


class NeighbourContext:
    """The neighbour-context input stream of a ShardDataset (module docstring); ``k`` 0 when the
    shards hold none. ``n_tokens`` = 2K: K left neighbours then K right ones, in genome order."""

    def __init__(self, manifests: list[dict]):
        self.k: int = int(manifests[0].get("neighbours", 0))
        self.n_tokens = 2 * self.k

    def tokens(self, arrays: dict, chrom: np.ndarray, pos: np.ndarray, split: np.ndarray) -> np.ndarray:
        """(n, 2K, len(NEIGHBOUR_FEATURES)) float32 for CpGs (chromosome index ``chrom``, position ``pos``,
        split code ``split``, each (n,)) of one shard: tokens left-far .. left-near, right-near ..
        right-far; NaN where a side has fewer than K measured CpGs on the chromosome and split."""
        out = np.full((len(pos), self.n_tokens, len(NEIGHBOUR_FEATURES)), np.nan, np.float32)
        keys = arrays["nbr_key"]
        if not len(keys) or not len(pos):
            return out
        target = encode_key(chrom, split, pos)
        at = np.searchsorted(keys, target)  # first measured key >= the CpG's own
        own = keys[np.minimum(at, len(keys) - 1)] == target
        steps = np.arange(self.k)
        index = np.concatenate(
            [at[:, None] - self.k + steps, at[:, None] + own[:, None] + steps], axis=1
        )  # (n, 2K)
        inside = (index >= 0) & (index < len(keys))
        safe = np.where(inside, index, 0)
        found = np.asarray(keys[safe.ravel()]).reshape(safe.shape)
        same = inside & ((found >> POS_BITS) == (target >> POS_BITS)[:, None])
        distance = np.abs((found & ((1 << POS_BITS) - 1)) - np.asarray(pos, np.int64)[:, None])
        level = np.asarray(arrays["nbr_level"][safe.ravel()]).reshape(safe.shape)
        total = np.asarray(arrays["nbr_total"][safe.ravel()]).reshape(safe.shape)
        for i, values in enumerate((level, np.log10(1 + total), np.log10(1 + distance))):
            out[:, :, i] = np.where(same, values, np.nan)
        return out
