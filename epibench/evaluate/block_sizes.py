"""How the bootstrap intervals widen with the genomic block they resample: is
``evaluate.bootstrap_block_bp`` long enough for this cohort?

A block bootstrap (epibench.evaluate.bootstrap) treats blocks as independent. Neighbouring CpGs share
their methylation over about a kilobase, but a model's errors may be shared much further: partially
methylated domains, gene clusters and copy-number segments span hundreds of kilobases. Where blocks
are shorter than that, the intervals are too narrow, and a verdict drawn from them claims more than the
data hold. The usual check (Hall, Horowitz & Jing 1995; Lahiri 2003, ch. 7) is to redraw the intervals
with ever longer blocks: they widen while the blocks are shorter than the correlation, and level off once
longer. An interval still widening well past the configured block (``narrow_intervals``) says: take a
longer block, or read the verdicts as optimistic.

For the new model (its AUROC and MSE) and, where given, its paired difference from the original model
(as in paired.tsv), on the test CpGs both score: the point value and its 95 % interval at each block
size of ``BLOCK_SIZES_BP`` and the configured one (0: CpGs resampled within each sample). Fewer than
bootstrap.MIN_BLOCKS blocks give no interval.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.data.plan import length_text
from epibench.errors import InputError
from epibench.evaluate import metrics
from epibench.evaluate.bars import draw_intervals
from epibench.evaluate.bootstrap import DEFAULT_BLOCK_BP, DEFAULT_N_BOOT, MIN_BLOCKS, bootstrap_ci, scope_rng
from epibench.evaluate.paired import ROW_KEY, model_rows
from epibench.evaluate.plots import UNITS
from epibench.evaluate.tables import block_codes
from epibench.io.figures import save_figure

BLOCK_SIZES_BP = (0, 1_000, 10_000, 100_000, 1_000_000)
# the configured interval is called too narrow below this share of its widest at a longer block of at
# least COMPARED_BLOCKS blocks (a width drawn from fewer is itself too uncertain to judge another by)
NARROW_SHARE = 0.8
COMPARED_BLOCKS = 20
BLOCK_SIZE_COLUMNS = (
    "model",
    "other",
    "metric",
    "block_bp",
    "n_blocks",
    "value",
    "ci_low",
    "ci_high",
    "width",
    "configured",
)


def block_size_table(
    preds: pd.DataFrame,
    new: str,
    original: str | None = None,
    block_bp: int = DEFAULT_BLOCK_BP,
    sizes: tuple[int, ...] = BLOCK_SIZES_BP,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per quantity and block size (bp; ``sizes`` and the configured ``block_bp``, ascending):
    the new model's AUROC and MSE (``other`` empty), and new minus ``original`` (``other`` = original)
    where given, with ``n_blocks`` (the CpG measurements where block_bp is 0), the 95 % interval, its
    ``width`` (NaN without one) and ``configured`` (the row of ``block_bp``). All on the test CpGs
    both models score. ``preds``: the predictions table (epibench.evaluate.writers.load_predictions)."""
    frame = model_rows(preds, new)
    if original is not None:
        frame = frame.merge(model_rows(preds, original), on=ROW_KEY, suffixes=("", "_other"))
        if frame.empty:
            raise InputError(f"models {new} and {original} share no test CpG to compare on")
    label, level = frame["label_true"].to_numpy(), frame["level_true"].to_numpy()
    prob, fit = frame["prob_pred"].to_numpy(np.float64), frame["level_pred"].to_numpy(np.float64)
    quantities = [(new, "", "auroc"), (new, "", "mse")]
    if original is not None:
        quantities += [(new, original, "auroc"), (new, original, "mse")]
        prob_other = frame["prob_pred_other"].to_numpy(np.float64)
        fit_other = frame["level_pred_other"].to_numpy(np.float64)

    def statistic(idx: np.ndarray) -> np.ndarray:
        own = [metrics.auroc(label[idx], prob[idx]), metrics.mse(level[idx], fit[idx])]
        if original is None:
            return np.array(own)
        others = [metrics.auroc(label[idx], prob_other[idx]), metrics.mse(level[idx], fit_other[idx])]
        return np.array(own + [own[0] - others[0], own[1] - others[1]])

    point = statistic(np.arange(len(frame)))
    strata = pd.factorize(frame["sample"])[0]
    rows = []
    for size in sorted(set(sizes) | {block_bp}):
        blocks = block_codes(frame, size)
        n_blocks = len(frame) if blocks is None else int(blocks.max()) + 1
        rng = scope_rng(seed, "block_sizes", new, original or "", str(size))
        low, high = bootstrap_ci(statistic, strata, rng, n_boot, blocks=blocks)
        for i, (model, other, metric) in enumerate(quantities):
            rows.append(
                (
                    model,
                    other,
                    metric,
                    size,
                    n_blocks,
                    point[i],
                    low[i],
                    high[i],
                    high[i] - low[i],
                    size == block_bp,
                )
            )
    return pd.DataFrame(rows, columns=list(BLOCK_SIZE_COLUMNS))


