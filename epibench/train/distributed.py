"""Multi-process training with torchrun / DDP: which process this is, and the few collectives used.

``torchrun --nproc-per-node N --no-python epibench train ...`` starts N processes with
RANK, WORLD_SIZE and LOCAL_RANK set; a plain ``epibench train`` is rank 0 of 1 and never
touches torch.distributed. The backend is NCCL on CUDA and gloo on CPU (what the tests use).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Ranks:
    """This process's place in the job: rank (0..world_size-1) and its GPU index on the node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0 writes the files (checkpoints, metrics, model)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def ranks_from_env() -> Ranks:
    """The torchrun environment, or a single process."""
    return Ranks(
        rank=int(os.environ.get("RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def init_process_group(ranks: Ranks, device: torch.device) -> None:
    """Join the process group (NCCL for CUDA devices, gloo otherwise) when there is more than one rank."""
    if ranks.distributed and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)  # NCCL collectives and barriers run on the current device
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def _all_reduce(value: torch.Tensor, op: dist.ReduceOp) -> torch.Tensor:
    """``op`` of ``value`` over all ranks, on ``value``'s device (NCCL reduces on the rank's GPU)."""
    on_backend = (
        value.to(f"cuda:{torch.cuda.current_device()}") if dist.get_backend() == "nccl" else value.clone()
    )
    dist.all_reduce(on_backend, op=op)
    return on_backend.to(value.device)


def all_sum(value: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """Sum of ``value`` over all ranks (``value`` itself with one rank)."""
    return _all_reduce(value, dist.ReduceOp.SUM) if ranks.distributed else value


def all_max(value: int, ranks: Ranks) -> int:
    """The largest of every rank's ``value``."""
    if not ranks.distributed:
        return value
    return int(_all_reduce(torch.tensor([value], dtype=torch.int64), dist.ReduceOp.MAX)[0])


def barrier(ranks: Ranks) -> None:
    """Wait for every rank (no-op with one)."""
    if ranks.distributed:
        dist.barrier()


def destroy_process_group(ranks: Ranks) -> None:
    """Leave the process group at the end of training."""
    if ranks.distributed and dist.is_initialized():
        dist.destroy_process_group()
