"""Build one sample's shard: per-CpG sequence windows, binned marks, region, targets, split.

Reads the canonical CpG table (see epibench.io.methylation) and the cohort's region table,
cuts windows chromosome by chromosome (memory bounded by one chromosome), and writes
memory-mappable .npy arrays plus a manifest (epibench.data.manifest) atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.data.manifest import ARRAY_DTYPES, MANIFEST_NAME, SCHEMA_VERSION, sha256_of
from epibench.data.windows import binned_window_means, sequence_windows
from epibench.errors import InputError
from epibench.io.atomic import atomic_dir
from epibench.io.reference import Reference
from epibench.io.tracks import Track
from epibench.vocab import SPLITS

log = logging.getLogger(__name__)


@dataclass
class ShardSettings:
    """How CpGs become examples. Units: bp for window/bin_size; level thresholds are fractions 0-1."""

    window: int = 1000
    bin_size: int = 100
    label_threshold: float = 0.5
    ambiguous_band: tuple[float, float] | None = None
    weight_pseudocount: float = 5.0
    val_chroms: list[str] = field(default_factory=list)
    test_chroms: list[str] = field(default_factory=list)

    def split_of(self, chrom: str) -> int:
        """Split code of a chromosome: held-out val/test chromosomes, train otherwise."""
        if chrom in self.test_chroms:
            return SPLITS.index("test")
        if chrom in self.val_chroms:
            return SPLITS.index("val")
        return SPLITS.index("train")


def _chrom_arrays(
    cpgs: pd.DataFrame, chrom: str, reference: Reference, tracks: list[Track], settings: ShardSettings
) -> dict[str, np.ndarray]:
    """All per-CpG arrays for the CpGs of one chromosome."""
    pos = cpgs["pos"].to_numpy(np.int64)
    length = reference.length(chrom)
    hist = np.stack(
        [
            binned_window_means(track.values(chrom, length), pos, settings.window, settings.bin_size)
            for track in tracks
        ],
        axis=1,
    )
    level = cpgs["level"].to_numpy(np.float32)
    n_total = cpgs["n_total"].to_numpy(np.float32)
    return {
        "seq": sequence_windows(reference.codes(chrom), pos, settings.window),
        "hist": hist,
        "region": cpgs["region"].to_numpy(np.int8),
        "level": level,
        "label": (level >= settings.label_threshold).astype(np.int8),
        "weight": (n_total / (n_total + settings.weight_pseudocount)).astype(np.float32),
        "pos": pos,
        "split": np.full(len(pos), settings.split_of(chrom), dtype=np.int8),
    }


def build_shard(
    cpg_table: str | Path,
    region_table: str | Path,
    fasta: str | Path,
    mark_tracks: dict[str, str | Path],
    out_dir: str | Path,
    sample: str,
    settings: ShardSettings,
) -> dict:
    """Write the shard folder ``out_dir`` for one sample; returns its manifest.

    mark_tracks: mark name -> bigWig path, in the order the model will see them.
    CpGs of the sample that are not CpGs of the reference's region table are dropped and counted.
    """
    cpgs = pd.read_parquet(cpg_table)
    regions = pd.read_parquet(region_table)
    merged = cpgs.merge(regions, on=["chrom", "pos"], how="inner")
    n_not_reference_cpg = len(cpgs) - len(merged)
    if settings.ambiguous_band is not None:
        low, high = settings.ambiguous_band
        merged = merged[(merged["level"] <= low) | (merged["level"] >= high)]
    if merged.empty:
        raise InputError("no CpG of this sample is left to build a shard from", path=cpg_table)
    reference = Reference(fasta)
    chroms = [c for c in reference.chroms if c in set(merged["chrom"])]
    tracks = [Track(path, reference_names=reference.chroms) for path in mark_tracks.values()]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ARRAY_DTYPES}
    for chrom_index, chrom in enumerate(chroms):
        chrom_cpgs = merged[merged["chrom"] == chrom].sort_values("pos")
        arrays = _chrom_arrays(chrom_cpgs, chrom, reference, tracks, settings)
        arrays["chrom"] = np.full(len(chrom_cpgs), chrom_index, dtype=np.int16)
        for name, array in arrays.items():
            parts[name].append(array)
        log.info("%s %s: %d CpGs", sample, chrom, len(chrom_cpgs))
    for track in tracks:
        track.close()
    split = np.concatenate(parts["split"])
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "sample": sample,
        "marks": list(mark_tracks),
        "window": settings.window,
        "bin_size": settings.bin_size,
        "n_bins": settings.window // settings.bin_size,
        "chroms": chroms,
        "label_threshold": settings.label_threshold,
        "ambiguous_band": settings.ambiguous_band,
        "split_chroms": {"val": settings.val_chroms, "test": settings.test_chroms},
        "counts": {
            "total": int(len(split)),
            **{name: int((split == code).sum()) for code, name in enumerate(SPLITS)},
            "not_reference_cpg": int(n_not_reference_cpg),
        },
        "arrays": {},
    }
    with atomic_dir(out_dir) as tmp:
        for name, dtype in ARRAY_DTYPES.items():
            array = np.concatenate(parts[name]).astype(dtype, copy=False)
            path = tmp / f"{name}.npy"
            np.save(path, array, allow_pickle=False)
            manifest["arrays"][name] = {
                "dtype": dtype,
                "shape": list(array.shape),
                "bytes": path.stat().st_size,
                "sha256": sha256_of(path),
            }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return manifest
