"""Evaluation by stratum: does a model do as well on tumours as on normals (sample covariates), on
CpGs read 5 times as on those read 50 times (read depth, epibench.evaluate.coverage)?

A stratum is (covariate, label, rows): a set of rows of the predictions table. Sample-covariate
strata come from the sample sheet's covariate columns: one stratum per level of a categorical
column (condition = tumour), two for a numeric one, split at its median over the samples
(purity <= 0.7, purity > 0.7). Each model is scored on the test CpGs of each stratum (AUROC and
MSE with 95 % bootstrap intervals, ``metrics_long``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.covariate_numbers import as_number, is_numeric
from epibench.evaluate.bars import grouped_bars, metric_series
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT
from epibench.evaluate.tables import metrics_long, overall_fields
from epibench.io.figures import save_figure

STRATUM_METRICS = ("auroc", "mse")
STRATUM_COLUMNS = (
    "model",
    "covariate",
    "stratum",
    "samples",
    "n",
    *(f"{m}{suffix}" for m in STRATUM_METRICS for suffix in ("", "_ci_low", "_ci_high")),
)


def covariate_strata(values: dict[str, dict[str, str]]) -> list[tuple[str, str, list[str]]]:
    """(covariate, stratum label, samples) for every stratum.

    values: sample -> covariate column -> cell ("" = unknown: the sample joins no stratum of it).
    """
    columns = list(next(iter(values.values()), {}))
    strata = []
    for column in columns:
        given = {s: str(v[column]).strip() for s, v in values.items() if str(v[column]).strip()}
        if is_numeric(list(given.values())):
            numbers = {s: as_number(v) for s, v in given.items()}
            median = float(np.median(list(numbers.values())))
            below = "<="
            if max(numbers.values()) == median:  # ties at the top (purity 1.0 of every normal)
                below = "<"
            low = sorted(s for s, n in numbers.items() if n < median or (below == "<=" and n == median))
            high = sorted(set(numbers) - set(low))
            above = ">" if below == "<=" else ">="
            strata += [(column, f"{below} {median:g}", low), (column, f"{above} {median:g}", high)]
            continue
        for level in sorted(set(given.values())):
            strata.append((column, level, sorted(s for s, v in given.items() if v == level)))
    return [stratum for stratum in strata if stratum[2]]


def sample_rows(
    preds: pd.DataFrame, strata: list[tuple[str, str, list[str]]]
) -> list[tuple[str, str, np.ndarray]]:
    """``covariate_strata``'s strata as (covariate, label, (n,) bool rows of ``preds`` of its samples)."""
    return [
        (covariate, label, preds["sample"].isin(samples).to_numpy()) for covariate, label, samples in strata
    ]


def stratified_table(
    preds: pd.DataFrame,
    strata: list[tuple[str, str, np.ndarray]],
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> pd.DataFrame:
    """One row per model x stratum with test rows (``STRATUM_COLUMNS``).

    strata: (covariate, stratum label, (len(preds),) bool: the stratum's rows), in table order.
    Intervals: ``n_boot`` resamples (``seed``) of the stratum's CpGs within samples, or of its
    genomic blocks of ``block_bp`` bp where > 0 (``metrics_long``).
    """
    rows = []
    for covariate, label, selected in strata:
        part = preds[selected]
        if part.empty:
            continue
        long = metrics_long(part, n_boot=n_boot, seed=seed, scopes=("overall",), block_bp=block_bp)
        for model, model_rows in part.groupby("model", sort=False):
            rows.append(
                {
                    "model": model,
                    "covariate": covariate,
                    "stratum": label,
                    "samples": ", ".join(sorted(model_rows["sample"].unique())),
                    "n": len(model_rows),
                }
                | overall_fields(long, model, STRATUM_METRICS)
            )
    return pd.DataFrame(rows, columns=list(STRATUM_COLUMNS))


def plot_strata(table: pd.DataFrame, stem: str | os.PathLike, what: str = "sample covariate") -> list[Path]:
    """Bars of AUROC and MSE per stratum (x) and model (colour), 95 % intervals; titles "by ``what``"."""
    return save_figure(strata_figure(table, what), stem)


def strata_figure(table: pd.DataFrame, what: str = "sample covariate") -> Figure:
    """``plot_strata``'s figure: its titles on two lines, as two strata leave each panel too narrow
    for "Test AUROC by sample covariate (95 % CI)" beside its neighbour's."""
    labels = list(pd.unique(table["covariate"] + ": " + table["stratum"]))
    models = list(pd.unique(table["model"]))
    fig = Figure(figsize=(max(8, 2 + 1.5 * len(labels)), 4))
    axes = fig.subplots(1, 2)
    keyed = table.assign(label=table["covariate"] + ": " + table["stratum"]).set_index(["model", "label"])
    for ax, metric in zip(axes, STRATUM_METRICS):
        grouped_bars(ax, labels, metric_series(keyed, labels, models, metric))
        for label in ax.get_xticklabels():  # slanted, ending under their bars: long labels do not overlap
            label.set(rotation=35, ha="right", rotation_mode="anchor")
        ax.set(
            title=f"Test {metric.upper()} by {what}\n(95 % CI)",
            ylabel="AUROC" if metric == "auroc" else "MSE (fraction$^2$)",
        )
    axes[-1].legend(title="model", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return fig
