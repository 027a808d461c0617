"""Evaluation tables: metrics per model and scope with bootstrap intervals, and the
original-vs-new comparison table.

Predictions table (input), one row per test CpG per sample:
    model (str), sample (str), chrom (str), pos (int64), region (str, one of
    ``epibench.codes.REGION_CLASSES``), level_true (float, 0..1), label_true (int 0/1),
    level_pred (float, 0..1), prob_pred (float, 0..1, predicted P(methylated)).

How each metric aggregates over the CpGs (rows) of a scope:

- ``pearson`` and ``spearman`` (level_true vs level_pred) are computed *within each
  sample, across its CpGs*, then averaged over the samples of the scope (samples where
  the correlation is undefined are skipped). They are never computed on the pooled
  rows of several samples (a sample-specific offset would then count as error or as
  skill) nor CpG-wise across samples.
- ``mse``, ``mae`` (level), ``auroc``, ``auprc``, ``accuracy``, ``f1`` and ``ece``
  (label_true vs prob_pred, calls at ``prob_pred >= threshold``) pool all rows of the
  scope.
- ``n`` is the number of rows (CpG x sample) in the scope, ``n_methylated`` of those with
  label_true 1 (the positives of AUROC and AUPRC: with a handful of either class these rank a
  handful of CpGs, however narrow their interval); they have no interval.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.evaluate import metrics
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT, bootstrap_ci, scope_rng
from epibench.codes import REGION_CLASSES

PREDICTION_COLUMNS = (
    "model",
    "sample",
    "chrom",
    "pos",
    "region",
    "level_true",
    "label_true",
    "level_pred",
    "prob_pred",
)
COUNT_METRICS = ("n", "n_methylated")  # counts of a scope's rows: no interval
SCORED_METRICS = ("mse", "mae", "pearson", "spearman", "auroc", "auprc", "accuracy", "f1", "ece")
METRICS = (*COUNT_METRICS, *SCORED_METRICS)
LOWER_IS_BETTER = frozenset({"mse", "mae", "ece"})
SCOPES = ("overall", "region", "sample", "chrom")
LONG_COLUMNS = ("model", "scope", "scope_value", "metric", "value", "ci_low", "ci_high")
COMPARISON_COLUMNS = ("metric", "original", "new", "improvement", "better")

_FRACTION_COLUMNS = ("level_true", "level_pred", "prob_pred")


def _bad_row(path, column: str, bad: np.ndarray, what: str) -> InputError:
    rows = np.flatnonzero(bad)
    return InputError(
        f"predictions column {column!r}: {rows.size} row(s) {what}, first at row {rows[0] + 1} "
        "(1-based, header excluded)",
        path=path,
    )


def check_predictions(preds: pd.DataFrame, path: str | os.PathLike | None = None) -> None:
    """Raise ``InputError`` naming ``path``, the column and the first bad row when ``preds``
    lacks a column of ``PREDICTION_COLUMNS``, has missing values, fractions outside [0, 1],
    labels other than 0/1 or an unknown region."""
    missing = [c for c in PREDICTION_COLUMNS if c not in preds.columns]
    if missing:
        raise InputError(f"predictions lack column(s) {missing}", path=path)
    for column in PREDICTION_COLUMNS:
        absent = preds[column].isna().to_numpy()
        if absent.any():
            raise _bad_row(path, column, absent, "missing")
    for column in _FRACTION_COLUMNS:
        values = preds[column].to_numpy(dtype=np.float64)
        outside = ~((values >= 0.0) & (values <= 1.0))
        if outside.any():
            raise _bad_row(path, column, outside, "outside [0, 1]")
    labels = preds["label_true"].to_numpy(dtype=np.float64)
    not_binary = ~np.isin(labels, (0.0, 1.0))
    if not_binary.any():
        raise _bad_row(path, "label_true", not_binary, "not 0 or 1")
    unknown = ~preds["region"].isin(REGION_CLASSES).to_numpy()
    if unknown.any():
        raise _bad_row(path, "region", unknown, f"not one of {list(REGION_CLASSES)}")


@dataclass(frozen=True)
class _ScopeRows:
    """The rows of one scope as arrays (n,), sorted by (sample, prob_pred).

    That order keeps each sample contiguous in any sorted resample and makes the score
    sorts of AUROC/AUPRC merge a few sorted runs instead of sorting from scratch.
    """

    sample: np.ndarray
    level_true: np.ndarray
    level_pred: np.ndarray
    label_true: np.ndarray
    prob_pred: np.ndarray
    block: np.ndarray | None  # each row's genomic block, codes 0..B-1 within the scope (None: no blocks)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, sample_code: np.ndarray, block_code: np.ndarray | None
    ) -> _ScopeRows:
        """The scope's rows ``frame`` with their samples' codes (n,) and their genomic blocks' codes
        (n,; ``block_codes`` of the model's rows, or None: no blocks)."""
        prob = frame["prob_pred"].to_numpy(dtype=np.float64)
        order = np.lexsort((prob, sample_code))
        block = None if block_code is None else np.unique(block_code[order], return_inverse=True)[1]
        return cls(
            block=block,
            sample=sample_code[order],
            level_true=frame["level_true"].to_numpy(dtype=np.float64)[order],
            level_pred=frame["level_pred"].to_numpy(dtype=np.float64)[order],
            label_true=frame["label_true"].to_numpy(dtype=np.float64)[order],
            prob_pred=prob[order],
        )


def _mean_within_samples(sample: np.ndarray, x: np.ndarray, y: np.ndarray, correlation) -> float:
    """Mean over samples of ``correlation(x, y)`` within each sample's rows (rows grouped
    by sample); samples where it is undefined are skipped, ``nan`` if all are."""
    cuts = np.flatnonzero(np.diff(sample)) + 1
    per_sample = [correlation(xs, ys) for xs, ys in zip(np.split(x, cuts), np.split(y, cuts))]
    per_sample = [r for r in per_sample if not np.isnan(r)]
    return float(np.mean(per_sample)) if per_sample else metrics.NAN


def _scope_metrics(rows: _ScopeRows, idx: np.ndarray, threshold: float) -> np.ndarray:
    """Values (len(SCORED_METRICS),) of every scored metric on rows ``idx`` (sorted)."""
    sample = rows.sample[idx]
    level_true, level_pred = rows.level_true[idx], rows.level_pred[idx]
    label, prob = rows.label_true[idx], rows.prob_pred[idx]
    values = {
        "mse": metrics.mse(level_true, level_pred),
        "mae": metrics.mae(level_true, level_pred),
        "pearson": _mean_within_samples(sample, level_true, level_pred, metrics.pearson),
        "spearman": _mean_within_samples(sample, level_true, level_pred, metrics.spearman),
        "auroc": metrics.auroc(label, prob),
        "auprc": metrics.auprc(label, prob),
        "accuracy": metrics.accuracy(label, prob, threshold),
        "f1": metrics.f1(label, prob, threshold),
        "ece": metrics.ece(label, prob),
    }
    return np.array([values[m] for m in SCORED_METRICS], dtype=np.float64)


def _scopes(frame: pd.DataFrame, scopes: tuple[str, ...] = SCOPES) -> Iterator[tuple[str, str, np.ndarray]]:
    """(scope, scope_value, row mask) for the overall scope, each region class present
    (epibench.codes order), each sample and each chromosome (order of first appearance); of
    ``scopes`` only."""
    if "overall" in scopes:
        yield "overall", "all", np.ones(len(frame), dtype=bool)
    region = frame["region"].to_numpy(dtype=object)
    for value in REGION_CLASSES if "region" in scopes else ():
        mask = region == value
        if mask.any():
            yield "region", value, mask
    for scope in [scope for scope in ("sample", "chrom") if scope in scopes]:
        column = frame[scope].astype(str).to_numpy(dtype=object)
        for value in pd.unique(column):
            yield scope, value, column == value


def metrics_long(
    preds: pd.DataFrame,
    threshold: float = 0.5,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    scopes: tuple[str, ...] = SCOPES,
    block_bp: int = 0,
) -> pd.DataFrame:
    """Metrics per model x scope with 95 % percentile bootstrap intervals, long format.

    ``preds``: the predictions table (module docstring). ``threshold``: probability at
    or above which a CpG is called methylated (accuracy, F1). ``n_boot``: bootstrap
    replicates per scope (0 skips the intervals: ci columns ``nan``); each replicate
    resamples the scope's CpGs within each sample. ``seed``: the intervals depend only
    on it and on (model, scope, scope_value). ``scopes``: the scopes computed (``("overall",)``
    for a table that reads the overall rows only: each scope costs its bootstrap). ``block_bp``:
    > 0 resamples genomic blocks of that many bp (chrom, pos // block_bp: every sample's CpGs of
    a drawn block together, ``bootstrap.resample_blocks``) instead of CpGs within each sample.

    Returns a DataFrame with columns ``LONG_COLUMNS``: model, scope (one of ``SCOPES``),
    scope_value ("all" for overall, else the region class, sample or chromosome),
    metric (one of ``METRICS``), value, ci_low, ci_high (float; ``nan`` where the metric
    is undefined for the scope, e.g. AUROC where one class only). Rows ordered by model
    (first appearance), scope, scope value, metric.
    """
    check_predictions(preds)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    records = []
    for model, frame in preds.groupby("model", sort=False):
        sample_code = pd.factorize(frame["sample"])[0]
        block_code = block_codes(frame, block_bp)
        for scope, value, mask in _scopes(frame, scopes):
            scope_blocks = None if block_code is None else block_code[mask]
            rows = _ScopeRows.from_frame(frame[mask], sample_code[mask], scope_blocks)
            n = rows.sample.size
            point = _scope_metrics(rows, np.arange(n), threshold)
            if n_boot > 0:
                low, high = bootstrap_ci(
                    lambda idx: _scope_metrics(rows, idx, threshold),
                    rows.sample,
                    scope_rng(seed, str(model), scope, value),
                    n_boot,
                    blocks=rows.block,
                )
            else:
                low = high = np.full(point.size, np.nan)
            counts = (float(n), float(rows.label_true.sum()))
            records.extend(
                (model, scope, value, name, count, np.nan, np.nan)
                for name, count in zip(COUNT_METRICS, counts)
            )
            records.extend((model, scope, value, *fields) for fields in zip(SCORED_METRICS, point, low, high))
    return pd.DataFrame.from_records(records, columns=list(LONG_COLUMNS))


def block_codes(frame: pd.DataFrame, block_bp: int) -> np.ndarray | None:
    """(n,) int64 codes 0..B-1, every one used: each row's genomic block (its ``chrom``, ``pos`` //
    ``block_bp``; every sample's rows of a block share its code), for ``bootstrap_ci(blocks=)``;
    None where ``block_bp`` is 0 (resample CpGs within samples instead). ``frame``: rows with
    chrom (str) and pos (int, bp). ValueError for a negative ``block_bp``."""
    if block_bp < 0:
        raise ValueError(f"block_bp must be >= 0, got {block_bp}")
    if not block_bp:
        return None
    chrom = pd.factorize(frame["chrom"])[0].astype(np.int64)
    block = frame["pos"].to_numpy(np.int64) // block_bp
    return pd.factorize(chrom * (int(block.max(initial=0)) + 1) + block)[0].astype(np.int64)


def comparison_table(
    metrics_long: pd.DataFrame,
    original: str = "cnn",
    new: str = "hybrid",
    extra: Mapping[str, tuple] | None = None,
) -> pd.DataFrame:
    """Original-vs-new table over the overall scope (the seed's "MSE 0.085 -> 0.062").

    ``metrics_long``: output of ``metrics_long``; ``original``/``new``: model names in it.
    ``extra``: more rows as {metric: (original_value, new_value)} or
    {metric: (original_value, new_value, "lower" | "higher")}; a 2-tuple means lower is
    better (costs such as minutes per epoch or peak GPU memory in GB).

    Returns columns ``COMPARISON_COLUMNS``: metric, original, new, improvement, better.
    ``better`` says which direction is better ("lower" for mse, mae, ece and costs,
    "higher" for scores). ``improvement`` is a relative fraction, positive when ``new``
    is better: (original - new) / |original| for "lower", (new - original) / |original|
    for "higher" (0.27 = 27 %); ``nan`` when original is 0 or either value is missing.
    Rows: every metric of ``SCORED_METRICS``, then ``extra`` in its order.
    """
    overall = metrics_long[metrics_long["scope"] == "overall"]
    models = list(pd.unique(overall["model"]))
    for name in (original, new):
        if name not in models:
            raise ValueError(f"model {name!r} not in the metrics table (models: {models})")
    value = overall.set_index(["model", "metric"])["value"]
    rows = [
        (m, value[(original, m)], value[(new, m)], "lower" if m in LOWER_IS_BETTER else "higher")
        for m in SCORED_METRICS
    ]
    for name, entry in (extra or {}).items():
        if len(entry) not in (2, 3) or (len(entry) == 3 and entry[2] not in ("lower", "higher")):
            raise ValueError(
                f"extra[{name!r}] must be (original, new) or (original, new, 'lower'|'higher'), "
                f"got {entry!r}"
            )
        rows.append((name, entry[0], entry[1], entry[2] if len(entry) == 3 else "lower"))
    table = pd.DataFrame(rows, columns=["metric", "original", "new", "better"])
    table[["original", "new"]] = table[["original", "new"]].astype(np.float64)
    sign = np.where(table["better"] == "lower", -1.0, 1.0)
    base = table["original"].abs().replace(0.0, np.nan)
    table["improvement"] = sign * (table["new"] - table["original"]) / base
    return table[list(COMPARISON_COLUMNS)]


def overall_fields(metrics_long: pd.DataFrame, model: str, metrics: tuple[str, ...]) -> dict[str, float]:
    """``{metric: value, metric_ci_low: ..., metric_ci_high: ...}`` of ``model``'s overall scope
    in ``metrics_long`` (``metrics_long``'s table), for each of ``metrics``; InputError when absent."""
    rows = metrics_long[(metrics_long["model"] == model) & (metrics_long["scope"] == "overall")]
    stats = rows.set_index("metric")
    fields = {}
    for metric in metrics:
        if metric not in stats.index:
            raise InputError(f"the metrics table has no overall {metric} of {model!r}")
        entry = stats.loc[metric]
        fields |= {
            metric: entry["value"],
            f"{metric}_ci_low": entry["ci_low"],
            f"{metric}_ci_high": entry["ci_high"],
        }
    return fields
