"""Honest baselines: classical models trained on the train split and scored on the test split.

A reviewer's first question about a deep methylation model is how much it beats the cheap
explanations: is it more than CpG-island detection from sequence composition, and more than a
tree model on the binned histone marks every methylation paper since Zhang et al. 2015
(Genome Biology 16:14) uses? The baselines answer that on the same footing as the deep models:

- ``logreg_gc_cpg`` (sequence composition): logistic regression for the methylated label and
  linear regression for the level, on standardised GC content and CpG density of the sequence
  window;
- ``gbm_histone`` (histone marks + region + composition, the feature tiers of Zhang et al.):
  scikit-learn's HistGradientBoostingClassifier for the label and HistGradientBoostingRegressor
  for the level, on the binned normalised histone signal, its missing masks, the region class
  one-hot, CpG density and GC content;
- ``gbm_region`` (region + composition): the same gradient boosting without the histone features,
  the tree baseline of a cohort without marks (the workflow runs it in place of ``gbm_histone``
  there), and beside ``gbm_histone`` what the marks add to it;
- ``gbm_neighbours`` (BoostMe, Zou et al. 2018, the fair baseline of the neighbour-context mode):
  ``gbm_histone``'s features plus the neighbour context (epibench.data.neighbours: level, log10
  coverage, log10 distance of the K nearest measured CpGs on each side; missing neighbours NaN, which
  the histogram gradient boosting routes natively).

They see the same rows as the deep models: ShardDataset(train) and ShardDataset(test) of the
same shard folders, with the same windows, histone normalisation (statistics from the training
rows), targets and coverage weights (used as sample weights), read through the same batches
(epibench.evaluate.features). Their predictions table has the columns and dtypes of
epibench.evaluate.predict, so the evaluation tables treat them like any model. Fits are seeded,
training rows are subsampled (seeded) to a cap to bound memory and time, test rows are predicted
in chunks, and level predictions are clipped to [0, 1].
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from epibench.data.dataset import ShardDataset
from epibench.data.split_check import require_every_split
from epibench.codes import NEIGHBOUR_FEATURES
from epibench.errors import InputError
from epibench.evaluate.features import window_features
from epibench.evaluate.predict import predictions_table
from epibench.memory import peak_rss_mb
from epibench.codes import REGION_CLASSES

# test rows whose features are held in memory at once
PREDICT_CHUNK_ROWS = 262_144


@dataclass(frozen=True)
class Baseline:
    """One baseline: what it is, its design matrix and its two (unfitted) models.

    ``design(features)``: (N, F) float64 design matrix from ``window_features``' dict;
    ``feature_names(marks, n_bins, n_context)``: the F column names; ``models(seed)``: (classifier of
    the label, regressor of the level), both sklearn Pipelines. ``needs_marks``: it reads histone
    input channels, so shards without any cannot feed it; ``needs_context``: it reads the neighbour
    context, so shards built without it cannot feed it.
    """

    description: str
    design: Callable[[dict[str, np.ndarray]], np.ndarray]
    feature_names: Callable[[list[str], int, int], list[str]]
    models: Callable[[int], tuple[Pipeline, Pipeline]]
    needs_marks: bool = False
    needs_context: bool = False


def _composition_design(features: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 2): GC fraction, CpG density (per 100 bp)."""
    return np.column_stack([features["gc"], features["cpg_density"]])


def _composition_names(marks: list[str], n_bins: int, n_context: int) -> list[str]:
    """Column names of ``_composition_design`` (marks, bins and context unused)."""
    return ["gc", "cpg_density"]


def _composition_models(seed: int) -> tuple[Pipeline, Pipeline]:
    """Standardise, then logistic regression (label) / least squares (level)."""
    return (
        make_pipeline(StandardScaler(), LogisticRegression(random_state=seed)),
        make_pipeline(StandardScaler(), LinearRegression()),
    )


