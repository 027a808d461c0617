"""config/real_lung.yaml holds out the blocks the README's lung figures were measured on: a change of
the split's arithmetic (the held-out counts were rounded down before, to the nearest since) would
otherwise move every figure of that section without a word."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from epibench.data.splits import SplitSettings, plan_splits

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "real_lung.yaml"
SIZES = REPO / "resources" / "real" / "lung_hg19_chr21" / "hg19_chr21.chrom.sizes"


def test_the_lung_config_holds_out_as_many_blocks_as_the_readme_says():
    said = re.search(
        r"held-out 1-Mb blocks \((\d+) of the (\d+) for validation, (\d+) for test\)",
        (REPO / "README.md").read_text(),
    )
    assert said, "the README's lung paragraph names its held-out blocks"
    sizes = dict(line.split("\t") for line in SIZES.read_text().splitlines())
    plan, _ = plan_splits(
        {c: int(n) for c, n in sizes.items()}, SplitSettings(**yaml.safe_load(CONFIG.read_text())["split"])
    )
    counts = plan["split"].value_counts()
    assert (counts["val"], len(plan), counts["test"]) == tuple(map(int, said.groups()))