def quantity_text(model: str, other: str, metric: str) -> str:
    """``hybrid AUROC`` or ``hybrid - cnn AUROC``."""
    return f"{model}{f' - {other}' if other else ''} {metric.upper()}"


def narrow_intervals(table: pd.DataFrame) -> dict[tuple[str, str, str], tuple[float, int, int]]:
    """(model, other, metric) -> (width at the configured block / widest width at a longer block, that
    block's bp, its number of blocks) for each quantity of ``block_size_table`` whose interval at the
    configured block is narrower than ``NARROW_SHARE`` of its widest at a longer block of at least
    ``COMPARED_BLOCKS`` blocks; none where the configured block gives no interval."""
    found = {}
    for key, rows in table.groupby(["model", "other", "metric"], sort=False):
        configured = rows[rows["configured"].astype(bool)]
        if configured.empty or not np.isfinite(configured["width"].iloc[0]):
            continue
        width, block_bp = float(configured["width"].iloc[0]), int(configured["block_bp"].iloc[0])
        longer = rows[(rows["block_bp"] > block_bp) & (rows["n_blocks"] >= COMPARED_BLOCKS)].dropna(
            subset=["width"]
        )
        if longer.empty:
            continue
        widest = longer.loc[longer["width"].idxmax()]
        if width < NARROW_SHARE * widest["width"]:
            found[key] = (width / widest["width"], int(widest["block_bp"]), int(widest["n_blocks"]))
    return found


def narrow_text(table: pd.DataFrame) -> list[str]:
    """``narrow_intervals`` as sentences, one per quantity."""
    configured = int(table.loc[table["configured"].astype(bool), "block_bp"].iloc[0])
    return [
        f"{quantity_text(*key)}: its interval with {size_text(configured)} blocks is {share:.0%} as wide as "
        f"with {size_text(block_bp)} blocks ({n_blocks:,} of them)"
        for key, (share, block_bp, n_blocks) in narrow_intervals(table).items()
    ]


def size_text(block_bp: int) -> str:
    """``CpG`` for 0 (CpGs resampled), else the block's length: 10 kb, 1 Mb."""
    return "CpG" if block_bp == 0 else length_text(block_bp)


def plot_block_sizes(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """One panel per quantity (the new model's AUROC and MSE, then their differences from the original):
    its 95 % interval (whisker) and value (dot) at each block size (x, labelled with the blocks it
    makes), the configured block's in red; the difference panels with a line at 0. A panel whose
    interval ``narrow_intervals`` finds too narrow says so in red in its title."""
    narrow = narrow_intervals(table)
    groups = list(table.groupby(["model", "other", "metric"], sort=False))
    n_rows = (len(groups) + 1) // 2
    fig = Figure(figsize=(11, 4.4 * n_rows))
    axes = fig.subplots(n_rows, 2, squeeze=False).ravel()
    for ax, (key, rows) in zip(axes, groups):
        rows = rows.sort_values("block_bp")
        x = np.arange(len(rows))
        configured = rows["configured"].astype(bool).to_numpy()
        for picked, colour in ((~configured, "black"), (configured, "tab:red")):
            chosen = rows[picked]
            ax.plot(x[picked], chosen["value"], "o", color=colour)
            draw_intervals(ax, x[picked], chosen["ci_low"], chosen["ci_high"], color=colour)
        labels = [
            f"{size_text(int(r.block_bp))}{' (used)' if r.configured else ''}\n{int(r.n_blocks):,}"
            + ("\nno interval" if r.block_bp and r.n_blocks < MIN_BLOCKS else "")
            for r in rows.itertuples()
        ]
        ax.set_xticks(x, labels, fontsize=8)
        model, other, metric = key
        if other:
            ax.axhline(0.0, color="grey", linewidth=0.8)
        title = quantity_text(*key)
        if key in narrow:
            share, block_bp, _ = narrow[key]
            title += f"\ntoo narrow: {share:.0%} of its width with {size_text(block_bp)} blocks"
        ax.set_title(title, color="tab:red" if key in narrow else "black", fontsize=10)
        ax.set(
            xlabel="block resampled, and the blocks (or CpGs) it makes",
            ylabel=("difference in " if other else "") + UNITS.get(metric, metric),
        )
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return save_figure(fig, stem)
