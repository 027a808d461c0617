"""Metrics of epibench.evaluate.metrics against scikit-learn and scipy on random data with ties."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from epibench.evaluate import metrics

SEEDS = [0, 1, 2, 3, 4]


def tied_data(seed: int, n: int = 500):
    """Labels, probabilities and levels with many ties (values on coarse grids)."""
    rng = np.random.default_rng(seed)
    level_true = rng.integers(0, 11, n) / 10.0  # 11 distinct values
    level_pred = np.clip(level_true + rng.normal(0, 0.2, n), 0, 1).round(1)
    prob = np.clip(level_true + rng.normal(0, 0.3, n), 0, 1).round(2)  # ties, some exactly 0.5
    label = (rng.random(n) < level_true).astype(np.int64)
    return label, prob, level_true, level_pred


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_metrics_match_references(seed):
    _, _, t, p = tied_data(seed)
    assert metrics.mse(t, p) == pytest.approx(skm.mean_squared_error(t, p), rel=1e-12)
    assert metrics.mae(t, p) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)
    assert metrics.pearson(t, p) == pytest.approx(stats.pearsonr(t, p)[0], abs=1e-12)
    assert metrics.spearman(t, p) == pytest.approx(stats.spearmanr(t, p)[0], abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_rankdata_averages_ties_like_scipy(seed):
    _, prob, _, _ = tied_data(seed)
    np.testing.assert_array_equal(metrics.rankdata(prob), stats.rankdata(prob, method="average"))


@pytest.mark.parametrize("seed", SEEDS)
def test_ranking_metrics_match_sklearn(seed):
    label, prob, _, _ = tied_data(seed)
    assert metrics.auroc(label, prob) == pytest.approx(skm.roc_auc_score(label, prob), abs=1e-12)
    assert metrics.auprc(label, prob) == pytest.approx(
        skm.average_precision_score(label, prob), abs=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_curves_match_sklearn(seed):
    label, prob, _, _ = tied_data(seed)
    fpr, tpr = metrics.roc_curve(label, prob)
    sk_fpr, sk_tpr, _ = skm.roc_curve(label, prob, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    recall, precision = metrics.pr_curve(label, prob)
    sk_precision, sk_recall, _ = skm.precision_recall_curve(label, prob)
    # scikit-learn lists thresholds increasing and appends the (recall 0, precision 1) point.
    np.testing.assert_allclose(recall, sk_recall[:-1][::-1])
    np.testing.assert_allclose(precision, sk_precision[:-1][::-1])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.77])
def test_threshold_metrics_match_sklearn(seed, threshold):
    label, prob, _, _ = tied_data(seed)
    called = (prob >= threshold).astype(np.int64)
    assert metrics.accuracy(label, prob, threshold) == pytest.approx(
        skm.accuracy_score(label, called)
    )
    assert metrics.f1(label, prob, threshold) == pytest.approx(skm.f1_score(label, called))


def test_threshold_is_inclusive():
    label = np.array([1, 0])
    prob = np.array([0.5, 0.49])
    assert metrics.accuracy(label, prob, 0.5) == 1.0
    assert metrics.f1(label, prob, 0.5) == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_ece_matches_sklearn_calibration_curve(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    # Probabilities on a grid of bin-interior values (ties, never on a bin edge k/10).
    prob = (rng.integers(0, 200, n) + 0.5) / 200.0
    label = (rng.random(n) < prob**1.5).astype(np.int64)  # miscalibrated on purpose
    frac_pos, mean_prob = calibration_curve(label, prob, n_bins=10, strategy="uniform")
    counts, _ = np.histogram(prob, bins=np.linspace(0, 1, 11))
    expected = np.sum(counts[counts > 0] * np.abs(frac_pos - mean_prob)) / n
    assert metrics.ece(label, prob) == pytest.approx(expected, abs=1e-12)
    count, bin_mean, bin_frac = metrics.calibration_bins(label, prob)
    np.testing.assert_array_equal(count, counts)
    np.testing.assert_allclose(bin_mean[count > 0], mean_prob)
    np.testing.assert_allclose(bin_frac[count > 0], frac_pos)


def test_ece_known_cases():
    # Perfectly calibrated: in each bin the fraction positive equals the probability.
    prob = np.array([0.25] * 4 + [0.75] * 4)
    label = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert metrics.ece(label, prob) == pytest.approx(0.0, abs=1e-15)
    # Confidently wrong everywhere: gap 1 in every bin.
    assert metrics.ece(np.array([0, 1]), np.array([1.0, 0.0])) == pytest.approx(1.0)


def test_perfect_and_reversed_scores():
    label = np.array([0, 0, 1, 1, 1])
    score = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    assert metrics.auroc(label, score) == 1.0
    assert metrics.auroc(label, 1 - score) == 0.0
    assert metrics.auprc(label, score) == 1.0
    assert metrics.auroc(label, np.full(5, 0.4)) == 0.5  # all tied: half credit


EMPTY = np.array([], dtype=float)


@pytest.mark.parametrize(
    "name, args",
    [
        ("mse", (EMPTY, EMPTY)),
        ("mae", (EMPTY, EMPTY)),
        ("pearson", ([0.3], [0.4])),  # n < 2
        ("pearson", ([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])),  # constant prediction
        ("pearson", ([0.4, 0.4, 0.4], [0.1, 0.2, 0.3])),  # constant truth
        ("spearman", ([0.3], [0.4])),
        ("spearman", ([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])),
        ("auroc", ([1, 1, 1], [0.2, 0.5, 0.9])),  # one class only
        ("auroc", ([0, 0, 0], [0.2, 0.5, 0.9])),
        ("auroc", (EMPTY, EMPTY)),
        ("auprc", ([1, 1, 1], [0.2, 0.5, 0.9])),
        ("auprc", ([0, 0, 0], [0.2, 0.5, 0.9])),
        ("accuracy", (EMPTY, EMPTY)),
        ("f1", ([0, 0], [0.1, 0.2])),  # no positive label, no positive call: 0/0
        ("f1", (EMPTY, EMPTY)),
        ("ece", (EMPTY, EMPTY)),
    ],
)
def test_undefined_metrics_return_nan(name, args):
    assert math.isnan(getattr(metrics, name)(*map(np.asarray, args)))


def test_one_class_curves_are_empty():
    fpr, tpr = metrics.roc_curve(np.ones(3), np.array([0.1, 0.2, 0.3]))
    assert fpr.size == 0 and tpr.size == 0


def test_f1_defined_when_only_negatives_but_false_calls():
    # No positive label but one positive call: F1 = 0, not nan.
    assert metrics.f1(np.array([0, 0]), np.array([0.9, 0.1])) == 0.0


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros(3), np.zeros(4)),  # length mismatch
        (np.zeros((2, 2)), np.zeros((2, 2))),  # not 1-D
        (np.array([0.1, np.nan]), np.array([0.1, 0.2])),  # non-finite
    ],
)
def test_bad_arrays_raise(args):
    with pytest.raises(ValueError):
        metrics.mse(*args)


def test_labels_must_be_binary():
    with pytest.raises(ValueError, match="0 or 1"):
        metrics.auroc(np.array([0, 2]), np.array([0.1, 0.2]))
