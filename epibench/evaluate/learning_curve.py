"""Learning curve: test AUROC and MSE against the share of training CpGs, from scratch and fine-tuned.

Each point is one trained model (``train.fraction`` of the training rows, in blocks of
neighbouring CpGs; ``epibench.data.dataset.ShardDataset.keep_fraction``), started either
from random weights ("scratch") or from a pretrained model ("finetuned"), all scored on the
same held-out test CpGs with 95 % bootstrap intervals (``epibench.evaluate.tables.metrics_long``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from epibench.evaluate.bootstrap import DEFAULT_N_BOOT
from epibench.evaluate.tables import metrics_long, overall_fields
from epibench.io.figures import save_figure

CURVE_METRICS = ("auroc", "mse")
MODES = ("scratch", "finetuned")
CURVE_COLUMNS = (
    "model",
    "mode",
    "fraction",
    "n_train_rows",
    "steps",
    *(f"{m}{suffix}" for m in CURVE_METRICS for suffix in ("", "_ci_low", "_ci_high")),
)


def runs_from_meta(meta_paths: list[str | os.PathLike]) -> dict[str, dict]:
    """Run name (the model folder's name) -> mode, fraction, n_train_rows and steps (the optimizer
    steps it trained), from each run's model.json."""
    runs = {}
    for path in meta_paths:
        meta = json.loads(Path(path).read_text())
        runs[Path(path).parent.name] = {
            "mode": "finetuned" if "pretrained" in meta else "scratch",
            "fraction": meta["train_fraction"],
            "n_train_rows": meta["n_train_rows"],
            "steps": meta["training"]["steps"],
        }
    return runs


def curve_table(
    preds: pd.DataFrame,
    runs: dict[str, dict],
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> pd.DataFrame:
    """One row per run (``CURVE_COLUMNS``), by mode then fraction.

    preds: the runs' predictions tables stacked (column model = run name). runs: run name ->
    {"mode": "scratch" | "finetuned", "fraction": 0-1, "n_train_rows": int, "steps": int}.
    Intervals: ``n_boot`` resamples (``seed``) of the test CpGs within samples, or of genomic
    blocks of ``block_bp`` bp where > 0 (``metrics_long``).
    """
    missing = sorted(set(runs) - set(preds["model"]))
    if missing:
        raise ValueError(f"no predictions of learning-curve runs {missing}")
    scored = preds[preds["model"].isin(list(runs))]
    long = metrics_long(scored, n_boot=n_boot, seed=seed, scopes=("overall",), block_bp=block_bp)
    rows = [
        {key: run[key] for key in ("mode", "fraction", "n_train_rows", "steps")}
        | {"model": name}
        | overall_fields(long, name, CURVE_METRICS)
        for name, run in runs.items()
    ]
    table = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    table["mode"] = pd.Categorical(table["mode"], categories=list(MODES), ordered=True)
    table = table.sort_values(["mode", "fraction"], kind="stable").reset_index(drop=True)
    table["mode"] = table["mode"].astype(str)
    return table


def steps_note(table: pd.DataFrame) -> str:
    """The optimizer steps of the runs in words: whether the curve is data alone (every run within
    10 % of the same steps: learning_curve.budget steps) or data and training budget together."""
    low, high = int(table["steps"].min()), int(table["steps"].max())
    if high <= 1.1 * low:
        return f"every run {low:,}-{high:,} optimizer steps: the curve is data alone"
    return (
        f"optimizer steps {low:,} to {high:,}: a smaller share trained fewer steps (data and budget together)"
    )


def plot_curve(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """AUROC and MSE (95 % CI bands) against the share of training CpGs (log axis, ticked at the shares
    run, in plain percent), one line per mode; the title says how the runs' optimizer steps compare."""
    fig = Figure(figsize=(10, 4.4))
    fig.suptitle(steps_note(table), fontsize=10)
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, CURVE_METRICS):
        for mode, rows in table.groupby("mode", sort=False):
            x = rows["fraction"].to_numpy(np.float64) * 100
            ax.plot(
                x, rows[metric], marker="o", label="fine-tuned" if mode == "finetuned" else "from scratch"
            )
            ax.fill_between(x, rows[f"{metric}_ci_low"], rows[f"{metric}_ci_high"], alpha=0.2)
        ax.set_xscale("log")
        shares = np.unique(table["fraction"].to_numpy(np.float64) * 100)
        ax.set_xticks(shares, [f"{share:g}" for share in shares])  # 1, 5, 25, 100: not 10^1 and 3x10^1
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(
            title=f"Test {metric.upper()} by training data",
            xlabel="training CpGs used (%)",
            ylabel="AUROC" if metric == "auroc" else "MSE (fraction$^2$)",
        )
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, stem)
