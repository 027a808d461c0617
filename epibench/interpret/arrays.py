"""attributions.npz: every attributed CpG, its inputs, attributions and identity, readable without the model.

Written by ``epibench.interpret.explain`` with ``np.savez_compressed``; every array is numeric, bool or
fixed-width unicode, so ``np.load(path, allow_pickle=False)`` reads it (``load_attributions``). N is the
number of attributed CpGs (test split, up to ``per_region`` per region class, in region-class order),
W the window (bp), M the histone marks (0 for a model without marks: the histone arrays are then empty),
NB = W // bin_size the histone bins, R = len(region_classes).

Attributions are integrated gradients of the predicted methylation level (a fraction in [0, 1]), so
they are in units of predicted level; per CpG they sum to level(input) - level(baseline), up to the
convergence delta. Baselines: the all-N sequence, zero (normalised) histone signal with the mask held
(``histone_norm`` robust: each sample's median signal of the mark; log1p: no signal).

Per CpG:
  seq_attr (N, W) float32       attribution per window position (summed over the one-hot letters)
  hist_attr (N, M, NB) float32  attribution per mark and bin (0 where the bin is unobserved)
  codes (N, W) uint8            base codes, index into "ACGTN"; the CpG's C at W//2 - 1, its G at W//2
  hist (N, M, NB) float32       normalised histone input (0 where unobserved)
  hist_mask (N, M, NB) bool     True where the bin is observed
  region (N,) int8              region class, index into ``region_classes``
  sample (N,) str, chrom (N,) str, pos (N,) int64   identity; pos is the 0-based position of the C
  row (N,) int64                row of the test split in the dataset the CpGs were drawn from
  level_true (N,) float32       observed methylation level (fraction)
  level_pred (N,) float32       the model's predicted level (fraction), from the attribution pass
  delta (N,) float32            |convergence delta| of the sequence attributions (level units)
  hist_delta (N,) float32       |convergence delta| of the histone attributions (level units)
  seq_rel_delta, hist_rel_delta (N,) float32   relative deltas (epibench.interpret.integrated_gradients)
  n_steps (N,) int32            integration steps the CpG's final attributions used
Shared:
  marks (M,) str, region_classes (R,) str, window () int64 (bp), bin_size () int64 (bp), arch () str
  histone_norm () str           the inputs' normalisation (epibench.data.normalise); absent in older files
  attention (R, NB) float32     only for models with cross-modal attention: weight per histone bin,
                                mean over heads, sequence tokens and the class's CpGs (NaN: class absent)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from epibench.errors import InputError
from epibench.io.atomic import atomic_path

PER_CPG = (
    "seq_attr",
    "hist_attr",
    "codes",
    "hist",
    "hist_mask",
    "region",
    "sample",
    "chrom",
    "pos",
    "row",
    "level_true",
    "level_pred",
    "delta",
    "hist_delta",
    "seq_rel_delta",
    "hist_rel_delta",
    "n_steps",
)
SHARED = ("marks", "region_classes", "window", "bin_size", "arch")


def save_attributions(arrays: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Write ``arrays`` (the layout above) to ``path`` atomically; ValueError on object arrays or unequal N."""
    missing = sorted(set(PER_CPG + SHARED) - set(arrays))
    if missing:
        raise ValueError(f"attributions lack {missing}")
    if any(np.asarray(v).dtype == object for v in arrays.values()):
        raise ValueError("attributions must not hold object arrays (np.load(allow_pickle=False) reads them)")
    lengths = {key: len(arrays[key]) for key in PER_CPG}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"per-CpG arrays differ in length: {lengths}")
    path = Path(path)
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)
    return path


def load_attributions(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an attributions.npz (no pickles); InputError names the keys it lacks."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    missing = sorted(set(PER_CPG + SHARED) - set(arrays))
    if missing:
        raise InputError(f"not an attributions file: lacks {missing} (rerun `epibench attribute`)", path=path)
    return arrays


def mean_by_region(values: np.ndarray, region: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean of ``values`` (N, ...) over the CpGs of each region class: (R, ...) float32, NaN for absent classes."""
    out = np.full((n_classes, *values.shape[1:]), np.nan, dtype=np.float32)
    for code in np.unique(region):
        out[code] = values[region == code].mean(0)
    return out
