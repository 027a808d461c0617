"""The train stage on real shards: data fingerprint, fresh start on other data, resume on the same."""

from __future__ import annotations

import json

import torch

from epibench.train.loop import CHECKPOINT
from epibench.train.from_shards import train_from_shards
from tiny_models import TINY_HYBRID

MODEL = {"arch": "cnn", "channels": [8, 8], "kernels": [5, 5], "pools": [2, 2], "dense": 8}
TRAIN = {"epochs": 1, "batch_size": 64, "warmup_steps": 1, "num_workers": 0, "checkpoint_every": 0}


def test_other_shards_start_afresh_and_the_same_ones_resume(tiny_shards, tmp_path, caplog):
    first = train_from_shards(tiny_shards, MODEL, TRAIN, tmp_path)
    saved = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    again = train_from_shards(tiny_shards, MODEL, TRAIN, tmp_path)  # same data: the finished run is reused
    assert again["steps"] == first["steps"] and not (tmp_path / "checkpoint.stale.pt").exists()

    one_sample = [d for d in tiny_shards if d.parent.name == tiny_shards[0].parent.name]
    with caplog.at_level("INFO", logger="epibench"):  # expected after a sheet edit: no warning
        other = train_from_shards(one_sample, MODEL, TRAIN, tmp_path)
    assert (tmp_path / "checkpoint.stale.pt").exists()
    assert "training data" in caplog.text
    assert other["steps"] < first["steps"], "trained again, on fewer rows"
    assert (
        torch.load(tmp_path / CHECKPOINT, weights_only=True)["identity"]["data"] != saved["identity"]["data"]
    )


def test_a_checkpoint_of_another_number_of_processes_starts_afresh(tiny_shards, tmp_path, caplog):
    """The processes (train.gpus x train.nodes) decide the effective batch: a finished checkpoint of a
    2-process run is set aside by a 1-process one, which trains its epochs."""
    train_from_shards(tiny_shards, MODEL, TRAIN, tmp_path)
    saved = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert saved["identity"]["settings"]["processes"] == 1
    saved["identity"]["settings"]["processes"] = 2
    torch.save(saved, tmp_path / CHECKPOINT)
    with caplog.at_level("INFO", logger="epibench"):
        again = train_from_shards(tiny_shards, MODEL, TRAIN, tmp_path)
    assert "train setting processes: 2 then, 1 now" in caplog.text
    assert (tmp_path / "checkpoint.stale.pt").exists() and again["epochs_run"] == TRAIN["epochs"]


def test_histone_normalisation_is_part_of_the_run(tiny_shards, tmp_path, caplog):
    train_from_shards(tiny_shards, MODEL, TRAIN, tmp_path)
    with caplog.at_level("INFO", logger="epibench"):
        train_from_shards(tiny_shards, MODEL, {**TRAIN, "histone_norm": "log1p"}, tmp_path)
    assert "training data" in caplog.text


def test_a_methylation_only_cohort_trains_on_the_sequence(tiny_shards_without_marks, tmp_path):
    """Shards without marks: the hybrid trains without its histone encoder and fusion, and its
    model.json records zero marks."""
    train_from_shards(tiny_shards_without_marks, {"arch": "hybrid", **TINY_HYBRID}, TRAIN, tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["n_marks"] == 0 and meta["marks"] == []
    assert meta["training"]["best"]["val_loss"] > 0
