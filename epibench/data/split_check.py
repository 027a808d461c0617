"""Before any model is fitted: does every split of the plan hold CpGs of the cohort?

The split plan (epibench.data.splits) is drawn from the reference, before any call is read: held-out
chromosomes (chr6..chr9 by default) or blocks spread along the genome. Calls of a targeted cohort (a
panel, adaptive sampling, one locus, one chromosome of a whole-genome reference) may miss every
held-out part, and training would have nothing to stop on or be scored on. ``require_every_split``
says so, with where the calls lie and what to set, before the first step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from epibench.codes import SPLITS
from epibench.data.manifest import open_arrays, read_manifest
from epibench.data.plan import length_text
from epibench.errors import InputError

# the fewest held-out blocks whose scores get a bootstrap interval (epibench.evaluate.bootstrap.MIN_BLOCKS;
# data does not import evaluate)
MIN_HELD_OUT_BLOCKS = 10
# the suggested split.block_bp is the calls' widest span over this: with 10 % of the blocks held out for
# test, about MIN_HELD_OUT_BLOCKS of them fall among the calls (1/20 left 2, and every interval empty)
SPAN_SHARE = 100


def require_every_split(shard_dirs: list[str | Path]) -> None:
    """InputError naming the empty splits, the CpGs of each split, the span of the calls per
    sequence and the settings to change, unless the shards' train, val and test splits each hold a
    CpG (their manifests' ``counts``)."""
    manifests = [read_manifest(d) for d in shard_dirs]
    counts = {split: sum(m["counts"].get(split, 0) for m in manifests) for split in SPLITS}
    empty = [split for split in SPLITS if counts[split] == 0]
    if not empty:
        return
    spans = called_spans(shard_dirs, manifests)
    where = ", ".join(
        f"{chrom}:{low + 1:,}-{high + 1:,} ({length_text(high - low + 1)})"
        for chrom, (low, high) in spans.items()
    )
    widest = max((high - low + 1 for low, high in spans.values()), default=0)
    suggested = max(1_000, int(round(widest / SPAN_SHARE, -3)))
    raise InputError(
        f"the split plan holds out no CpG of the cohort for {' and '.join(empty)}: of "
        f"{sum(counts.values()):,} CpGs, {', '.join(f'{counts[s]:,} {s}' for s in SPLITS)} "
        f"(shards/plan/splits.bed). The calls lie in {where or 'no sequence'}, and the held-out "
        "chromosomes or blocks of `split` miss them (a targeted cohort, one region, one chromosome?). "
        f"Set split.mode: blocks with split.block_bp: {suggested} (about 1/{SPAN_SHARE} of the widest span: at "
        f"the default 10 % held out for each, about {MIN_HELD_OUT_BLOCKS} validation and {MIN_HELD_OUT_BLOCKS} "
        "test blocks among the calls, the fewest whose scores get a 95 % interval) to hold out blocks within "
        "the calls, or split.val_chroms / split.test_chroms to sequences that hold calls"
    )


def called_spans(shard_dirs: list[str | Path], manifests: list[dict]) -> dict[str, tuple[int, int]]:
    """sequence -> (first, last) 0-based position of the shards' CpGs on it, over every shard."""
    spans: dict[str, tuple[int, int]] = {}
    for shard_dir, manifest in zip(shard_dirs, manifests):
        arrays = open_arrays(shard_dir, manifest)
        pos, chrom = np.asarray(arrays["pos"]), np.asarray(arrays["chrom"])
        for index in np.unique(chrom):
            on = pos[chrom == index]
            name = manifest["chroms"][int(index)]["name"]
            low, high = spans.get(name, (int(on.min()), int(on.max())))
            spans[name] = (min(low, int(on.min())), max(high, int(on.max())))
    return spans
