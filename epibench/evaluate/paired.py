"""The new model against each model the leaderboard compares it with, scored on the same bootstrap
draws: the interval of the difference, not the overlap of two intervals drawn apart.

Two models that err on the same regions have overlapping intervals even where one is better in
nearly every draw; scoring both on one draw of CpGs (or of genomic blocks, ``block_bp``) and taking
the difference keeps what they share out of the interval.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.evaluate import metrics
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT, bootstrap_ci, scope_rng
from epibench.evaluate.tables import LOWER_IS_BETTER, block_codes

PAIRED_COLUMNS = ("new", "model", "metric", "difference", "ci_low", "ci_high", "verdict")
ROW_KEY = ["sample", "chrom", "pos"]  # one test CpG measurement
NO_INTERVAL = "no interval"  # the verdict where the difference has no interval

log = logging.getLogger(__name__)


def paired_table(
    preds: pd.DataFrame,
    pairs: list[tuple[str, str]],
    block_bp: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (new, other) of ``pairs`` and metric (AUROC, MSE): ``difference`` new minus other
    on every test CpG both score, its 95 % paired bootstrap interval (both models on each draw of
    CpGs within samples, or of genomic blocks of ``block_bp`` bp where > 0) and ``verdict``: "better"
    where the interval excludes 0 on the new model's side (AUROC up, MSE down), "worse" on the other
    side, "unclear" where it holds 0, "no interval" where there is none (``difference_verdict``). ``preds``: the predictions table of both models of each pair.
    """
    rows = []
    for new, other in pairs:
        mine, theirs = (model_rows(preds, name) for name in (new, other))
        joined = mine.merge(theirs, on=ROW_KEY, suffixes=("", "_other"))
        if joined.empty:
            raise InputError(f"models {new} and {other} share no test CpG to compare on")
        if len(joined) < max(len(mine), len(theirs)):
            log.warning(
                "models %s and %s share %s of their %s and %s test CpG measurements: their difference is "
                "scored on those alone, their own metrics (metrics.tsv) on all of each",
                new,
                other,
                f"{len(joined):,}",
                f"{len(mine):,}",
                f"{len(theirs):,}",
            )
        label, level = joined["label_true"].to_numpy(), joined["level_true"].to_numpy()
        prob = joined[["prob_pred", "prob_pred_other"]].to_numpy(np.float64)
        fit = joined[["level_pred", "level_pred_other"]].to_numpy(np.float64)

        def difference(idx: np.ndarray) -> np.ndarray:
            return np.array(
                [
                    metrics.auroc(label[idx], prob[idx, 0]) - metrics.auroc(label[idx], prob[idx, 1]),
                    metrics.mse(level[idx], fit[idx, 0]) - metrics.mse(level[idx], fit[idx, 1]),
                ]
            )

        point = difference(np.arange(len(joined)))
        blocks = block_codes(joined, block_bp)
        low, high = bootstrap_ci(
            difference,
            pd.factorize(joined["sample"])[0],
            scope_rng(seed, "paired", new, other),
            n_boot,
            blocks=blocks,
        )
        for i, metric in enumerate(("auroc", "mse")):
            verdict = difference_verdict(metric, low[i], high[i])
            rows.append((new, other, metric, point[i], low[i], high[i], verdict))
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))


def pairs_of(leaderboard: pd.DataFrame) -> list[tuple[str, str]]:
    """(new model, other) of every leaderboard row compared with a new model (``compared_with``)."""
    compared = leaderboard[leaderboard["compared_with"].fillna("") != ""]
    return list(zip(compared["compared_with"], compared["model"]))


def model_rows(preds: pd.DataFrame, model: str) -> pd.DataFrame:
    """``model``'s rows of ``preds``: the row key, truth and predictions (InputError where it has none)."""
    rows = preds[preds["model"] == model]
    if rows.empty:
        raise InputError(f"no predictions of model {model!r} (models: {sorted(set(preds['model']))})")
    return rows[[*ROW_KEY, "label_true", "level_true", "prob_pred", "level_pred"]]


def difference_verdict(metric: str, low: float, high: float) -> str:
    """The new model's verdict from the interval (low, high) of new minus other: "better" where it
    excludes 0 on the better side (AUROC above, MSE below), "worse" on the other, ``NO_INTERVAL``
    where there is none (fewer genomic blocks than bootstrap.MIN_BLOCKS, or one class only), else
    "unclear"."""
    if np.isnan(low) or np.isnan(high):
        return NO_INTERVAL
    higher_is_better = metric not in LOWER_IS_BETTER
    if (low > 0 and higher_is_better) or (high < 0 and not higher_is_better):
        return "better"
    if (high < 0 and higher_is_better) or (low > 0 and not higher_is_better):
        return "worse"
    return "unclear"
