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
