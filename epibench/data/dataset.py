"""A torch Dataset over shard folders: the rows of one split, gathered a batch at a time.

Every array stays memory-mapped (shards: epibench.data.manifest; sequence: the reference,
epibench.io.genome_windows) and a batch is one vectorised gather per shard it touches, so
reading costs no per-sample Python. ``__getitems__`` (what torch's DataLoader calls with a
batch of indices) returns a dict of batched tensors:

  seq (B, W) uint8 base codes (8x less to copy between processes and to the GPU than int64;
  the models' one-hot layer takes them as they are); hist (B, M, NB) float32 normalised
  signal, missing bins 0;
  hist_mask (B, M, NB) bool, True where observed; region (B,) int64; level (B,) float32;
  label (B,) float32; weight (B,) float32; index (B,) int64 (row in the dataset, to join
  predictions back); with the neighbour context (shards built with ``neighbours`` K > 0,
  epibench.data.neighbours) also nbr (B, 2K, 3) float32 (level, log10 coverage, log10 distance of
  the K nearest measured CpGs on each side, in genome order; missing 0) and nbr_mask (B, 2K) bool.

Each input stream is a provider (epibench.data.inputs: the sequence windows, then the channels of
hist in order: marks, same_tad, covariates); the dataset gathers rows and stacks what they give.
Reverse complement (``BatchRequest.flip``): the sequence is reversed and complemented
(A<->T, C<->G, N stays), the histone bins and the neighbour tokens reversed; the CpG stays at
W//2-1, W//2.
Missing marks: a mark of a row is missing (hist 0, hist_mask False) where the shards have
no signal, where ``BatchRequest.drop`` says so (mark dropout) and for ``hide_marks``.
Sample covariates (manifest ``covariates``: feature name -> value, e.g. ``condition=tumour``
1/0, ``purity`` 0.6) follow the marks as constant channels, so M counts marks + covariates
(``marks`` lists both, ``mark_channels.channels`` the marks alone); an unknown value is missing.
A cohort without marks, covariates or 3D-genome channels has M = 0: hist and hist_mask are
(B, 0, NB), and the models read the sequence alone.
Histone normalisation: epibench.data.normalise, statistics per sample from its training rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from epibench.codes import SPLITS
from epibench.data.inputs import CovariateChannels, MarkChannels, SameTadChannel, SequenceWindows, ShardGrid
from epibench.data.manifest import check_compatible, open_arrays, read_manifest
from epibench.data.neighbours import NeighbourContext
from epibench.data.normalise import HISTONE_NORMS
from epibench.data.row_index import RowIndex, split_runs
from epibench.errors import InputError

# code -> code of the complementary base (A<->T, C<->G, N->N)
COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of base codes along the last axis."""
    return COMPLEMENT[codes[..., ::-1]]


@dataclass
class BatchRequest:
    """Dataset indices of one batch, which of them to reverse-complement ((B,) bool) and, when
    given, which marks of each row to treat as missing ((B, M) bool: mark dropout in training)."""

    indices: np.ndarray
    flip: np.ndarray
    drop: np.ndarray | None = None


EVERY_SPLIT = "all"


