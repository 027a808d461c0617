"""DataLoaders over a ShardDataset: shuffled with bounded memory, reproducible from a seed.

``ShuffledBatches`` decides everything random about an epoch from (seed, epoch) alone: the
order of rows and which rows are reverse-complemented. So a run gives the same batches
with 0 or 8 workers, after a resume in the middle of an epoch, and split over DDP ranks.

Shuffling: the rows are cut into blocks of ``block_rows`` consecutive rows; the blocks are
permuted, and the rows of every ``pool_blocks`` consecutive permuted blocks are permuted
together (a shuffle buffer of block_rows x pool_blocks rows, 65 536 by default, drawn from
all over the genome and all shards). Memory: one int per block plus one pool, whatever the
number of rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from epibench.data.dataset import BatchRequest, ShardDataset


class ShuffledBatches(Sampler[BatchRequest]):
    """Batches of one epoch as BatchRequests (indices, reverse-complement flags, dropped marks).

    n_rows: dataset length. shuffle False: rows in order, no flips (evaluation).
    rank/world_size: this process takes batches rank, rank + world_size, ...; every rank gets
    the same number (the last ``len(all batches) % world_size`` batches are left out).
    start_batch: the first batch of this rank to yield (resume in the middle of an epoch).
    mark_dropout: probability that a mark of a training row is made missing (of ``n_marks``
    marks, each drawn apart; only when shuffling), so a model learns to predict without it.
    passes: passes over the rows per epoch (> 0; only when shuffling): an epoch is ``passes`` x
    ``n_rows`` rows (rounded), each pass a fresh shuffle, so a model trained on a share of the rows
    can take the optimizer steps of a run on all of them.
    """

    def __init__(
        self,
        n_rows: int,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        reverse_complement_prob: float = 0.0,
        block_rows: int = 64,
        pool_blocks: int = 1024,
        rank: int = 0,
        world_size: int = 1,
        mark_dropout: float = 0.0,
        n_marks: int = 0,
        passes: float = 1.0,
    ):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}")
        if passes <= 0 or (passes != 1 and not shuffle):
            raise ValueError(f"passes must be > 0, and 1 without shuffling; got {passes}")
        self.n_rows, self.batch_size, self.shuffle = n_rows, batch_size, shuffle
        self.seed, self.reverse_complement_prob = seed, reverse_complement_prob
        self.block_rows, self.pool_blocks = block_rows, pool_blocks
        self.rank, self.world_size = rank, world_size
        self.mark_dropout, self.n_marks = mark_dropout, n_marks
        self.epoch_rows = round(n_rows * passes)  # rows an epoch yields, over all ranks
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Choose the epoch (its order and flips) and where in it to start."""
        self.epoch, self.start_batch = epoch, start_batch

    def __len__(self) -> int:
        """Batches this rank yields per epoch, from the first."""
        return math.ceil(self.epoch_rows / self.batch_size) // self.world_size

    def _row_order(self, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """Chunks of row indices in this epoch's order (pool by pool, pass after pass), ``epoch_rows``
        in all."""
        if not self.shuffle:
            yield np.arange(self.n_rows, dtype=np.int64)
            return
        n_blocks, left = math.ceil(self.n_rows / self.block_rows), self.epoch_rows
        while left > 0:
            blocks = rng.permutation(n_blocks)
            for start in range(0, n_blocks, self.pool_blocks):
                pool = blocks[start : start + self.pool_blocks, None] * self.block_rows + np.arange(
                    self.block_rows
                )
                pool = pool.ravel()
                chunk = rng.permutation(pool[pool < self.n_rows])[:left]
                left -= len(chunk)
                yield chunk
                if not left:
                    return

    def _batches(self) -> Iterator[np.ndarray]:
        """Row indices of every batch of the epoch, over all ranks; the last may be short."""
        pending = np.empty(0, dtype=np.int64)
        for chunk in self._row_order(np.random.default_rng([self.seed, self.epoch])):
            pending = np.concatenate([pending, chunk])
            while len(pending) >= self.batch_size:
                yield pending[: self.batch_size]
                pending = pending[self.batch_size :]
        if len(pending):
            yield pending

    def __iter__(self) -> Iterator[BatchRequest]:
        flip_rng = np.random.default_rng([self.seed, self.epoch, 1])
        drop_rng = np.random.default_rng([self.seed, self.epoch, 2])
        dropping = self.shuffle and self.mark_dropout > 0 and self.n_marks > 0
        for number, rows in enumerate(self._batches()):
            if number >= len(self) * self.world_size:
                return
            # drawn for every batch, so a batch's flips and drops do not depend on rank or start_batch
            flip = flip_rng.random(len(rows)) < self.reverse_complement_prob
            drop = drop_rng.random((len(rows), self.n_marks)) < self.mark_dropout if dropping else None
            if number % self.world_size == self.rank and number // self.world_size >= self.start_batch:
                yield BatchRequest(rows, flip & self.shuffle, drop)


def _collate(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The dataset already returns whole batches."""
    return batch


def make_loader(
    dataset: ShardDataset,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    reverse_complement_prob: float = 0.0,
    num_workers: int = 0,
    pin_memory: bool = False,
    rank: int = 0,
    world_size: int = 1,
    mark_dropout: float = 0.0,
    worker_init_fn: Callable[[int], None] | None = None,
    passes: float = 1.0,
) -> DataLoader:
    """A DataLoader of batched dicts (ShardDataset.__getitems__) driven by ``ShuffledBatches``
    (``passes``: over the rows per epoch).

    Call ``loader.batch_sampler.set_epoch(epoch, start_batch)`` before each epoch.
    Workers prefetch 4 batches each; pinned memory speeds host-to-GPU copies. worker_init_fn:
    called in each worker with its id (training: ``epibench.train.preemption.ignore_stop_signals``).
    """
    sampler = ShuffledBatches(
        len(dataset),
        batch_size,
        shuffle,
        seed,
        reverse_complement_prob,
        rank=rank,
        world_size=world_size,
        mark_dropout=mark_dropout,
        n_marks=len(dataset.marks) if mark_dropout else 0,
        passes=passes,
    )
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=_collate,
        num_workers=num_workers,
        pin_memory=pin_memory,
        prefetch_factor=4 if num_workers else None,
        persistent_workers=False,
        worker_init_fn=worker_init_fn,
        # its own generator: starting an epoch draws worker seeds from it, never from torch's global RNG
        # (which drives dropout), so resuming mid-epoch leaves the global RNG where it was
        generator=torch.Generator().manual_seed(seed),
    )
