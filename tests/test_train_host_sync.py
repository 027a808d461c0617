"""The training step never waits for the GPU, the one-hot is built without a range check, and the loop
measures the loader's wait (CPU; the GPU idle side needs CUDA)."""

from __future__ import annotations

import math
import types

import pytest
import torch
from torch.nn import functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from epibench.models.factory import build_model
from epibench.models.onehot import OneHot
from epibench.train import loop
from epibench.train.loop import TrainConfig, train_step
from epibench.train.schedule import warmup_cosine
from epibench.train.step_timing import StepTimer
from tiny_models import TINY_CNN, TINY_HYBRID

W, M, NB, B = 64, 2, 4, 8
SMALL = {
    "hybrid": {**TINY_HYBRID, "n_layers": 2, "dropout": 0.1},
    "cnn": {**TINY_CNN, "dropout": 0.1},
}
#: aten ops that copy a device value to the host (item(), float(), bool(), data-dependent shapes)
SYNCING_OPS = {
    torch.ops.aten._local_scalar_dense.default,
    torch.ops.aten.nonzero.default,
    torch.ops.aten.is_nonzero.default,
    torch.ops.aten.masked_select.default,
    torch.ops.aten.unique_consecutive.default,
}


class HostSyncs(TorchDispatchMode):
    """Records every op of ``SYNCING_OPS`` dispatched while active."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def __torch_dispatch__(self, func, types_, args=(), kwargs=None):
        if func in SYNCING_OPS:
            self.seen.append(str(func))
        return func(*args, **(kwargs or {}))


def batch(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    level = torch.rand(B, generator=g)
    return {
        "seq": torch.randint(0, 5, (B, W), generator=g).to(torch.uint8),  # as the loader sends them
        "hist": torch.randn(B, M, NB, generator=g),
        "hist_mask": torch.rand(B, M, NB, generator=g) > 0.2,
        "region": torch.randint(0, 4, (B,), generator=g),
        "level": level,
        "label": (level > 0.5).float(),
        "weight": torch.rand(B, generator=g) + 0.5,
    }


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_training_step_has_no_host_synchronisation(arch):
    torch.manual_seed(0)
    model = build_model(arch, M, NB, W, **SMALL[arch]).train()
    # the optimizer as fit makes it on CUDA: fused AdamW (one kernel, no per-parameter step.item())
    optimizer = torch.optim.AdamW(loop._param_groups(model, 0.01), lr=1e-3, fused=True)
    run = types.SimpleNamespace(
        forward=model,
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, 2, 10),
        config=TrainConfig(),
        device=torch.device("cpu"),
    )
    params = [p for group in optimizer.param_groups for p in group["params"]]
    train_step(run, batch(0), params)  # optimizer state exists from here on
    before = [p.detach().clone() for p in params]
    with HostSyncs() as syncs:
        loss = train_step(run, batch(1), params)
    assert syncs.seen == []
    assert loss.dtype == torch.float64 and loss.ndim == 0 and not loss.requires_grad
    assert any(not torch.equal(a, p) for a, p in zip(before, params))  # a step was taken


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_models_trace_to_one_graph(arch):
    """No graph break in training mode: torch.compile (and CUDA graphs under reduce-overhead) get the
    whole forward as one graph."""
    import torch._dynamo

    torch._dynamo.reset()
    model = build_model(arch, M, NB, W, **SMALL[arch]).train()
    inputs = batch(0)
    explained = torch._dynamo.explain(model)(
        inputs["seq"], inputs["hist"], inputs["hist_mask"], inputs["region"]
    )
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons


def test_a_logged_loss_is_seen_as_a_synchronisation():
    """The detector itself: .item() on a tensor is caught."""
    with HostSyncs() as syncs:
        torch.ones(3).sum().item()
    assert syncs.seen == ["aten._local_scalar_dense.default"]


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64])
def test_one_hot_equals_torch_one_hot_without_its_range_check(dtype):
    codes = torch.randint(0, 5, (3, 17)).to(dtype)
    expected = F.one_hot(codes.long(), 5).float()
    with HostSyncs() as syncs:
        got = OneHot()(codes)
    assert torch.equal(got, expected) and got.dtype == torch.float32
    assert syncs.seen == []


def test_step_timer_counts_the_wait_for_each_batch(monkeypatch):
    """A clock the test moves: loader waits of 20, 30 and 40 ms, and 500 ms of step between them
    (not counted), give a mean wait of exactly 30 ms."""
    now = [100.0]
    monkeypatch.setattr("epibench.train.step_timing.time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    timer = StepTimer(torch.device("cpu"))
    for wait_s in (0.020, 0.030, 0.040):
        timer.waiting()
        now[0] += wait_s  # the loader's time for this batch
        timer.step_started()
        now[0] += 0.5  # the step itself
        timer.step_finished()
    means = timer.means()
    assert means["loader_wait_ms"] == pytest.approx(30.0) and math.isnan(means["gpu_idle_ms"])
    timer.reset()
    assert math.isnan(timer.means()["loader_wait_ms"])


def test_compile_mode_reaches_torch_compile(monkeypatch):
    seen = {}

    def fake_compile(module, **kwargs):
        seen.update(kwargs)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    model = build_model("cnn", M, NB, W, **SMALL["cnn"])
    config = TrainConfig(compile=True, compile_mode="reduce-overhead")
    assert loop._wrap(model, config, torch.device("cpu"), loop.distributed.Ranks()) is model
    assert seen == {"dynamic": False, "mode": "reduce-overhead"}
