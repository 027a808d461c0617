"""The leaderboard: every model and baseline on the test split, with costs and an honest verdict.

One row per model (deep models, baselines, the ceiling): overall AUROC and MSE with their
95 % bootstrap intervals (from metrics.tsv), the training cost (seconds per epoch for deep
models, fit seconds for baselines) and peak memory, and for every model but the new one
whether the new model beats it, read from paired.tsv (epibench.evaluate.paired: both models scored
on the same bootstrap draws): "yes" where the 95 % interval of the difference excludes 0 on the new
model's side, "no" where it excludes 0 on the other side, "unclear" where it holds 0, "no interval"
where there is none (too few genomic blocks, one class only). Two intervals
drawn apart overlap even where one model is better on nearly every draw, so the overlap of the
two columns of intervals is no verdict. ``verdict`` turns the verdicts into the sentence the report prints.

Seed replicates (``seed_replicate_of``: the same model trained from another seed, epibench.config.seed_replicates)
measure training randomness: the paired intervals resample the test CpGs, not the training, so a replicate
can be "beaten" by its own model. The verdict sentence leaves the new model's replicates out of "every
other model", and ``seed_note`` says how far replicates lie apart and which gaps to the new model are no
wider.

Modes: a row reads what its models read beside the sequence, "sequence + marks" (the seed's comparison;
"sequence" in a cohort whose models have no channel beside it, "sequence + covariates" and so on:
epibench.config.base_mode), or "+ neighbours" (also the neighbour context, epibench.data.neighbours).
A row is compared with the new model of its own mode (``compared_with``, ``comparisons``): the new
model of the neighbour mode is the configured one that reads the context.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.evaluate.paired import NO_INTERVAL

CEILING = "ceiling"
BASE_MODE, CONTEXT_MODE = "sequence + marks", "+ neighbours"
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
    "seed_replicate_of",
)


# paired.tsv -> leaderboard
PAIRED_VERDICTS = {"better": "yes", "worse": "no", "unclear": "unclear", NO_INTERVAL: NO_INTERVAL}
SHORTFALL_WORDS = {"no": "worse"}  # a verdict other than "yes" in the sentence, where not itself


def comparisons(
    models: list[str],
    new: str,
    context_models: tuple[str, ...] = (),
    context_new: str | None = None,
    base_mode: str = BASE_MODE,
) -> pd.DataFrame:
    """Each of ``models`` (names, the ceiling among them or not), its mode and the new model it is
    compared with: columns model, mode, compared_with ("" for a new model and the ceiling).

    context_models: the models and baselines that read the neighbour context; context_new: the new
    model of that mode (rows of the mode are compared with it; without it, with ``new``); base_mode:
    the other rows' mode (BASE_MODE, the seed's; epibench.config.base_mode names another cohort's).
    """
    rows = []
    for model in models:
        mode = "" if model == CEILING else CONTEXT_MODE if model in context_models else base_mode
        reference = context_new if mode == CONTEXT_MODE and context_new in models else new
        rows.append((model, mode, "" if model in (reference, CEILING) else reference))
    return pd.DataFrame(rows, columns=["model", "mode", "compared_with"])


def leaderboard_table(
    metrics_long: pd.DataFrame,
    costs: pd.DataFrame,
    paired: pd.DataFrame,
    new: str,
    context_models: tuple[str, ...] = (),
    context_new: str | None = None,
    base_mode: str = BASE_MODE,
    seed_replicates: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The leaderboard (module docstring), best AUROC first.

    metrics_long: metrics.tsv (epibench.evaluate.tables.metrics_long). costs: columns model,
    kind ("model" or "baseline"), train_seconds, train_seconds_per ("epoch" or "fit"),
    peak_mem_mb; models missing from it (the ceiling) get kind "ceiling" or NaN costs.
    paired: paired.tsv (epibench.evaluate.paired.paired_table) with a row per compared model and
    verdict metric. context_models, context_new, base_mode: the modes, as ``comparisons`` takes them.
    seed_replicates: model -> the model it repeats with another seed (column seed_replicate_of, "" for
    the others).
    """
    overall = metrics_long[
        (metrics_long["scope"] == "overall") & metrics_long["metric"].isin(VERDICT_METRICS)
    ]
    models = list(pd.unique(overall["model"]))
    if new not in models:
        raise ValueError(f"the new model {new!r} is not in the metrics table (models: {models})")
    table = comparisons(models, new, context_models, context_new, base_mode)
    stats = overall.pivot(index="model", columns="metric", values=["value", "ci_low", "ci_high"])
    for metric in VERDICT_METRICS:
        for stat, suffix in (("value", ""), ("ci_low", "_ci_low"), ("ci_high", "_ci_high")):
            table[f"{metric}{suffix}"] = table["model"].map(stats[(stat, metric)])
    verdicts = _paired_verdicts(table, paired)
    for metric in VERDICT_METRICS:
        table[f"new_beats_on_{metric}"] = verdicts[metric]
    replicate_of = dict(seed_replicates or {})
    table["seed_replicate_of"] = [replicate_of.get(model, "") for model in table["model"]]
    table = table.merge(costs, on="model", how="left")
    table["kind"] = np.where(table["model"] == CEILING, "ceiling", table["kind"].fillna("model"))
    return table.sort_values("auroc", ascending=False, kind="stable")[list(LEADERBOARD_COLUMNS)].reset_index(
        drop=True
    )


