"""The CUDA side of the training step, run where a GPU is (skipped elsewhere; benchmarks/gpu_train.sh
runs this file with ``--noconftest`` on the GPU machine): no host synchronisation with CUDA's own
sync detector, attention on the flash kernel, the GPU idle time of a stalled host, CUDA graphs."""

from __future__ import annotations

import time
import types

import pytest
import torch

if not torch.cuda.is_available():
    pytest.skip("needs CUDA", allow_module_level=True)

from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

from epibench.models.factory import build_model  # noqa: E402
from epibench.train import loop  # noqa: E402
from epibench.train.loop import TrainConfig, train_step  # noqa: E402
from epibench.train.schedule import warmup_cosine  # noqa: E402
from epibench.train.step_timing import StepTimer  # noqa: E402

W, M, NB, B = 1000, 6, 10, 64
DEVICE = torch.device("cuda")


def _run(compiled: str | None = None) -> tuple[types.SimpleNamespace, list[torch.Tensor]]:
    torch.manual_seed(0)
    model = build_model("hybrid", M, NB, W, d_model=64, n_heads=4, ff_dim=128, n_layers=2).to(DEVICE).train()
    optimizer = torch.optim.AdamW(loop._param_groups(model, 0.01), lr=1e-3, fused=True)
    forward = torch.compile(model, dynamic=False, mode=compiled) if compiled else model
    run = types.SimpleNamespace(
        forward=forward,
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, 2, 100),
        config=TrainConfig(),
        device=DEVICE,
    )
    return run, [p for group in optimizer.param_groups for p in group["params"]]


def _batch(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    level = torch.rand(B, generator=g)
    return {
        "seq": torch.randint(0, 5, (B, W), generator=g).to(torch.uint8).pin_memory(),
        "hist": torch.randn(B, M, NB, generator=g).pin_memory(),
        "hist_mask": (torch.rand(B, M, NB, generator=g) > 0.2).pin_memory(),
        "region": torch.randint(0, 4, (B,), generator=g).pin_memory(),
        "level": level.pin_memory(),
        "label": (level > 0.5).float().pin_memory(),
        "weight": (torch.rand(B, generator=g) + 0.5).pin_memory(),
    }


def test_the_step_never_synchronises():
    run, params = _run()
    train_step(run, _batch(0), params)  # optimizer state, cuBLAS handles
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for seed in (1, 2):
            train_step(run, _batch(seed), params)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    torch.cuda.synchronize()


def test_the_stop_agreement_on_nccl_never_blocks_the_host(tmp_path):
    import torch.distributed as dist

    from epibench.train import distributed

    dist.init_process_group("nccl", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        # a one-process group, but the agreement takes its several-rank (NCCL) path
        agreement = distributed.LaggedMax(distributed.Ranks(rank=0, world_size=2))
        assert agreement.exchange(7) == 0  # also sets up the NCCL communicator
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            on_host, copied = distributed._max_on_gpu(9)  # what exchange starts each round
        finally:
            torch.cuda.set_sync_debug_mode("default")
        copied.synchronize()
        assert int(on_host[0]) == 9
        assert (agreement.exchange(3), agreement.finish()) == (7, 3)
    finally:
        dist.destroy_process_group()


def test_attention_takes_the_flash_kernel():
    run, params = _run()
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):  # raises if attention cannot use it
        loss = train_step(run, _batch(0), params)
    assert torch.isfinite(loss)


def test_gpu_idle_is_the_host_stall_between_steps():
    run, params = _run()
    train_step(run, _batch(0), params)
    timer = StepTimer(DEVICE)
    for seed in (1, 2, 3):
        timer.waiting()
        # a loader 50 ms late: the GPU has finished the last step and waits (a real clock, as CUDA's
        # events time the GPU itself; the bounds are one-sided, so a slow shared machine passes)
        time.sleep(0.05)
        timer.step_started()
        train_step(run, _batch(seed), params)
        timer.step_finished()
        torch.cuda.synchronize()
    means = timer.means()
    assert means["gpu_idle_ms"] >= 40 and means["loader_wait_ms"] >= 45


def test_cuda_graph_steps_train():
    run, params = _run(compiled="reduce-overhead")
    losses = [float(train_step(run, _batch(seed % 2), params)) for seed in range(8)]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]
