"""Variant effects on methylation: each variant's sites (epibench.variants.sites) predicted under REF and
ALT by a trained model with one sample's marks; the difference is the variant's predicted effect.

Every site is scored with the sample's channels (marks, TADs, covariates) at its position, as measured
on the reference, and its region class (``regions/cpg_regions.parquet``; a created CpG takes the class
of the nearest reference CpG). The reference prediction of a CpG does not depend on the variant, so it
is computed once per CpG however many variants reach it; windows go through the model in batches.

Effects table (``EFFECT_COLUMNS``), one row per variant and site: variant, chrom, variant_pos (1-based,
as in the VCF), ref, alt, cpg_pos (0-based C), distance (cpg_pos - variant's 0-based pos, bp), status
(kept / destroyed / created), region, level_ref, level_alt, delta_level = level_alt - level_ref,
prob_ref, prob_alt (probability methylated), delta_prob. Under the allele where a site is no CpG the
level and probability are NaN, and so are the deltas: created and destroyed CpGs are stated apart.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from epibench.codes import REGION_CLASSES
from epibench.data.dataset import ShardDataset
from epibench.errors import InputError
from epibench.models.base import model_inputs, predicted_on_host
from epibench.variants.sites import CREATED, DESTROYED, KEPT, stretch_bounds, variant_sites
from epibench.variants.vcf import MAX_ALLELE

log = logging.getLogger(__name__)

EFFECT_COLUMNS = (
    "variant",
    "chrom",
    "variant_pos",
    "ref",
    "alt",
    "cpg_pos",
    "distance",
    "status",
    "region",
    "level_ref",
    "level_alt",
    "delta_level",
    "prob_ref",
    "prob_alt",
    "delta_prob",
)


def collect_sites(
    variants: pd.DataFrame, dataset: ShardDataset
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every variant's sites: a table (variant row ``v``, chrom, cpg_pos, status) and their REF and ALT
    windows (S, W) uint8, in table order."""
    genome, window = dataset.sequence.genome, dataset.window
    tables, ref_windows, alt_windows = [], [], []
    for v, (chrom, pos, ref, alt) in enumerate(
        variants[["chrom", "pos", "ref", "alt"]].itertuples(index=False)
    ):
        start, end = stretch_bounds(int(pos), len(ref), window, MAX_ALLELE)
        stretch = genome.windows(genome.index_of([chrom]), [start], end - start)[0]
        sites = variant_sites(stretch, start, int(pos), ref, alt, window)
        tables.append(pd.DataFrame({"v": v, "chrom": chrom, "cpg_pos": sites.pos, "status": sites.status}))
        ref_windows.append(sites.ref_windows)
        alt_windows.append(sites.alt_windows)
    empty = np.empty((0, window), np.uint8)
    table = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=["v", "chrom", "cpg_pos", "status"])
    )
    return table, np.concatenate(ref_windows or [empty]), np.concatenate(alt_windows or [empty])


