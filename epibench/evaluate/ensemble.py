"""Ensembles: several trained models (seeds, architectures) averaged per CpG, with an uncertainty.

An ensemble's prediction for a CpG is the mean of its members' level_pred and prob_pred;
its uncertainty is ``spread``, the standard deviation of the members' level_pred (0-1
fraction, population SD over M members). Members must predict the same test CpGs.

Uncertainty calibration: CpGs binned by spread (``N_SPREAD_BINS`` equal-count bins); per bin
the mean spread, the mean absolute error |level_pred - level_true| with a 95 % bootstrap
interval (of the bin's CpGs, or of its genomic blocks), and the RMSE. A useful spread ranks
errors: Spearman's rho(spread, |error|) > 0 and the mean error rises from bin to bin.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.errors import InputError
from epibench.evaluate.bars import draw_intervals
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT, bootstrap_ci, scope_rng
from epibench.evaluate.metrics import spearman
from epibench.evaluate.tables import PREDICTION_COLUMNS, block_codes, overall_fields
from epibench.io.figures import save_figure

IDENTITY = ["sample", "chrom", "pos"]
N_SPREAD_BINS = 10
MEMBER_METRICS = ("auroc", "mse")


def ensemble_predictions(members: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The ensemble's predictions table: the prediction columns, model ``name``, plus ``spread``.

    members: member name -> its predictions table (``PREDICTION_COLUMNS``). Rows follow the
    first member's order. Raises InputError when the members' CpGs or true values differ.
    """
    if len(members) < 2:
        raise InputError(f"ensemble {name!r} needs at least two members, got {list(members)}")
    first_name, first = next(iter(members.items()))
    first = first.reset_index(drop=True)
    key = pd.MultiIndex.from_frame(first[IDENTITY])
    if key.has_duplicates:
        raise InputError(f"ensemble {name!r}: member {first_name!r} predicts some CpGs twice")
    levels, probs = [], []
    for member, table in members.items():
        aligned = table.set_index(IDENTITY).reindex(key)
        lost = aligned["level_pred"].isna().to_numpy()
        if lost.any() or len(table) != len(first):
            raise InputError(
                f"ensemble {name!r}: members {first_name!r} and {member!r} predict different CpGs "
                f"({len(first):,} and {len(table):,} rows; e.g. {first.loc[int(np.argmax(lost)), IDENTITY].tolist()})"
            )
        if not np.allclose(
            aligned["level_true"].to_numpy(np.float64), first["level_true"].to_numpy(np.float64)
        ):
            raise InputError(
                f"ensemble {name!r}: members {first_name!r} and {member!r} disagree on level_true"
            )
        levels.append(aligned["level_pred"].to_numpy(np.float64))
        probs.append(aligned["prob_pred"].to_numpy(np.float64))
    levels, probs = np.vstack(levels), np.vstack(probs)
    table = first[list(PREDICTION_COLUMNS)].assign(
        model=name, level_pred=levels.mean(axis=0), prob_pred=probs.mean(axis=0), spread=levels.std(axis=0)
    )
    return table


def spread_calibration(
    preds: pd.DataFrame,
    n_bins: int = N_SPREAD_BINS,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> tuple[pd.DataFrame, float]:
    """Error against spread: one row per spread bin (bin, n, spread_mean, abs_error_mean,
    abs_error_ci_low, abs_error_ci_high, rmse; fractions), and Spearman's rho(spread, |error|).

    preds: the ensemble's predictions (``ensemble_predictions``). Intervals: ``n_boot`` resamples
    (``seed``) of the bin's CpGs, or of the genomic blocks of ``block_bp`` bp where > 0 that its
    CpGs fall in (each drawn block gives all its CpGs of the bin)."""
    spread = preds["spread"].to_numpy(np.float64)
    error = np.abs(preds["level_pred"].to_numpy(np.float64) - preds["level_true"].to_numpy(np.float64))
    order = np.argsort(spread, kind="stable")
    rows = []
    for number, rows_in_bin in enumerate(np.array_split(order, min(n_bins, len(order))), start=1):
        err = error[rows_in_bin]
        low, high = bootstrap_ci(
            lambda idx: np.array([err[idx].mean()]),
            np.zeros(len(err), dtype=np.int64),
            scope_rng(seed, "spread_bin", str(number)),
            n_boot=n_boot,
            blocks=block_codes(preds.iloc[rows_in_bin], block_bp),
        )
        rows.append(
            {
                "bin": number,
                "n": len(err),
                "spread_mean": spread[rows_in_bin].mean(),
                "abs_error_mean": err.mean(),
                "abs_error_ci_low": low[0],
                "abs_error_ci_high": high[0],
                "rmse": float(np.sqrt((err**2).mean())),
            }
        )
    rho = spearman(spread, error) if len(spread) > 2 else float("nan")
    return pd.DataFrame(rows), rho


def members_table(metrics_long: pd.DataFrame, name: str, members: list[str]) -> pd.DataFrame:
    """Ensemble vs members on the test data: model, role (member | ensemble), then for each of
    ``MEMBER_METRICS`` the overall value and 95 % bootstrap interval (from metrics.tsv)."""
    rows = [
        {"model": model, "role": "ensemble" if model == name else "member"}
        | overall_fields(metrics_long, model, MEMBER_METRICS)
        for model in [*members, name]
    ]
    return pd.DataFrame(rows)


def plot_ensemble(
    members: pd.DataFrame, calibration: pd.DataFrame, rho: float, stem: str | os.PathLike
) -> list[Path]:
    """Three panels: AUROC and MSE of members and ensemble (95 % CI), and mean |error| by spread bin."""
    fig = Figure(figsize=(14, 4))
    axes = fig.subplots(1, 3)
    colours = ["tab:orange" if role == "ensemble" else "tab:blue" for role in members["role"]]
    for ax, metric in zip(axes[:2], MEMBER_METRICS):
        value = members[metric].to_numpy(np.float64)
        ax.bar(members["model"], value, color=colours)
        draw_intervals(ax, members["model"], members[f"{metric}_ci_low"], members[f"{metric}_ci_high"])
        ax.set(
            title=f"{metric.upper()} on the test data (95 % CI)",
            ylabel=metric.upper() if metric == "auroc" else "MSE (fraction$^2$)",
        )
        if metric == "auroc":
            ax.set_ylim(max(0.0, float(members["auroc_ci_low"].min()) - 0.05), 1.0)
        ax.tick_params(axis="x", rotation=30)
    ax = axes[2]
    (line,) = ax.plot(calibration["spread_mean"], calibration["abs_error_mean"], marker="o")
    draw_intervals(
        ax,
        calibration["spread_mean"],
        calibration["abs_error_ci_low"],
        calibration["abs_error_ci_high"],
        color=line.get_color(),
    )
    ax.set(
        title=f"Error by ensemble spread (Spearman rho {rho:.2f})",
        xlabel="spread: SD of the members' predicted level (fraction)",
        ylabel="mean |predicted - observed level| (fraction)",
    )
    fig.tight_layout()
    return save_figure(fig, stem)
