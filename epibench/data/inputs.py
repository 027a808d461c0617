"""The model inputs of shard rows, one provider per input stream; ``ShardDataset`` composes them.

Each provider reads CpGs given as shard-local chromosome codes ``chrom`` (n,) and positions ``pos``
(n,) bp of one shard (``shard``: its index, ``arrays``: its memory-mapped arrays, epibench.data.manifest)
and keeps only small, picklable state (DataLoader workers map the arrays themselves).

- ``SequenceWindows.windows``: (n, W) uint8 base codes of each CpG's window (epibench.codes).
- Channel providers (``channels``: their names; ``values``: (n, C, NB) float32 per window bin, NaN
  where missing), stacked in this order into the models' ``hist`` (B, M, NB):
  ``MarkChannels`` (histone signal, normalised per sample), ``SameTadChannel`` (1 where a bin lies
  in the CpG's own TAD), ``CovariateChannels`` (the sample's covariates, constant over the window).

A new input stream is one provider here and one line where the dataset lists its providers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from epibench.codes import SPLITS
from epibench.data.normalise import STATS_ROWS, log1p_signal, normalise, robust_stats
from epibench.data.row_index import RowIndex, split_runs
from epibench.data.windows import first_bins, window_starts
from epibench.errors import InputError
from epibench.io.genome_windows import GenomeWindows, fai_fingerprint

SAME_TAD = "same_tad"


class ShardGrid:
    """Where each CpG's window bins lie in the grid arrays of its shard (``hist``, ``tad_id``: one row
    per ``bin_size`` bp of each chromosome, the shard's chromosomes one after another)."""

    def __init__(self, manifests: list[dict]):
        first = manifests[0]
        self.window: int = first["window"]
        self.bin_size: int = first["bin_size"]
        self.n_bins: int = first["n_bins"]
        self.offset = [np.array([c["grid_offset"] for c in m["chroms"]], np.int64) for m in manifests]
        self.size = [np.array([c["n_grid"] for c in m["chroms"]], np.int64) for m in manifests]

    def window_rows(self, shard: int, chrom: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid rows (n, NB) int64 of each CpG's window bins, and (n, NB) bool: the bin lies on the
        sequence (rows outside point at row 0)."""
        bins = first_bins(pos, self.window, self.bin_size)[:, None] + np.arange(self.n_bins)
        inside = (bins >= 0) & (bins < self.size[shard][chrom][:, None])
        return np.where(inside, self.offset[shard][chrom][:, None] + bins, 0), inside

    def own_rows(self, shard: int, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Grid row (n,) of the bin holding each CpG."""
        own_bin = np.minimum(pos // self.bin_size, self.size[shard][chrom] - 1)
        return self.offset[shard][chrom] + own_bin


class SequenceWindows:
    """The reference windows around the CpGs, from the FASTA the shards were built on."""

    def __init__(self, shard_dirs: list[Path], manifests: list[dict]):
        self.window: int = manifests[0]["window"]
        self.genome = GenomeWindows(reference_path(shard_dirs[0], manifests[0]))
        self.sequence_index = [self.genome.index_of([c["name"] for c in m["chroms"]]) for m in manifests]

    def windows(self, shard: int, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(n, W) uint8 base codes, the CpG at W//2-1, W//2."""
        return self.genome.windows(
            self.sequence_index[shard][chrom], window_starts(pos, self.window), self.window
        )


def reference_path(shard_dir: Path, manifest: dict) -> Path:
    """The reference FASTA a shard names; InputError when it is gone or is not the one it was built from."""
    # `..` taken off as written, links kept (a linked genome.fa's .fai is the link beside it)
    path = Path(os.path.normpath(os.path.abspath(shard_dir / manifest["reference"]["fasta"])))
    if not path.exists():
        raise InputError(
            f"the shard's reference FASTA {path} does not exist (shards read their sequence from "
            "the cohort's results/<cohort>/reference/genome.fa: keep the results folder together)",
            path=shard_dir,
        )
    if Path(f"{path}.fai").exists() and fai_fingerprint(path) != manifest["reference"]["fai_sha256"]:
        raise InputError(
            f"the reference FASTA {path} is not the one the shard was built from (its .fai differs): "
            "rebuild the shards",
            path=shard_dir,
        )
    return path


class MarkChannels:
    """The histone marks' binned signal, normalised per sample (epibench.data.normalise): ``norm_stats``
    sample -> (centre, scale) per mark from up to STATS_ROWS of that sample's training rows."""

    def __init__(self, manifests: list[dict], arrays: list[dict], grid: ShardGrid, histone_norm: str):
        self.channels: list[str] = list(manifests[0]["marks"])
        self.grid = grid
        self.histone_norm = histone_norm
        self.samples = [m["sample"] for m in manifests]
        self.norm_stats = self._norm_stats(arrays)

    def raw(self, shard: int, arrays: dict, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(n, M, NB) float32 signal as stored, NaN = missing (no signal, or a bin beyond the sequence)."""
        grid_rows, inside = self.grid.window_rows(shard, chrom, pos)
        signal = arrays["hist"]
        n_bins = self.grid.n_bins
        hist = np.asarray(signal[grid_rows.ravel()], dtype=np.float32).reshape(
            len(pos), n_bins, signal.shape[1]
        )
        hist[~inside] = np.nan
        return hist.transpose(0, 2, 1)

    def values(self, shard: int, arrays: dict, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(n, M, NB) float32 normalised signal, NaN = missing."""
        centre, scale = self.norm_stats[self.samples[shard]]
        return normalise(self.raw(shard, arrays, chrom, pos), self.histone_norm, centre, scale)

    def _norm_stats(self, arrays: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        n_marks = len(self.channels)
        identity = (np.zeros(n_marks, np.float32), np.ones(n_marks, np.float32))
        samples = sorted(set(self.samples))
        if self.histone_norm != "robust":
            return dict.fromkeys(samples, identity)
        train = SPLITS.index("train")
        stats = {}
        for sample in samples:
            shards = [i for i, s in enumerate(self.samples) if s == sample]
            index = RowIndex([split_runs(arrays[i]["split"], train) for i in shards])
            if len(index) == 0:
                stats[sample] = identity
                continue
            rng = np.random.default_rng(0)
            picks = np.sort(rng.choice(len(index), size=min(len(index), STATS_ROWS), replace=False))
            local_shard, rows = index.locate(picks)
            raw = []
            for s in np.unique(local_shard):
                shard, picked = shards[s], rows[local_shard == s]
                chrom = np.asarray(arrays[shard]["chrom"][picked], dtype=np.int64)
                raw.append(self.raw(shard, arrays[shard], chrom, np.asarray(arrays[shard]["pos"][picked])))
            stats[sample] = robust_stats(log1p_signal(np.concatenate(raw)))
        return stats


class SameTadChannel:
    """With TADs (shards holding a ``tad_id`` grid): 1 where a window bin lies in the CpG's own TAD, 0
    elsewhere (also outside any TAD), NaN beyond the sequence. No channel without TADs."""

    def __init__(self, manifests: list[dict], grid: ShardGrid):
        self.channels: list[str] = [SAME_TAD] if "tad_id" in manifests[0]["arrays"] else []
        self.grid = grid

    def values(self, shard: int, arrays: dict, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        if not self.channels:
            return np.empty((len(pos), 0, self.grid.n_bins), np.float32)
        tad_id = arrays["tad_id"]
        grid_rows, inside = self.grid.window_rows(shard, chrom, pos)
        ids = np.asarray(tad_id[grid_rows.ravel()]).reshape(grid_rows.shape)
        own = np.asarray(tad_id[self.grid.own_rows(shard, chrom, pos)])
        same = np.where(inside, ((ids == own[:, None]) & (own[:, None] >= 0)).astype(np.float32), np.nan)
        return same[:, None, :]


class CovariateChannels:
    """The sample covariates (manifest ``covariates``: feature -> value, e.g. ``condition=tumour`` 1/0,
    ``purity`` 0.6) as constant channels; NaN (missing) where a sample's value is unknown."""

    def __init__(self, manifests: list[dict], n_bins: int):
        self.channels: list[str] = list(manifests[0].get("covariates", {}))
        self.n_bins = n_bins
        self.per_shard = [
            np.array([np.nan if v is None else v for v in m.get("covariates", {}).values()], np.float32)
            for m in manifests
        ]

    def values(self, shard: int, arrays: dict, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        values = self.per_shard[shard]
        return np.broadcast_to(values[None, :, None], (len(pos), len(values), self.n_bins))
