"""Bar charts with 95 % interval whiskers, shared by the evaluation figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def interval_errors(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(2, N) whisker lengths below and above ``value`` for intervals [low, high]; 0 where undefined,
    and 0 on a side the interval does not reach (a percentile bootstrap interval of a handful of CpGs
    may miss its own point estimate; matplotlib refuses a negative whisker)."""
    value = np.asarray(value, np.float64)
    arms = np.vstack([value - np.asarray(low, np.float64), np.asarray(high, np.float64) - value])
    return np.clip(np.nan_to_num(arms), 0.0, None)


def grouped_bars(
    ax: Axes,
    labels: list[str],
    series: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    horizontal: bool = False,
) -> None:
    """One group of bars per label (x; y from the top when ``horizontal``: a long list of labels
    stays readable), one bar per series (colour, legend label = its key).

    series: name -> (value, ci_low, ci_high), each (len(labels),) float (NaN: no bar / no whisker).
    """
    x = np.arange(len(labels))
    width = 0.8 / max(len(series), 1)
    for i, (name, (value, low, high)) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        errors = interval_errors(value, low, high)
        if horizontal:
            ax.barh(x + offset, value, width, xerr=errors, capsize=3, label=name)
        else:
            ax.bar(x + offset, value, width, yerr=errors, capsize=3, label=name)
    if horizontal:
        ax.set_yticks(x, labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)  # the first label at the top
    else:
        ax.set_xticks(x, labels)


def metric_series(
    keyed: pd.DataFrame, labels: list[str], names: list[str], metric: str
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``grouped_bars``' series from a table indexed by (series name, label) with columns
    ``metric``, ``metric_ci_low`` and ``metric_ci_high`` (missing pairs: NaN, no bar)."""
    series = {}
    for name in names:
        rows = keyed.reindex([(name, label) for label in labels])
        series[name] = tuple(
            rows[f"{metric}{suffix}"].to_numpy(np.float64) for suffix in ("", "_ci_low", "_ci_high")
        )
    return series
