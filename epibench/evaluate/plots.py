"""Evaluation figures, each saved as ``<stem>.png`` and ``<stem>.pdf`` atomically.

Figures are built as ``matplotlib.figure.Figure`` objects (Agg canvas for PNG), never
through pyplot, so nothing touches a global backend or leaks open figures. Every
panel has a title and axis labels with units; levels and probabilities are fractions
in [0, 1].

Inputs: ``preds`` is the predictions table and ``metrics_long`` / ``comparison`` the
tables of ``epibench.evaluate.tables`` (see there for columns).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from epibench.evaluate import metrics
from epibench.evaluate.bars import draw_intervals
from epibench.evaluate.tables import COUNT_METRICS
from epibench.io.figures import save_figure
from epibench.codes import REGION_CLASSES

MAX_CURVE_POINTS = 2000
FEW_OF_A_CLASS = 10  # fewer methylated (or unmethylated) test CpGs: a ranking metric ranks a handful
RANKING_METRICS = ("auroc", "auprc")
PANELS_PER_ROW = 3  # pred_vs_obs: a wider row shrinks each panel past reading in the report
UNITS = {
    "mse": "MSE (level fraction²)",
    "mae": "MAE (level fraction)",
    "pearson": "Pearson r (unitless)",
    "spearman": "Spearman ρ (unitless)",
    "auroc": "AUROC (unitless)",
    "auprc": "AUPRC (unitless)",
    "accuracy": "accuracy (fraction)",
    "f1": "F1 (unitless)",
    "ece": "ECE (probability)",
}


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most ``MAX_CURVE_POINTS`` evenly spaced points of a curve, ends kept."""
    if x.size <= MAX_CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).round().astype(np.int64))
    return x[keep], y[keep]


def _by_model(preds: pd.DataFrame):
    """(model, labels (n,), scores (n,)) per model, order of first appearance."""
    for model, frame in preds.groupby("model", sort=False):
        yield model, frame["label_true"].to_numpy(np.float64), frame["prob_pred"].to_numpy(np.float64)


def unit_axes(ax: Axes, title: str, xlabel: str, ylabel: str, top: float = 1.0) -> None:
    """Axes over [0, 1] x [0, ``top``] (fractions on both), titled and labelled."""
    ax.set(xlim=(0, 1), ylim=(0, top), title=title, xlabel=xlabel, ylabel=ylabel)


