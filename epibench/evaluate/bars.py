"""Bar charts with 95 % interval whiskers, shared by the evaluation figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def draw_intervals(
    ax: Axes,
    position: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    horizontal: bool = False,
    color: str = "black",
) -> None:
    """Capped whiskers spanning exactly [low, high] at each position (x, or y when
    ``horizontal``); none where either end is NaN. The whisker is drawn from its ends, not as arms
    around the point estimate: a percentile bootstrap interval of a handful of CpGs may miss its
    own point, and it is drawn where it lies."""
    low = np.asarray(low, np.float64)
    high = np.asarray(high, np.float64)
    centre, half = (low + high) / 2, (high - low) / 2
    if horizontal:
        ax.errorbar(centre, position, xerr=half, fmt="none", ecolor=color, capsize=3)
    else:
        ax.errorbar(position, centre, yerr=half, fmt="none", ecolor=color, capsize=3)


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
        if horizontal:
            ax.barh(x + offset, value, width, label=name)
        else:
            ax.bar(x + offset, value, width, label=name)
        draw_intervals(ax, x + offset, low, high, horizontal)
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
