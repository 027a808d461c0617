"""The ``train`` stage: shard folders + settings -> a trained model folder."""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from pathlib import Path

from epibench.data.dataset import ShardDataset
from epibench.data.split_check import require_every_split
from epibench.errors import InputError
from epibench.models.factory import build_model
from epibench.train.distributed import ranks_from_env
from epibench.train.folder_lock import training_lock
from epibench.train.loop import TrainConfig, fit, set_seed
from epibench.train.transfer import TransferSettings, architecture, load_pretrained

# Settings of the training data rather than of the optimisation loop: histone normalisation,
# and the share of the training rows used (limited-data runs: a learning curve).
DATA_SETTINGS = {"histone_norm": "robust", "fraction": 1.0}


def train_from_shards(
    shard_dirs: list[str | Path],
    model_settings: dict,
    train_settings: dict,
    out_dir: str | Path,
) -> dict:
    """Train the model ``model_settings`` ({"arch": ..., size overrides, optionally pretrained,
    freeze, mark_map: ``epibench.train.transfer``}) on the train split of ``shard_dirs`` (a
    ``fraction`` of it when the train settings say so), early-stopping on their val split;
    returns the training summary. The main process holds ``out_dir``'s training lock throughout
    (epibench.train.folder_lock: InputError at once where another training holds it)."""
    require_every_split(shard_dirs)
    with training_lock(out_dir) if ranks_from_env().is_main else nullcontext():
        return _train(shard_dirs, model_settings, train_settings, out_dir)


def _train(
    shard_dirs: list[str | Path], model_settings: dict, train_settings: dict, out_dir: str | Path
) -> dict:
    train_settings = dict(train_settings)
    check_processes(train_settings.pop("processes", None))
    data = {key: train_settings.pop(key, default) for key, default in DATA_SETTINGS.items()}
    config = TrainConfig.from_mapping(train_settings)
    model_settings = dict(model_settings)
    transfer = TransferSettings.pop_from(model_settings)
    if transfer is not None:
        model_settings = architecture(transfer, model_settings)
    arch = model_settings.pop("arch")
    train_set = ShardDataset(shard_dirs, "train", histone_norm=data["histone_norm"])
    train_set.require_labels("training")
    if data["fraction"] < 1:
        train_set.keep_fraction(data["fraction"], config.seed)
    val_set = ShardDataset(shard_dirs, "val", histone_norm=data["histone_norm"])
    set_seed(config.seed)
    model = build_model(
        arch,
        n_marks=len(train_set.marks),
        n_bins=train_set.n_bins,
        window=train_set.window,
        n_context=train_set.n_context,
        **model_settings,
    )
    meta = {
        "marks": train_set.marks,
        "bin_size": train_set.bin_size,
        "histone_norm": data["histone_norm"],
        "histone_stats": {s: [c.tolist(), sc.tolist()] for s, (c, sc) in train_set.norm_stats.items()},
        "shards": [str(d) for d in shard_dirs],
        "data_fingerprint": data_fingerprint(train_set.manifests, data),
        "n_train_rows": len(train_set),
        "train_fraction": data["fraction"],
    }
    if transfer is not None:
        meta["pretrained"] = load_pretrained(
            model, transfer, train_set.marks, train_set.n_bins, train_set.window
        )
        # a checkpoint resumes only from the same start
        meta["data_fingerprint"] = data_fingerprint(
            train_set.manifests, data | {"pretrained": meta["pretrained"]}
        )
    # a rerun with other data or settings (Snakemake reruns when they change) starts afresh
    return fit(model, train_set, val_set, config, out_dir, meta, on_stale_checkpoint="restart")


def check_processes(processes: int | None) -> None:
    """InputError unless ``processes`` (the train setting: train.gpus x train.nodes, which decide the
    effective batch) is how many run; None: any number."""
    world_size = ranks_from_env().world_size
    if processes is not None and processes != world_size:
        raise InputError(
            f"train setting processes is {processes} (train.gpus x train.nodes) but {world_size} run: "
            "start epibench train under torchrun with as many (epibench.train.launch)"
        )


def data_fingerprint(manifests: list[dict], data_settings: dict) -> str:
    """SHA-256 over every shard's sample, chromosomes and array checksums, and the data settings:
    a checkpoint only resumes on exactly the data it was trained on."""
    content = [
        (m["sample"], [c["name"] for c in m["chroms"]], {k: v["sha256"] for k, v in m["arrays"].items()})
        for m in manifests
    ]
    text = json.dumps([sorted(content, key=json.dumps), data_settings], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
