"""Hand-made features of the rows of a ShardDataset, for the baselines (epibench.evaluate.baselines).

The features are read from exactly the batches the deep models get (``ShardDataset.__getitems__``,
no reverse complement): the same sequence window, the same normalised histone bins with the same
missing mask, the same region class, targets and coverage weight. Work is vectorised per batch.
"""

from __future__ import annotations

import numpy as np

from epibench.data.dataset import ShardDataset
from epibench.codes import NEIGHBOUR_FEATURES
from epibench.codes import C_CODE, G_CODE, N_CODE, cg_starts

# GC fraction of a window whose bases are all N (no evidence either way)
GC_ALL_N = 0.5


def sequence_composition(seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GC fraction and CpG density of each window.

    ``seq``: (B, W) base codes (``epibench.codes.BASES``). Returns ``gc`` (B,) float64, the fraction
    of G or C among the window's non-N bases (``GC_ALL_N`` where all are N), and ``cpg_density`` (B,)
    float64, CG dinucleotides (both bases non-N, the centre CpG included) per 100 non-N bases of the
    window (0 where all are N).
    """
    known = (seq != N_CODE).sum(axis=1)
    gc_bases = ((seq == C_CODE) | (seq == G_CODE)).sum(axis=1)
    cpgs = cg_starts(seq).sum(axis=1)
    safe = np.maximum(known, 1)
    gc = np.where(known > 0, gc_bases / safe, GC_ALL_N)
    cpg_density = np.where(known > 0, 100.0 * cpgs / safe, 0.0)
    return gc, cpg_density


def window_features(
    dataset: ShardDataset, batch_size: int = 4096, rows: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Features and targets of the rows of ``dataset`` (all of them in dataset order, or ``rows``).

    ``rows``: (N,) dataset indices to read, in the order wanted (memory-mapped reads are fastest
    when sorted). Returns, with N rows and M marks of NB bins each:

    - ``gc`` (N,) float64: fraction of G/C among the non-N bases of the sequence window (0.5 if
      all N); ``cpg_density`` (N,) float64: CG dinucleotides per 100 non-N bp of the window
      (see ``sequence_composition``);
    - ``region`` (N,) int64: code into ``epibench.codes.REGION_CLASSES``;
    - ``hist`` (N, M*NB) float32: normalised histone signal, mark-major (column m*NB + j is bin j
      of ``dataset.marks[m]``), 0 where missing; ``hist_mask`` (N, M*NB) float32: 1 where observed;
    - ``nbr`` (N, 2K*3) float32: the neighbour context (epibench.data.neighbours), token-major (column
      3t + f is feature f of token t), NaN where a neighbour is missing; (N, 0) without it;
    - targets ``level`` (N,) float32 (fraction methylated, 0-1), ``label`` (N,) int8 (0/1) and
      ``weight`` (N,) float32 (coverage weight, 0-1).
    """
    rows = np.arange(len(dataset), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return _no_features(len(dataset.marks) * dataset.n_bins, dataset.n_context * len(NEIGHBOUR_FEATURES))
    parts = [
        _batch_features(dataset, rows[start : start + batch_size])
        for start in range(0, rows.size, batch_size)
    ]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _no_features(width: int, context_width: int) -> dict[str, np.ndarray]:
    """``window_features`` of zero rows, ``width`` = M*NB histone columns, ``context_width`` = 2K*3."""
    return {
        "gc": np.empty(0, dtype=np.float64),
        "cpg_density": np.empty(0, dtype=np.float64),
        "region": np.empty(0, dtype=np.int64),
        "hist": np.empty((0, width), dtype=np.float32),
        "hist_mask": np.empty((0, width), dtype=np.float32),
        "nbr": np.empty((0, context_width), dtype=np.float32),
        "level": np.empty(0, dtype=np.float32),
        "label": np.empty(0, dtype=np.int8),
        "weight": np.empty(0, dtype=np.float32),
    }


def _context_columns(batch: dict[str, np.ndarray], n_rows: int) -> np.ndarray:
    """(B, 2K*3) float32 neighbour features of a batch, NaN where missing; (B, 0) without the context."""
    if "nbr" not in batch:
        return np.empty((n_rows, 0), dtype=np.float32)
    known = batch["nbr_mask"][..., None]
    return np.where(known, batch["nbr"], np.nan).reshape(n_rows, -1).astype(np.float32)


def _batch_features(dataset: ShardDataset, rows: np.ndarray) -> dict[str, np.ndarray]:
    """``window_features`` of one non-empty batch of dataset indices ``rows`` (B,)."""
    width = len(dataset.marks) * dataset.n_bins
    batch = {key: value.numpy() for key, value in dataset.__getitems__(rows).items()}
    gc, cpg_density = sequence_composition(batch["seq"])
    return {
        "gc": gc,
        "cpg_density": cpg_density,
        "region": batch["region"].astype(np.int64),
        "hist": batch["hist"].reshape(rows.size, width).astype(np.float32),
        "hist_mask": batch["hist_mask"].reshape(rows.size, width).astype(np.float32),
        "nbr": _context_columns(batch, rows.size),
        "level": batch["level"].astype(np.float32),
        "label": batch["label"].astype(np.int8),
        "weight": batch["weight"].astype(np.float32),
    }