def plot_roc(preds: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """ROC curve of prob_pred vs label_true, one line per model over all its rows
    (samples pooled, as the overall AUROC of the tables); returns the written paths."""
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for model, label, score in _by_model(preds):
        fpr, tpr = metrics.roc_curve(label, score)
        if fpr.size:
            ax.plot(*_thin(fpr, tpr), label=f"{model} (AUROC {metrics.auroc(label, score):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="chance")
    unit_axes(
        ax,
        "ROC, methylated vs unmethylated (all test CpGs)",
        "false positive rate (fraction)",
        "true positive rate (fraction)",
        top=1.01,
    )
    ax.legend(loc="lower right")
    return save_figure(fig, stem)


def plot_pr(preds: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """Precision-recall curve (step-wise, as AUPRC is defined), one line per model over
    all its rows; the dashed line is the prevalence of methylated rows. Returns paths."""
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for model, label, score in _by_model(preds):
        recall, precision = metrics.pr_curve(label, score)
        if recall.size:
            recall, precision = _thin(np.append(0.0, recall), np.append(precision[0], precision))
            ax.plot(
                recall,
                precision,
                drawstyle="steps-pre",
                label=f"{model} (AUPRC {metrics.auprc(label, score):.3f})",
            )
    prevalence = float(preds["label_true"].mean()) if len(preds) else math.nan
    ax.axhline(
        prevalence,
        linestyle="--",
        color="grey",
        linewidth=1,
        label=f"chance (prevalence {prevalence:.3f})",
    )
    unit_axes(
        ax,
        "Precision-recall, methylated class (all test CpGs)",
        "recall (fraction)",
        "precision (fraction)",
        1.01,
    )
    ax.legend(loc="lower left")
    return save_figure(fig, stem)


def plot_region_bars(
    metrics_long: pd.DataFrame,
    stem: str | os.PathLike,
    metric_names: tuple[str, ...] = ("auroc", "mse"),
) -> list[Path]:
    """Per-region bars of ``metric_names`` (one panel each), one bar per model, error bars
    the bootstrap interval (ci_low..ci_high; none where it is undefined). Each class is labelled
    with its methylated and total test CpGs (n_methylated and n, where the table has them); the
    AUROC and AUPRC bars of a class with fewer than ``FEW_OF_A_CLASS`` of either kind are hatched.
    Returns paths."""
    region = metrics_long[metrics_long["scope"] == "region"]
    regions = [r for r in REGION_CLASSES if r in set(region["scope_value"])]
    models = list(pd.unique(region["model"]))
    labels, few = _region_counts(region, models[0] if models else "", regions)
    fig = Figure(figsize=(5 * len(metric_names), 4.4))
    axes = fig.subplots(1, len(metric_names), squeeze=False)[0]
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(regions))
    for ax, name in zip(axes, metric_names):
        table = region[region["metric"] == name].set_index(["model", "scope_value"])
        for i, model in enumerate(models):
            rows = table.reindex([(model, r) for r in regions])
            value = rows["value"].to_numpy(np.float64)
            position = x + (i - (len(models) - 1) / 2) * width
            bars = ax.bar(position, value, width, label=model)
            draw_intervals(ax, position, rows["ci_low"], rows["ci_high"])
            for bar, hatched in zip(bars, few):
                bar.set_hatch("//" if hatched and name in RANKING_METRICS else "")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set(
            title=f"{name.upper()} by region class (95 % bootstrap CI)",
            xlabel="region class",
            ylabel=UNITS.get(name, name),
        )
    handles, names = axes[-1].get_legend_handles_labels()
    if any(few) and set(metric_names) & set(RANKING_METRICS):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//"))
        names.append(f"fewer than {FEW_OF_A_CLASS} methylated or\nunmethylated CpGs: unreliable")
    axes[-1].legend(handles, names, title="model", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return save_figure(fig, stem)


def _region_counts(region: pd.DataFrame, model: str, regions: list[str]) -> tuple[list[str], list[bool]]:
    """Per region class of ``regions``: its tick label (the class, "k of n methylated" where
    ``region``, metrics.tsv's region rows, counts them for ``model``, and "no interval" where no
    metric of any model has one: fewer genomic blocks than bootstrap.MIN_BLOCKS) and whether it holds
    fewer than ``FEW_OF_A_CLASS`` methylated or unmethylated test CpGs (False where uncounted)."""
    counts = region[region["model"] == model].set_index(["scope_value", "metric"])["value"]
    scored = region[~region["metric"].isin(COUNT_METRICS) & region["value"].notna()]
    without_interval = scored.groupby("scope_value")["ci_low"].apply(lambda low: low.isna().all())
    labels, few = [], []
    for name in regions:
        label = name.replace("_", " ")
        if (name, "n") in counts.index and (name, "n_methylated") in counts.index:
            n, methylated = int(counts[(name, "n")]), int(counts[(name, "n_methylated")])
            label += f"\n{methylated:,} of {n:,}\nmethylated"
            few.append(min(methylated, n - methylated) < FEW_OF_A_CLASS)
        else:
            few.append(False)
        if without_interval.get(name, False):
            label += "\n(no interval:\nfew blocks)"
        labels.append(label)
    return labels, few


def plot_pred_vs_obs(preds: pd.DataFrame, stem: str | os.PathLike, gridsize: int = 40) -> list[Path]:
    """Hexbin density of predicted vs observed methylation level, one panel per model, at most
    ``PANELS_PER_ROW`` to a row (one log colour scale of rows per hexagon shared by every panel; the
    dashed line is y = x). Returns paths; ``ValueError`` when ``preds`` has no rows."""
    groups = list(preds.groupby("model", sort=False))
    if not groups:
        raise ValueError("no predictions to plot")
    ncols = min(len(groups), PANELS_PER_ROW)
    nrows = math.ceil(len(groups) / ncols)
    fig = Figure(figsize=(4.8 * ncols, 4.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    drawn = []
    for ax, (model, frame) in zip(axes, groups):
        drawn.append(
            ax.hexbin(
                frame["level_true"].to_numpy(np.float64),
                frame["level_pred"].to_numpy(np.float64),
                gridsize=gridsize,
                extent=(0, 1, 0, 1),
                bins="log",
                mincnt=1,
                cmap="viridis",
            )
        )
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            title=f"{model}: predicted vs observed (n = {len(frame)})",
            xlabel="observed methylation level (fraction)",
            ylabel="predicted methylation level (fraction)",
        )
    most = max(float(np.ma.max(cells.get_array())) if cells.get_array().size else 1.0 for cells in drawn)
    for ax, cells in zip(axes, drawn):
        cells.set_clim(1.0, max(most, 2.0))  # one scale: a colour is one count in every panel
        fig.colorbar(cells, ax=ax, label="CpGs per hexagon (log scale; yellow = most)")
    for ax in axes[len(groups) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_comparison(
    comparison: pd.DataFrame, stem: str | os.PathLike, names: tuple[str, str] = ("original", "new")
) -> list[Path]:
    """One panel, one bar per row of ``comparison`` (metric, original, new, improvement, better): how
    much better the new model is than the original (% of the original's value; right, green, where
    the new model is better, whether the metric is better higher or lower; left, red, where worse),
    each bar labelled with both values and the signed change of the value, no verdict word: a point
    difference the paired interval holds 0 in is no verdict (the leaderboard's). ``names``: (original,
    new). Returns paths."""
    rows = comparison.reset_index(drop=True)
    fig = Figure(figsize=(10.0, 1.4 + 0.4 * max(len(rows), 1)))
    ax = fig.add_subplot()
    gain = 100 * rows["improvement"].to_numpy(np.float64)
    y = np.arange(len(rows))[::-1]
    ax.barh(y, np.nan_to_num(gain), color=np.where(gain >= 0, "#2e8b57", "#c44e52"), height=0.6)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, [f"{row.metric} ({row.better} is better)" for row in rows.itertuples(index=False)])
    reach = float(np.nanmax(np.abs(gain), initial=1.0)) * 1.1
    ax.set_xlim(-reach, reach)
    beside = ax.get_yaxis_transform()  # x in axes fractions, y in data
    for at, row, value in zip(y, rows.itertuples(index=False), gain):
        change = (row.new - row.original) / abs(row.original) if row.original else np.nan
        ax.text(
            1.02,
            at,
            f"{row.original:.4g} \u2192 {row.new:.4g} ({100 * change:+.1f} %)",
            transform=beside,
            va="center",
            fontsize=9,
        )
    ax.set(
        title=f"{names[1]} (new) against {names[0]} (original): overall test metrics and costs",
        xlabel="how much better the new model's point value is (% of the original's; left of 0: worse)\n"
        "no intervals here: whether a difference holds is the leaderboard's paired verdict",
        ylabel="metric",
    )
    fig.tight_layout()
    return save_figure(fig, stem)
