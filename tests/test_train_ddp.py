"""Multi-process training: ``torchrun`` with 2 CPU processes (gloo) through the ``epibench train`` command."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import signal
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from epibench.data.dataset import ShardDataset
from epibench.train.distributed import LaggedMax, Ranks
from epibench.train.loop import CHECKPOINT, STOP_SYNC_STEPS
from tiny_models import TINY_HYBRID

BIN = Path(sys.executable).parent
MODEL = {"arch": "hybrid", **TINY_HYBRID}
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "OMP_NUM_THREADS": "1"}
TRAIN = {"epochs": 2, "batch_size": 32, "lr": 0.003, "warmup_steps": 2, "num_workers": 0, "log_every": 5}


def _command(shards: list[Path], out: Path, processes: int, train: dict) -> list[str]:
    """``epibench train`` under torchrun with ``processes`` ranks (plain with one)."""
    command = [
        str(BIN / "epibench"),
        "train",
        "--shards",
        *map(str, shards),
        "--model-json",
        json.dumps(MODEL),
        "--train-json",
        json.dumps(train),
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
    return command


def _train(shards: list[Path], out: Path, processes: int, train: dict = TRAIN) -> subprocess.CompletedProcess:
    done = subprocess.run(
        _command(shards, out, processes, train), env=ENV, capture_output=True, text=True, timeout=300
    )
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


def _rank_pid(launcher: int, rank: int) -> int:
    """The process id of torchrun's worker ``rank`` (Linux /proc)."""
    children = Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split()
    for pid in children:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if f"RANK={rank}".encode() in environ:
            return int(pid)
    raise AssertionError(f"no rank {rank} among torchrun's children {children}")


def test_a_signal_to_one_rank_stops_every_rank_at_one_checkpoint(tiny_shards, tmp_path):
    """SIGTERM reaching one rank only: the ranks agree on it, checkpoint once and stop; the rerun resumes."""
    train = {**TRAIN, "batch_size": 4, "log_every": 1}
    out = tmp_path / "ddp"
    log = tmp_path / "ddp.log"
    with log.open("w") as sink:
        job = subprocess.Popen(
            _command(tiny_shards, out, 2, train), env=ENV, stdout=sink, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while " step 3 " not in log.read_text():
            assert job.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        os.kill(_rank_pid(job.pid, 1), signal.SIGTERM)
        code = job.wait(60)
    text = log.read_text()
    assert code != 0 and text.count("stopped by SIGTERM") == 2, text[-3000:]
    stopped_at = torch.load(out / CHECKPOINT, weights_only=True)["step"]
    assert stopped_at % STOP_SYNC_STEPS == 0 and f"stopped by SIGTERM at step {stopped_at};" in text
    resumed = _train(tiny_shards, out, 2, train)
    assert f"at step {stopped_at} " in resumed.stderr
    assert (out / "model.safetensors").exists()


# what each of two ranks passes to LaggedMax.exchange, round by round
EXCHANGED = {0: [0, 15, 0, 2], 1: [10, 0, 0, 3]}


def _exchange_rounds(rank: int, port: int, out: Path) -> None:
    """Worker: join a 2-rank gloo group, exchange this rank's values, then collect the last round."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    agreement = LaggedMax(Ranks(rank=rank, world_size=2, local_rank=rank))
    answers = [agreement.exchange(value) for value in EXCHANGED[rank]] + [agreement.finish()]
    dist.destroy_process_group()
    (out / f"rank{rank}.json").write_text(json.dumps(answers))


def test_ranks_agree_on_the_largest_value_one_exchange_late(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(_exchange_rounds, args=(port, tmp_path), nprocs=2)
    answers = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    # round k answers the maxima of round k - 1: max(0, 10), max(15, 0), max(0, 0), max(2, 3)
    assert answers[0] == answers[1] == [0, 10, 15, 0, 3]


def test_one_rank_gets_its_own_value_at_once():
    agreement = LaggedMax(Ranks())
    assert [agreement.exchange(value) for value in (0, 15, 2)] == [0, 15, 2]
    assert agreement.finish() == 0
