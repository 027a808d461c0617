"""Imputation: methylation predicted for a sample that has histone marks but no methylation calls.

Such a sample (an empty ``methylation`` cell in the sample sheet) gets shards of every
reference CpG (``build_shard`` without a CpG table) and is never trained or scored on; a
trained model predicts all its CpGs, whatever their split. Outputs: a table (model, sample,
chrom, pos, region, level_pred and prob_pred, 0-1 fractions), a bigWig of level_pred, a
summary per region class and a figure of the predicted levels per region class.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from epibench.data.dataset import ShardDataset
from epibench.evaluate.predict import predict
from epibench.io.figures import save_figure
from epibench.codes import REGION_CLASSES

IMPUTED_COLUMNS = ("model", "sample", "chrom", "pos", "region", "level_pred", "prob_pred")
SUMMARY_COLUMNS = ("region", "n", "mean_level", "median_level", "share_methylated")


def impute(model: torch.nn.Module, dataset: ShardDataset, model_name: str) -> pd.DataFrame:
    """Predictions for every row of ``dataset`` (``IMPUTED_COLUMNS``, dataset order)."""
    return predict(model, dataset, model_name)[list(IMPUTED_COLUMNS)]


def imputed_summary(table: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
    """Per region class (and "all"): CpGs, mean and median predicted level, and the share
    predicted methylated (prob_pred >= ``threshold``)."""
    rows = []
    groups = [(region, table[table["region"] == region]) for region in REGION_CLASSES] + [("all", table)]
    for region, part in groups:
        if part.empty:
            continue
        level = part["level_pred"].to_numpy(np.float64)
        rows.append(
            {
                "region": region,
                "n": len(part),
                "mean_level": level.mean(),
                "median_level": float(np.median(level)),
                "share_methylated": float((part["prob_pred"].to_numpy(np.float64) >= threshold).mean()),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def plot_imputed(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """Distribution (violins, 0-1) of the predicted level per region class."""
    regions = [r for r in REGION_CLASSES if (table["region"] == r).any()]
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    data = [table.loc[table["region"] == r, "level_pred"].to_numpy(np.float64) for r in regions]
    ax.violinplot(data, showmedians=True)
    ax.set_xticks(np.arange(1, len(regions) + 1), [r.replace("_", " ") for r in regions])
    samples = ", ".join(pd.unique(table["sample"]))
    models = ", ".join(pd.unique(table["model"]))
    ax.set(
        title=f"Imputed methylation of {samples} ({models}), {len(table):,} CpGs",
        xlabel="region class",
        ylabel="predicted methylation level (fraction)",
        ylim=(0, 1),
    )
    fig.tight_layout()
    return save_figure(fig, stem)
