"""The shard manifest: what a shard folder holds, checked before any training starts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from epibench.errors import InputError

SCHEMA_VERSION = 2
MANIFEST_NAME = "manifest.json"
# name -> dtype of every array in a shard. "hist" is (G, marks): the mean signal of each
# grid bin of every chromosome (manifest["chroms"][i]["grid_offset"] onwards, NaN = missing),
# (G, 0) for a cohort without marks; the others are per CpG, (N,).
ARRAY_DTYPES = {
    "hist": "float32",
    "pos": "int64",  # 0-based + strand C
    "chrom": "int16",  # index into manifest["chroms"]
    "region": "int8",  # (N,) epibench.codes.REGION_CLASSES code
    "level": "float32",  # (N,) observed methylation level 0-1
    "label": "int8",  # (N,) 1 = methylated (level >= threshold)
    "weight": "float32",  # (N,) coverage weight n / (n + k)
    "split": "int8",  # (N,) epibench.codes.SPLITS code
}
# with the neighbour context (manifest "neighbours" > 0): the sample's measured CpGs (epibench.data.neighbours)
NEIGHBOUR_ARRAY_DTYPES = {
    "nbr_key": "int64",  # (K,) sorted: chromosome index, split code and position in one number
    "nbr_level": "float32",  # (K,) observed methylation level 0-1
    "nbr_total": "float32",  # (K,) read depth
}
# arrays only some shards have: the TAD of each grid bin (G,), -1 outside (epibench.io.genome_features)
OPTIONAL_ARRAY_DTYPES = {"tad_id": "int32", **NEIGHBOUR_ARRAY_DTYPES}


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(shard_dir: str | Path) -> dict:
    """Load and check a shard folder's manifest: schema version and array files present with the right size."""
    shard_dir = Path(shard_dir)
    path = shard_dir / MANIFEST_NAME
    if not path.exists():
        raise InputError(
            "shard folder has no manifest.json (incomplete or not a shard)",
            path=shard_dir,
        )
    manifest = json.loads(path.read_text())
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"shard schema version {version}, this epibench reads {SCHEMA_VERSION}: rebuild the shards",
            path=path,
        )
    for name, info in manifest["arrays"].items():
        array_path = shard_dir / f"{name}.npy"
        if not array_path.exists() or array_path.stat().st_size != info["bytes"]:
            raise InputError(f"array {name}.npy is missing or truncated", path=shard_dir)
    return manifest


def open_arrays(shard_dir: str | Path, manifest: dict) -> dict[str, np.ndarray]:
    """Memory-map every array of a checked shard (read-only, no pickle)."""
    return {
        name: np.load(Path(shard_dir) / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        for name in manifest["arrays"]
    }


def check_compatible(manifests: list[dict], sources: list) -> None:
    """Stop before training when shards disagree on marks, window or bins."""
    first = manifests[0]
    for manifest, source in zip(manifests[1:], sources[1:]):
        for key in COMPATIBLE_KEYS:
            if _setting(manifest, key) != _setting(first, key):
                raise InputError(
                    f"shard {key} {_setting(manifest, key)!r} differs from {_setting(first, key)!r} in "
                    f"{sources[0]}: all shards of one training set must be built with the same settings",
                    path=source,
                )


# Settings every shard of one training set shares: same inputs, same reference, same held-out data.
COMPATIBLE_KEYS = (
    "marks",
    "covariate channels",
    "window",
    "bin_size",
    "label_threshold",
    "ambiguous_band",
    "neighbours",
    "reference genome",
    "split plan",
)


def _setting(manifest: dict, key: str):
    if key == "reference genome":
        return manifest["reference"]["fai_sha256"]
    if key == "split plan":
        return manifest["split_plan_sha256"]
    if key == "covariate channels":
        return list(manifest.get("covariates", {}))
    if key == "neighbours":
        return manifest.get("neighbours", 0)
    return manifest[key]
