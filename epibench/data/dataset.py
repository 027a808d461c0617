"""A torch Dataset over shard folders (memory-mapped; rows of one split).

One item is a dict of tensors (no batch dim):
  seq (W,) int64 base codes; hist (M, NB) float32, log1p signal with missing bins set to 0;
  hist_mask (M, NB) bool, True where observed; region () int64; level () float32;
  label () float32; weight () float32; index () int64 (row in the dataset, to join predictions back).
With ``reverse_complement_prob`` > 0, an item is reverse-complemented at random: the sequence is
reversed and complemented (A<->T, C<->G, N stays), and the histone bins are reversed; the CpG
stays at indices W//2-1, W//2. The coin is torch's RNG, which the DataLoader seeds per worker
from its generator, so augmentation is reproducible for a seeded loader and differs per worker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from epibench.data.manifest import check_compatible, open_arrays, read_manifest
from epibench.errors import InputError
from epibench.vocab import SPLITS

# code -> code of the complementary base (A<->T, C<->G, N->N)
COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.int64)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of base codes along the last axis."""
    return COMPLEMENT[codes[..., ::-1]]


class ShardDataset(Dataset):
    """Rows of ``split`` ("train", "val", "test") across the given shard folders."""

    def __init__(
        self,
        shard_dirs: list[str | Path],
        split: str,
        reverse_complement_prob: float = 0.0,
    ):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if not shard_dirs:
            raise InputError("no shard folders given")
        self.shard_dirs = [Path(d) for d in shard_dirs]
        self.manifests = [read_manifest(d) for d in self.shard_dirs]
        check_compatible(self.manifests, self.shard_dirs)
        self.marks: list[str] = self.manifests[0]["marks"]
        self.window: int = self.manifests[0]["window"]
        self.bin_size: int = self.manifests[0]["bin_size"]
        self.n_bins: int = self.manifests[0]["n_bins"]
        self.arrays = [open_arrays(d, m) for d, m in zip(self.shard_dirs, self.manifests)]
        code = SPLITS.index(split)
        per_shard = [np.flatnonzero(np.asarray(a["split"]) == code) for a in self.arrays]
        self.shard_of_row = np.concatenate(
            [np.full(len(rows), i, dtype=np.int32) for i, rows in enumerate(per_shard)]
        )
        self.row_in_shard = np.concatenate(per_shard).astype(np.int64)
        self.reverse_complement_prob = reverse_complement_prob

    def __len__(self) -> int:
        return len(self.row_in_shard)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        arrays = self.arrays[self.shard_of_row[index]]
        row = self.row_in_shard[index]
        seq = np.asarray(arrays["seq"][row], dtype=np.int64)
        hist = np.array(arrays["hist"][row], dtype=np.float32)
        observed = ~np.isnan(hist)
        hist = np.where(observed, np.log1p(np.clip(hist, 0.0, None)), 0.0).astype(np.float32)
        if self.reverse_complement_prob and torch.rand(()) < self.reverse_complement_prob:
            seq = reverse_complement_codes(seq)
            hist, observed = hist[:, ::-1].copy(), observed[:, ::-1].copy()
        return {
            "seq": torch.from_numpy(np.ascontiguousarray(seq)),
            "hist": torch.from_numpy(hist),
            "hist_mask": torch.from_numpy(observed),
            "region": torch.tensor(int(arrays["region"][row]), dtype=torch.int64),
            "level": torch.tensor(float(arrays["level"][row]), dtype=torch.float32),
            "label": torch.tensor(float(arrays["label"][row]), dtype=torch.float32),
            "weight": torch.tensor(float(arrays["weight"][row]), dtype=torch.float32),
            "index": torch.tensor(index, dtype=torch.int64),
        }

    def rows_table(self) -> dict[str, np.ndarray]:
        """Identity of every row, for joining predictions: sample, chrom, pos, region code."""
        samples, chroms, pos, region = [], [], [], []
        for shard_index, (manifest, arrays) in enumerate(zip(self.manifests, self.arrays)):
            rows = self.row_in_shard[self.shard_of_row == shard_index]
            samples.append(np.full(len(rows), manifest["sample"], dtype=object))
            chroms.append(np.asarray(manifest["chroms"], dtype=object)[np.asarray(arrays["chrom"][rows])])
            pos.append(np.asarray(arrays["pos"][rows]))
            region.append(np.asarray(arrays["region"][rows]))
        return {
            "sample": np.concatenate(samples),
            "chrom": np.concatenate(chroms),
            "pos": np.concatenate(pos),
            "region": np.concatenate(region),
        }
