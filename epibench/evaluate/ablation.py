"""Mark ablation: what a trained model loses on the test data when one mark is missing.

For each mark (and each sample covariate: a categorical one's level channels, ``condition=normal``
and ``condition=tumour``, hidden together, since either tells the other), the model predicts the
test CpGs again with that mark hidden in every row
(``ShardDataset.hide_marks``: signal 0, mask False, as for a mark a sample never had). The
table compares those predictions with the model's own full predictions on the same CpGs:
AUROC drop (full - hidden) and MSE increase (hidden - full), each with a paired 95 %
bootstrap interval (one resample of CpGs within each sample, or of genomic blocks, feeds
both sides). A model trained with ``train.mark_dropout`` > 0 has seen rows without each
mark; one trained without it meets a missing mark for the first time here, and its drop
mixes what the mark tells with how badly the model copes without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from epibench.data.dataset import ShardDataset
from epibench.errors import InputError
from epibench.evaluate.bars import draw_intervals
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT, bootstrap_ci, scope_rng
from epibench.evaluate.metrics import auroc, mse
from epibench.evaluate.predict import predict
from epibench.evaluate.tables import block_codes
from epibench.io.figures import save_figure

IDENTITY = ["sample", "chrom", "pos"]
ABLATION_COLUMNS = (
    "mark",
    "n",
    "auroc_full",
    "auroc_hidden",
    "auroc_drop",
    "auroc_drop_ci_low",
    "auroc_drop_ci_high",
    "mse_full",
    "mse_hidden",
    "mse_increase",
    "mse_increase_ci_low",
    "mse_increase_ci_high",
)


def channel_groups(channels: list[str]) -> dict[str, list[str]]:
    """The dataset's channels hidden together, by the name a table gives them: a categorical
    covariate's one-hot channels (``condition=normal``, ``condition=tumour``) under the covariate's
    name, every other channel (a mark, a numeric covariate) alone under its own."""
    groups: dict[str, list[str]] = {}
    for channel in channels:
        groups.setdefault(channel.split("=", 1)[0], []).append(channel)
    return groups


def hidden_mark_predictions(
    model: torch.nn.Module, dataset: ShardDataset, model_name: str
) -> dict[str, pd.DataFrame]:
    """mark (or covariate: ``channel_groups``) -> the predictions table of ``dataset`` with its
    channels hidden (one pass each); InputError when the dataset has no mark (or other channel) to hide."""
    if not dataset.marks:
        raise InputError(
            "the shards have no histone marks (nor covariate or 3D-genome channels) to hide: "
            "mark ablation needs marks (set evaluate.ablation: false)"
        )
    tables = {}
    for name, channels in channel_groups(dataset.marks).items():
        dataset.hide_marks(channels)
        tables[name] = predict(model, dataset, model_name)
    dataset.hide_marks([])
    return tables


def _differences(full: pd.DataFrame, hidden: pd.DataFrame):
    """Statistic for ``bootstrap_ci``: rows -> [AUROC drop, MSE increase] (full and hidden rows aligned)."""
    label = full["label_true"].to_numpy(np.float64)
    level = full["level_true"].to_numpy(np.float64)
    prob = (full["prob_pred"].to_numpy(np.float64), hidden["prob_pred"].to_numpy(np.float64))
    pred = (full["level_pred"].to_numpy(np.float64), hidden["level_pred"].to_numpy(np.float64))

    def statistic(idx: np.ndarray) -> np.ndarray:
        drop = auroc(label[idx], prob[0][idx]) - auroc(label[idx], prob[1][idx])
        increase = mse(level[idx], pred[1][idx]) - mse(level[idx], pred[0][idx])
        return np.array([drop, increase])

    return statistic


def ablation_table(
    full: pd.DataFrame,
    hidden: dict[str, pd.DataFrame],
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> pd.DataFrame:
    """One row per mark (``ABLATION_COLUMNS``), largest AUROC drop first.

    full: the model's predictions table; hidden: mark -> its predictions with that mark
    hidden, the same CpGs in the same order (InputError otherwise). Intervals: ``n_boot``
    resamples (``seed``) of CpGs within samples, or of genomic blocks of ``block_bp`` bp where > 0.
    """
    strata = pd.factorize(full["sample"])[0]
    blocks = block_codes(full, block_bp)
    rows = []
    for mark, table in hidden.items():
        if len(table) != len(full) or not (table[IDENTITY].to_numpy() == full[IDENTITY].to_numpy()).all():
            raise InputError(f"predictions without {mark} do not cover the full predictions' CpGs in order")
        statistic = _differences(full, table)
        point = statistic(np.arange(len(full)))
        low, high = bootstrap_ci(statistic, strata, scope_rng(seed, "ablation", mark), n_boot, blocks=blocks)
        rows.append(
            {
                "mark": mark,
                "n": len(full),
                "auroc_full": auroc(full["label_true"], full["prob_pred"]),
                "auroc_hidden": auroc(table["label_true"], table["prob_pred"]),
                "auroc_drop": point[0],
                "auroc_drop_ci_low": low[0],
                "auroc_drop_ci_high": high[0],
                "mse_full": mse(full["level_true"], full["level_pred"]),
                "mse_hidden": mse(table["level_true"], table["level_pred"]),
                "mse_increase": point[1],
                "mse_increase_ci_low": low[1],
                "mse_increase_ci_high": high[1],
            }
        )
    table = pd.DataFrame(rows, columns=list(ABLATION_COLUMNS))
    return table.sort_values("auroc_drop", ascending=False, kind="stable").reset_index(drop=True)


def plot_ablation(table: pd.DataFrame, model_name: str, stem: str | os.PathLike) -> list[Path]:
    """Two panels of bars, one per mark: AUROC drop and MSE increase with their 95 % intervals."""
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    panels = (
        ("auroc_drop", "AUROC drop (full - hidden)"),
        ("mse_increase", "MSE increase (hidden - full, fraction$^2$)"),
    )
    for ax, (column, label) in zip(axes, panels):
        value = table[column].to_numpy(np.float64)
        ax.bar(table["mark"], value, color="tab:red")
        draw_intervals(ax, table["mark"], table[f"{column}_ci_low"], table[f"{column}_ci_high"])
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set(
            title=f"{model_name}: {label.split(' (')[0]} per hidden mark", xlabel="hidden mark", ylabel=label
        )
    fig.tight_layout()
    return save_figure(fig, stem)
