"""Training loop, loss and schedule on a small learnable synthetic task (CPU, seconds)."""

import csv
import dataclasses
import logging
import math

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from epibench.data.loader import make_loader

from epibench.models.factory import build_model
from epibench.train import loop
from epibench.train.loop import (
    CHECKPOINT,
    METRIC_COLUMNS,
    TIMING_COLUMNS,
    TrainConfig,
    fit,
    resolve_device,
    validate,
)
from epibench.train.losses import methylation_loss
from epibench.train.modelfile import load_model
from epibench.train.schedule import warmup_cosine
from epibench.codes import BASES, REGION_CLASSES

W, M, NB = 40, 2, 4
MARKS = ["H3K4me3", "H3K27ac"]
SMALL = {
    "hybrid": dict(
        d_model=16,
        n_heads=2,
        ff_dim=32,
        n_layers=1,
        stem_pool=4,
        stem_kernel=3,
        hist_dim=8,
        fusion_dim=16,
        fusion_heads=2,
        head_hidden=8,
        dropout=0.1,
    ),
    "cnn": dict(channels=(8, 8), kernels=(3, 3), pools=(2, 2), dense=16, dropout=0.1),
}


class PlantedDataset(Dataset):
    """Level is high where a motif is planted around the window's centre (half the samples); hist is noise."""

    MOTIF = torch.tensor([BASES.index(b) for b in "GATTACA"])

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.seq = torch.randint(0, len(BASES), (n, W), generator=g)
        methylated = torch.rand(n, generator=g) < 0.5
        start = W // 2 - 4
        self.seq[methylated, start : start + len(self.MOTIF)] = self.MOTIF
        self.level = torch.where(methylated, 0.9, 0.1) + 0.05 * torch.rand(n, generator=g)
        self.hist_mask = torch.rand(n, M, NB, generator=g) > 0.2
        self.hist = torch.randn(n, M, NB, generator=g) * self.hist_mask
        self.region = torch.randint(0, len(REGION_CLASSES), (n,), generator=g)
        self.weight = 0.5 + torch.rand(n, generator=g)

    def __len__(self):
        return len(self.level)

    def __getitems__(self, request):
        """A batch, as ShardDataset gives it: ``request`` is indices or a BatchRequest (flips ignored)."""
        i = torch.as_tensor(np.asarray(getattr(request, "indices", request), dtype=np.int64))
        return {
            "seq": self.seq[i],
            "hist": self.hist[i],
            "hist_mask": self.hist_mask[i],
            "region": self.region[i],
            "level": self.level[i],
            "label": (self.level[i] >= 0.5).float(),
            "weight": self.weight[i],
            "index": i,
        }


def make_model(arch, seed=0):
    torch.manual_seed(seed)
    return build_model(arch, M, NB, W, **SMALL[arch])


def config(**changes):
    base = dict(
        epochs=2, batch_size=32, lr=3e-3, warmup_steps=2, patience=0, seed=3, num_workers=0, log_every=2
    )
    return TrainConfig(**{**base, **changes})


META = {"marks": MARKS, "bin_size": 10}


@pytest.fixture(scope="module")
def data():
    return PlantedDataset(384, seed=1), PlantedDataset(128, seed=2)


def test_loss_is_weighted_mse_plus_alpha_bce():
    out = {"level": torch.tensor([0.2, 0.9, 0.5]), "logit": torch.tensor([-1.0, 2.0, 0.0])}
    batch = {
        "level": torch.tensor([0.0, 1.0, 1.0]),
        "label": torch.tensor([0.0, 1.0, 1.0]),
        "weight": torch.tensor([1.0, 3.0, 0.0]),
    }
    loss, parts = methylation_loss(out, batch, alpha=0.5)
    mse = (1 * 0.2**2 + 3 * 0.1**2 + 0 * 0.5**2) / 4
    bce = (math.log1p(math.exp(-1.0)) + math.log1p(math.exp(-2.0)) + math.log(2.0)) / 3
    assert parts["mse"].item() == pytest.approx(mse)
    assert parts["bce"].item() == pytest.approx(bce)
    assert loss.item() == pytest.approx(mse + 0.5 * bce)
    zero_alpha, _ = methylation_loss(out, batch, alpha=0.0)
    assert zero_alpha.item() == pytest.approx(mse)


