"""Is the new model better than another on a real cohort? The paired block-bootstrap interval of the
difference, not the overlap of two intervals.

The leaderboard sets two models' intervals side by side, each from its own resamples; where both
models err on the same regions, the intervals overlap although one model is better in nearly every
resample. This script draws 10-kb genomic blocks of the test CpGs with replacement (every sample's
CpGs of a drawn block together, as ``evaluate.bootstrap_block_bp`` does) and scores both models on
the same draw. Run after ``make real`` or ``make real-imr90``:

    .venv/bin/python resources/real/paired_difference.py results/real_imr90 hybrid cnn [gbm_region ...]

Prints, per other model: the new model's AUROC minus the other's and its MSE minus the other's, each
with the 2.5-97.5 % interval over 200 paired block draws (seed 0). An interval that excludes 0
says which model is better on this cohort's test blocks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.evaluate import metrics
from epibench.evaluate.bootstrap import resample_blocks
from epibench.evaluate.writers import load_predictions

BLOCK_BP = 10_000
N_BOOT = 200
KEY = ["sample", "chrom", "pos"]


def _scores(preds: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """(AUROC, MSE) of one model's predictions on ``rows``."""
    return np.array(
        [
            metrics.auroc(preds["label_true"].to_numpy()[rows], preds["prob_pred"].to_numpy()[rows]),
            metrics.mse(preds["level_true"].to_numpy()[rows], preds["level_pred"].to_numpy()[rows]),
        ]
    )


def main(results: Path, new: str, others: list[str]) -> None:
    preds = load_predictions(sorted((results / "evaluation" / "predictions").glob("*.parquet")))
    by_model = {name: frame.sort_values(KEY).reset_index(drop=True) for name, frame in preds.groupby("model")}
    mine = by_model[new]
    chrom = pd.factorize(mine["chrom"])[0].astype(np.int64)
    block = mine["pos"].to_numpy(np.int64) // BLOCK_BP
    blocks = pd.factorize(chrom * (int(block.max()) + 1) + block)[0]
    draws = [resample_blocks(blocks, np.random.default_rng([0, n])) for n in range(N_BOOT)]
    everything = np.arange(len(mine))
    for other in others:
        theirs = by_model[other]
        if not (theirs[KEY].to_numpy() == mine[KEY].to_numpy()).all():
            raise SystemExit(f"{other} is not scored on the test CpGs of {new}")
        point = _scores(mine, everything) - _scores(theirs, everything)
        diffs = np.array([_scores(mine, rows) - _scores(theirs, rows) for rows in draws])
        low, high = np.quantile(diffs, [0.025, 0.975], axis=0)
        print(
            f"{new} - {other}: AUROC {point[0]:+.4f} ({low[0]:+.4f} to {high[0]:+.4f}), "
            f"MSE {point[1]:+.5f} ({low[1]:+.5f} to {high[1]:+.5f})"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:])
