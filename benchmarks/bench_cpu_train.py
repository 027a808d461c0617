"""Benchmark: CPU training of the demo's new model against the machine's own matmul rate.

What is measured, in one run, on the threads a workflow job would get (``--threads``, default
every core), each thread count set as ``epibench`` sets it for a job (``epibench.threads``):

- baseline: the machine's float32 matrix-multiply rate, ``torch.mm`` of two ``--matmul-size``
  square matrices (default 1024), median of repeated products: GFLOP/s = 2 n^3 / seconds;
- the demo's new model (the ``hybrid`` entry of ``config/config.yaml``: its sizes, the config's
  marks, window, bin size and batch size) trained as ``epibench.train.loop`` trains it
  (``bench_train.make_step``: forward, loss, backward, clipping, AdamW) on one synthetic batch:
  training samples/s over ``--steps`` timed steps after one warm-up step;
- FLOPs of one training step (forward + backward, matmuls and convolutions) counted with
  ``torch.utils.flop_counter.FlopCounterMode``; achieved GFLOP/s = FLOPs/sample x samples/s;
  ``ratio`` = achieved / matmul GFLOP/s (the goal: >= 0.30);
- sharing: the same training in separate processes, first one alone on all ``--threads``, then
  two at once on half the threads each (what two jobs of a workflow get when each is given half
  the cores), then two at once on all threads each (two jobs that ignore their share); each
  concurrent job's samples/s over the lone job's (the goal for the fair share: >= 0.40 each).

    .venv/bin/python benchmarks/bench_cpu_train.py --quick     # < 1 min
    .venv/bin/python benchmarks/bench_cpu_train.py             # ~3 min

The last printed line is one JSON object (``bench``, ``value`` = achieved GFLOP/s, ``unit``,
``baseline`` = matmul, ``baseline_value`` = its GFLOP/s, ``ratio`` and the details).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

from bench_train import count_flops, make_step, param_groups, set_seed, synthetic_batch

from epibench.models.factory import build_model
from epibench.threads import use_threads

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "config" / "config.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and shorter sharing runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, help="timed training steps (default 30, quick 8)")
    parser.add_argument(
        "--share-seconds", type=float, help="seconds each sharing run trains (default 20, quick 6)"
    )
    parser.add_argument("--matmul-size", type=int, default=1024)
    parser.add_argument(
        "--config", type=Path, default=DEMO_CONFIG, help="config whose hybrid model is trained"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.steps = args.steps or (8 if args.quick else 30)
    args.share_seconds = args.share_seconds or (6.0 if args.quick else 20.0)
    return args


def demo_shapes(config_path: Path) -> dict:
    """The demo model's sizes and data shapes from a cohort config."""
    config = yaml.safe_load(config_path.read_text())
    entry = {k: v for k, v in config["models"]["hybrid"].items() if k not in ("arch", "seed")}
    shards = config.get("shards", {})
    window, bin_size = shards.get("window", 1000), shards.get("bin_size", 100)
    return {
        "overrides": entry,
        "n_marks": len(config["marks"]),
        "window": window,
        "n_bins": window // bin_size,
        "batch_size": config.get("train", {}).get("batch_size", 256),
    }


