"""Histone-mark normalisation, per mark and per sample, with statistics from training rows only.

Methods (``histone_norm`` in the train settings):
- ``log1p``: x -> sign(x) log1p(|x|) (log1p of a non-negative signal; signed tracks such as a
  Hi-C compartment eigenvector keep their sign); no statistics.
- ``robust`` (default): log1p, then centred on the median and divided by the interquartile
  range of that mark in that sample, both taken over the histone bins of (up to
  ``STATS_ROWS``) training-split CpG windows, so sequencing depth and antibody differences
  between samples do not shift the inputs and no validation or test row informs the scaling.
Missing bins (NaN) stay missing; they are masked, never read as 0.
"""

from __future__ import annotations

import numpy as np

HISTONE_NORMS = ("log1p", "robust")
# what a normalised value of 0 stands for (integrated gradients' histone baseline): words per method
ZERO_MEANS = {"log1p": "no signal", "robust": "the sample's median signal of each mark"}
STATS_ROWS = 20_000


def log1p_signal(hist: np.ndarray) -> np.ndarray:
    """Symmetric log, sign(x) log1p(|x|): log1p for the usual non-negative signal (fold change,
    counts), while a signed track (a Hi-C compartment eigenvector, a log2 ratio) keeps its sign;
    NaN stays NaN."""
    return np.sign(hist) * np.log1p(np.abs(hist))


def robust_stats(log_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-mark median and interquartile range of log1p signal.

    log_hist: (rows, marks, bins), NaN = missing. Returns (marks,) centre and (marks,) scale;
    a mark with no observed bin gets (0, 1), one with IQR 0 its standard deviation, else 1.
    """
    rows, n_marks, bins = log_hist.shape
    values = np.moveaxis(np.asarray(log_hist, dtype=np.float64), 1, 0).reshape(n_marks, rows * bins)
    centre = np.zeros(len(values))
    scale = np.ones(len(values))
    for mark, row in enumerate(values):
        row = row[~np.isnan(row)]
        if row.size == 0:
            continue
        q25, q50, q75 = np.quantile(row, [0.25, 0.5, 0.75])
        centre[mark] = q50
        spread = q75 - q25 if q75 > q25 else row.std()
        scale[mark] = spread if spread > 0 else 1.0
    return centre.astype(np.float32), scale.astype(np.float32)


def normalise(hist: np.ndarray, method: str, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Normalised signal: (rows, marks, bins) float32, NaN where missing. centre/scale: (marks,)."""
    log_hist = log1p_signal(hist)
    if method == "log1p":
        return log_hist.astype(np.float32)
    return ((log_hist - centre[:, None]) / scale[:, None]).astype(np.float32)
