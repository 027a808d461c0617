"""What bounds the test AUROC of the IMR90 cohort: read sampling or intermediate methylation?

Run after ``make real-imr90`` (reads its predictions and canonical CpG table):

    .venv/bin/python resources/real/imr90_hg38_chr22/label_noise.py [results/real_imr90]

Prints, on the test CpGs:
- the read-sampling ceiling: the AUROC with which each CpG's observed level predicts the label of a
  replicate drawn from it (Binomial(depth, observed level) / depth >= 0.5), mean and SD over 20 draws:
  what a model that knew the observed levels exactly would reach against a second sequencing run;
- the share of CpGs with an intermediate observed level (0.3-0.7) and, per model, the AUROC on the
  CpGs outside that band and inside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from epibench.evaluate.coverage import read_depths, with_depth
from epibench.evaluate.writers import load_predictions

INTERMEDIATE = (0.3, 0.7)
N_DRAWS = 20


def replicate_ceiling(level: np.ndarray, depth: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Mean and SD over N_DRAWS of the AUROC of ``level`` against a binomially resampled replicate's label."""
    rng = np.random.default_rng(seed)
    scores = [roc_auc_score(rng.binomial(depth, level) / depth >= 0.5, level) for _ in range(N_DRAWS)]
    return float(np.mean(scores)), float(np.std(scores))


def main(results: Path) -> None:
    preds = load_predictions(sorted((results / "evaluation" / "predictions").glob("*.parquet")))
    preds = with_depth(preds, read_depths(sorted((results / "methylation").glob("*/cpgs/*.parquet"))))
    first = preds[preds["model"] == preds["model"].iloc[0]]
    mean, sd = replicate_ceiling(first["level_true"].to_numpy(), first["n_total"].to_numpy())
    print(f"test CpGs {len(first)}; read-sampling ceiling AUROC {mean:.3f} (SD {sd:.4f})")
    low, high = INTERMEDIATE
    middle = (first["level_true"] > low) & (first["level_true"] < high)
    print(f"observed level in ({low}, {high}): {middle.mean():.1%} of test CpGs")
    rows = []
    for model, table in preds.groupby("model", sort=False):
        inside = ((table["level_true"] > low) & (table["level_true"] < high)).to_numpy()
        label, prob = table["label_true"].to_numpy(), table["prob_pred"].to_numpy()
        rows.append(
            {
                "model": model,
                "auroc": roc_auc_score(label, prob),
                "auroc_outside_band": roc_auc_score(label[~inside], prob[~inside]),
                "auroc_inside_band": roc_auc_score(label[inside], prob[inside]),
            }
        )
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/real_imr90"))