def _paired_verdicts(table: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    """metric -> (rows of ``table``,) "yes"/"no"/"unclear" from paired.tsv's verdict of (compared_with,
    model); "" where a row is compared with none. A compared row paired.tsv lacks is an error: the two
    tables come from different runs."""
    verdicts = paired.set_index(["new", "model", "metric"])["verdict"]
    out = pd.DataFrame("", index=table.index, columns=list(VERDICT_METRICS))
    for i, row in table[table["compared_with"] != ""].iterrows():
        for metric in VERDICT_METRICS:
            key = (row["compared_with"], row["model"], metric)
            if key not in verdicts.index:
                raise InputError(
                    f"paired.tsv has no {metric} row of {row['compared_with']} against {row['model']}: "
                    "it was made for other models than metrics.tsv (rerun the paired step)"
                )
            out.loc[i, metric] = PAIRED_VERDICTS[verdicts.loc[key]]
    return out


def verdict(table: pd.DataFrame, new: str) -> str:
    """Does the new model beat every other model and baseline (compared with it) on AUROC and MSE (the
    paired 95 % interval of the difference excludes 0), and if not, where not; the same of the new model of the neighbour
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
    others = table[(table["compared_with"] == new) & (_replicated(table) != new)]
    shortfalls = [
        f"{row['model']} on {metric.upper()} ({SHORTFALL_WORDS.get(said, said)})"
        for _, row in others.iterrows()
        for metric in VERDICT_METRICS
        if (said := row[f"new_beats_on_{metric}"]) != "yes"
    ]
    if shortfalls:
        text = (
            f"The new model ({new}) does not beat every other model with a paired 95 % interval of the "
            "difference that excludes 0: " + ("; ".join(shortfalls) + ".")
        )
    else:
        text = (
            f"The new model ({new}) beats every other model and baseline ({', '.join(others['model'])}) on "
            "AUROC and MSE: the paired 95 % bootstrap interval of each difference excludes 0."
        )
    return text


def verdict_with_seed_note(table: pd.DataFrame, new: str) -> str:
    """``verdict`` and, where the table has seed replicates, ``seed_note`` after it (the leaderboard's
    caption and log; the headline keeps the verdict alone)."""
    return " ".join(filter(None, [verdict(table, new), seed_note(table, new)]))


def _replicated(table: pd.DataFrame) -> pd.Series:
    """Each row's seed_replicate_of ("" where none, or in a table written before the column)."""
    if "seed_replicate_of" not in table.columns:
        return pd.Series("", index=table.index)
    return table["seed_replicate_of"].fillna("").astype(str)


def seed_note(table: pd.DataFrame, new: str) -> str:
    """How far each seed replicate lies from the model it repeats (AUROC and MSE: training
    randomness alone), and the models whose AUROC gap to ``new`` is no wider than the widest of
    these: "" without replicates."""
    replicated = _replicated(table)
    pairs = table[(replicated != "") & replicated.isin(table["model"])]
    if pairs.empty:
        return ""
    by_model = table.set_index("model")
    gaps = []
    widest = 0.0
    for _, row in pairs.iterrows():
        first = by_model.loc[row["seed_replicate_of"]]
        auroc_gap, mse_gap = row["auroc"] - first["auroc"], row["mse"] - first["mse"]
        widest = max(widest, abs(auroc_gap))
        gaps.append(
            f"{row['model']} against {row['seed_replicate_of']}: {auroc_gap:+.3f} AUROC, {mse_gap:+.4f} MSE"
        )
    text = (
        "Seed replicates (the same model trained from another seed; the paired intervals resample the test "
        "CpGs, not the training): " + "; ".join(gaps) + "."
    )
    mine = by_model.loc[new, "auroc"]
    close = table[
        (table["model"] != new)
        & (replicated != new)
        & (table["kind"] != "ceiling")
        & ((table["auroc"] - mine).abs() <= widest)
    ]["model"].tolist()
    if close:
        text += (
            f" The AUROC gap of the new model ({new}) to {', '.join(close)} is no wider than that: it may be "
            "training randomness, whatever its interval."
        )
    return text
