"""Benchmark: training throughput of the hybrid model against the original CNN baseline.

What is measured, for ``build_model("cnn")`` (the baseline) and ``build_model("hybrid")``
with the seed's default shapes (each model class's ``defaults``, epibench.models), in one run:

- one full training step as ``epibench.train.loop`` does it: forward under bf16 autocast on
  CUDA (float32 on CPU), ``methylation_loss`` (alpha 1), backward, ``clip_grad_norm_``
  (1.0) and an AdamW step (lr 3e-4, weight decay 0.01 on matrices only), in train mode;
- on one synthetic batch of the seed's shapes (window 1000 bp, batch 256, 6 marks, 100 bp
  bins = 10 bins) generated once on the device, so no data loading is measured;
- ``--warmup`` untimed steps (the first, which includes any compilation, is reported as
  ``first_step_s``), then ``--steps`` timed ones. samples/s = batch x steps / wall time of
  the timed steps (CUDA synchronised before and after); the median step time comes from
  CUDA events on GPU (no synchronisation between steps) or ``perf_counter`` on CPU;
- peak memory over the model's whole run (building, warm-up, timed steps): on CUDA
  ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``; on CPU the growth
  of the peak RSS (``ru_maxrss``, whose high-water mark is reset through
  ``/proc/self/clear_refs``, Linux) over the RSS before the model was built;
- forward + backward FLOPs per sample, from ``torch.utils.flop_counter.FlopCounterMode``
  over one extra step of the eager model, run with the math attention kernel so that
  attention's matrix products are counted on every device (matmuls and convolutions only);
- the model-FLOP utilisation: FLOPs/sample x samples/s / the peak matmul FLOP/s *measured in this
  run* on this device (``measure_matmul_peak``: the best of repeated 8192^3 bf16 matmuls on CUDA,
  2048^3 float32 on CPU), and on CUDA also against the datasheet's dense bf16 peak (known for
  H100/H200/A100 by name, else ``--peak-tflops``; null when unknown);
- the hybrid's time per epoch of ``--epoch-cpgs`` training CpGs (28 M by default),
  extrapolated as epoch_cpgs / samples/s / 60 minutes.

``--compile`` runs both models through ``torch.compile`` (``--compile-mode``: its mode,
"reduce-overhead" for CUDA graphs); ``--compare-compile`` also runs the hybrid the other way
(compiled if eager, eager if compiled) and reports the speed-up. The levers of issue 22 are flags
applied to the hybrid: ``--norm rmsnorm``, ``--dropout``, ``--batch-size`` (with ``--lr-scale``:
the learning rate times sqrt(batch / 256)), ``--sdpa flash`` (attention may only use the flash
kernel: an error if it cannot). The JSON line also says whether the hybrid met the target
(``--target`` samples/s in at most ``--memory-limit-gb``).

    .venv/bin/python benchmarks/bench_train.py --quick            # < 1 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_train.py --device cpu --steps 3 --warmup 1
    PYTHONPATH=. python3 benchmarks/bench_train.py --device cuda --compare-compile

``--quick`` keeps the shapes on CUDA but runs fewer steps; on CPU it also cuts the batch to
16 (printed). The bench needs only torch and the ``epibench.models`` / ``epibench.train.losses``
modules (pure torch), so it runs from the repository root with ``PYTHONPATH=.`` on a machine
that has torch alone. The last printed line is one JSON object (``bench``, ``value`` = hybrid
samples/s, ``unit``, ``baseline``, ``baseline_value`` = CNN samples/s, ``ratio`` and details).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import itertools
import json
import math
import os
import platform
import random
import resource
import statistics
import time
from collections.abc import Callable

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from epibench.models.factory import build_model, count_parameters
from epibench.train.losses import methylation_loss
from epibench.codes import BASES, REGION_CLASSES

WINDOW, BATCH, MARKS, BIN_BP = 1000, 256, 6, 100  # the seed's shapes
QUICK_CPU_BATCH = 16
LR, WEIGHT_DECAY, GRAD_CLIP, ALPHA = 3e-4, 0.01, 1.0, 1.0  # epibench.train.loop.TrainConfig defaults
EPOCH_CPGS = 28_000_000
TARGET_SAMPLES_PER_S = 33_000  # issue 22: a 28 M-CpG epoch in <= 14 min on one H100/H200
MEMORY_LIMIT_GB = 10.0
#: Peak dense bf16 tensor FLOP/s (1e12) by a substring of torch.cuda.get_device_name; first match wins.
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),
    ("H200", 989.0),
    ("A100", 312.0),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line; steps, warm-up and batch default by device and ``--quick``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="few steps; on CPU also batch 16")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--steps", type=int, help="timed steps (default 20, quick 3)")
    parser.add_argument("--warmup", type=int, help="untimed steps before them, >= 1 (default 5, quick 1)")
    parser.add_argument(
        "--batch-size", type=int, help=f"default {BATCH} ({QUICK_CPU_BATCH} with --quick on CPU)"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile both models")
    parser.add_argument("--compare-compile", action="store_true", help="also run the hybrid the other way")
    parser.add_argument(
        "--baseline-eager",
        action="store_true",
        help="the cnn baseline eager even with --compile (saves its compilation)",
    )
    parser.add_argument("--epoch-cpgs", type=int, default=EPOCH_CPGS, help="CpGs per epoch to extrapolate to")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's peak dense bf16 TFLOP/s, for the MFU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dropout", type=float, help="both models' dropout (default: each model's)")
    parser.add_argument("--norm", choices=("layernorm", "rmsnorm"), help="the hybrid's encoder norms")
    parser.add_argument(
        "--compile-mode",
        default="default",
        choices=("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"),
    )
    parser.add_argument(
        "--sdpa",
        choices=("auto", "flash"),
        default="auto",
        help="flash: attention must take the flash kernel",
    )
    parser.add_argument(
        "--lr-scale", action="store_true", help=f"learning rate x sqrt(batch / {BATCH}) (larger batches)"
    )
    parser.add_argument("--target", type=float, default=TARGET_SAMPLES_PER_S, help="samples/s to reach")
    parser.add_argument("--memory-limit-gb", type=float, default=MEMORY_LIMIT_GB)
    args = parser.parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but CUDA is not available")
    quick_cpu = args.quick and args.device == "cpu"
    defaults = {"steps": 3 if args.quick else 20, "warmup": 1 if args.quick else 5}
    defaults["batch_size"] = QUICK_CPU_BATCH if quick_cpu else BATCH
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.steps, args.warmup, args.batch_size) < 1:
        parser.error("--steps, --warmup and --batch-size must be >= 1")
    if args.sdpa == "flash" and args.device != "cuda":
        parser.error("--sdpa flash needs CUDA")
    return args


def set_seed(seed: int) -> None:
    """Seed Python's and torch's (CPU and CUDA) generators."""
    random.seed(seed)
    torch.manual_seed(seed)


def configure(device: torch.device) -> None:
    """TF32 for float32 matmuls/convolutions on CUDA; every core on CPU."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    else:
        torch.set_num_threads(os.cpu_count() or 1)


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model name and thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    return f"{cpu} ({torch.get_num_threads()} threads)"


