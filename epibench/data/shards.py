"""Build one shard: the CpGs of one sample on one shard group (a chromosome, or packed small ones).

Inputs: the sample's canonical CpG table (epibench.io.methylation), the cohort's region
table, the normalised reference, the sample's mark bigWigs and the cohort's split plan
(epibench.data.splits). Only the group's rows are read from the Parquet tables, and marks
are read in chunks, so memory is bounded by one chromosome's CpGs, never the genome.

What a shard stores (epibench.data.manifest has the layout):
- per CpG: position, chromosome, region class, level, label, coverage weight, split;
- per mark: the mean signal over a ``bin_size`` grid of each chromosome (NaN = missing),
  stored once, not once per overlapping window (epibench.data.windows); a cohort without marks
  stores a grid of zero columns;
- no sequence: windows are cut at load time from the reference (epibench.io.genome_windows),
  which the manifest names with its fingerprint;
- with ``neighbours`` K > 0 (the neighbour context), the sample's measured CpGs (epibench.data.neighbours):
  every reference CpG it has calls for, blacklisted ones left out but ambiguous ones kept, each under
  the split of its block, for the dataset to find each row's K nearest on either side.
CpGs are dropped, and counted, when they are not reference CpGs, are blacklisted, fall in
the ambiguous level band, or have a window that crosses a split boundary.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from epibench.data.manifest import (
    ARRAY_DTYPES,
    MANIFEST_NAME,
    NEIGHBOUR_ARRAY_DTYPES,
    OPTIONAL_ARRAY_DTYPES,
    SCHEMA_VERSION,
    sha256_of,
)
from epibench.data.neighbours import measured_arrays
from epibench.data.splits import DROPPED, SplitMap, check_block_size, read_split_plan
from epibench.data.windows import input_span
from epibench.errors import InputError
from epibench.io.atomic import atomic_dir
from epibench.io.genome_features import GenomeFeatures
from epibench.io.genome_windows import fai_fingerprint
from epibench.io.reference import Reference
from epibench.io.tracks import open_track
from epibench.codes import SPLITS

log = logging.getLogger(__name__)


@dataclass
class ShardSettings:
    """How CpGs become examples. Units: bp for window/bin_size; level thresholds are fractions 0-1."""

    window: int = 1000
    bin_size: int = 100
    label_threshold: float = 0.5
    ambiguous_band: tuple[float, float] | None = None
    weight_pseudocount: float = 5.0
    drop_blacklisted: bool = True
    neighbours: int = 0  # K measured CpGs on each side as the neighbour context (0: off)

    def __post_init__(self):
        if self.neighbours < 0:
            raise ValueError(f"neighbours must be >= 0, got {self.neighbours}")
        if self.window % 2 or self.window % self.bin_size:
            raise ValueError(
                f"window ({self.window}) must be even and a multiple of bin_size ({self.bin_size})"
            )


def _group_rows(
    path: str | Path, chroms: list[str], columns: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """chrom -> its rows of a Parquet table (without the chrom column), for the sequences ``chroms``,
    in one read (row groups of other sequences skipped): a packed group of a draft assembly holds
    hundreds of scaffolds, and a read per scaffold would scan the table each time."""
    read = None if columns is None else ["chrom", *columns]
    table = pq.read_table(path, columns=read, filters=[("chrom", "in", list(chroms))]).to_pandas()
    chrom = table.pop("chrom").astype(str)
    found = {name: rows.reset_index(drop=True) for name, rows in table.groupby(chrom.to_numpy(), sort=False)}
    return {name: found.get(name, table[:0]) for name in chroms}


def _chrom_cpgs(
    cpgs: pd.DataFrame | None,
    regions: pd.DataFrame,
    settings: ShardSettings,
    counts: dict[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the sample's kept CpGs of one sequence with their region class, its measured CpGs), both
    sorted by position, from its rows of the sample's CpG table (pos, n_total, level) and of the
    region table; without CpG rows (a sample to predict, no methylation calls) every reference
    CpG, level NaN, and no measured CpG. Measured: reference CpGs with calls, blacklisted ones
    dropped (as for the kept ones), those in the ambiguous band kept."""
    labelled = cpgs is not None
    if not labelled:
        cpgs = pd.DataFrame({"pos": regions["pos"], "n_total": 0, "level": np.float32(np.nan)})
    merged = cpgs.merge(regions, on="pos", how="inner")
    counts["not_reference_cpg"] += len(cpgs) - len(merged)
    if settings.drop_blacklisted and "blacklisted" in merged:
        counts["blacklisted"] += int(merged["blacklisted"].sum())
        merged = merged[~merged["blacklisted"]]
    merged = merged.sort_values("pos", kind="stable")
    measured = merged if labelled else merged[:0]
    if settings.ambiguous_band is not None:
        low, high = settings.ambiguous_band
        ambiguous = (merged["level"] > low) & (merged["level"] < high)
        counts["ambiguous"] += int(ambiguous.sum())
        merged = merged[~ambiguous]
    return merged, measured