def _region_design(features: dict[str, np.ndarray]) -> np.ndarray:
    """(N, len(REGION_CLASSES) + 2): region one-hot, CpG density, GC."""
    region = np.eye(len(REGION_CLASSES))[features["region"]]
    return np.hstack([region, features["cpg_density"][:, None], features["gc"][:, None]]).astype(np.float64)


def _region_names(marks: list[str], n_bins: int, n_context: int) -> list[str]:
    """Column names of ``_region_design``: region_<class>, cpg_density, gc (marks, bins, context unused)."""
    return [f"region_{name}" for name in REGION_CLASSES] + ["cpg_density", "gc"]


def _histone_design(features: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 2*M*NB + len(REGION_CLASSES) + 2): histone bins, their masks, then ``_region_design``."""
    return np.hstack([features["hist"], features["hist_mask"], _region_design(features)]).astype(np.float64)


def _histone_names(marks: list[str], n_bins: int, n_context: int) -> list[str]:
    """Column names of ``_histone_design``: <mark>_bin<j>, <mark>_bin<j>_observed, then ``_region_names``."""
    bins = [f"{mark}_bin{j}" for mark in marks for j in range(n_bins)]
    return bins + [f"{name}_observed" for name in bins] + _region_names(marks, n_bins, n_context)


def _neighbour_design(features: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 2*M*NB + len(REGION_CLASSES) + 2 + 2K*3): ``_histone_design``, then the neighbour features."""
    return np.hstack([_histone_design(features), features["nbr"]]).astype(np.float64)


def _neighbour_names(marks: list[str], n_bins: int, n_context: int) -> list[str]:
    """Column names of ``_neighbour_design``: ``_histone_names``, then <side><rank>_<feature> per neighbour
    (left<K>..left1 then right1..right<K>: genome order, as the tokens)."""
    k = n_context // 2
    slots = [f"left{k - i}" for i in range(k)] + [f"right{i + 1}" for i in range(k)]
    context = [f"{slot}_{feature}" for slot in slots for feature in NEIGHBOUR_FEATURES]
    return _histone_names(marks, n_bins, n_context) + context


def _histone_models(seed: int) -> tuple[Pipeline, Pipeline]:
    """scikit-learn's defaults: 100 boosting iterations of up to 31 leaves, early stopping on a seeded
    10 % validation split when there are more than 10,000 training rows."""
    return (
        make_pipeline(HistGradientBoostingClassifier(random_state=seed)),
        make_pipeline(HistGradientBoostingRegressor(random_state=seed)),
    )


BASELINES: dict[str, Baseline] = {
    "logreg_gc_cpg": Baseline(
        "sequence composition: logistic regression (label) and linear regression (level) on "
        "standardised GC content and CpG density of the window",
        _composition_design,
        _composition_names,
        _composition_models,
    ),
    "gbm_histone": Baseline(
        "histone marks (Zhang et al. 2015 feature tiers): histogram gradient boosting (label and "
        "level) on binned histone signal, missing masks, region class one-hot, CpG density and GC",
        _histone_design,
        _histone_names,
        _histone_models,
        needs_marks=True,
    ),
    "gbm_region": Baseline(
        "region and composition, no histone features (gbm_histone of a cohort without marks): "
        "histogram gradient boosting (label and level) on region class one-hot, CpG density and GC",
        _region_design,
        _region_names,
        _histone_models,
    ),
    "gbm_neighbours": Baseline(
        "BoostMe (Zou et al. 2018): gbm_histone's features plus the neighbour context, the level, "
        "log10 coverage and log10 distance of the K nearest measured CpGs on each side",
        _neighbour_design,
        _neighbour_names,
        _histone_models,
        needs_context=True,
    ),
}


def _weighted_fit(model: Pipeline, x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> None:
    """Fit every step of ``model`` with ``weight`` (N,) as its sample weight."""
    model.fit(x, y, **{f"{step}__sample_weight": weight for step, _ in model.steps})


def _train_rows(n_rows: int, max_rows: int, seed: int) -> np.ndarray:
    """Sorted dataset indices of the training rows to fit on: all, or ``max_rows`` drawn without replacement."""
    if n_rows <= max_rows:
        return np.arange(n_rows, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))