def matmul_gflops(size: int, repeats: int = 20) -> float:
    """float32 ``torch.mm`` of two size x size matrices: GFLOP/s of the median product."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - started)
    return 2 * size**3 / statistics.median(times) / 1e9


def training_step(shapes: dict):
    """(step closure, batch size) for the demo model on one synthetic batch, in train mode."""
    set_seed(0)
    model = build_model(
        "hybrid",
        n_marks=shapes["n_marks"],
        n_bins=shapes["n_bins"],
        window=shapes["window"],
        **shapes["overrides"],
    ).train()
    optimizer = torch.optim.AdamW(param_groups(model), lr=1e-3)
    batch = synthetic_batch(
        shapes["batch_size"],
        torch.device("cpu"),
        window=shapes["window"],
        marks=shapes["n_marks"],
        n_bins=shapes["n_bins"],
    )
    return make_step(model, optimizer, batch, torch.device("cpu")), shapes["batch_size"]


def train_rate(step, batch_size: int, *, steps: int | None = None, seconds: float | None = None) -> float:
    """Samples/s over ``steps`` steps, or over as many as fit in ``seconds``, after one warm-up step."""
    step()
    done, started = 0, time.perf_counter()
    while (steps is not None and done < steps) or (
        seconds is not None and time.perf_counter() - started < seconds
    ):
        step()
        done += 1
    return batch_size * done / (time.perf_counter() - started)


def run_worker(args: argparse.Namespace) -> None:
    """One sharing process: train for --share-seconds on --threads, print samples/s as JSON."""
    use_threads(args.threads)
    step, batch_size = training_step(demo_shapes(args.config))
    print(json.dumps({"samples_per_s": train_rate(step, batch_size, seconds=args.share_seconds)}))


def concurrent_rates(args: argparse.Namespace, threads: list[int]) -> list[float]:
    """Start one worker per entry of ``threads`` at once; each one's samples/s."""
    command = [sys.executable, __file__, "--worker", "--config", str(args.config)]
    command += ["--share-seconds", str(args.share_seconds)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    procs = [
        subprocess.Popen([*command, "--threads", str(n)], stdout=subprocess.PIPE, text=True, env=env)
        for n in threads
    ]
    outputs = [proc.communicate()[0] for proc in procs]
    if any(proc.returncode for proc in procs):
        raise SystemExit(f"a sharing worker failed: {outputs}")
    return [json.loads(out.strip().splitlines()[-1])["samples_per_s"] for out in outputs]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return
    use_threads(args.threads)
    shapes = demo_shapes(args.config)
    matmul = matmul_gflops(args.matmul_size)
    print(f"matmul {args.matmul_size}^3 float32 on {args.threads} threads: {matmul:.1f} GFLOP/s")
    step, batch_size = training_step(shapes)
    flops_per_sample = count_flops(step) / batch_size
    rate = train_rate(step, batch_size, steps=args.steps)
    achieved = flops_per_sample * rate / 1e9
    print(
        f"demo hybrid ({shapes['overrides']}), batch {batch_size}: {rate:.0f} samples/s x "
        f"{flops_per_sample / 1e6:.1f} MFLOP/sample (fwd+bwd) = {achieved:.1f} GFLOP/s = "
        f"{achieved / matmul:.1%} of the matmul rate"
    )
    half = max(1, args.threads // 2)
    alone = concurrent_rates(args, [args.threads])[0]
    fair = concurrent_rates(args, [half, half])
    greedy = concurrent_rates(args, [args.threads, args.threads])
    print(f"one job alone on {args.threads} threads: {alone:.0f} samples/s")
    print(
        f"two jobs at once on {half} thread(s) each: {', '.join(f'{r:.0f}' for r in fair)} samples/s "
        f"({', '.join(f'{r / alone:.0%}' for r in fair)} of one alone)"
    )
    print(
        f"two jobs at once on {args.threads} threads each (oversubscribed): "
        f"{', '.join(f'{r:.0f}' for r in greedy)} samples/s ({', '.join(f'{r / alone:.0%}' for r in greedy)})"
    )
    result = {
        "bench": "cpu_train",
        "value": round(achieved, 2),
        "unit": "GFLOP/s",
        "baseline": f"matmul_{args.matmul_size}_fp32",
        "baseline_value": round(matmul, 2),
        "ratio": round(achieved / matmul, 4),
        "threads": args.threads,
        "samples_per_s": round(rate, 1),
        "flops_per_sample": round(flops_per_sample),
        "batch_size": batch_size,
        "alone_samples_per_s": round(alone, 1),
        "shared_fair_ratio": [round(r / alone, 3) for r in fair],
        "shared_oversubscribed_ratio": [round(r / alone, 3) for r in greedy],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
