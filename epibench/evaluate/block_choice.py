"""``evaluate.bootstrap_block_bp: auto``: the cohort's bootstrap block, chosen where its intervals level off.

The intervals of a block bootstrap widen with the block while the blocks are shorter than the reach of
the model's shared errors, and level off beyond it (epibench.evaluate.block_sizes). The choice: the
shortest block of ``AUTO_SIZES_BP`` that makes at least ``COMPARED_BLOCKS`` blocks and that
``narrow_intervals`` does not find too narrow against any longer such block, for the new model's AUROC
and MSE and their differences from the original. A longer block than that only costs intervals (fewer
blocks, noisier widths); a shorter one would draw them too narrow. Blocks shorter than 10 kb are not
tried: a model's errors are shared at least as far as the methylation of neighbouring CpGs is. The
longest, 3 and 10 Mb, make enough blocks only where whole chromosomes are held out (hundreds of
megabases), where errors may be shared over partially methylated domains and chromosome arms. Where no
size makes ``COMPARED_BLOCKS`` blocks (a small test set) the shortest size is taken.

The choice is one JSON file (``evaluation/bootstrap_block.json``) that every table's ``--block-bp``
reads (``read_block_bp``), so all of a run's intervals resample the same block.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.evaluate.block_sizes import (
    COMPARED_BLOCKS,
    NARROW_SHARE,
    narrow_intervals,
    quantity_text,
    size_text,
)
from epibench.io.atomic import atomic_path

AUTO_SIZES_BP = (10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)


def choose_block(table: pd.DataFrame) -> int:
    """The block (bp) to resample, from a ``block_size_table`` drawn at ``AUTO_SIZES_BP``."""
    sizes = table.groupby("block_bp")["n_blocks"].first().sort_index()
    candidates = [int(size) for size, n_blocks in sizes.items() if size > 0 and n_blocks >= COMPARED_BLOCKS]
    for size in candidates:
        if not narrow_intervals(table.assign(configured=table["block_bp"] == size)):
            return size
    return int(sizes.index[sizes.index > 0].min())


def choice_record(table: pd.DataFrame) -> dict:
    """``choose_block``'s block with why it was chosen and the interval widths it was chosen from:
    ``block_bp``, ``n_blocks`` (of the chosen block), ``longest_compared`` (true where no longer block
    makes ``COMPARED_BLOCKS`` blocks, so the intervals could not be seen to level off), ``rule`` and
    ``widths`` (block bp -> {quantity: width, null without an interval})."""
    chosen = choose_block(table)
    sizes = table.groupby("block_bp")["n_blocks"].first()
    longer = sizes[(sizes.index > chosen) & (sizes >= COMPARED_BLOCKS)]
    return {
        "block_bp": chosen,
        "n_blocks": int(sizes[chosen]),
        "longest_compared": longer.empty,
        "rule": (
            f"the shortest block of {', '.join(size_text(s) for s in AUTO_SIZES_BP)} making at least "
            f"{COMPARED_BLOCKS} blocks whose 95 % intervals are at least {NARROW_SHARE:.0%} as wide as with "
            f"any longer block making that many (else the shortest)"
        ),
        "widths": {
            str(size): {
                quantity_text(*key): float(width) if np.isfinite(width) else None
                for key, width in rows.set_index(["model", "other", "metric"])["width"].items()
            }
            for size, rows in table.groupby("block_bp")
        },
    }


def choice_text(record: dict) -> str:
    """``choice_record`` in words: the block, its blocks, and whether longer ones could be compared."""
    text = f"{size_text(record['block_bp'])} blocks, {record['n_blocks']:,} in the test set"
    if record["n_blocks"] < COMPARED_BLOCKS:
        return f"{text}: too few to tell whether longer blocks widen the intervals"
    if record["longest_compared"]:
        return f"{text}: no longer block makes {COMPARED_BLOCKS}, so the intervals may widen further than this test set shows"
    return text


def write_choice(record: dict, path: str | os.PathLike) -> None:
    """``choice_record`` as JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, allow_nan=False) + "\n")


def read_block_bp(path: str | os.PathLike) -> int:
    """The block (bp) of a ``write_choice`` file; InputError naming the file where it holds none."""
    try:
        block_bp = json.loads(Path(path).read_text())["block_bp"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: not a bootstrap block choice (evaluation/bootstrap_block.json): {exc}"
        ) from exc
    if not isinstance(block_bp, int) or block_bp < 0:
        raise InputError(f"{path}: block_bp must be a whole number of bp, not {block_bp!r}")
    return block_bp