def _cpg_arrays(cpgs: pd.DataFrame, split: np.ndarray, chrom_index: int, settings: ShardSettings) -> dict:
    """The per-CpG arrays (manifest.ARRAY_DTYPES but ``hist``) of one chromosome's kept CpGs."""
    level = cpgs["level"].to_numpy(np.float32)
    n_total = cpgs["n_total"].to_numpy(np.float32)
    return {
        "pos": cpgs["pos"].to_numpy(np.int64),
        "chrom": np.full(len(cpgs), chrom_index, dtype=np.int16),
        "region": cpgs["region"].to_numpy(np.int8),
        "level": level,
        "label": (level >= settings.label_threshold).astype(np.int8),
        "weight": n_total / (n_total + settings.weight_pseudocount),
        "split": split,
    }


def _grid(channels: list[np.ndarray], length: int, bin_size: int) -> np.ndarray:
    """The chromosome's channel grid (G, C) float32 from C channels of G = ceil(length / bin_size)
    bins each; with no channel (a cohort without marks) (G, 0), so grid offsets still count bins."""
    if not channels:
        return np.empty((-(-length // bin_size), 0), dtype=np.float32)
    return np.stack(channels, axis=1)


SEQUENCES_NAMED = 5  # sequences a warning names; the rest are counted
SEX_CHROMOSOMES = {"Y", "W"}  # a donor of one sex has none: the sequences the other sex's calls may have


def missing_track_cause(chroms: list[str]) -> str:
    """The likely causes of a track without values on ``chroms``: a donor of the other sex only where
    a Y (or W) chromosome is among them, as every donor has an X (or Z)."""
    bare = {(c[3:] if c[:3].lower() == "chr" else c).upper() for c in chroms}
    if bare & SEX_CHROMOSOMES:
        return "made on some chromosomes only, or from a donor of the other sex?"
    return "made on some chromosomes only, or cut to some?"


def _warn_marks_without_values(
    sample: str,
    mark_tracks: dict[str, str],
    marks_without_values: dict[str, list[str]],
    cpgs_without_values: dict[str, int],
    n_sequences: int,
) -> None:
    """One warning per mark whose track has no value on some of the shard's ``n_sequences``
    sequences with CpGs (``marks_without_values``: mark -> those sequences, the first few named)."""
    for mark, chroms in marks_without_values.items():
        named = ", ".join(chroms[:SEQUENCES_NAMED]) + (", ..." if len(chroms) > SEQUENCES_NAMED else "")
        log.warning(
            "%s's %s has no value on %d of the %d sequences with CpGs in this shard (%s; %s): their %d CpGs see the mark "
            "as missing; the track covers fewer sequences than the calls (%s)",
            sample,
            mark,
            len(chroms),
            n_sequences,
            named,
            mark_tracks[mark],
            cpgs_without_values[mark],
            missing_track_cause(chroms),
        )


def build_shard(
    cpg_table: str | Path | None,
    region_table: str | Path,
    fasta: str | Path,
    mark_tracks: dict[str, str | Path],
    split_plan: str | Path,
    chroms: list[str],
    out_dir: str | Path,
    sample: str,
    settings: ShardSettings,
    covariates: dict[str, float | None] | None = None,
    genome_features: GenomeFeatures | None = None,
) -> dict:
    """Write the shard folder ``out_dir`` for ``sample`` on the sequences ``chroms``; returns its manifest.

    mark_tracks: mark name -> bigWig path, in the order the model will see them; an empty path
    for a mark the sample lacks (its channel all missing); empty for a cohort without marks (with
    no 3D-genome channels either, ``hist`` is then (G, 0)).
    A sample with no CpG on these sequences gives a valid, empty shard; a sequence the plan leaves
    out (an organelle) gives none, its CpGs counted as ``left_out_sequence``. cpg_table None: a
    sample without methylation calls, to predict: every reference CpG, level NaN, label 0,
    weight 0 (manifest ``labelled`` False; such shards are never trained or scored on).
    covariates: the sample's covariate features (name -> number, None when unknown), which the
    dataset feeds the model as constant channels after the marks. genome_features: 3D-genome
    channels (TAD boundary, loop anchor distances) stored after the marks, as marks.
    """
    if len(chroms) > np.iinfo(np.dtype(ARRAY_DTYPES["chrom"])).max:
        raise InputError(
            f"{len(chroms):,} sequences in one shard: its CpGs index them as int16; split the group"
        )
    reference = Reference(fasta)
    known = set(reference.chroms)
    missing = [c for c in chroms if c not in known]
    if missing:
        raise InputError(f"sequences {missing[:5]} are not in the reference", path=fasta)
    plan = read_split_plan(split_plan)
    # the widest span: its length depends on pos mod bin_size (up to window + bin_size // 2)
    first, last = input_span(np.arange(settings.bin_size, dtype=np.int64), settings.window, settings.bin_size)
    check_block_size(plan, int((last - first).max()) + 1, split_plan)
    split_map = SplitMap(plan)
    tracks = [open_track(path, reference.chroms, reference.aliases) for path in mark_tracks.values()]
    counts = {
        "not_reference_cpg": 0,
        "blacklisted": 0,
        "ambiguous": 0,
        "crosses_split": 0,
        "left_out_sequence": 0,
    }
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ARRAY_DTYPES}
    if settings.neighbours:
        parts.update({name: [] for name in NEIGHBOUR_ARRAY_DTYPES})
    chrom_info = []
    marks_without_values: dict[str, list[str]] = {}  # mark -> sequences with CpGs its track has no value on
    cpgs_without_values: dict[str, int] = {}  # mark -> the CpGs on those sequences
    grid_offset = 0
    region_rows = _group_rows(region_table, chroms)
    cpg_rows = None if cpg_table is None else _group_rows(cpg_table, chroms, ["pos", "n_total", "level"])
    for chrom in chroms:
        cpgs, measured = _chrom_cpgs(
            None if cpg_rows is None else cpg_rows.pop(chrom), region_rows.pop(chrom), settings, counts
        )
        if split_map.is_left_out(chrom):  # an organelle (epibench.data.splits)
            counts["left_out_sequence"] += len(cpgs)
            continue

        first, last = input_span(cpgs["pos"].to_numpy(np.int64), settings.window, settings.bin_size)
        split = split_map.span_split(chrom, first, last)
        keep = split != DROPPED
        counts["crosses_split"] += int((~keep).sum())
        if not keep.any():
            continue
        length = reference.length(chrom)
        channels = [t.grid_means(chrom, length, settings.bin_size) for t in tracks]
        for (mark, path), channel in zip(mark_tracks.items(), channels):
            if path and np.isnan(channel).all():
                marks_without_values.setdefault(mark, []).append(chrom)
                cpgs_without_values[mark] = cpgs_without_values.get(mark, 0) + int(keep.sum())
        if genome_features is not None:
            channels += genome_features.grids(chrom, length, settings.bin_size)
            if genome_features.has_tads:
                parts.setdefault("tad_id", []).append(
                    genome_features.tad_ids(chrom, length, settings.bin_size)
                )
        grid = _grid(channels, length, settings.bin_size)
        parts["hist"].append(grid)
        for name, array in _cpg_arrays(cpgs[keep], split[keep], len(chrom_info), settings).items():
            parts[name].append(array)
        if settings.neighbours:
            for name, array in measured_arrays(measured, split_map, chrom, len(chrom_info)).items():
                parts[name].append(array)
        chrom_info.append(
            {
                "name": chrom,
                "length": length,
                "grid_offset": grid_offset,
                "n_grid": len(grid),
                "n_cpgs": int(keep.sum()),
            }
        )
        grid_offset += len(grid)
        log.info("%s %s: %d CpGs, %d grid bins", sample, chrom, int(keep.sum()), len(grid))
    for track in tracks:
        track.close()
    reference.close()
    _warn_marks_without_values(
        sample, mark_tracks, marks_without_values, cpgs_without_values, len(chrom_info)
    )
    split_codes = np.concatenate(parts["split"]) if parts["split"] else np.empty(0, np.int8)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "sample": sample,
        "marks": [*mark_tracks, *(genome_features.channels if genome_features else [])],
        "window": settings.window,
        "bin_size": settings.bin_size,
        "n_bins": settings.window // settings.bin_size,
        "chroms": chrom_info,
        "labelled": cpg_table is not None,
        "covariates": dict(covariates or {}),
        "label_threshold": settings.label_threshold,
        "ambiguous_band": settings.ambiguous_band,
        "neighbours": settings.neighbours,
        "marks_without_values": marks_without_values,
        "reference": {
            # the path as given, links kept: a reference linked from Snakemake's cache (`--cache`) is
            # `<hash>_fasta.fa` there, its .fai and alias table beside the link, not beside that file
            "fasta": os.path.relpath(os.path.abspath(fasta), os.path.abspath(out_dir)),
            "fai_sha256": fai_fingerprint(fasta),
        },
        "split_plan_sha256": sha256_of(Path(split_plan)),
        "counts": {
            "total": int(len(split_codes)),
            **{name: int((split_codes == code).sum()) for code, name in enumerate(SPLITS)},
            **counts,
        },
        "arrays": {},
    }
    with atomic_dir(out_dir) as tmp:
        optional = {name: dtype for name, dtype in OPTIONAL_ARRAY_DTYPES.items() if name in parts}
        for name, dtype in {**ARRAY_DTYPES, **optional}.items():
            shape = (0, len(manifest["marks"])) if name == "hist" else (0,)
            array = np.concatenate(parts[name]) if parts.get(name) else np.empty(shape)
            path = tmp / f"{name}.npy"
            np.save(path, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
            manifest["arrays"][name] = {
                "dtype": dtype,
                "shape": list(array.shape),
                "bytes": path.stat().st_size,
                "sha256": sha256_of(path),
            }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return manifest
