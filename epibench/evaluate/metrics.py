"""Evaluation metrics on 1-D numpy arrays (pure numpy, no scikit-learn at run time).

Every metric takes two 1-D arrays of the same length ``n`` (one entry per CpG) and
returns a Python float. Inputs must be finite; a length mismatch, a non-1-D array, a
non-finite value or a label outside {0, 1} raises ``ValueError`` (a programming error,
not a data property). A metric that the data leave undefined returns ``nan`` instead
of raising:

- every metric: ``n == 0``;
- Pearson / Spearman: ``n < 2`` or either input constant;
- AUROC / AUPRC: only one class present in ``y_true`` (AUPRC with only positives is
  trivially 1 and carries no information, so it is ``nan`` too);
- F1: no positive label and no positive prediction (0/0).

Units: methylation levels and probabilities are fractions in [0, 1]; MSE is in
level-fraction squared, MAE in level fraction; the rest are unitless.
"""

from __future__ import annotations

import numpy as np

NAN = float("nan")


def _as_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Return ``a``, ``b`` as float64 1-D arrays of one length, all finite."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"metrics take 1-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"arrays differ in length: {a.size} vs {b.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("metrics take finite values; found NaN or inf")
    return a, b


def _as_labels_scores(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Return 0/1 labels as float64 and scores as float64, validated like ``_as_pair``."""
    y, s = _as_pair(y_true, y_score)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("binary labels must be 0 or 1")
    return y, s


def rankdata(x) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties given their average rank (as scipy's 'average').

    Returns float64 (n,). Uses a stable sort, so already-sorted input ranks in O(n).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    order = np.argsort(x, kind="stable")
    xs = x[order]
    is_start = np.empty(n, dtype=bool)
    is_start[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    ends = np.append(starts[1:], n)
    # Positions start..end-1 hold 1-based ranks start+1..end; their mean is (start+1+end)/2.
    average = (starts + ends + 1) / 2.0
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def mse(y_true, y_pred) -> float:
    """Mean squared error (level fraction squared); ``nan`` when n == 0."""
    t, p = _as_pair(y_true, y_pred)
    return float(np.mean((t - p) ** 2)) if t.size else NAN


def mae(y_true, y_pred) -> float:
    """Mean absolute error (level fraction); ``nan`` when n == 0."""
    t, p = _as_pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p))) if t.size else NAN


def _pearson_checked(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2 or x.min() == x.max() or y.min() == y.max():
        return NAN
    xc = x - x.mean()
    yc = y - y.mean()
    r = np.dot(xc, yc) / np.sqrt(np.dot(xc, xc) * np.dot(yc, yc))
    return float(np.clip(r, -1.0, 1.0))


def pearson(x, y) -> float:
    """Pearson correlation of two 1-D arrays; ``nan`` when n < 2 or either is constant."""
    return _pearson_checked(*_as_pair(x, y))


def spearman(x, y) -> float:
    """Spearman rank correlation (Pearson of average ranks, ties averaged); ``nan`` as Pearson."""
    x, y = _as_pair(x, y)
    if x.size < 2:
        return NAN
    return _pearson_checked(rankdata(x), rankdata(y))


def auroc(y_true, y_score) -> float:
    """Area under the ROC curve as the Mann-Whitney U statistic over average ranks.

    Equals P(score of a random positive > score of a random negative) + 0.5 P(tie);
    ``nan`` when ``y_true`` holds one class only.
    """
    y, s = _as_labels_scores(y_true, y_score)
    n_pos = float(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return NAN
    rank_sum = float(np.dot(rankdata(s), y))
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _threshold_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when calling ``score >= t``, one entry per distinct t.

    Returns (tps, fps, thresholds), each (k,), thresholds decreasing.
    """
    order = np.argsort(s, kind="stable")[::-1]
    s_desc = s[order]
    last_of_tie = np.append(np.flatnonzero(np.diff(s_desc)), s_desc.size - 1)
    tps = np.cumsum(y[order])[last_of_tie]
    fps = last_of_tie + 1 - tps
    return tps, fps, s_desc[last_of_tie]


def auprc(y_true, y_score) -> float:
    """Average precision, step-wise as scikit-learn defines it: sum_k (R_k - R_{k-1}) P_k.

    ``k`` runs over distinct score thresholds (decreasing), ``P_k``/``R_k`` are precision
    and recall when calling ``score >= threshold_k`` positive, ``R_0 = 0``. No
    interpolation. ``nan`` when ``y_true`` holds one class only.
    """
    y, s = _as_labels_scores(y_true, y_score)
    n_pos = y.sum()
    if n_pos == 0 or n_pos == y.size:
        return NAN
    tps, fps, _ = _threshold_counts(y, s)
    precision = tps / (tps + fps)
    recall = tps / n_pos
    return float(np.dot(np.diff(recall, prepend=0.0), precision))


def roc_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve points (fpr, tpr), each (k + 1,), starting at (0, 0), one point per distinct
    score threshold in decreasing order. Empty arrays when one class only."""
    y, s = _as_labels_scores(y_true, y_score)
    n_pos = y.sum()
    if n_pos == 0 or n_pos == y.size:
        return np.empty(0), np.empty(0)
    tps, fps, _ = _threshold_counts(y, s)
    return np.append(0.0, fps / fps[-1]), np.append(0.0, tps / tps[-1])


def pr_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Precision-recall points (recall, precision), each (k,), one per distinct score
    threshold in decreasing order (recall increasing). Empty arrays when one class only."""
    y, s = _as_labels_scores(y_true, y_score)
    n_pos = y.sum()
    if n_pos == 0 or n_pos == y.size:
        return np.empty(0), np.empty(0)
    tps, fps, _ = _threshold_counts(y, s)
    return tps / n_pos, tps / (tps + fps)


def accuracy(y_true, y_prob, threshold: float = 0.5) -> float:
    """Fraction of CpGs whose call ``y_prob >= threshold`` equals the 0/1 label; ``nan`` when n == 0."""
    y, p = _as_labels_scores(y_true, y_prob)
    if y.size == 0:
        return NAN
    return float(np.mean((p >= threshold) == (y == 1.0)))


def f1(y_true, y_prob, threshold: float = 0.5) -> float:
    """F1 of the methylated class, calling ``y_prob >= threshold`` positive:
    2 TP / (2 TP + FP + FN); ``nan`` when that is 0/0 (no positive label nor call)."""
    y, p = _as_labels_scores(y_true, y_prob)
    called = p >= threshold
    positive = y == 1.0
    tp = np.count_nonzero(called & positive)
    denominator = 2 * tp + np.count_nonzero(called ^ positive)
    return 2.0 * tp / denominator if denominator else NAN


def calibration_bins(y_true, y_prob, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reliability table over ``n_bins`` equal-width probability bins on [0, 1].

    Bin ``b`` holds probabilities in (b/n_bins, (b+1)/n_bins], the first bin also 0
    (scikit-learn's ``calibration_curve`` convention). Returns (count, mean_prob,
    frac_positive), each (n_bins,); mean_prob and frac_positive are ``nan`` in empty bins.
    """
    y, p = _as_labels_scores(y_true, y_prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_id = np.searchsorted(edges[1:-1], p, side="left")
    count = np.bincount(bin_id, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.bincount(bin_id, weights=p, minlength=n_bins) / count
        frac_positive = np.bincount(bin_id, weights=y, minlength=n_bins) / count
    return count, mean_prob, frac_positive


def ece(y_true, y_prob, n_bins: int = 10) -> float:
    """Expected calibration error: sum over bins of (count / n) |frac_positive - mean_prob|,
    with the bins of ``calibration_bins``; ``nan`` when n == 0."""
    count, mean_prob, frac_positive = calibration_bins(y_true, y_prob, n_bins)
    n = count.sum()
    if n == 0:
        return NAN
    filled = count > 0
    gap = np.abs(frac_positive[filled] - mean_prob[filled])
    return float(np.dot(count[filled], gap) / n)