class ShardDataset(Dataset):
    """Rows of ``split`` ("train", "val", "test", or "all" rows) across the given shard folders.

    ``labelled`` is False when some shard is of a sample without methylation calls (a sample
    to predict: its level is NaN), which is never trained or scored on.
    """

    def __init__(self, shard_dirs: list[str | Path], split: str, histone_norm: str = "robust"):
        if split not in (*SPLITS, EVERY_SPLIT):
            raise ValueError(f"split must be one of {(*SPLITS, EVERY_SPLIT)}, got {split!r}")
        if histone_norm not in HISTONE_NORMS:
            raise ValueError(f"histone_norm must be one of {HISTONE_NORMS}, got {histone_norm!r}")
        if not shard_dirs:
            raise InputError("no shard folders given")
        self.shard_dirs = [Path(d) for d in shard_dirs]
        self.manifests = [read_manifest(d) for d in self.shard_dirs]
        check_compatible(self.manifests, self.shard_dirs)
        first = self.manifests[0]
        self.window: int = first["window"]
        self.bin_size: int = first["bin_size"]
        self.n_bins: int = first["n_bins"]
        self.histone_norm = histone_norm
        self.arrays = [open_arrays(d, m) for d, m in zip(self.shard_dirs, self.manifests)]
        # the inputs (epibench.data.inputs): the sequence, then the channel providers in hist order
        grid = ShardGrid(self.manifests)
        self.sequence = SequenceWindows(self.shard_dirs, self.manifests)
        self.mark_channels = MarkChannels(self.manifests, self.arrays, grid, histone_norm)
        self.channel_inputs = [
            self.mark_channels,
            SameTadChannel(self.manifests, grid),
            CovariateChannels(self.manifests, self.n_bins),
        ]
        self.context = NeighbourContext(self.manifests)
        self.n_context: int = self.context.n_tokens  # neighbour tokens per row (2K; 0 without)
        self.marks: list[str] = [name for provider in self.channel_inputs for name in provider.channels]
        self.labelled = all(m.get("labelled", True) for m in self.manifests)
        if split == EVERY_SPLIT:
            runs = [(np.zeros(1, np.int64), np.array([len(a["split"])], np.int64)) for a in self.arrays]
        else:
            runs = [split_runs(a["split"], SPLITS.index(split)) for a in self.arrays]
        self.rows = RowIndex(runs)
        self.hidden_marks: tuple[int, ...] = ()

    def require_labels(self, use: str) -> None:
        """InputError naming the samples without methylation calls, which cannot serve ``use``."""
        unlabelled = sorted({m["sample"] for m in self.manifests if not m.get("labelled", True)})
        if unlabelled:
            raise InputError(f"samples {unlabelled} have no methylation calls (predict-only): not for {use}")

    def keep_fraction(self, fraction: float, seed: int) -> None:
        """Keep a seeded random ``fraction`` of the rows, in blocks of 64 neighbouring CpGs
        (limited-data training; normalisation statistics stay those of all training rows)."""
        self.rows = self.rows.subset(fraction, np.random.default_rng([seed, 3]))

    def hide_marks(self, names: list[str]) -> None:
        """Treat the marks ``names`` as missing in every row (mark ablation); [] shows all again."""
        unknown = [n for n in names if n not in self.marks]
        if unknown:
            raise InputError(f"marks {unknown} are not in the shards (their marks: {self.marks})")
        self.hidden_marks = tuple(self.marks.index(n) for n in names)

    @property
    def norm_stats(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """sample -> (centre, scale) per histone mark (epibench.data.inputs.MarkChannels)."""
        return self.mark_channels.norm_stats

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self) -> dict:
        """Pickle (spawned DataLoader workers) without the memory maps; each process maps its own."""
        return {**self.__dict__, "arrays": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.arrays = [open_arrays(d, m) for d, m in zip(self.shard_dirs, self.manifests)]

    def _gather(self, shard: int, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Model inputs and targets of ``rows`` (sorted) of one shard, as numpy arrays."""
        arrays = self.arrays[shard]
        chrom = np.asarray(arrays["chrom"][rows], dtype=np.int64)
        pos = np.asarray(arrays["pos"][rows])
        context = {}
        if self.n_context:
            split = np.asarray(arrays["split"][rows], dtype=np.int64)
            context["nbr"] = self.context.tokens(arrays, chrom, pos, split)
        return context | {
            "seq": self.sequence.windows(shard, chrom, pos),
            "hist": self._channels(shard, chrom, pos),
            "region": np.asarray(arrays["region"][rows], dtype=np.int64),
            "level": np.asarray(arrays["level"][rows], dtype=np.float32),
            "label": np.asarray(arrays["label"][rows], dtype=np.float32),
            "weight": np.asarray(arrays["weight"][rows], dtype=np.float32),
        }

    def _channels(self, shard: int, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(n, M, NB) float32 channel values (NaN missing) of CpGs at ``pos`` on shard-local ``chrom`` codes."""
        arrays = self.arrays[shard]
        return np.concatenate([p.values(shard, arrays, chrom, pos) for p in self.channel_inputs], axis=1)

    def channels_at(self, chrom: str, pos: np.ndarray) -> np.ndarray:
        """(n, M, NB) float32 channel values (NaN missing) for CpGs at 0-based ``pos`` (n,) of sequence
        ``chrom``, whether or not the shards hold them (a CpG a variant creates), read from the first
        shard that covers ``chrom``; InputError when none does."""
        for shard, manifest in enumerate(self.manifests):
            names = [c["name"] for c in manifest["chroms"]]
            if chrom in names:
                codes = np.full(len(pos), names.index(chrom), dtype=np.int64)
                return self._channels(shard, codes, np.asarray(pos, dtype=np.int64))
        raise InputError(f"no shard covers sequence {chrom}", path=self.shard_dirs[0].parent)

    def __getitems__(self, request: BatchRequest | list[int]) -> dict[str, torch.Tensor]:
        """One batch (module docstring): ``request`` is dataset indices or a BatchRequest."""
        if not isinstance(request, BatchRequest):
            request = BatchRequest(np.asarray(request, dtype=np.int64), np.zeros(len(request), dtype=bool))
        indices = np.asarray(request.indices, dtype=np.int64)
        shard, rows = self.rows.locate(indices)
        order = np.lexsort((rows, shard))  # memory-map reads in file order
        parts = [self._gather(int(s), rows[order][shard[order] == s]) for s in np.unique(shard)]
        batch = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        back = np.argsort(order)  # back to the request's order
        batch = {key: value[back] for key, value in batch.items()}
        flip = np.asarray(request.flip, dtype=bool)
        if flip.any():
            batch["seq"][flip] = reverse_complement_codes(batch["seq"][flip])
            batch["hist"][flip] = batch["hist"][flip][..., ::-1]
            if self.n_context:
                batch["nbr"][flip] = batch["nbr"][flip][:, ::-1]
        if self.hidden_marks:
            batch["hist"][:, list(self.hidden_marks)] = np.nan
        if request.drop is not None:
            batch["hist"][np.asarray(request.drop, dtype=bool)] = np.nan
        observed = ~np.isnan(batch["hist"])
        batch["hist"] = np.where(observed, batch["hist"], 0.0).astype(np.float32)
        tensors = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in batch.items()}
        tensors["hist_mask"] = torch.from_numpy(observed)
        if self.n_context:
            known = ~np.isnan(batch["nbr"][..., 0])
            tensors["nbr"] = torch.from_numpy(
                np.where(known[..., None], batch["nbr"], 0.0).astype(np.float32)
            )
            tensors["nbr_mask"] = torch.from_numpy(known)
        tensors["index"] = torch.from_numpy(indices.copy())
        return tensors

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """One row, as ``__getitems__`` without the batch dimension."""
        return {key: value[0] for key, value in self.__getitems__([index]).items()}

    def rows_table(self) -> dict[str, np.ndarray]:
        """Identity of every row in dataset order, for joining predictions: sample, chrom, pos, region code."""
        samples, chroms, pos, region = [], [], [], []
        for shard, start, end in self.rows.shard_ranges():
            _, rows = self.rows.locate(np.arange(start, end))
            manifest, arrays = self.manifests[shard], self.arrays[shard]
            names = np.asarray([c["name"] for c in manifest["chroms"]], dtype=object)
            samples.append(np.full(len(rows), manifest["sample"], dtype=object))
            chroms.append(names[np.asarray(arrays["chrom"][rows], dtype=np.int64)])
            pos.append(np.asarray(arrays["pos"][rows]))
            region.append(np.asarray(arrays["region"][rows]))
        if not samples:
            return {
                k: np.empty(0, dtype=object if k in ("sample", "chrom") else np.int64)
                for k in ("sample", "chrom", "pos", "region")
            }
        return {
            "sample": np.concatenate(samples),
            "chrom": np.concatenate(chroms),
            "pos": np.concatenate(pos),
            "region": np.concatenate(region),
        }