def region_codes(regions: pd.DataFrame, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(n,) int64 region class of each position: that of the reference CpG there, else of the nearest
    reference CpG of its sequence (``regions``: chrom, pos, region as regions/cpg_regions.parquet)."""
    out = np.full(len(pos), REGION_CLASSES.index("intergenic"), dtype=np.int64)
    for name in np.unique(chrom):
        rows = regions[regions["chrom"] == name].sort_values("pos")
        here = np.flatnonzero(chrom == name)
        if rows.empty:
            continue
        known = rows["pos"].to_numpy(np.int64)
        right = np.clip(np.searchsorted(known, pos[here]), 0, len(known) - 1)
        left = np.clip(right - 1, 0, len(known) - 1)
        nearest = np.where(np.abs(known[left] - pos[here]) <= np.abs(known[right] - pos[here]), left, right)
        out[here] = rows["region"].to_numpy(np.int64)[nearest]
    return out


def predict_windows(
    model: torch.nn.Module,
    seq: np.ndarray,
    hist: np.ndarray,
    region: np.ndarray,
    batch_size: int,
    progress: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted level and probability methylated, (n,) float32 each, of windows ``seq`` (n, W) uint8
    with channels ``hist`` (n, M, NB) float32 (NaN missing) and region codes (n,) int64."""
    level, prob = [np.empty(len(seq), np.float32) for _ in range(2)]
    starts = range(0, len(seq), batch_size)
    with torch.no_grad():
        for start in tqdm(starts, desc=progress, disable=not progress, mininterval=5):
            part = slice(start, start + batch_size)
            observed = ~np.isnan(hist[part])
            batch = {
                "seq": torch.from_numpy(np.ascontiguousarray(seq[part])),
                "hist": torch.from_numpy(np.where(observed, hist[part], 0.0).astype(np.float32)),
                "hist_mask": torch.from_numpy(observed),
                "region": torch.from_numpy(region[part]),
            }
            out = model(*model_inputs(batch))
            level[part], prob[part] = predicted_on_host(out)
    return level, prob


def score_variants(
    model: torch.nn.Module,
    dataset: ShardDataset,
    regions: pd.DataFrame,
    variants: pd.DataFrame,
    batch_size: int = 256,
) -> pd.DataFrame:
    """The effects table (module docstring) of ``variants`` (epibench.variants.vcf.VARIANT_COLUMNS)
    under ``model`` with ``dataset``'s channels (one sample's shards, every split)."""
    if getattr(model, "n_context", 0):
        raise InputError(
            "variant effects need a model without the neighbour context (its inputs would be the "
            "measured levels around the CpG, which a variant's allele does not change)"
        )
    model.eval()
    sites, ref_windows, alt_windows = collect_sites(variants, dataset)
    chrom = sites["chrom"].to_numpy(dtype=str)
    pos = sites["cpg_pos"].to_numpy(np.int64)
    region = region_codes(regions, chrom, pos)
    hist = np.empty((len(sites), len(dataset.marks), dataset.n_bins), np.float32)
    for name in np.unique(chrom):
        here = np.flatnonzero(chrom == name)
        hist[here] = dataset.channels_at(name, pos[here])

    status = sites["status"].to_numpy(dtype=str)
    level_ref, prob_ref = [np.full(len(sites), np.nan, np.float32) for _ in range(2)]
    on_ref = np.flatnonzero(status != CREATED)
    # one reference prediction per CpG: the first site of each (chrom, pos) stands for the others
    keys = pd.MultiIndex.from_arrays([chrom[on_ref], pos[on_ref]])
    first = on_ref[~keys.duplicated()]
    level, prob = predict_windows(
        model, ref_windows[first], hist[first], region[first], batch_size, "variants: reference alleles"
    )
    shared = pd.DataFrame({"level": level, "prob": prob}, index=keys[~keys.duplicated()])
    level_ref[on_ref] = shared.loc[keys, "level"].to_numpy()
    prob_ref[on_ref] = shared.loc[keys, "prob"].to_numpy()

    level_alt, prob_alt = [np.full(len(sites), np.nan, np.float32) for _ in range(2)]
    on_alt = np.flatnonzero(status != DESTROYED)
    level_alt[on_alt], prob_alt[on_alt] = predict_windows(
        model, alt_windows[on_alt], hist[on_alt], region[on_alt], batch_size, "variants: alternative alleles"
    )
    of_variant = variants.iloc[sites["v"].to_numpy(np.int64)].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "variant": of_variant["variant"],
            "chrom": chrom,
            "variant_pos": of_variant["pos"].to_numpy(np.int64) + 1,
            "ref": of_variant["ref"],
            "alt": of_variant["alt"],
            "cpg_pos": pos,
            "distance": pos - of_variant["pos"].to_numpy(np.int64),
            "status": status,
            "region": np.asarray(REGION_CLASSES, dtype=object)[region],
            "level_ref": level_ref,
            "level_alt": level_alt,
            "delta_level": level_alt - level_ref,
            "prob_ref": prob_ref,
            "prob_alt": prob_alt,
            "delta_prob": prob_alt - prob_ref,
        }
    )
    return table[list(EFFECT_COLUMNS)]


SUMMARY_COLUMNS = (
    "variant",
    "chrom",
    "variant_pos",
    "ref",
    "alt",
    "cpgs_scored",
    "max_abs_delta_level",
    "delta_level_at_max",
    "cpg_pos_at_max",
    "cpgs_affected",
    "cpgs_created",
    "cpgs_destroyed",
)


# |delta level| (fraction) from which a CpG counts as changed by a variant (summary's cpgs_affected)
AFFECTED = 0.05


def summarise(variants: pd.DataFrame, effects: pd.DataFrame, affected: float = AFFECTED) -> pd.DataFrame:
    """One row per variant (``SUMMARY_COLUMNS``, in the variants' order, sorted by max |delta level|
    descending): CpGs scored under both alleles, the largest |delta level| (signed value and CpG), CpGs
    with |delta level| >= ``affected``, CpGs created and destroyed. A variant without sites has 0 CpGs
    and NaN effect."""
    rows = []
    by_variant = dict(tuple(effects.groupby("variant", sort=False)))
    for variant in variants.itertuples(index=False):
        sites = by_variant.get(variant.variant, effects.iloc[:0])
        kept = sites[sites["status"] == KEPT]
        size = kept["delta_level"].abs()
        at_max = kept.loc[size.idxmax()] if len(kept) else None
        rows.append(
            {
                "variant": variant.variant,
                "chrom": variant.chrom,
                "variant_pos": variant.pos + 1,
                "ref": variant.ref,
                "alt": variant.alt,
                "cpgs_scored": len(kept),
                "max_abs_delta_level": float(size.max()) if len(kept) else np.nan,
                "delta_level_at_max": float(at_max["delta_level"]) if at_max is not None else np.nan,
                "cpg_pos_at_max": int(at_max["cpg_pos"]) if at_max is not None else -1,
                "cpgs_affected": int((size >= affected).sum()),
                "cpgs_created": int((sites["status"] == CREATED).sum()),
                "cpgs_destroyed": int((sites["status"] == DESTROYED).sum()),
            }
        )
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return table.sort_values("max_abs_delta_level", ascending=False, kind="stable", na_position="last")
