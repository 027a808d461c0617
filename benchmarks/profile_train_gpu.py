"""Where a hybrid training step spends its GPU time (seed shapes, bf16): top CUDA kernels and variants.

Run on a CUDA machine from the repository root (needs only torch):
    PYTHONPATH=. python3 benchmarks/profile_train_gpu.py
Prints the 20 kernels with the most CUDA time over 5 profiled steps, then samples/s of
variants that isolate costs (no dropout; the math vs flash attention kernels).
"""

from __future__ import annotations

import time

import torch
from torch.profiler import ProfilerActivity, profile

from epibench.models.factory import build_model
from epibench.train.losses import methylation_loss

B, W, M, NB = 256, 1000, 6, 10


def batch(device):
    g = torch.Generator(device="cpu").manual_seed(0)
    return {
        "seq": torch.randint(0, 5, (B, W), generator=g, dtype=torch.uint8).to(device),
        "hist": torch.randn(B, M, NB, generator=g).to(device),
        "hist_mask": (torch.rand(B, M, NB, generator=g) > 0.1).to(device),
        "region": torch.randint(0, 4, (B,), generator=g).to(device),
        "level": torch.rand(B, generator=g).to(device),
        "label": (torch.rand(B, generator=g) > 0.5).float().to(device),
        "weight": torch.rand(B, generator=g).to(device),
    }


def step_fn(model, data):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = model(data["seq"], data["hist"], data["hist_mask"], data["region"])
        loss, _ = methylation_loss(out, data, 1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def rate(step, n=20) -> float:
    for _ in range(5):
        step()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        step()
    torch.cuda.synchronize()
    return B * n / (time.perf_counter() - t)


def main():
    torch.backends.cuda.matmul.allow_tf32 = True
    device = torch.device("cuda")
    data = batch(device)
    model = build_model("hybrid", M, NB, W).to(device)
    step = step_fn(model, data)
    rate(step, 5)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(5):
            step()
        torch.cuda.synchronize()
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=20, max_name_column_width=70))
    print(f"baseline (fused AdamW): {rate(step):,.0f} samples/s")
    no_dropout = build_model("hybrid", M, NB, W, dropout=0.0).to(device)
    print(f"dropout 0: {rate(step_fn(no_dropout, data)):,.0f} samples/s")
    from torch.nn.attention import SDPBackend, sdpa_kernel

    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH):
        try:
            with sdpa_kernel(backend):
                print(f"attention {backend.name}: {rate(step):,.0f} samples/s")
        except RuntimeError as err:
            print(f"attention {backend.name}: unavailable ({str(err).splitlines()[0][:100]})")
    compiled = torch.compile(build_model("hybrid", M, NB, W, dropout=0.0).to(device))
    print(f"compiled, dropout 0: {rate(step_fn(compiled, data)):,.0f} samples/s")


if __name__ == "__main__":
    main()