def test_warmup_then_cosine():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = warmup_cosine(opt, warmup_steps=5, total_steps=25)
    lrs = []
    for _ in range(30):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert all(a < b for a, b in zip(lrs[:5], lrs[1:5]))  # rising during warm-up
    assert lrs[4] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[4:], lrs[5:]))  # then never rising
    assert lrs[15] == pytest.approx(0.5, abs=1e-6)  # half-way through the cosine
    assert lrs[25] == pytest.approx(0.0, abs=1e-9) and lrs[29] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("arch", ["cnn", "hybrid"])
def test_training_learns_the_planted_pattern(arch, data, tmp_path, caplog):
    train_set, val_set = data
    model = make_model(arch)
    loader = make_loader(val_set, batch_size=64, shuffle=False)
    before = validate(model, loader, torch.device("cpu"), alpha=1.0)
    with caplog.at_level(logging.INFO, logger="epibench.train.loop"):
        summary = fit(model, train_set, val_set, config(epochs=6, lr=1e-2), tmp_path, META)
    after = validate(model, loader, torch.device("cpu"), alpha=1.0)
    assert after["loss"] < 0.6 * before["loss"]
    assert after["auroc"] > 0.9
    assert summary["best_val_loss"] == pytest.approx(
        after["loss"], rel=1e-5
    )  # model ends with the best weights
    assert "training on cpu" in caplog.text
    assert any("step 2 loss" in r.getMessage() for r in caplog.records)  # plain progress lines (no TTY)


def test_outputs_metrics_plot_model(data, tmp_path):
    train_set, val_set = data
    fit(make_model("cnn"), train_set, val_set, config(epochs=3), tmp_path, META)
    with open(tmp_path / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == METRIC_COLUMNS
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [int(r["step"]) for r in rows] == [12, 24, 36]  # 384 / 32 steps per epoch
    assert all(float(r["samples_per_s"]) > 0 and 0 <= float(r["val_auroc"]) <= 1 for r in rows)
    # on CPU: the loader's wait is measured, the GPU's idle time is not (no GPU)
    assert all(float(r["loader_wait_ms"]) > 0 and math.isnan(float(r["gpu_idle_ms"])) for r in rows)
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model, meta = load_model(tmp_path, expect_marks=MARKS, expect_window=W)
    assert meta["training"]["epochs_run"] == 3 and meta["bin_size"] == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["checkpoint.pt", "metrics.csv", "loss.png", "model.safetensors", "model.json"]
    )


def test_checkpoint_loads_with_weights_only(data, tmp_path):
    train_set, val_set = data
    fit(make_model("hybrid"), train_set, val_set, config(epochs=1), tmp_path, META)
    checkpoint = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert checkpoint["epoch"] == 1 and checkpoint["step"] == 12
    assert {"model", "optimizer", "scheduler", "rng", "best_val_loss", "epochs_without_improvement"} <= set(
        checkpoint
    )


class Killed(Exception):
    pass


@pytest.mark.parametrize("kill_at_step", [12, 15], ids=["epoch end", "mid-epoch"])
def test_resume_after_kill_equals_uninterrupted_run(data, tmp_path, monkeypatch, kill_at_step):
    train_set, val_set = data
    cfg = config(epochs=3, checkpoint_every=5)  # checkpoints at steps 5, 10, 12 (epoch end), 15, 20, ...
    whole = make_model("hybrid")
    fit(whole, train_set, val_set, cfg, tmp_path / "whole", META)

    write = loop.write_checkpoint

    def write_then_die(path, checkpoint):
        write(path, checkpoint)
        if checkpoint["step"] == kill_at_step:
            raise Killed

    monkeypatch.setattr(loop, "write_checkpoint", write_then_die)
    with pytest.raises(Killed):
        fit(make_model("hybrid"), train_set, val_set, cfg, tmp_path / "resumed", META)
    monkeypatch.setattr(loop, "write_checkpoint", write)
    assert torch.load(tmp_path / "resumed" / CHECKPOINT, weights_only=True)["step"] == kill_at_step
    resumed = make_model("hybrid", seed=99)  # other initial weights: they must come from the checkpoint
    fit(resumed, train_set, val_set, cfg, tmp_path / "resumed", META)

    for a, b in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert a[0] == b[0] and torch.equal(a[1], b[1]), a[0]
    last = [torch.load(tmp_path / d / CHECKPOINT, weights_only=True) for d in ("whole", "resumed")]
    for key in last[0]["model"]:
        assert torch.equal(last[0]["model"][key], last[1]["model"][key]), key
    assert last[0]["step"] == last[1]["step"] == 36
    drop = set(TIMING_COLUMNS)  # measurements, not results
    assert [{k: v for k, v in r.items() if k not in drop} for r in last[0]["history"]] == [
        {k: v for k, v in r.items() if k not in drop} for r in last[1]["history"]
    ]


