"""Leave-one-sample-out evaluation: how well does the model do on a sample it never saw?

For each sample with methylation calls, the new model is trained again on the other samples
only, then scored on the held-out sample's test CpGs (held-out chromosomes of a held-out
sample). The table puts that beside the cohort model's score on the same CpGs (trained with
the sample's training chromosomes) and, where the workflow trained it, the control's
(epibench.config.loso_control): the new model trained on every sample but on the share of the
training CpGs a held-out run keeps. A held-out run trains the same epochs on fewer rows, so its gap
to the cohort model is the unseen sample and the smaller training budget together (on the quick
demo, at 2 epochs, the whole gap was the budget); its gap to the control is the unseen sample.
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
CONTROL_SETTING = "control: every sample, the same share of CpGs"
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
    control: str | None = None,
):
    """Two rows per held-out sample (``LOSO_COLUMNS``): the cohort model and the model trained without
    it; three with ``control``, the control model's (module docstring) on the same CpGs.

    preds: predictions of ``cohort_model``, of every held-out model and of ``control``; held_out:
    held-out model name -> the samples it did not see (each scored on its own rows only;
    ``held_out_with`` names the others). Intervals: ``n_boot`` resamples (``seed``) of the sample's
    CpGs, or of its genomic blocks of ``block_bp`` bp where > 0 (``metrics_long``).
    """
    rows = []
    pairs = [(model, sample, group) for model, group in held_out.items() for sample in group]
    for model, sample, group in pairs:
        compared = dict(zip(SETTINGS, (cohort_model, model))) | (
            {CONTROL_SETTING: control} if control else {}
        )
        pair = preds[(preds["sample"] == sample) & preds["model"].isin(list(compared.values()))]
        counts = pair["model"].value_counts()
        for other in [model, *([control] if control else [])]:
            if counts.get(other, 0) == 0 or counts.get(cohort_model, 0) != counts.get(other, 0):
                raise InputError(
                    f"predictions of {other!r} and {cohort_model!r} on sample {sample} differ in CpGs "
                    f"({counts.get(other, 0)} and {counts.get(cohort_model, 0)} rows)"
                )
        long = metrics_long(pair, n_boot=n_boot, seed=seed, scopes=("overall",), block_bp=block_bp)
        for setting, name in compared.items():
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
    """Bars per sample: within cohort vs held out (and the control where the table has it), AUROC
    and MSE with 95 % intervals."""
    samples = list(pd.unique(table["sample"]))
    settings = [setting for setting in (*SETTINGS, CONTROL_SETTING) if setting in set(table["setting"])]
    fig = Figure(figsize=(max(8, 2 + 1.2 * len(samples)), 4))
    axes = fig.subplots(1, 2)
    keyed = table.set_index(["setting", "sample"])
    for ax, metric in zip(axes, LOSO_METRICS):
        grouped_bars(ax, samples, metric_series(keyed, samples, settings, metric))
        ax.tick_params(axis="x", rotation=20)
        ax.set(
            title=f"Test {metric.upper()}: sample seen in training or held out",
            ylabel="AUROC" if metric == "auroc" else "MSE (fraction$^2$)",
        )
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, stem)
