"""Interpretation figures, each drawn from attributions.npz alone (epibench.interpret.arrays) and saved as
``<stem>.png`` and ``<stem>.pdf`` atomically (epibench.io.figures.save_figure); one figure per call of
``write_interpret_figure`` so that each is its own DAG node.

  sequence_attribution  mean sequence attribution by position around the CpG, one line per region class
  histone_attribution   mean attribution per histone mark and bin, one heatmap per region class
  attention             mean cross-modal attention per histone bin, one line per region class
  cpg_explanations      the most and least methylated attributed CpGs, one row each: a sequence logo of the
                        attribution on the observed bases around the CpG, and the histone attribution per mark

Positions are in bp relative to the CpG's C (0; its G is +1); a histone bin is placed at its nominal
centre, which is within bin_size / 2 bp of the grid bin the model read (epibench.data.windows).
Attributions are in units of predicted methylation level (a fraction in [0, 1]).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import logomaker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from epibench.data.normalise import ZERO_MEANS
from epibench.errors import InputError
from epibench.io.figures import save_figure
from epibench.interpret.arrays import load_attributions, mean_by_region
from epibench.codes import BASES, N_CODE

ATTR_LABEL = "attribution (Δ predicted level, fraction)"
LOGO_FLANK_BP = 30
N_EXAMPLES = 3


def position_offsets(window: int) -> np.ndarray:
    """(W,) bp of each window position relative to the CpG's C (at index W//2 - 1)."""
    return np.arange(window) - (window // 2 - 1)


def bin_edges(window: int, bin_size: int) -> np.ndarray:
    """(NB + 1,) nominal histone bin edges in bp relative to the CpG's C (bins start at the window's start)."""
    return position_offsets(window)[0] + np.arange(window // bin_size + 1) * bin_size


def region_means(arrays: dict[str, np.ndarray], key: str) -> dict[str, tuple[np.ndarray, int]]:
    """Region class name -> (mean of ``arrays[key]`` over its CpGs, number of CpGs), classes present only."""
    means = mean_by_region(arrays[key], arrays["region"], len(arrays["region_classes"]))
    counts = np.bincount(arrays["region"], minlength=len(arrays["region_classes"]))
    return {
        str(name): (means[c], int(counts[c])) for c, name in enumerate(arrays["region_classes"]) if counts[c]
    }


def _model_name(arrays: dict[str, np.ndarray]) -> str:
    return str(arrays["arch"])


def plot_sequence_attribution(arrays: dict[str, np.ndarray], stem: str | os.PathLike) -> list[Path]:
    """Mean sequence attribution by position (bp from the C), one line per region class."""
    offsets = position_offsets(int(arrays["window"]))
    fig = Figure(figsize=(9, 3.8))
    ax = fig.subplots()
    for region, (profile, n) in region_means(arrays, "seq_attr").items():
        ax.plot(offsets, profile, lw=0.8, label=f"{region} (n={n})")
    ax.axvline(0, color="grey", lw=0.5, ls="--")
    ax.set_xlabel("position relative to the CpG's C (bp)")
    ax.set_ylabel(f"mean {ATTR_LABEL}")
    ax.set_title(
        f"Sequence attribution around the CpG, by region class ({_model_name(arrays)}; "
        "integrated gradients, baseline all-N)",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    return save_figure(fig, stem)


def plot_histone_attribution(arrays: dict[str, np.ndarray], stem: str | os.PathLike) -> list[Path]:
    """Mean histone attribution per mark (rows) and bin (x, bp from the C), one panel per region class;
    InputError for a model without marks (there is nothing to draw)."""
    marks = [str(m) for m in arrays["marks"]]
    if not marks:
        raise InputError(f"model {_model_name(arrays)} has no histone marks: no histone attribution to draw")
    maps = region_means(arrays, "hist_attr")
    edges = bin_edges(int(arrays["window"]), int(arrays["bin_size"]))
    fig = Figure(figsize=(3.4 * len(maps), 2.4 + 0.3 * len(marks)), layout="constrained")
    axes = fig.subplots(1, len(maps), squeeze=False)[0]
    limit = max(float(np.abs(values).max()) for values, _ in maps.values()) or 1.0
    for ax, (region, (values, n)) in zip(axes, maps.items()):
        extent = (edges[0], edges[-1], len(marks) - 0.5, -0.5)
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", extent=extent)
        ax.set_yticks(range(len(marks)), marks)
        ax.set_xlabel("bin position relative to the CpG's C (bp)")
        ax.set_ylabel("histone mark")
        ax.set_title(f"{region} (n={n})", fontsize=9)
    fig.colorbar(image, ax=axes.tolist(), label=f"mean {ATTR_LABEL}")
    fig.suptitle(
        f"Histone-mark attribution by bin, per region class ({_model_name(arrays)}; baseline: "
        f"{ZERO_MEANS.get(str(arrays.get('histone_norm', '')), 'normalised signal 0')})",
        fontsize=10,
    )
    return save_figure(fig, stem)


def plot_attention(arrays: dict[str, np.ndarray], stem: str | os.PathLike) -> list[Path]:
    """Cross-modal attention per histone bin (bp from the C), one line per region class; a model without
    attention gets a figure that says so."""
    edges = bin_edges(int(arrays["window"]), int(arrays["bin_size"]))
    centres = (edges[:-1] + edges[1:]) / 2
    fig = Figure(figsize=(7, 3.8))
    ax = fig.subplots()
    if "attention" in arrays:
        counts = np.bincount(arrays["region"], minlength=len(arrays["region_classes"]))
        for region, profile, n in zip(arrays["region_classes"], arrays["attention"], counts):
            if n:
                ax.plot(centres, profile, marker="o", ms=3, label=f"{region} (n={n})")
        uniform = 1.0 / len(centres)  # attention spread evenly over the bins: no preference
        ax.axhline(uniform, color="grey", linestyle=":", linewidth=1, label=f"uniform (1/{len(centres)})")
        ax.legend(fontsize=8)
    else:
        ax.set_xlim(edges[0], edges[-1])
        ax.text(
            0.5,
            0.5,
            f"model {_model_name(arrays)} has no cross-modal attention",
            ha="center",
            transform=ax.transAxes,
        )
    ax.set_xlabel("histone bin centre relative to the CpG's C (bp)")
    ax.set_ylabel("mean attention weight (fraction of 1 over bins)")
    ax.set_title(f"Where sequence tokens look in the histone marks ({_model_name(arrays)})", fontsize=10)
    return save_figure(fig, stem)


def pick_examples(
    level_true: np.ndarray, k: int = N_EXAMPLES, region: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` most methylated CpGs (highest level first) and of the ``k`` least (lowest
    first), among those with a finite level; disjoint, so fewer than 2k CpGs give fewer least ones.
    ``region`` (n,) codes: among CpGs of one level (the many at 1.0 or 0.0) one of each region class
    in turn, so tied examples show several classes, not the first rows of one."""
    finite = np.flatnonzero(np.isfinite(level_true))
    level = level_true[finite]
    classes = np.zeros(len(finite), dtype=np.int64) if region is None else region[finite]
    # a CpG's place among the CpGs of its level and class, in row order: 0 for the first of each
    turn = (
        pd.DataFrame({"level": level, "region": classes}).groupby(["level", "region"]).cumcount().to_numpy()
    )
    most = finite[np.lexsort((finite, turn, -level))][:k]
    rest = np.setdiff1d(finite, most, assume_unique=True)
    rest_turn = turn[np.isin(finite, rest)]
    least = rest[np.lexsort((rest, rest_turn, level_true[rest]))][:k]
    return most, least


def logo_matrix(codes: np.ndarray, seq_attr: np.ndarray, flank: int = LOGO_FLANK_BP) -> pd.DataFrame:
    """Attribution x one-hot of one CpG over C - flank .. G + flank (clipped to the window):
    rows bp relative to the C, columns A C G T; an N position is all zero. codes, seq_attr: (W,)."""
    offsets = position_offsets(len(codes))
    keep = (offsets >= -flank) & (offsets <= flank + 1)
    one_hot = codes[keep, None] == np.arange(N_CODE)  # (L, 4) bool
    return pd.DataFrame(one_hot * seq_attr[keep, None], index=offsets[keep], columns=list(BASES[:N_CODE]))


def _draw_logo(ax: Axes, matrix: pd.DataFrame) -> None:
    logomaker.Logo(matrix, ax=ax, color_scheme="classic", flip_below=False)
    ax.axvspan(-0.5, 1.5, color="gold", alpha=0.3, zorder=0, label="CpG")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("position relative to the CpG's C (bp)")
    ax.set_ylabel("attribution\n(Δ predicted level)")


def _draw_histone_bars(ax: Axes, hist_attr: np.ndarray, hist_mask: np.ndarray, marks: list[str]) -> None:
    totals = hist_attr.sum(-1)
    ax.barh(marks, totals, color=np.where(totals >= 0, "tab:red", "tab:blue"))
    ax.axvline(0, color="grey", lw=0.5)
    for row, observed in enumerate(hist_mask.any(-1)):
        if not observed:
            ax.text(0, row, " no data", va="center", fontsize=7, color="grey")
    ax.invert_yaxis()
    ax.set_xlabel("attribution summed over bins\n(Δ predicted level)")
    ax.set_title("histone marks", fontsize=9)


def _row_title(arrays: dict[str, np.ndarray], i: int, tag: str) -> str:
    region = arrays["region_classes"][arrays["region"][i]]
    return (
        f"{tag}: {arrays['sample'][i]} {arrays['chrom'][i]}:{int(arrays['pos'][i]) + 1:,} ({region}); "
        f"observed {arrays['level_true'][i]:.2f}, predicted {arrays['level_pred'][i]:.2f}"
    )


def explanation_figure(arrays: dict[str, np.ndarray], k: int = N_EXAMPLES) -> Figure:
    """One row per CpG of ``pick_examples``: logo of the attribution around the CpG, histone bars per
    mark (no bars for a model without marks)."""
    most, least = pick_examples(arrays["level_true"], k, arrays["region"])
    picked = [(i, f"most methylated #{n + 1}") for n, i in enumerate(most)]
    picked += [(i, f"least methylated #{n + 1}") for n, i in enumerate(least)]
    marks = [str(m) for m in arrays["marks"]]
    ratios = [4, 1] if marks else [1]
    fig = Figure(figsize=(14, 2.4 * len(picked) + 1), layout="constrained")
    axes = fig.subplots(len(picked), len(ratios), squeeze=False, gridspec_kw={"width_ratios": ratios})
    for row_axes, (i, tag) in zip(axes, picked):
        _draw_logo(row_axes[0], logo_matrix(arrays["codes"][i], arrays["seq_attr"][i]))
        row_axes[0].set_title(_row_title(arrays, i, tag), fontsize=9, loc="left")
        if marks:
            _draw_histone_bars(row_axes[1], arrays["hist_attr"][i], arrays["hist_mask"][i], marks)
    fig.suptitle(
        f"Per-CpG explanations ({_model_name(arrays)}): the {len(most)} most and {len(least)} least methylated "
        "attributed CpGs\nintegrated gradients on the observed base (baseline all-N; CpG shaded); "
        "positions 1-based, of the C; levels are methylation fractions",
        fontsize=10,
    )
    return fig


def plot_cpg_explanations(arrays: dict[str, np.ndarray], stem: str | os.PathLike) -> list[Path]:
    """``explanation_figure`` of the 3 most and 3 least methylated attributed CpGs."""
    return save_figure(explanation_figure(arrays), stem)


FIGURES: dict[str, Callable[[dict[str, np.ndarray], str | os.PathLike], list[Path]]] = {
    "sequence_attribution": plot_sequence_attribution,
    "histone_attribution": plot_histone_attribution,
    "attention": plot_attention,
    "cpg_explanations": plot_cpg_explanations,
}


def write_interpret_figure(
    kind: str, attributions_npz: str | os.PathLike, out_stem: str | os.PathLike
) -> list[Path]:
    """One figure (``FIGURES``) from attributions.npz: writes ``out_stem``.png and .pdf, returns their paths."""
    if kind not in FIGURES:
        raise ValueError(f"unknown interpretation figure {kind!r}; known: {list(FIGURES)}")
    return FIGURES[kind](load_attributions(attributions_npz), out_stem)