def test_checkpoints_every_n_steps(data, tmp_path, monkeypatch):
    train_set, val_set = data
    steps = []
    write = loop.write_checkpoint

    def record(path, checkpoint):
        steps.append((checkpoint["step"], checkpoint["batch_in_epoch"]))
        write(path, checkpoint)

    monkeypatch.setattr(loop, "write_checkpoint", record)
    fit(make_model("cnn"), train_set, val_set, config(epochs=2, checkpoint_every=5), tmp_path, META)
    # every 5 steps, plus each epoch's end (12 batches per epoch; the end resets batch_in_epoch)
    assert steps == [(5, 5), (10, 10), (12, 0), (15, 3), (20, 8), (24, 0)]


def test_resume_refuses_changed_settings(data, tmp_path):
    train_set, val_set = data
    fit(make_model("cnn"), train_set, val_set, config(epochs=1), tmp_path, META)
    with pytest.raises(ValueError, match="lr"):
        fit(make_model("cnn"), train_set, val_set, config(epochs=1, lr=1e-3), tmp_path, META)


def test_early_stopping_on_flat_validation_loss(data, tmp_path):
    train_set, val_set = data
    summary = fit(
        make_model("cnn"), train_set, val_set, config(epochs=10, lr=0.0, patience=2), tmp_path, META
    )
    assert summary["stopped_early"] is True
    assert summary["epochs_run"] == 3 and summary["best_epoch"] == 1


def test_config_validation():
    with pytest.raises(ValueError, match="bacth_size"):
        TrainConfig.from_mapping({"bacth_size": 4})
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    assert TrainConfig.from_mapping({"lr": 1e-3}).lr == 1e-3
    with pytest.raises(ValueError, match="compile_mode must be one of"):
        TrainConfig(compile_mode="fast")
    assert dataclasses.asdict(TrainConfig())["lr"] == 3e-4
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_device("cuda")


def test_fit_requires_marks_before_training(data, tmp_path):
    train_set, val_set = data
    with pytest.raises(ValueError, match="marks"):
        fit(make_model("cnn"), train_set, val_set, config(), tmp_path, {"marks": ["only-one"]})
    assert not (tmp_path / CHECKPOINT).exists()


def test_rerun_of_a_finished_run_trains_no_more(data, tmp_path):
    """As Snakemake reruns a job (--forcerun, or a mark renamed in shards of the same data): its
    outputs removed first, the checkpoint kept. Every output is written again, from the checkpoint."""
    train_set, val_set = data
    first = fit(make_model("cnn"), train_set, val_set, config(epochs=2), tmp_path, META)
    first_metrics = (tmp_path / "metrics.csv").read_text()
    for name in ("metrics.csv", "loss.png", "model.safetensors", "model.json"):
        (tmp_path / name).unlink()
    again_model = make_model("cnn", seed=5)
    again = fit(again_model, train_set, val_set, config(epochs=2, num_workers=1), tmp_path, META)
    assert again["steps"] == first["steps"] and again["best_val_loss"] == first["best_val_loss"]
    loaded, _ = load_model(tmp_path)
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, again_model.state_dict()[key])
    assert (tmp_path / "metrics.csv").read_text() == first_metrics and (tmp_path / "loss.png").stat().st_size


def test_progress_bar_on_a_terminal(data, tmp_path, monkeypatch, capsys):
    train_set, val_set = data
    monkeypatch.setattr(loop.sys.stderr, "isatty", lambda: True, raising=False)
    fit(make_model("cnn"), train_set, val_set, config(epochs=1), tmp_path, META)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "/12 [" in err  # tqdm: description and batch counter
