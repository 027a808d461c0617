"""Transfer learning (epibench.train.transfer) and limited-data training (train fraction)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from epibench.data.dataset import ShardDataset
from epibench.errors import InputError
from epibench.models.factory import build_model
from epibench.train.loop import set_seed
from epibench.train.modelfile import save_model
from epibench.train.from_shards import train_from_shards
from epibench.train.transfer import TransferSettings, load_pretrained
from tiny_models import TINY_CNN, TINY_HYBRID

N_BINS, WINDOW = 4, 200
SIZES = {"hybrid": TINY_HYBRID, "cnn": TINY_CNN}


def _pretrained(tmp_path, arch: str, marks: list[str]):
    set_seed(1)
    model = build_model(arch, len(marks), N_BINS, WINDOW, **SIZES[arch])
    save_model(tmp_path / "pre", model, {"marks": marks})
    return model


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_marks_start_from_their_namesakes_or_the_map_and_the_rest_afresh(tmp_path, arch):
    old_marks = ["H3K4me3", "H3K27ac", "H3K36me3"]
    pre = _pretrained(tmp_path, arch, old_marks).state_dict()
    marks = ["H3K36me3", "ATAC", "K27ac"]  # one by name, one new, one renamed
    set_seed(2)
    model = build_model(arch, len(marks), N_BINS, WINDOW, **SIZES[arch])
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    settings = TransferSettings(tmp_path / "pre", "none", (("K27ac", "H3K27ac"),))
    record = load_pretrained(model, settings, marks, N_BINS, WINDOW)
    assert record["marks_from"] == {"H3K36me3": "H3K36me3", "K27ac": "H3K27ac"}
    assert record["marks_reinitialised"] == ["ATAC"] and record["pretrained_marks_unused"] == ["H3K4me3"]
    state = model.state_dict()
    name = "histone.proj.weight" if arch == "hybrid" else "dense.0.weight"
    block = 1 if arch == "hybrid" else N_BINS
    other = state[name].shape[1] - 2 * len(marks) * block

    def columns(weights, n_marks, kind, mark):  # kind 0: signal, 1: mask
        start = other + (kind * n_marks + mark) * block
        return weights[:, start : start + block]

    for kind in (0, 1):
        assert torch.equal(columns(state[name], 3, kind, 0), columns(pre[name], 3, kind, 2))  # H3K36me3
        assert torch.equal(
            columns(state[name], 3, kind, 2), columns(pre[name], 3, kind, 1)
        )  # K27ac <- H3K27ac
        assert torch.equal(columns(state[name], 3, kind, 1), columns(fresh[name], 3, kind, 1))  # ATAC: new
    assert torch.equal(state[name][:, :other], pre[name][:, :other])
    for key, value in state.items():
        if key != name:
            assert torch.equal(value, pre[key]), key


def test_freeze_sequence_fixes_only_the_sequence_encoder(tmp_path):
    marks = ["H3K4me3", "H3K27ac"]
    _pretrained(tmp_path, "hybrid", marks)
    model = build_model("hybrid", 2, N_BINS, WINDOW, **TINY_HYBRID)
    record = load_pretrained(model, TransferSettings(tmp_path / "pre", "sequence"), marks, N_BINS, WINDOW)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all(n.startswith("sequence.") for n in frozen)
    assert record["frozen_parameters"] == sum(p.numel() for n, p in model.named_parameters() if n in frozen)
    assert any(p.requires_grad for n, p in model.named_parameters() if n.startswith("histone."))


def test_what_cannot_transfer_is_named(tmp_path):
    marks = ["H3K4me3"]
    _pretrained(tmp_path, "cnn", marks)
    model = build_model("cnn", 1, N_BINS, WINDOW, **TINY_CNN)
    with pytest.raises(InputError, match="400 bp"):
        load_pretrained(model, TransferSettings(tmp_path / "pre"), marks, N_BINS, 400)
    with pytest.raises(InputError, match="mark_map"):
        load_pretrained(
            model, TransferSettings(tmp_path / "pre", "none", (("X", "H3K4me3"),)), marks, N_BINS, WINDOW
        )
    with pytest.raises(InputError, match="pretrained model file missing"):
        load_pretrained(model, TransferSettings(tmp_path / "nowhere"), marks, N_BINS, WINDOW)
    with pytest.raises(InputError, match="need pretrained"):
        TransferSettings.pop_from({"arch": "cnn", "freeze": "sequence"})


def test_fraction_keeps_blocks_of_the_training_rows(tiny_shards):
    full = ShardDataset(tiny_shards, "train")
    part = ShardDataset(tiny_shards, "train")
    part.keep_fraction(0.1, seed=0)
    assert 0.05 * len(full) < len(part) < 0.15 * len(full)
    rows = pd.DataFrame(part.rows_table())
    everything = pd.DataFrame(full.rows_table())
    assert len(rows.merge(everything, on=["sample", "chrom", "pos"])) == len(rows)
    again = ShardDataset(tiny_shards, "train")
    again.keep_fraction(0.1, seed=0)
    assert pd.DataFrame(again.rows_table()).equals(rows)


MODEL = {"arch": "cnn", **TINY_CNN}
TRAIN = {
    "batch_size": 32,
    "warmup_steps": 1,
    "num_workers": 0,
    "checkpoint_every": 0,
    "lr": 0.003,
    "patience": 0,
}


def test_fine_tuning_beats_training_from_scratch_on_little_data(small_shards, tmp_path):
    """A model trained on all training rows, fine-tuned on 5 % of them, against the same model trained on that 5 % only."""
    train_from_shards(small_shards, MODEL, {**TRAIN, "epochs": 3}, tmp_path / "full")
    little = {**TRAIN, "epochs": 2, "fraction": 0.05}
    scratch = train_from_shards(small_shards, MODEL, little, tmp_path / "scratch")
    tuned = train_from_shards(
        small_shards, {**MODEL, "pretrained": str(tmp_path / "full")}, little, tmp_path / "tuned"
    )
    assert tuned["best_val_loss"] < scratch["best_val_loss"]
    meta = json.loads((tmp_path / "tuned" / "model.json").read_text())
    assert (
        meta["pretrained"]["marks_reinitialised"] == []
        and meta["n_train_rows"]
        < 0.1 * json.loads((tmp_path / "full" / "model.json").read_text())["n_train_rows"]
    )