def peak_tflops(name: str, override: float | None) -> float | None:
    """Peak dense bf16 TFLOP/s: the override, else by GPU name, else None."""
    if override is not None:
        return override
    return next((tflops for key, tflops in PEAK_BF16_TFLOPS if key in name), None)


def synthetic_batch(
    batch_size: int,
    device: torch.device,
    window: int = WINDOW,
    marks: int = MARKS,
    n_bins: int = WINDOW // BIN_BP,
) -> dict[str, torch.Tensor]:
    """One random batch of the training contract's tensors (default: the seed's shapes), made on ``device``."""
    level = torch.rand(batch_size, device=device)
    return {
        "seq": torch.randint(0, len(BASES), (batch_size, window), device=device),
        "hist": torch.randn(batch_size, marks, n_bins, device=device),
        "hist_mask": torch.rand(batch_size, marks, n_bins, device=device) < 0.9,
        "region": torch.randint(0, len(REGION_CLASSES), (batch_size,), device=device),
        "level": level,
        "label": (level > 0.5).float(),
        "weight": torch.rand(batch_size, device=device) + 0.5,
    }


def make_step(
    model: Callable, optimizer: torch.optim.Optimizer, batch: dict, device: torch.device, sdpa: str = "auto"
) -> Callable:
    """A closure doing one training step of ``model`` on ``batch`` (as epibench.train.loop); with
    ``sdpa="flash"`` attention may only run the flash kernel."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    kernels = sdpa_kernel(SDPBackend.FLASH_ATTENTION) if sdpa == "flash" else contextlib.nullcontext()

    def step() -> None:
        with kernels, torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out = model(batch["seq"], batch["hist"], batch["hist_mask"], batch["region"])
        loss, _ = methylation_loss(out, batch, ALPHA)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)
        optimizer.step()

    return step


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work; nothing on CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step: Callable, n: int, device: torch.device) -> tuple[float, list[float]]:
    """Run ``step`` n times -> (wall seconds of all of them, seconds of each step)."""
    synchronize(device)
    started = time.perf_counter()
    if device.type == "cuda":
        stamps = [torch.cuda.Event(enable_timing=True) for _ in range(n + 1)]
        stamps[0].record()
        for event in stamps[1:]:
            step()
            event.record()
        synchronize(device)
        per_step = [a.elapsed_time(b) / 1e3 for a, b in itertools.pairwise(stamps)]
    else:
        stamps = [time.perf_counter()]
        for _ in range(n):
            step()
            stamps.append(time.perf_counter())
        per_step = [b - a for a, b in itertools.pairwise(stamps)]
    return time.perf_counter() - started, per_step


def count_flops(step: Callable) -> int:
    """FLOPs (matmuls, convolutions) of one call of ``step``, attention through the math kernel."""
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def measure_matmul_peak(device: torch.device, repeats: int = 10) -> float:
    """Peak matmul TFLOP/s measured here: the best of ``repeats`` timed square matmuls (8192, bf16 on
    CUDA; 2048, float32 on CPU, with every thread), after a warm-up."""
    size, dtype = (8192, torch.bfloat16) if device.type == "cuda" else (2048, torch.float32)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    best = math.inf
    for _ in range(repeats):
        synchronize(device)
        started = time.perf_counter()
        a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e12


def start_memory(device: torch.device) -> int:
    """Free what earlier runs left and reset the peak; returns the baseline in bytes (RSS on CPU)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        return 0
    libc = ctypes.CDLL(None)
    if hasattr(libc, "malloc_trim"):  # glibc: give freed heap pages back before measuring
        libc.malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # peak RSS (VmHWM, ru_maxrss) := current RSS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_memory(device: torch.device, baseline: int) -> int:
    """Peak bytes since ``start_memory``: CUDA allocated, or RSS growth over its baseline on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline


def param_groups(model: torch.nn.Module) -> list[dict]:
    """AdamW groups as the training loop makes them: weight decay on matrices only."""
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim > 1], "weight_decay": WEIGHT_DECAY},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
    ]


def bench_model(arch: str, compiled: bool, batch: dict, device: torch.device, args) -> dict:
    """Train ``arch`` for warm-up + timed steps on ``batch``; its throughput, memory and FLOPs."""
    baseline = start_memory(device)
    set_seed(args.seed)
    sizes = {} if args.dropout is None else {"dropout": args.dropout}
    if arch == "hybrid" and args.norm:
        sizes["norm"] = args.norm
    model = (
        build_model(arch, n_marks=MARKS, n_bins=WINDOW // BIN_BP, window=WINDOW, **sizes).to(device).train()
    )
    lr = LR * math.sqrt(args.batch_size / BATCH) if args.lr_scale else LR
    # fused AdamW on CUDA, as epibench.train.loop
    optimizer = torch.optim.AdamW(param_groups(model), lr=lr, fused=device.type == "cuda")
    forward = torch.compile(model, dynamic=False, mode=args.compile_mode) if compiled else model
    step = make_step(forward, optimizer, batch, device, args.sdpa)
    first_s, _ = time_steps(step, 1, device)
    for _ in range(args.warmup - 1):
        step()
    wall_s, per_step = time_steps(step, args.steps, device)
    peak = peak_memory(device, baseline)
    flops = count_flops(make_step(model, optimizer, batch, device))
    return {
        "samples_per_s": args.batch_size * args.steps / wall_s,
        "step_ms": statistics.median(per_step) * 1e3,
        "peak_mem_mb": peak / 2**20,
        "params": count_parameters(model),
        "flops_per_sample": flops / args.batch_size,
        "first_step_s": first_s,
    }


def describe(label: str, result: dict, peak: float | None, measured_peak: float) -> str:
    """One human-readable line for a run; adds ``mfu`` (against the datasheet peak, None without one)
    and ``mfu_measured`` (against the matmul peak measured in this run) to ``result``."""
    achieved = result["flops_per_sample"] * result["samples_per_s"]
    result["mfu"] = achieved / (peak * 1e12) if peak else None
    result["mfu_measured"] = achieved / (measured_peak * 1e12)
    mfu = f", MFU {result['mfu_measured']:.1%} of measured"
    mfu += f" ({result['mfu']:.1%} of datasheet)" if result["mfu"] is not None else ""
    return (
        f"{label:28s} {result['samples_per_s']:10,.0f} samples/s  median step {result['step_ms']:8.1f} ms  "
        f"peak {result['peak_mem_mb']:8,.0f} MB  {result['params'] / 1e6:6.2f} M params  "
        f"{result['flops_per_sample'] / 1e9:6.2f} GFLOP/sample fwd+bwd  "
        f"{achieved / 1e12:7.2f} TFLOP/s{mfu}  first step {result['first_step_s']:.1f} s"
    )


def main(argv: list[str] | None = None) -> None:
    """Run every model, print one line each, the ratio and the epoch estimate, then the JSON line."""
    args = parse_args(argv)
    device = torch.device(args.device)
    configure(device)
    name = device_name(device)
    peak = peak_tflops(name, args.peak_tflops) if device.type == "cuda" else None
    mode = "compiled" if args.compile else "eager"
    precision = "bf16 autocast" if device.type == "cuda" else "float32"
    print(f"device: {name}; torch {torch.__version__}; {precision}")
    if device.type == "cuda":
        print(f"peak dense bf16: {f'{peak:g} TFLOP/s' if peak else 'unknown (pass --peak-tflops); MFU null'}")
    measured_peak = measure_matmul_peak(device)
    print(
        f"measured matmul peak: {measured_peak:,.1f} TFLOP/s "
        f"({'8192^3 bf16' if device.type == 'cuda' else '2048^3 float32'}, best of 10)"
    )
    print(
        f"shapes: batch {args.batch_size}, window {WINDOW} bp, {MARKS} marks x {WINDOW // BIN_BP} bins; "
        f"{args.warmup} warm-up + {args.steps} timed steps; models {mode}"
        + (f" ({args.compile_mode})" if args.compile else "")
        + ("" if args.dropout is None else f"; dropout {args.dropout:g}")
        + (f"; hybrid norm {args.norm}" if args.norm else "")
        + ("; lr x sqrt(batch / 256)" if args.lr_scale else "")
        + ("; attention: flash kernel only" if args.sdpa == "flash" else "")
    )
    if args.batch_size != BATCH:
        print(f"NOTE: batch {args.batch_size}, not the seed's {BATCH} (--quick / --batch-size)")
    memory_kind = "CUDA max_memory_allocated" if device.type == "cuda" else "peak RSS growth"
    print(f"peak memory: {memory_kind}")

    set_seed(args.seed)
    batch = synthetic_batch(args.batch_size, device)
    runs = {"cnn": ("cnn", args.compile and not args.baseline_eager), "hybrid": ("hybrid", args.compile)}
    if args.compare_compile:
        runs[f"hybrid_{'eager' if args.compile else 'compiled'}"] = ("hybrid", not args.compile)
    results = {}
    for label, (arch, compiled) in runs.items():
        results[label] = bench_model(arch, compiled, batch, device, args)
        print(
            describe(f"{arch} ({'compiled' if compiled else 'eager'})", results[label], peak, measured_peak)
        )

    cnn, hybrid = results["cnn"], results["hybrid"]
    ratio = hybrid["samples_per_s"] / cnn["samples_per_s"]
    print(f"hybrid / cnn throughput: {ratio:.3f} ({1 / ratio:.1f}x slower per sample)")
    epoch_min = args.epoch_cpgs / hybrid["samples_per_s"] / 60
    print(
        f"hybrid epoch of {args.epoch_cpgs:,} CpGs: {args.epoch_cpgs:,} / "
        f"{hybrid['samples_per_s']:,.1f} samples/s / 60 = {epoch_min:,.1f} min"
    )
    report = {
        "bench": "train",
        "value": hybrid["samples_per_s"],
        "unit": "samples/s",
        "baseline": "original_cnn",
        "baseline_value": cnn["samples_per_s"],
        "ratio": ratio,
        "device": name,
        "torch": torch.__version__,
        "batch": args.batch_size,
        "window": WINDOW,
        "marks": MARKS,
        "bins": WINDOW // BIN_BP,
        "steps": args.steps,
        "warmup": args.warmup,
        "quick": args.quick,
        "compiled": args.compile,
        "baseline_compiled": args.compile and not args.baseline_eager,
        "dropout": args.dropout,
        "norm": args.norm or "layernorm",
        "compile_mode": args.compile_mode if args.compile else None,
        "sdpa": args.sdpa,
        "lr_scale": args.lr_scale,
        "step_ms": {"cnn": cnn["step_ms"], "hybrid": hybrid["step_ms"]},
        "peak_mem_mb": {"cnn": cnn["peak_mem_mb"], "hybrid": hybrid["peak_mem_mb"]},
        "peak_mem_kind": memory_kind,
        "params": {"cnn": cnn["params"], "hybrid": hybrid["params"]},
        "flops_per_sample": {"cnn": cnn["flops_per_sample"], "hybrid": hybrid["flops_per_sample"]},
        "peak_tflops": peak,
        "measured_peak_tflops": measured_peak,
        "mfu": {"cnn": cnn["mfu"], "hybrid": hybrid["mfu"]} if device.type == "cuda" else None,
        "mfu_measured": {"cnn": cnn["mfu_measured"], "hybrid": hybrid["mfu_measured"]},
        "target_samples_per_s": args.target,
        "memory_limit_gb": args.memory_limit_gb,
        "target_met": hybrid["samples_per_s"] >= args.target
        and hybrid["peak_mem_mb"] <= args.memory_limit_gb * 1024,
        "first_step_s": {"cnn": cnn["first_step_s"], "hybrid": hybrid["first_step_s"]},
        "epoch_cpgs": args.epoch_cpgs,
        f"epoch_minutes_{args.epoch_cpgs / 1e6:g}M": epoch_min,
    }
    if args.compare_compile:
        eager = results["hybrid" if not args.compile else "hybrid_eager"]
        compiled = results["hybrid_compiled" if not args.compile else "hybrid"]
        speedup = compiled["samples_per_s"] / eager["samples_per_s"]
        print(
            f"hybrid compiled / eager: {speedup:.3f}x; compiled first step (compilation) "
            f"{compiled['first_step_s']:.1f} s"
        )
        report["compile"] = {"hybrid_eager": eager, "hybrid_compiled": compiled, "speedup": speedup}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
