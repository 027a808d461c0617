"""The leaderboard: every model and baseline on the test split, with costs and an honest verdict.

One row per model (deep models, baselines, the ceiling): overall AUROC and MSE with their
95 % bootstrap intervals (from metrics.tsv), the training cost (seconds per epoch for deep
models, fit seconds for baselines) and peak memory, and for every model but the new one
whether the new model beats it: "yes" when its interval lies wholly on the better side
(intervals apart), "overlapping" when the intervals overlap, "no" when it is worse with
intervals apart. ``verdict`` turns that into the sentence the report prints.

Modes: a row reads "sequence + marks" (the seed's comparison; "sequence" in a cohort whose models have
no channel beside the sequence) or "+ neighbours" (also the neighbour context, epibench.data.neighbours). A row is compared with the new model of its own mode
(``compared_with``): the new model of the neighbour mode is the configured one that reads the context.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from epibench.evaluate.tables import LOWER_IS_BETTER

CEILING = "ceiling"
BASE_MODE, SEQUENCE_MODE, CONTEXT_MODE = "sequence + marks", "sequence", "+ neighbours"
VERDICT_METRICS = ("auroc", "mse")
LEADERBOARD_COLUMNS = (
    "model",
    "kind",
    "mode",
    *(f"{m}{suffix}" for m in VERDICT_METRICS for suffix in ("", "_ci_low", "_ci_high")),
    "train_seconds",
    "train_seconds_per",
    "peak_mem_mb",
    "compared_with",
    *(f"new_beats_on_{m}" for m in VERDICT_METRICS),
)


def _compare(new: pd.Series, other: pd.Series, metric: str) -> str:
    """'yes', 'overlapping' or 'no': is ``new`` better than ``other`` with intervals apart?"""
    if metric in LOWER_IS_BETTER:
        better, worse = new["ci_high"] < other["ci_low"], new["ci_low"] > other["ci_high"]
    else:
        better, worse = new["ci_low"] > other["ci_high"], new["ci_high"] < other["ci_low"]
    if pd.isna(new["ci_low"]) or pd.isna(other["ci_low"]):
        return "no interval"
    return "yes" if better else "no" if worse else "overlapping"


def leaderboard_table(
    metrics_long: pd.DataFrame,
    costs: pd.DataFrame,
    new: str,
    context_models: tuple[str, ...] = (),
    context_new: str | None = None,
    base_mode: str = BASE_MODE,
) -> pd.DataFrame:
    """The leaderboard (module docstring), best AUROC first.

    metrics_long: metrics.tsv (epibench.evaluate.tables.metrics_long). costs: columns model,
    kind ("model" or "baseline"), train_seconds, train_seconds_per ("epoch" or "fit"),
    peak_mem_mb; models missing from it (the ceiling) get kind "ceiling" or NaN costs.
    context_models: the models and baselines that read the neighbour context; context_new: the new
    model of that mode (rows of the mode are compared with it; without it, with ``new``); base_mode:
    the other rows' mode (BASE_MODE, or SEQUENCE_MODE for a cohort without channels).
    """
    overall = metrics_long[
        (metrics_long["scope"] == "overall") & metrics_long["metric"].isin(VERDICT_METRICS)
    ]
    stats = overall.set_index(["model", "metric"])[["value", "ci_low", "ci_high"]]
    models = list(pd.unique(overall["model"]))
    if new not in models:
        raise ValueError(f"the new model {new!r} is not in the metrics table (models: {models})")
    rows = []
    for model in models:
        mode = "" if model == CEILING else CONTEXT_MODE if model in context_models else base_mode
        reference = context_new if mode == CONTEXT_MODE and context_new in models else new
        mine = model in (reference, CEILING)
        row = {"model": model, "mode": mode, "compared_with": "" if mine else reference}
        for metric in VERDICT_METRICS:
            entry = stats.loc[(model, metric)]
            row |= {
                metric: entry["value"],
                f"{metric}_ci_low": entry["ci_low"],
                f"{metric}_ci_high": entry["ci_high"],
            }
            row[f"new_beats_on_{metric}"] = (
                "" if mine else _compare(stats.loc[(reference, metric)], entry, metric)
            )
        rows.append(row)
    table = pd.DataFrame(rows).merge(costs, on="model", how="left")
    table["kind"] = np.where(table["model"] == CEILING, "ceiling", table["kind"].fillna("model"))
    return table.sort_values("auroc", ascending=False, kind="stable")[list(LEADERBOARD_COLUMNS)].reset_index(
        drop=True
    )


def verdict(table: pd.DataFrame, new: str) -> str:
    """Does the new model beat every other model and baseline (compared with it) on AUROC and MSE with
    non-overlapping 95 % intervals, and if not, where not; the same of the new model of the neighbour
    mode when there is one; how close the new model is to the ceiling."""
    text = _mode_verdict(table, new)
    for other_new in pd.unique(table["compared_with"]):
        if other_new not in ("", new):
            text += f" With the neighbour context ({CONTEXT_MODE}): " + _mode_verdict(table, other_new)
    ceiling = table[table["kind"] == "ceiling"]
    if len(ceiling):
        mine, best = table.set_index("model").loc[new], ceiling.iloc[0]
        text += (
            f" The ceiling (the generator's true probabilities) reaches AUROC {best['auroc']:.3f} and MSE "
            f"{best['mse']:.4f}; the new model {mine['auroc']:.3f} and {mine['mse']:.4f}."
        )
    return text


def _mode_verdict(table: pd.DataFrame, new: str) -> str:
    """The verdict sentence of the new model ``new`` against the rows compared with it."""
    others = table[table["compared_with"] == new]
    shortfalls = [
        f"{row['model']} on {metric.upper()} ({row[f'new_beats_on_{metric}']})"
        for _, row in others.iterrows()
        for metric in VERDICT_METRICS
        if row[f"new_beats_on_{metric}"] != "yes"
    ]
    if shortfalls:
        text = (
            f"The new model ({new}) does not beat every other model with non-overlapping 95 % intervals: "
            + ("; ".join(shortfalls) + ".")
        )
    else:
        text = (
            f"The new model ({new}) beats every other model and baseline ({', '.join(others['model'])}) on "
            "AUROC and MSE with non-overlapping 95 % bootstrap intervals."
        )
    return text
