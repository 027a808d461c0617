"""Calibration of the predicted probability of methylation on the test CpGs: does a CpG called
methylated with probability 0.8 turn out methylated four times in five?

Each model's test CpGs fall in ``N_BINS`` equal-width bins of ``prob_pred`` (bin k holds
probabilities in (k/N, (k+1)/N], the first from 0 inclusive). Per bin: the CpGs in it, their mean
predicted probability and the observed share methylated (``label_true``) with a 95 % bootstrap
interval. Per model: the expected calibration error, ECE = sum over bins of n_bin / N x
|mean probability - observed share| (0 for a calibrated model), with its interval, and the Brier
score, the mean of (prob_pred - label_true)^2. Resampling is of CpGs within each sample, or of
genomic blocks (``block_bp``), as for every other table (epibench.evaluate.bootstrap).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.evaluate.bars import draw_intervals
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT, bootstrap_ci, scope_rng
from epibench.evaluate.plots import unit_axes
from epibench.evaluate.tables import block_codes
from epibench.io.figures import save_figure

N_BINS = 10
CALIBRATION_COLUMNS = (
    "model",
    "bin_low",
    "bin_high",
    "n",
    "mean_prob",
    "observed",
    "observed_ci_low",
    "observed_ci_high",
    "ece",
    "ece_ci_low",
    "ece_ci_high",
    "brier",
)


def probability_bins(prob: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """(n,) int64 bin of each probability: k for (k/n_bins, (k+1)/n_bins], 0 also for 0."""
    inner_edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return np.searchsorted(inner_edges, prob, side="left").astype(np.int64)


def bin_statistics(prob: np.ndarray, label: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """(n_bins + 1,) float64: the observed share methylated per bin (NaN where empty), then the ECE."""
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.bincount(bins, label, minlength=n_bins) / counts
        mean_prob = np.bincount(bins, prob, minlength=n_bins) / counts
    filled = counts > 0
    ece = np.sum(counts[filled] / counts.sum() * np.abs(mean_prob[filled] - observed[filled]))
    return np.append(observed, ece)


def calibration_table(
    preds: pd.DataFrame,
    n_bins: int = N_BINS,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> pd.DataFrame:
    """``CALIBRATION_COLUMNS``: one row per model and bin, in the models' order of appearance.

    preds: the predictions table (epibench.evaluate.tables: model, sample, chrom, pos, prob_pred,
    label_true, ...). Intervals: ``n_boot`` resamples (``seed``) of each model's CpGs within
    samples, or of its genomic blocks of ``block_bp`` bp where > 0 (every sample's CpGs of a block).
    """
    rows = []
    for model, table in preds.groupby("model", sort=False):
        prob = table["prob_pred"].to_numpy(np.float64)
        label = table["label_true"].to_numpy(np.float64)
        bins = probability_bins(prob, n_bins)
        strata = pd.factorize(table["sample"])[0]
        value = bin_statistics(prob, label, bins, n_bins)
        low, high = bootstrap_ci(
            lambda idx: bin_statistics(prob[idx], label[idx], bins[idx], n_bins),
            strata,
            scope_rng(seed, str(model), "calibration"),
            n_boot,
            blocks=block_codes(table, block_bp),
        )
        counts = np.bincount(bins, minlength=n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_prob = np.bincount(bins, prob, minlength=n_bins) / counts
        brier = float(np.mean((prob - label) ** 2))
        for k in range(n_bins):
            rows.append(
                {
                    "model": model,
                    "bin_low": k / n_bins,
                    "bin_high": (k + 1) / n_bins,
                    "n": int(counts[k]),
                    "mean_prob": mean_prob[k],
                    "observed": value[k],
                    "observed_ci_low": low[k],
                    "observed_ci_high": high[k],
                    "ece": value[-1],
                    "ece_ci_low": low[-1],
                    "ece_ci_high": high[-1],
                    "brier": brier,
                }
            )
    return pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS))


def plot_calibration(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """Reliability diagram (observed share methylated against mean predicted probability per bin,
    95 % intervals, the diagonal = calibrated; ECE in the legend) beside the CpGs per bin."""
    fig = Figure(figsize=(11, 4.5))
    reliability, counts = fig.subplots(1, 2)
    reliability.plot([0, 1], [0, 1], color="grey", linestyle=":", label="calibrated")
    for model, rows in table.groupby("model", sort=False):
        filled = rows[rows["n"] > 0]
        (line,) = reliability.plot(
            filled["mean_prob"],
            filled["observed"],
            marker="o",
            label=f"{model} (ECE {rows['ece'].iloc[0]:.3f})",
        )
        draw_intervals(
            reliability,
            filled["mean_prob"],
            filled["observed_ci_low"],
            filled["observed_ci_high"],
            color=line.get_color(),
        )
        counts.plot((rows["bin_low"] + rows["bin_high"]) / 2, rows["n"], marker="o", label=str(model))
    unit_axes(
        reliability,
        "Calibration on the test CpGs",
        "mean predicted probability of methylation",
        "observed share methylated",
    )
    reliability.legend(fontsize=8)
    counts.set(
        xlabel="predicted probability (bin centre)", ylabel="test CpGs", yscale="log", title="CpGs per bin"
    )
    counts.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, stem)
