"""Why ``logreg_gc_cpg`` ranks the IMR90 test blocks below chance: methylation against CpG density.

Needs no workflow run: reads the cohort's count table and cuts chr22 into the config's held-out
blocks (config/real_imr90.yaml's split: 250 kb, validation 0.1, test 0.15, seed 0, random draw, read
from the config) with the pipeline's own split code, then, for the CpGs with at least the config's
min_coverage reads, prints per split
the share methylated (level > 0.5) and the AUROC of low CpG density (measured CpGs per 100 bp in the
500-bp window centred on the CpG, as the baseline's feature counts them on the stand-in sequence),
and the share methylated per density band:

    .venv/bin/python resources/real/imr90_hg38_chr22/density_probe.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

from epibench.codes import SPLITS
from epibench.data.splits import SplitMap, SplitSettings, plan_splits

HERE = Path(__file__).parent
CONFIG = HERE.parents[2] / "config" / "real_imr90.yaml"
WINDOW_BP = 500
BANDS = [(0, 1), (1, 2), (2, 4), (4, np.inf)]  # CpGs per 100 bp


def split_settings() -> SplitSettings:
    """The cohort config's held-out blocks (its split: block, shares, seed and draw)."""
    return SplitSettings(**yaml.safe_load(CONFIG.read_text())["split"])


def min_coverage() -> int:
    """The cohort config's ingest.min_coverage."""
    return int(yaml.safe_load(CONFIG.read_text())["ingest"]["min_coverage"])


def main() -> None:
    table = pd.read_csv(
        HERE / "Lister2009_imr90_hg38_chr22.unique.tab.gz",
        sep="\t",
        header=None,
        names=["chrom", "pos", "total", "meth"],
    )
    sizes = pd.read_csv(HERE / "hg38_chr22.chrom.sizes", sep="\t", header=None, index_col=0)[1].to_dict()
    plan, _ = plan_splits(sizes, split_settings())
    starts = np.sort(table["pos"].to_numpy() - 1)  # 0-based C of each measured CpG
    pos = table["pos"].to_numpy() - 1
    n_in_window = np.searchsorted(starts, pos + WINDOW_BP // 2) - np.searchsorted(
        starts, pos - WINDOW_BP // 2
    )
    table["density"] = 100 * n_in_window / WINDOW_BP
    table = table[table["total"] >= min_coverage()].copy()
    table["methylated"] = table["meth"] / table["total"] > 0.5
    table["split"] = [SPLITS[code] for code in SplitMap(plan).split_at("chr22", pos[table.index])]
    for split, rows in table.groupby("split", sort=False):
        auroc = roc_auc_score(rows["methylated"], -rows["density"])
        print(
            f"{split}: {len(rows)} CpGs, {rows['methylated'].mean():.3f} methylated, AUROC of low density {auroc:.3f}"
        )
        for low, high in BANDS:
            band = rows[(rows["density"] >= low) & (rows["density"] < high)]
            print(f"  {low}-{high} CpGs/100 bp: {len(band)} CpGs, {band['methylated'].mean():.3f} methylated")


if __name__ == "__main__":
    main()
