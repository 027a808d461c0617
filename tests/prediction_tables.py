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


def copies_in_blocks(table: pd.DataFrame, copies: int, block_bp: int = 1000) -> pd.DataFrame:
    """Every row of ``table`` ``copies`` times (``copies`` * 10 <= ``block_bp``), the copies of row i
    at chr1:i * block_bp + 0, 10, 20, ...: each block of ``block_bp`` bp holds one CpG's copies,
    perfectly correlated, so the rows say no more than ``table``'s while there are ``copies`` times
    as many. Rows grouped by original row; other columns kept."""
    if copies * 10 > block_bp:
        raise ValueError(f"{copies} copies 10 bp apart do not fit in {block_bp} bp")
    out = table.loc[table.index.repeat(copies)].reset_index(drop=True)
    row = np.arange(len(table)).repeat(copies)
    within = np.tile(np.arange(copies), len(table))
    return out.assign(chrom="chr1", pos=row * block_bp + within * 10)
