"""Preemption as SLURM does it at a time limit: SIGTERM to every process of the job, SIGKILL a
grace period later; and Ctrl-C, SIGINT to every process. `epibench train` checkpoints on either
and exits 128 + the signal (143, 130); the rerun resumes
from that checkpoint and ends where an undisturbed run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from epibench.train.loop import CHECKPOINT, TIMING_COLUMNS

MODEL = {"arch": "cnn", "channels": [8, 8], "kernels": [5, 5], "pools": [2, 2], "dense": 8}
# small batches: many steps, so the signal lands mid-epoch; a DataLoader worker, which SIGTERM
# reaches too
TRAIN = {
    "epochs": 2,
    "batch_size": 8,
    "warmup_steps": 1,
    "num_workers": 1,
    "checkpoint_every": 0,
    "log_every": 1,
}
GRACE_S = 30  # SLURM's default KillWait


def _train_command(shards: list[Path], out_dir: Path) -> list[str]:
    exe = Path(sys.executable).parent / "epibench"
    return [
        str(exe),
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
        str(out_dir),
    ]


def _wait_for_log(log: Path, text: str, process: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in log.read_text():
        assert process.poll() is None, f"training ended before {text!r}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{log.read_text()}"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_signal_checkpoints_and_the_rerun_resumes(tiny_shards, tmp_path, stop):
    whole = tmp_path / "whole"
    subprocess.run(_train_command(tiny_shards, whole), check=True, capture_output=True)

    out = tmp_path / "preempted"
    log = tmp_path / "preempted.log"
    # SIGTERM as a SLURM job gets it (the profile's --signal=TERM@300, scancel); Ctrl-C at a terminal
    env = {**os.environ, "SLURM_JOB_ID": "4242"} if stop == signal.SIGTERM else None
    with log.open("w") as sink:
        job = subprocess.Popen(
            _train_command(tiny_shards, out),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        _wait_for_log(log, " step 5 ", job)
        os.killpg(job.pid, stop)  # the whole job (a terminal's Ctrl-C too): main process and worker
        try:
            code = job.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)
            raise AssertionError(f"still running {GRACE_S} s after {stop.name}:\n{log.read_text()}")
    text = log.read_text()
    assert code == 128 + stop, text
    assert text.count(f"stopped by {stop.name}") == 1 and "Traceback" not in text
    assert ("SLURM job 4242: SLURM signals a job 5 minutes before its time limit" in text) == (
        env is not None
    )
    assert not (out / "model.safetensors").exists(), "a preempted run publishes no model"
    stopped_at = torch.load(out / CHECKPOINT, weights_only=True)["step"]
    assert stopped_at >= 5

    rerun = subprocess.run(_train_command(tiny_shards, out), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"at step {stopped_at} " in rerun.stderr, "the rerun resumes from the signal's checkpoint"
    metrics = [pd.read_csv(d / "metrics.csv").drop(columns=list(TIMING_COLUMNS)) for d in (whole, out)]
    pd.testing.assert_frame_equal(metrics[0], metrics[1])
    weights = [load_file(d / "model.safetensors") for d in (whole, out)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    # the model folder's history keeps both runs: the steps of the stopped one, then the resume
    history = (out / "train_history.log").read_text()
    assert history.count(": started on ") == 2
    stop_line = f"stopped by {stop.name} at step {stopped_at};"  # why the first run ended (a trial's cancel)
    assert (
        history.index(" step 5 ")
        < history.index(stop_line)
        < history.index(f"at step {stopped_at} ")
        < history.index("training done")
    )
