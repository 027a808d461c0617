"""Leave-one-sample-out evaluation: how well does the model do on a sample it never saw?

For each sample with methylation calls, the new model is trained again on the other samples
only, then scored on the held-out sample's test CpGs (held-out chromosomes of a held-out
sample). The table puts that beside the cohort model's score on the same CpGs (trained with
the sample's training chromosomes): the gap is what a new, unseen sample costs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from epibench.errors import InputError
from epibench.evaluate.bars import grouped_bars, metric_series
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT
from epibench.evaluate.tables import metrics_long, overall_fields
from epibench.io.figures import save_figure

LOSO_METRICS = ("auroc", "mse")
SETTINGS = ("within cohort", "sample held out")
LOSO_COLUMNS = (
    "sample",
    "setting",
    "model",
    "n",
    "held_out_with",
    *(f"{m}{suffix}" for m in LOSO_METRICS for suffix in ("", "_ci_low", "_ci_high")),
)


def loso_table(
    preds: pd.DataFrame,
    held_out: dict[str, list[str]],
    cohort_model: str,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
):
    """Two rows per held-out sample (``LOSO_COLUMNS``): the cohort model and the model trained without it.

    preds: predictions of ``cohort_model`` and of every held-out model; held_out: held-out
    model name -> the samples it did not see (each scored on its own rows only; ``held_out_with``
    names the others). Intervals: ``n_boot`` resamples (``seed``) of the sample's CpGs, or of its
    genomic blocks of ``block_bp`` bp where > 0 (``metrics_long``).
    """
    rows = []
    pairs = [(model, sample, group) for model, group in held_out.items() for sample in group]
    for model, sample, group in pairs:
        pair = preds[(preds["sample"] == sample) & preds["model"].isin([cohort_model, model])]
        counts = pair["model"].value_counts()
        if counts.get(model, 0) == 0 or counts.get(cohort_model, 0) != counts.get(model, 0):
            raise InputError(
                f"predictions of {model!r} and {cohort_model!r} on sample {sample} differ in CpGs "
                f"({counts.get(model, 0)} and {counts.get(cohort_model, 0)} rows)"
            )
        long = metrics_long(pair, n_boot=n_boot, seed=seed, scopes=("overall",), block_bp=block_bp)
        for setting, name in zip(SETTINGS, (cohort_model, model)):
            fields = overall_fields(long, name, LOSO_METRICS)
            with_it = ",".join(other for other in group if other != sample)
            rows.append(
                {
                    "sample": sample,
                    "setting": setting,
                    "model": name,
                    "n": int(counts[name]),
                    "held_out_with": with_it,
                }
                | fields
            )
    return pd.DataFrame(rows, columns=list(LOSO_COLUMNS))


def plot_loso(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """Paired bars per sample: within cohort vs held out, AUROC and MSE with 95 % intervals."""
    samples = list(pd.unique(table["sample"]))
    fig = Figure(figsize=(max(8, 2 + 1.2 * len(samples)), 4))
    axes = fig.subplots(1, 2)
    keyed = table.set_index(["setting", "sample"])
    for ax, metric in zip(axes, LOSO_METRICS):
        grouped_bars(ax, samples, metric_series(keyed, samples, list(SETTINGS), metric))
        ax.tick_params(axis="x", rotation=20)
        ax.set(
            title=f"Test {metric.upper()}: sample seen in training or held out",
            ylabel="AUROC" if metric == "auroc" else "MSE (fraction$^2$)",
        )
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, stem)
