"""The shard plan stage: which shard jobs to run (groups) and which bases each split holds.

Writes into ``out_dir`` (``results/<cohort>/shards/plan/``): ``groups.tsv``
(epibench.data.groups), ``splits.bed`` (epibench.data.splits), ``splits.tsv`` (bp and
sequences per split and left out of all, and the mode used) and ``splits.png``/``.pdf`` (every sequence as a
bar coloured by split). The Snakemake workflow reads ``groups.tsv`` to scatter the shard jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from epibench.data.groups import shard_groups, write_groups
from epibench.data.splits import (
    LEFT_OUT,
    SplitSettings,
    plan_splits,
    split_counts_bp,
    write_split_plan,
)
from epibench.io.figures import save_figure
from epibench.io.atomic import write_tsv
from epibench.codes import SPLITS

SPLIT_COLOURS = {"train": "#4c72b0", "val": "#dd8452", "test": "#c44e52", LEFT_OUT: "#bbbbbb"}
MAX_PLOTTED = 40


def length_text(bp: int) -> str:
    """A length for a title: 31.7 kb, 1 Mb."""
    return f"{bp / 1e6:.3g} Mb" if bp >= 1_000_000 else f"{bp / 1e3:.3g} kb"


def plot_splits(plan: pd.DataFrame, chrom_sizes: dict[str, int], mode: str) -> Figure:
    """Horizontal bars, one per sequence (the longest MAX_PLOTTED), coloured by split."""
    shown = sorted(chrom_sizes, key=chrom_sizes.get, reverse=True)[:MAX_PLOTTED]
    shown = [c for c in chrom_sizes if c in shown]  # reference order
    fig = Figure(figsize=(7, 0.25 * len(shown) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    for y, chrom in enumerate(shown):
        rows = plan[plan["chrom"] == chrom]
        ax.broken_barh(
            list(zip(rows["start"] / 1e6, (rows["end"] - rows["start"]) / 1e6)),
            (y - 0.4, 0.8),
            facecolors=[SPLIT_COLOURS[s] for s in rows["split"]],
        )
    ax.set_yticks(range(len(shown)), shown)
    ax.invert_yaxis()
    ax.set_xlabel("position (Mb)")
    hidden = len(chrom_sizes) - len(shown)
    what = (
        "chromosomes"
        if mode == "chroms"
        else f"blocks of {length_text(plan['end'].sub(plan['start']).max())} at most"
    )
    ax.set_title(f"Held-out {what}" + (f"\n({hidden} shorter sequences not shown)" if hidden else ""))
    ax.set_xlim(0, max(chrom_sizes[c] for c in shown) / 1e6)
    shown_splits = [*SPLITS, *([LEFT_OUT] if (plan["split"] == LEFT_OUT).any() else [])]
    fig.legend(
        handles=[Patch(color=SPLIT_COLOURS[name], label=name.replace("_", " ")) for name in shown_splits],
        loc="outside right upper",
    )
    return fig


def write_plan(
    chrom_sizes_tsv: str | Path,
    settings: SplitSettings,
    min_share: float,
    out_dir: str | Path,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Write the plan files (module docstring) from the reference's chrom_sizes.tsv (and its
    aliases, for the held-out chromosomes' names); returns the mode."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes_table = pd.read_csv(chrom_sizes_tsv, sep="\t", dtype={"chrom": str})
    chrom_sizes = dict(zip(sizes_table["chrom"], sizes_table["length"].astype(int)))
    plan, mode = plan_splits(chrom_sizes, settings, aliases)
    write_groups(shard_groups(chrom_sizes, min_share), out_dir / "groups.tsv")
    write_split_plan(plan, out_dir / "splits.bed")
    bp = split_counts_bp(plan)
    sequences = plan.groupby("split")["chrom"].nunique()
    summary = pd.DataFrame(
        {
            "split": list(bp),
            "bp": list(bp.values()),
            "share": [n / max(sum(bp.values()), 1) for n in bp.values()],
            "sequences": [int(sequences.get(s, 0)) for s in bp],
            "mode": mode,
        }
    )
    write_tsv(summary, out_dir / "splits.tsv")
    save_figure(plot_splits(plan, chrom_sizes, mode), out_dir / "splits")
    return mode
