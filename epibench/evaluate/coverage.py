"""Evaluation by read depth: does a model do as well on CpGs read 5 times as on those read 50 times?

The read depth of a test CpG (``n_total``, both strands merged) comes from its sample's canonical
CpG tables (``methylation/<sample>/cpgs/<group>.parquet``, as the workflow writes them). The test
CpGs fall in fixed depth bands (``DEPTH_EDGES``: 1-4, 5-9, 10-19, 20-49, >= 50 reads), the same for
every cohort so tables compare across cohorts; each model is scored per band with
``epibench.evaluate.strata.stratified_table``. An observed level read from few reads is a noisy
label, so a drop at low depth is expected of every model alike; a model that falls only at high
depth has learnt something else. A cohort of fractions without read counts (a Roadmap bigWig without
its coverage) counts one read per strand value: all its CpGs are in the first band.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from epibench.errors import InputError

DEPTH_EDGES = (1, 5, 10, 20, 50)  # lower edge of each band, in reads
DEPTH_COVARIATE = "read depth"


def band_labels(edges: tuple[int, ...] = DEPTH_EDGES) -> list[str]:
    """One label per band: "1-4", "5-9", ..., ">= 50"."""
    return [f"{low}-{high - 1}" for low, high in zip(edges, edges[1:])] + [f">= {edges[-1]}"]


def depth_bands(depth: np.ndarray, edges: tuple[int, ...] = DEPTH_EDGES) -> np.ndarray:
    """(n,) int64 band of each read depth (index into ``band_labels``); depth below edges[0] -> -1."""
    return np.searchsorted(np.asarray(edges), np.asarray(depth), side="right").astype(np.int64) - 1


def sample_of_table(path: str | Path) -> str:
    """The sample of a canonical CpG table at ``.../methylation/<sample>/cpgs/<group>.parquet``."""
    return Path(path).parent.parent.name


def read_depths(cpg_tables: list[str | Path]) -> pd.DataFrame:
    """sample, chrom, pos, n_total of every CpG of the canonical tables (sample from each path)."""
    frames = []
    for path in cpg_tables:
        table = pd.read_parquet(path, columns=["chrom", "pos", "n_total"])
        frames.append(table.assign(sample=sample_of_table(path)))
    if not frames:
        return pd.DataFrame({"sample": [], "chrom": [], "pos": [], "n_total": []})
    return pd.concat(frames, ignore_index=True)


def with_depth(preds: pd.DataFrame, depths: pd.DataFrame) -> pd.DataFrame:
    """``preds`` with the read depth (``n_total``) of each row's CpG, in the same row order.

    Raises InputError naming the first row whose CpG is in no table (predictions of another run).
    """
    keys = ["sample", "chrom", "pos"]
    joined = preds.merge(
        depths[[*keys, "n_total"]].astype({"chrom": str}), on=keys, how="left", validate="m:1"
    )
    missing = joined["n_total"].isna().to_numpy()
    if missing.any():
        row = joined[missing].iloc[0]
        raise InputError(
            f"{int(missing.sum())} predicted CpGs are in no CpG table given, first {row['model']} "
            f"{row['sample']} {row['chrom']}:{row['pos']} (predictions and tables of different runs?)"
        )
    return joined


def depth_strata(depth: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """(DEPTH_COVARIATE, band label, (n,) bool rows in the band) for every band holding a row."""
    bands = depth_bands(depth)
    return [
        (DEPTH_COVARIATE, label, bands == band)
        for band, label in enumerate(band_labels())
        if (bands == band).any()
    ]
