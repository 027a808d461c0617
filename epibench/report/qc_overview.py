"""The report's QC section for a cohort of any size: one table of every sample's ingest at a
glance, then each sample's files together (its ingest record, QC figure and table), folded under a
line of its own where the cohort has more than ``UNFOLDED_SAMPLES`` samples."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.data.groups import read_groups
from epibench.data.manifest import MANIFEST_NAME
from epibench.evaluate.samples import ingest_fields
from epibench.report.summary import Fold, Item, Note, Overview

UNFOLDED_SAMPLES = 4  # a cohort of more shows each sample's QC files folded
WARNING_CHARS = 80  # of a sample's first warning in the overview (the whole in its ingest record)
SHOWN_GAPS = 3  # sequences named per mark in the overview's marks_without_values cell


def qc_overview(ingest_qcs: dict[str, dict], gaps: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per sample (``ingest_qcs``: sample -> its ``qc/<sample>.ingest.json``): its files, CpGs
    kept, mean read depth of those (NaN where the files give no depth), share of CpGs dropped below
    the minimum coverage, share of calls on a reference CG, the lowest Pearson r between its files,
    what its ingest warned of (``warnings_cell``) and, where any sample has one (``gaps``: sample ->
    ``mark_gaps_cell``), the marks without a value on sequences with CpGs."""
    rows = []
    for sample, qc in ingest_qcs.items():
        fields = ingest_fields(qc)
        rows.append(
            {
                "sample": sample,
                "files": fields["n_files"],
                "cpgs_kept": qc["n_kept"],
                "mean_depth": qc["mean_coverage"] if qc.get("coverage_known", True) else np.nan,
                "share_below_min_coverage": fields["share_below_min_coverage"],
                "cg_share": qc["cg_share"],
                "replicate_pearson": fields["replicate_pearson"],
                "warnings": warnings_cell(qc["warnings"]),
            }
        )
    table = pd.DataFrame(rows)
    if gaps and any(gaps.values()) and len(table):
        table["marks_without_values"] = table["sample"].map(gaps).fillna("")
    return table


def mark_gaps_cell(manifests: list[dict]) -> str:
    """The overview's cell of a sample's marks that have no value on some sequences with CpGs (its
    shards' ``marks_without_values``, over every shard group): "H3K4me1: chrX; H3K27ac: chr7, chr11, chrX
    and 2 more", "" where every mark has values wherever the sample has CpGs. Those CpGs see the mark
    as missing (masked), not as zero."""
    gaps: dict[str, list[str]] = {}
    for manifest in manifests:
        for mark, chroms in manifest.get("marks_without_values", {}).items():
            gaps.setdefault(mark, []).extend(chroms)
    return "; ".join(
        f"{mark}: {', '.join(chroms[:SHOWN_GAPS])}"
        + (f" and {len(chroms) - SHOWN_GAPS} more" if len(chroms) > SHOWN_GAPS else "")
        for mark, chroms in gaps.items()
    )


def _mark_gaps(results: Path, samples: list[str]) -> dict[str, str]:
    """sample -> ``mark_gaps_cell`` of the manifests of its shard folders under ``results`` of the shard
    plan's groups (a folder of an earlier plan's group is left; "" where there are none)."""
    plan = results / "shards" / "plan" / "groups.tsv"
    groups = read_groups(plan) if plan.exists() else {}
    cells = {}
    for sample in samples:
        paths = [results / "shards" / sample / group / MANIFEST_NAME for group in groups]
        cells[sample] = mark_gaps_cell([json.loads(path.read_text()) for path in paths if path.exists()])
    return cells


def warnings_cell(warnings: list[str]) -> str:
    """The overview's cell of a sample's ingest warnings: "" for none, else the first one's opening
    words (at most ``WARNING_CHARS`` characters, cut at a word, "..." where cut) and how many more
    there are."""
    if not warnings:
        return ""
    first = textwrap.shorten(warnings[0], WARNING_CHARS, placeholder="...")
    return first + (f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else "")


def qc_by_sample(
    items: list[Item | Note], results: Path, order: list[str] | None = None
) -> list[Item | Note | Overview | Fold]:
    """The QC section's ``items`` (``Item.sample`` set on a sample's own files) as the overview of the
    samples with an ingest record under ``results``, the cohort's files, then each sample's files;
    samples in ``order`` (the sheet's) where given, else as ``items`` name them."""
    cohort = [item for item in items if not getattr(item, "sample", "")]
    named = list(dict.fromkeys(item.sample for item in items if getattr(item, "sample", "")))
    samples = [s for s in order if s in named] if order is not None else named
    ingest = {s: results / "qc" / f"{s}.ingest.json" for s in samples}
    overview = qc_overview(
        {s: json.loads(path.read_text()) for s, path in ingest.items() if path.exists()},
        _mark_gaps(results, samples),
    )
    grouped: list[Item | Note | Overview | Fold] = []
    if len(overview):
        grouped.append(
            Overview(
                overview,
                "Every sample's ingest at a glance: files pooled, CpGs kept, their mean read depth, the share "
                "dropped below ingest.min_coverage, the share of calls on a reference CG, the lowest Pearson r "
                "between two of its files (- for one file), the opening of its first warning (each whole in "
                "its ingest record below) and, where a sample has them, the marks whose track has no value on "
                "sequences with CpGs (there those CpGs see the mark as missing, not zero: a track made on some "
                "chromosomes only, or a donor without a Y). Counted over every sequence as ingested, the mitochondrion's too "
                "(often far deeper: a small cohort's mean depth shows it); each sample's QC table leaves out "
                "the sequences in no split.",
            )
        )
    grouped += cohort
    folded = len(samples) > UNFOLDED_SAMPLES
    for sample in samples:
        own = [item for item in items if getattr(item, "sample", "") == sample]
        grouped.append(Fold(f"Sample {sample}: ingest record, QC figure and table", own, folded))
    return grouped
