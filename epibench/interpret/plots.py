"""Figures of attributions and attention, per region class (PNG and PDF, atomically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from epibench.figures import save_figure


def position_profile(profiles: dict[str, np.ndarray], window: int, stem: str | Path) -> list[Path]:
    """Mean sequence attribution by position around the CpG, one line per region class.

    profiles: region class -> (W,) mean attribution per window position.
    """
    offsets = np.arange(window) - (window // 2 - 1)
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    for region, profile in profiles.items():
        ax.plot(offsets, profile, lw=0.8, label=region)
    ax.axvline(0, color="grey", lw=0.5, ls="--")
    ax.set_xlabel("position relative to the CpG's C (bp)")
    ax.set_ylabel("mean attribution (predicted level units)")
    ax.set_title("Sequence attribution around the CpG, by region class")
    ax.legend(fontsize=8)
    return save_figure(fig, stem)


def histone_heatmaps(
    maps: dict[str, np.ndarray], marks: list[str], bin_size: int, stem: str | Path
) -> list[Path]:
    """Mean histone attribution per mark (rows) and bin (columns), one panel per region class.

    maps: region class -> (M, NB) mean attribution.
    """
    fig = Figure(figsize=(3.2 * len(maps), 2.2 + 0.3 * len(marks)))
    axes = fig.subplots(1, len(maps), squeeze=False)
    limit = max(float(np.nanmax(np.abs(m))) for m in maps.values()) or 1.0
    for ax, (region, values) in zip(axes[0], maps.items()):
        n_bins = values.shape[1]
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_yticks(range(len(marks)), marks)
        centre = (np.arange(n_bins) - n_bins / 2 + 0.5) * bin_size
        ax.set_xticks(range(n_bins)[:: max(1, n_bins // 5)], [f"{c:.0f}" for c in centre[:: max(1, n_bins // 5)]])
        ax.set_xlabel("bin centre vs CpG (bp)")
        ax.set_title(region)
    fig.colorbar(image, ax=axes[0].tolist(), label="mean attribution")
    fig.suptitle("Histone-mark attribution by bin, per region class")
    return save_figure(fig, stem)


def attention_profile(
    profiles: dict[str, np.ndarray], bin_size: int, stem: str | Path
) -> list[Path]:
    """Cross-modal attention weight per histone bin, averaged over heads, queries and CpGs.

    profiles: region class -> (NB,) mean attention weight (sums to 1 over bins).
    """
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    for region, profile in profiles.items():
        n_bins = len(profile)
        centre = (np.arange(n_bins) - n_bins / 2 + 0.5) * bin_size
        ax.plot(centre, profile, marker="o", ms=3, label=region)
    ax.set_xlabel("histone bin centre vs CpG (bp)")
    ax.set_ylabel("mean attention weight")
    ax.set_title("Where sequence tokens look in the histone marks")
    ax.legend(fontsize=8)
    return save_figure(fig, stem)
