"""Multi-process training: ``torchrun`` with 2 CPU processes (gloo) through the ``epibench train`` command."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from epibench.data.dataset import ShardDataset
from tiny_models import TINY_HYBRID

BIN = Path(sys.executable).parent
MODEL = {"arch": "hybrid", **TINY_HYBRID}
TRAIN = {"epochs": 2, "batch_size": 32, "lr": 0.003, "warmup_steps": 2, "num_workers": 0, "log_every": 5}


def _train(shards: list[Path], out: Path, processes: int) -> subprocess.CompletedProcess:
    command = [
        str(BIN / "epibench"),
        "train",
        "--shards",
        *map(str, shards),
        "--model-json",
        json.dumps(MODEL),
        "--train-json",
        json.dumps(TRAIN),
        "--threads",
        "1",
        "--out-dir",
        str(out),
    ]
    if processes > 1:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            str(processes),
            "--master-port",
            "29517",
            "--no-python",
            *command,
        ]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def _steps(out: Path) -> list[int]:
    with open(out / "metrics.csv") as handle:
        return [int(row["step"]) for row in csv.DictReader(handle)]


def test_two_processes_split_each_epoch_and_write_one_model(tiny_shards, tmp_path):
    n_train = len(ShardDataset(tiny_shards, "train"))
    batches = math.ceil(n_train / TRAIN["batch_size"])
    single = _train(tiny_shards, tmp_path / "single", 1)
    ddp = _train(tiny_shards, tmp_path / "ddp", 2)

    assert _steps(tmp_path / "single") == [batches, 2 * batches]
    assert _steps(tmp_path / "ddp") == [batches // 2, 2 * (batches // 2)], "each rank takes half the batches"
    assert "2 processes (DDP)" in ddp.stderr and "DDP" not in single.stderr
    meta = json.loads((tmp_path / "ddp" / "model.json").read_text())
    assert meta["training"]["processes"] == 2
    assert math.isfinite(meta["training"]["best_val_loss"])
