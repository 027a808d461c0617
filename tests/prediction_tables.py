"""Synthetic predictions tables (epibench.evaluate.tables.PREDICTION_COLUMNS) for evaluation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def predictions(model: str, level_pred: np.ndarray, prob_pred: np.ndarray | None = None) -> pd.DataFrame:
    """N CpGs on chr1 (positions 0, 10, 20, ...), alternating between samples s1 and s2, all
    gene body; observed levels uniform 0-1 from a fixed seed (the same for every call with the
    same N), labels level >= 0.5. ``prob_pred`` defaults to ``level_pred``."""
    n = len(level_pred)
    level_true = np.random.default_rng(0).uniform(0, 1, n)
    return pd.DataFrame(
        {
            "model": model,
            "sample": np.where(np.arange(n) % 2, "s1", "s2"),
            "chrom": "chr1",
            "pos": np.arange(n) * 10,
            "region": "gene_body",
            "level_true": level_true,
            "label_true": (level_true >= 0.5).astype(np.int8),
            "level_pred": level_pred,
            "prob_pred": level_pred if prob_pred is None else prob_pred,
        }
    )


def observed_levels(n: int) -> np.ndarray:
    """The level_true column ``predictions`` gives N CpGs."""
    return np.random.default_rng(0).uniform(0, 1, n)
