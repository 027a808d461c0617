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


class LaggedMax:
    """The largest of every rank's integer, agreed one round late so that no rank waits for it.

    Each ``exchange(value)`` starts an all-reduce (MAX) of this rank's ``value`` and returns the
    result of the one the previous call started (0 at the first call). Every rank gets the same
    answer at the same call, as a blocking all-reduce would give, but the host does not wait for
    the GPU: on NCCL the reduced value is copied to pinned host memory behind a CUDA event, and by
    the next call (``STOP_SYNC_STEPS`` optimizer steps later in training) that event has long passed.
    With one rank ``exchange`` returns its own ``value`` at once.
    """

    def __init__(self, ranks: Ranks) -> None:
        self._ranks = ranks
        self._pending: tuple[torch.Tensor, dist.Work | torch.cuda.Event] | None = None

    def exchange(self, value: int) -> int:
        """The agreed maximum of the values passed at the previous call; starts agreeing on ``value``."""
        if not self._ranks.distributed:
            return value
        previous = self.finish()
        if dist.get_backend() == "nccl":
            self._pending = _max_on_gpu(value)
        else:
            on_host = torch.tensor([value], dtype=torch.int64)
            self._pending = (on_host, dist.all_reduce(on_host, op=dist.ReduceOp.MAX, async_op=True))
        return previous

    def finish(self) -> int:
        """Wait for the all-reduce in flight, if any, and return its result (0 when none is)."""
        if self._pending is None:
            return 0
        on_host, done = self._pending
        self._pending = None
        if isinstance(done, torch.cuda.Event):
            done.synchronize()
        else:
            done.wait()
        return int(on_host[0])


def _max_on_gpu(value: int) -> tuple[torch.Tensor, torch.cuda.Event]:
    """Start the all-reduce (MAX) of ``value`` on this rank's GPU and queue the result's copy into
    pinned host memory; the event marks the copy done. Nothing here blocks the host."""
    reduced = torch.full((1,), value, dtype=torch.int64, device=f"cuda:{torch.cuda.current_device()}")
    # wait() on NCCL work makes the current stream wait for NCCL's stream; the host goes on
    dist.all_reduce(reduced, op=dist.ReduceOp.MAX, async_op=True).wait()
    on_host = torch.empty(1, dtype=torch.int64, pin_memory=True)
    on_host.copy_(reduced, non_blocking=True)
    copied = torch.cuda.Event()
    copied.record()
    return on_host, copied


def barrier(ranks: Ranks) -> None:
    """Wait for every rank (no-op with one)."""
    if ranks.distributed:
        dist.barrier()


def destroy_process_group(ranks: Ranks) -> None:
    """Leave the process group at the end of training."""
    if ranks.distributed and dist.is_initialized():
        dist.destroy_process_group()
