"""The launcher in front of ``epibench train``: its command lines, and two torchruns meeting as two
SLURM nodes would (a stand-in ``srun`` starting the torchrun once per node, ``scontrol`` naming this
machine as the first node; CPU, gloo)."""

from __future__ import annotations

import csv
import json
import math
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from epibench.data.dataset import ShardDataset
from epibench.train.launch import launcher_prefix
from tiny_models import TINY_HYBRID

BIN = Path(sys.executable).parent
TRAIN = {"epochs": 1, "batch_size": 32, "lr": 0.003, "warmup_steps": 2, "num_workers": 0, "log_every": 5}
# srun as a cluster runs it on each of --nodes nodes: here N copies of the command on this machine
FAKE_SRUN = """#!{python}
import subprocess, sys
args = sys.argv[1:]
nodes = int(args[args.index("--nodes") + 1])
command = args[args.index("torchrun"):]
runs = [subprocess.Popen(command) for _ in range(nodes)]
sys.exit(max(run.wait() for run in runs))
"""
FAKE_SCONTROL = "#!/bin/sh\necho 127.0.0.1\n"


def test_one_node_prefixes():
    assert launcher_prefix(1) == "" and launcher_prefix(0) == ""
    assert launcher_prefix(4) == "torchrun --standalone --nproc-per-node 4 --no-python"
    with pytest.raises(ValueError, match="0 nodes"):
        launcher_prefix(2, nodes=0)


def test_several_nodes_start_one_torchrun_per_node_meeting_on_the_first():
    prefix = launcher_prefix(4, nodes=3)
    assert prefix.startswith(
        "srun --overlap --nodes 3 --ntasks-per-node 1 torchrun --nnodes 3 --nproc-per-node 4 "
    )
    assert "--rdzv-backend c10d" in prefix and '--rdzv-id "$SLURM_JOB_ID"' in prefix
    assert '--rdzv-endpoint "$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)":29500' in prefix


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_two_nodes_train_as_one_ddp_job(tiny_shards, tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    _script(tools / "srun", FAKE_SRUN.format(python=sys.executable))
    _script(tools / "scontrol", FAKE_SCONTROL)
    out = tmp_path / "model"
    train = " ".join(
        [
            launcher_prefix(1, nodes=2, port=_free_port()),
            "epibench train --shards",
            *map(str, tiny_shards),
            "--model-json",
            f"'{json.dumps({'arch': 'hybrid', **TINY_HYBRID})}'",
            "--train-json",
            f"'{json.dumps(TRAIN)}'",
            "--threads 1 --out-dir",
            str(out),
        ]
    )
    env = {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NODELIST": "node[1-2]",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(["bash", "-c", train], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-5000:]
    assert "2 processes (DDP)" in done.stderr
    batches = math.ceil(len(ShardDataset(tiny_shards, "train")) / TRAIN["batch_size"])
    with open(out / "metrics.csv") as handle:
        assert [int(row["step"]) for row in csv.DictReader(handle)] == [batches // 2]
    assert (out / "model.safetensors").is_file()