def _predict(
    spec: Baseline, classifier: Pipeline, regressor: Pipeline, test: ShardDataset
) -> dict[str, np.ndarray]:
    """Targets and predictions of every test row in dataset order, ``PREDICT_CHUNK_ROWS`` rows at a time:
    level_true, label_true, level_pred (clipped to [0, 1]), prob_pred (P(methylated)), each (N,)."""
    out = {"level_true": [], "label_true": [], "level_pred": [], "prob_pred": []}
    positive = list(classifier.classes_).index(1)
    for start in range(0, len(test), PREDICT_CHUNK_ROWS):
        rows = np.arange(start, min(start + PREDICT_CHUNK_ROWS, len(test)), dtype=np.int64)
        features = window_features(test, rows=rows)
        x = spec.design(features)
        out["level_true"].append(features["level"])
        out["label_true"].append(features["label"])
        out["level_pred"].append(np.clip(regressor.predict(x), 0.0, 1.0).astype(np.float32))
        out["prob_pred"].append(classifier.predict_proba(x)[:, positive].astype(np.float32))
    return {key: np.concatenate(parts) for key, parts in out.items()}


def fit_baseline(
    name: str,
    shard_dirs: list[str | Path],
    histone_norm: str = "robust",
    max_train_rows: int = 500_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Fit baseline ``name`` (one of ``BASELINES``) on the train split of ``shard_dirs`` and predict its test split.

    ``histone_norm``: as for ShardDataset. ``max_train_rows``: training rows beyond it are
    subsampled (seeded by ``seed``, which also seeds the models).

    Returns the predictions table (columns of epibench.evaluate.tables.PREDICTION_COLUMNS, one row
    per test row in ``ShardDataset(shard_dirs, "test").rows_table()`` order, model = ``name``) and
    a record {"model", "fit_seconds" (feature reading and fitting, s), "predict_seconds" (s),
    "train_rows", "test_rows", "peak_rss_mb" (this process's peak RSS so far, MB: epibench.memory), "features"
    (design-matrix column names)}. Raises ValueError for an unknown ``name``, InputError when a
    split has no rows (epibench.data.split_check), the training labels are all one class or the baseline needs
    marks the shards lack.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {sorted(BASELINES)}")
    if max_train_rows < 1:
        raise ValueError(f"max_train_rows must be at least 1, got {max_train_rows}")
    spec = BASELINES[name]
    require_every_split(shard_dirs)
    train = ShardDataset(shard_dirs, "train", histone_norm)
    if spec.needs_marks and not train.marks:
        raise InputError(
            f"baseline {name!r} reads histone marks but the shards have none (nor other channels): "
            "gbm_region is the same model on region class, CpG density and GC alone"
        )
    if spec.needs_context and not train.n_context:
        raise InputError(
            f"baseline {name!r} reads the neighbour context but the shards were built without it: "
            "set shards.neighbours (K nearest measured CpGs on each side)"
        )
    test = ShardDataset(shard_dirs, "test", histone_norm)

    started = time.perf_counter()
    features = window_features(train, rows=_train_rows(len(train), max_train_rows, seed))
    if np.unique(features["label"]).size < 2:
        raise InputError(
            f"the training rows of baseline {name!r} are all of label {features['label'][0]}: "
            "a classifier needs both methylated and unmethylated CpGs"
        )
    x = spec.design(features)
    classifier, regressor = spec.models(seed)
    _weighted_fit(classifier, x, features["label"], features["weight"])
    _weighted_fit(regressor, x, features["level"], features["weight"])
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    table = predictions_table(name, test, _predict(spec, classifier, regressor, test))
    record = {
        "model": name,
        "fit_seconds": fit_seconds,
        "predict_seconds": time.perf_counter() - started,
        "train_rows": int(x.shape[0]),
        "test_rows": len(test),
        "peak_rss_mb": peak_rss_mb(),
        "features": spec.feature_names(train.marks, train.n_bins, train.n_context),
    }
    return table, record
