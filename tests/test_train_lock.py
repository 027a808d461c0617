"""One training per model folder (epibench.train.folder_lock): a second stops at once, naming the first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from epibench.errors import InputError
from epibench.train.folder_lock import training_lock
from epibench.train.from_shards import train_from_shards

HOLD = (
    "import sys, time\n"
    "from epibench.train.folder_lock import training_lock\n"
    "with training_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(60)\n"
)


def test_a_second_training_of_a_model_folder_stops_naming_the_first(tiny_shards, tmp_path):
    out = tmp_path / "model"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SLURM_JOB_ID": "1923"},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            InputError,
            match=rf"another training of this model is running \(process {holder.pid} on .*SLURM job 1923",
        ):
            train_from_shards(tiny_shards, {"arch": "cnn"}, {"epochs": 1}, out)
        assert not (out / "checkpoint.pt").exists() and not (out / "model.safetensors").exists()
    finally:
        holder.kill()
        holder.wait()
    with training_lock(out):  # the holder gone, the lock is free again
        pass


def test_each_training_of_a_process_keeps_its_own_history(tiny_shards, tmp_path, caplog):
    """Two trainings run in one process (a notebook, a test): each folder's history holds its own run only."""
    import json
    import logging

    from epibench.cli import main

    caplog.set_level(logging.INFO, logger="epibench")
    model = json.dumps({"arch": "cnn", "channels": [4], "kernels": [5], "pools": [2], "dense": 4})
    for name in ("first", "second"):
        args = ["train", "--shards", *map(str, tiny_shards), "--model-json", model]
        assert (
            main(
                [*args, "--train-json", '{"epochs": 1}', "--threads", "1", "--out-dir", str(tmp_path / name)]
            )
            == 0
        )
    for name in ("first", "second"):
        history = (tmp_path / name / "train_history.log").read_text()
        assert history.count(": started on ") == 1 and f"{tmp_path / name}: started on" in history
        assert "training done" in history
