"""Per-sample QC of a canonical CpG table against the cohort region table: a summary table and a figure.

Inputs (CONTRACT items 1 and 2):

- ``cpgs``: the canonical CpG table of one sample (``epibench.io.methylation.ingest``):
  chrom, pos (0-based C), n_meth, n_total (reads, strands merged), level (0-1);
- ``regions``: the cohort region table (``epibench.io.regions.annotate_regions``): chrom,
  pos, region (index into ``epibench.codes.REGION_CLASSES``); other columns are ignored.

A CpG is matched to its region by (chrom, pos); a CpG absent from the region table (a
region table made from another reference) is counted as ``unannotated``.

``qc_table`` gives one row per group, in this order: ``all`` (every CpG), each class of
``REGION_CLASSES``, then ``unannotated`` (always present, usually 0 CpGs). Columns:

============================ ===============================================================
sample                       the sample name
region                       ``all``, a class name, or ``unannotated``
n_cpgs                       CpGs in the group
share_of_cpgs                n_cpgs / n_cpgs of ``all`` (NaN when the table is empty)
mean_coverage                mean n_total (reads per CpG)
median_coverage              median n_total
share_ge_10x                 share of CpGs with n_total >= 10 (``HIGH_DEPTH``)
mean_level                   mean methylation level
share_methylated             share of CpGs with level >= ``threshold`` (0.5, the default
                             label threshold of the shards)
============================ ===============================================================

Statistics of an empty group are NaN. With ``coverage_known=False`` (a bigWig ingested
without its ReadCoverage file: n_total then counts strand values, not reads) the three
coverage columns are NaN, and the figure says the coverage is unknown instead of
plotting it.

``plot_qc`` draws two panels, saved with ``epibench.io.figures.save_figure`` (PNG + PDF,
atomic): the coverage histogram (one bar per read count up to the 99.5th percentile, the
last bar collecting the rest; a line at 10x) and the methylation-level distribution per
region class (density over 20 bins of 0-1, one line per class, with its CpG count).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.io.figures import save_figure
from epibench.codes import REGION_CLASSES

HIGH_DEPTH = 10
DEFAULT_THRESHOLD = 0.5
UNANNOTATED = "unannotated"
GROUPS = ("all", *REGION_CLASSES, UNANNOTATED)
QC_COLUMNS = (
    "sample",
    "region",
    "n_cpgs",
    "share_of_cpgs",
    "mean_coverage",
    "median_coverage",
    "share_ge_10x",
    "mean_level",
    "share_methylated",
)
CPG_COLUMNS = ("chrom", "pos", "n_total", "level")
REGION_TABLE_COLUMNS = ("chrom", "pos", "region")
LEVEL_BINS = 20
COVERAGE_QUANTILE = 0.995
_POS_BITS = 34  # key = chromosome code << 34 | position (chromosomes < 17 Gb)


def region_of_cpgs(cpgs: pd.DataFrame, regions: pd.DataFrame) -> np.ndarray:
    """(N,) int8 region code of each row of ``cpgs`` (index into REGION_CLASSES), -1 where the region table lacks it."""
    _require(cpgs, ("chrom", "pos"), "CpG table")
    _require(regions, REGION_TABLE_COLUMNS, "region table")
    names = pd.unique(pd.concat([regions["chrom"], cpgs["chrom"]], ignore_index=True).astype(str))
    cpg_key = _keys(cpgs["chrom"], cpgs["pos"], names)
    region_key = _keys(regions["chrom"], regions["pos"], names)
    region_code = regions["region"].to_numpy(np.int8)
    if not len(region_key):
        return np.full(len(cpg_key), -1, dtype=np.int8)
    if len(region_key) > 1 and not (region_key[1:] > region_key[:-1]).all():
        order = np.argsort(region_key, kind="stable")
        region_key, region_code = region_key[order], region_code[order]
    index = np.searchsorted(region_key, cpg_key)
    found = index < len(region_key)
    found[found] = region_key[index[found]] == cpg_key[found]
    return np.where(found, region_code[np.minimum(index, len(region_key) - 1)], -1).astype(np.int8)


def qc_table(
    cpgs: pd.DataFrame,
    regions: pd.DataFrame,
    sample: str,
    threshold: float = DEFAULT_THRESHOLD,
    coverage_known: bool = True,
) -> pd.DataFrame:
    """Per-sample QC summary: one row per group of ``GROUPS`` with the columns ``QC_COLUMNS`` (module docstring)."""
    _require(cpgs, CPG_COLUMNS, "CpG table")
    region = region_of_cpgs(cpgs, regions)
    coverage = cpgs["n_total"].to_numpy(np.float64)
    level = cpgs["level"].to_numpy(np.float64)
    n_all = len(cpgs)
    rows = []
    for group in GROUPS:
        if group == "all":
            keep = np.ones(n_all, dtype=bool)
        elif group == UNANNOTATED:
            keep = region < 0
        else:
            keep = region == REGION_CLASSES.index(group)
        cov, lev = coverage[keep], level[keep]
        n = int(keep.sum())
        rows.append(
            {
                "sample": sample,
                "region": group,
                "n_cpgs": n,
                "share_of_cpgs": n / n_all if n_all else np.nan,
                "mean_coverage": _mean(cov) if coverage_known else np.nan,
                "median_coverage": float(np.median(cov)) if n and coverage_known else np.nan,
                "share_ge_10x": _mean(cov >= HIGH_DEPTH) if coverage_known else np.nan,
                "mean_level": _mean(lev),
                "share_methylated": _mean(lev >= threshold),
            }
        )
    return pd.DataFrame(rows, columns=list(QC_COLUMNS)).astype({"n_cpgs": np.int64})


def plot_qc(
    cpgs: pd.DataFrame,
    regions: pd.DataFrame,
    sample: str,
    stem: str | os.PathLike,
    threshold: float = DEFAULT_THRESHOLD,
    coverage_known: bool = True,
) -> list[Path]:
    """Coverage histogram and per-class methylation-level distributions of one sample; returns the PNG and PDF paths."""
    _require(cpgs, CPG_COLUMNS, "CpG table")
    region = region_of_cpgs(cpgs, regions)
    coverage = cpgs["n_total"].to_numpy(np.int64)
    level = cpgs["level"].to_numpy(np.float64)

    fig = Figure(figsize=(11, 4.2))
    ax_cov, ax_lev = fig.subplots(1, 2)
    fig.suptitle(f"{sample}: methylation QC ({len(cpgs):,} CpGs)")
    _coverage_panel(ax_cov, coverage, coverage_known)
    _level_panel(ax_lev, level, region, threshold)
    fig.tight_layout()
    return save_figure(fig, stem)


def _coverage_panel(ax, coverage: np.ndarray, coverage_known: bool) -> None:
    ax.set_title("coverage per CpG (strands merged)")
    ax.set_xlabel("reads per CpG")
    ax.set_ylabel("CpGs")
    if not coverage_known or not len(coverage):
        why = "coverage unknown (no read-depth input)" if not coverage_known else "no CpGs"
        ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
        return
    cap = max(int(np.ceil(np.quantile(coverage, COVERAGE_QUANTILE))), HIGH_DEPTH + 1)
    counts = np.bincount(np.minimum(coverage, cap), minlength=cap + 1)
    low = int(coverage.min())
    x = np.arange(low, cap + 1)
    ax.bar(x, counts[low:], width=1.0, color="#4C72B0", edgecolor="none")
    if coverage.max() > cap:
        ax.annotate(
            f"≥{cap}", (cap, counts[cap]), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8
        )
    share = float(np.mean(coverage >= HIGH_DEPTH))
    ax.axvline(
        HIGH_DEPTH - 0.5,
        color="#C44E52",
        linestyle="--",
        linewidth=1,
        label=f"{HIGH_DEPTH} reads: a depth yardstick,\nnot the filter (ingest.min_coverage)",
    )
    ax.legend(loc="center right", fontsize=8)
    ax.text(
        0.98,
        0.95,
        f"median {np.median(coverage):g}, mean {coverage.mean():.1f}\n{share:.1%} of CpGs ≥ {HIGH_DEPTH}x",
        ha="right",
        va="top",
        transform=ax.transAxes,
        fontsize=9,
    )


def _level_panel(ax, level: np.ndarray, region: np.ndarray, threshold: float) -> None:
    ax.set_title("methylation level per region class")
    ax.set_xlabel("methylation level (fraction)")
    ax.set_ylabel("density")
    edges = np.linspace(0.0, 1.0, LEVEL_BINS + 1)
    plotted = False
    for code, name in enumerate(REGION_CLASSES):
        values = level[region == code]
        if not len(values):
            continue
        density, _ = np.histogram(values, bins=edges, density=True)
        ax.stairs(density, edges, label=f"{name} (n={len(values):,})", linewidth=1.5)
        plotted = True
    unannotated = int((region < 0).sum())
    note = f"{unannotated:,} CpGs not in the region table" if unannotated else None
    ax.axvline(threshold, color="grey", linestyle=":", linewidth=1, label=f"methylated from {threshold:g}")
    ax.set_xlim(0, 1)
    if plotted:
        ax.legend(fontsize=8, title=note, title_fontsize=8, loc="best")
    else:
        ax.text(
            0.5,
            0.5,
            "\n".join(filter(None, ["no annotated CpGs", note])),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )


def _keys(chrom: pd.Series, pos: pd.Series, names: np.ndarray) -> np.ndarray:
    codes = pd.Categorical(chrom.astype(str), categories=names).codes.astype(np.int64)
    return (codes << _POS_BITS) | pos.to_numpy(np.int64)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; has {list(frame.columns)}")
