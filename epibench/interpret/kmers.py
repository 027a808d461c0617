"""Which sequence k-mers carry the attribution: mean attribution of every k-mer occurrence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from epibench.codes import BASES, N_CODE

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def canonical_kmer(kmer: str) -> str:
    """The lexicographically smaller of a k-mer and its reverse complement (strand-free motif name)."""
    return min(kmer, kmer.translate(COMPLEMENT)[::-1])


def kmer_attributions(codes: np.ndarray, attributions: np.ndarray, k: int = 6) -> pd.DataFrame:
    """Sum of per-position attributions over each k-mer occurrence, aggregated per canonical k-mer.

    codes: (K, W) base codes; attributions: (K, W) per-position attribution.
    Returns columns kmer, mean_attribution, count; k-mers containing N are skipped.
    """
    windows = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)  # (K, W-k+1, k)
    attr_sums = np.lib.stride_tricks.sliding_window_view(attributions, k, axis=1).sum(-1)
    keep = ~(windows == N_CODE).any(-1)
    kmer_ids = (windows.astype(np.int64) * (4 ** np.arange(k - 1, -1, -1))).sum(-1)[keep]
    sums = np.bincount(kmer_ids, weights=attr_sums[keep], minlength=4**k)
    counts = np.bincount(kmer_ids, minlength=4**k)
    present = np.flatnonzero(counts)
    names = ["".join(BASES[(i // 4**p) % 4] for p in range(k - 1, -1, -1)) for i in present]
    table = pd.DataFrame(
        {"kmer": [canonical_kmer(n) for n in names], "sum": sums[present], "count": counts[present]}
    )
    table = table.groupby("kmer", as_index=False).sum()
    table["mean_attribution"] = table["sum"] / table["count"]
    return table[["kmer", "mean_attribution", "count"]]


def top_kmers(table: pd.DataFrame, n: int = 20, min_count: int = 5) -> pd.DataFrame:
    """The ``n`` k-mers with the largest absolute mean attribution among those seen ``min_count`` times."""
    frequent = table[table["count"] >= min_count]
    order = frequent["mean_attribution"].abs().sort_values(ascending=False).index
    return frequent.loc[order[:n]].reset_index(drop=True)
