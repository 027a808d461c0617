"""The ``train`` stage: shard folders + settings -> a trained model folder."""

from __future__ import annotations

from pathlib import Path

from epibench.data.dataset import ShardDataset
from epibench.models.factory import build_model
from epibench.train.loop import TrainConfig, fit, set_seed

# Settings of the training data rather than of the optimisation loop.
DATA_SETTINGS = {"reverse_complement": 0.5}


def train_from_shards(
    shard_dirs: list[str | Path], model_settings: dict, train_settings: dict, out_dir: str | Path
) -> dict:
    """Train the model ``model_settings`` ({"arch": ..., size overrides}) on the train split of
    ``shard_dirs``, early-stopping on their val split; returns the training summary."""
    train_settings = dict(train_settings)
    data = {key: train_settings.pop(key, default) for key, default in DATA_SETTINGS.items()}
    config = TrainConfig.from_mapping(train_settings)
    model_settings = dict(model_settings)
    arch = model_settings.pop("arch")
    train_set = ShardDataset(shard_dirs, "train", reverse_complement_prob=data["reverse_complement"])
    val_set = ShardDataset(shard_dirs, "val")
    set_seed(config.seed)
    model = build_model(
        arch, n_marks=len(train_set.marks), n_bins=train_set.n_bins, window=train_set.window, **model_settings
    )
    meta = {"marks": train_set.marks, "bin_size": train_set.bin_size, "shards": [str(d) for d in shard_dirs]}
    return fit(model, train_set, val_set, config, out_dir, meta)
