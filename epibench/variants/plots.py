"""Figure of the variants with the largest predicted effect on methylation."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.codes import REGION_CLASSES
from epibench.io.figures import save_figure
from epibench.variants.effects import AFFECTED
from epibench.variants.sites import CREATED, DESTROYED, KEPT

N_SHOWN = 6
REGION_COLOURS = dict(zip(REGION_CLASSES, ("tab:red", "tab:orange", "tab:blue", "tab:grey")))


def plot_top_variants(summary: pd.DataFrame, effects: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """One panel per variant of the ``N_SHOWN`` with the largest |delta level| (``summary`` order):
    delta level (ALT - REF) of each CpG against its distance from the variant (bp), coloured by
    region class; created (^) and destroyed (v) CpGs marked at the level of the allele they exist
    under (+ for created, - for destroyed). Each panel spans at least +-``AFFECTED`` (dashed), the change
    from which a CpG counts as affected, so that a panel of tiny deltas does not look like a large
    effect. An empty summary gives one panel saying so."""
    top = summary.dropna(subset=["max_abs_delta_level"]).head(N_SHOWN)
    n = max(len(top), 1)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    if top.empty:
        axes[0].text(0.5, 0.5, "no variant reaches a CpG", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, variant in zip(axes, top.itertuples(index=False)):
        sites = effects[effects["variant"] == variant.variant]
        kept = sites[sites["status"] == KEPT]
        colours = [REGION_COLOURS[r] for r in kept["region"]]
        ax.vlines(kept["distance"], 0, kept["delta_level"], colors=colours, linewidth=1)
        ax.scatter(kept["distance"], kept["delta_level"], c=colours, s=14, zorder=3)
        created, destroyed = sites[sites["status"] == CREATED], sites[sites["status"] == DESTROYED]
        ax.scatter(created["distance"], created["level_alt"], marker="^", c="k", s=30, label="CpG created")
        ax.scatter(
            destroyed["distance"], -destroyed["level_ref"], marker="v", c="k", s=30, label="CpG destroyed"
        )
        ax.axhline(0, color="k", linewidth=0.5)
        for level in (-AFFECTED, AFFECTED):
            ax.axhline(level, color="k", linewidth=0.5, linestyle="--")
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, -1.2 * AFFECTED), max(high, 1.2 * AFFECTED))
        ax.axvline(0, color="k", linewidth=0.5, linestyle=":")
        ax.set(
            title=f"{variant.variant} {variant.ref}>{variant.alt}",
            xlabel="CpG distance from the variant (bp)",
            ylabel="predicted level, ALT - REF",
        )
        ax.title.set_fontsize(9)
    for ax in axes[len(top) :]:
        if not top.empty:
            ax.set_axis_off()
    handles = [
        axes[0].scatter([], [], c=colour, s=14, label=region) for region, colour in REGION_COLOURS.items()
    ]
    handles += [
        axes[0].scatter([], [], marker="^", c="k", s=30, label="CpG created (at +its ALT level)"),
        axes[0].scatter([], [], marker="v", c="k", s=30, label="CpG destroyed (at -its REF level)"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return save_figure(fig, stem)
