"""Training loop: AdamW, warm-up + cosine, early stopping, resumable epoch checkpoints.

Files written into ``out_dir`` (each atomically): ``checkpoint.pt`` (end of every epoch;
torch.save of tensors and plain Python values only, so ``torch.load(weights_only=True)``
reads it), ``metrics.csv``, ``loss.png`` and, at the end, the best-validation-loss
weights as ``model.safetensors`` + ``model.json`` (``epibench.train.modelfile``).

Rerunning ``fit`` on the same ``out_dir`` resumes from ``checkpoint.pt``: on CPU a run
killed after any epoch and rerun ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import logging
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from epibench.io.atomic import atomic_path
from epibench.models.factory import count_parameters
from epibench.train.losses import methylation_loss
from epibench.train.modelfile import check_meta, save_model
from epibench.train.schedule import warmup_cosine

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.csv"
LOSS_PLOT = "loss.png"
METRIC_COLUMNS = (
    "epoch",
    "step",
    "train_loss",
    "val_loss",
    "val_mse",
    "val_auroc",
    "lr",
    "seconds",
    "samples_per_s",
)
BATCH_KEYS = ("seq", "hist", "hist_mask", "region", "level", "label", "weight")


@dataclasses.dataclass
class TrainConfig:
    """Every training default, in one place.

    epochs: passes over the training set. batch_size: samples per optimizer step.
    lr, weight_decay: AdamW (no decay on biases and norm/1-d weights).
    warmup_steps: linear warm-up (optimizer steps; capped at 10 % of all steps), then cosine to 0.
    grad_clip: max global gradient norm (0 = off). patience: epochs without a lower
    validation loss before stopping (0 = never stop early). alpha: weight of the BCE term
    (``losses.methylation_loss``). seed: shuffling, dropout and all RNGs. num_workers:
    DataLoader worker processes. compile: torch.compile the model. device: "auto" (cuda
    if available), "cpu", "cuda" or "cuda:N". log_every: steps between progress lines
    when stderr is not a terminal.
    """

    epochs: int = 30
    batch_size: int = 256
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 500
    grad_clip: float = 1.0
    patience: int = 5
    alpha: float = 1.0
    seed: int = 0
    num_workers: int = 2
    compile: bool = False
    device: str = "auto"
    log_every: int = 100

    def __post_init__(self):
        for name in ("epochs", "batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"train setting {name} must be >= 1, got {getattr(self, name)}")
        for name in ("lr", "weight_decay", "warmup_steps", "grad_clip", "patience", "alpha", "num_workers"):
            if getattr(self, name) < 0:
                raise ValueError(f"train setting {name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a config mapping; ValueError names unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown train setting(s) {unknown}; known: {sorted(known)}")
        return cls(**values)


# Settings that may change between a killed run and its resumption.
_RESUMABLE_CHANGES = {"num_workers", "compile", "device", "log_every"}


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """ "auto" -> cuda if available else cpu; a CUDA device that is absent -> ValueError."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"train device {name!r} requested but CUDA is not available")
    return device


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)}, bf16 autocast)"
    return f"{device} ({torch.get_num_threads()} threads, float32)"


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: batch[k].to(device, non_blocking=True) for k in BATCH_KEYS}


def _predict(model: nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return model(batch["seq"], batch["hist"], batch["hist_mask"], batch["region"])


@torch.no_grad()
def validate(model: nn.Module, loader: DataLoader, device: torch.device, alpha: float) -> dict[str, float]:
    """Loss over the whole loader (eval mode) -> {"loss", "mse" (unweighted), "auroc" (NaN if one class)}."""
    from sklearn.metrics import roc_auc_score

    model.eval()
    parts: dict[str, list[torch.Tensor]] = {
        k: [] for k in ("level_pred", "logit", "level", "label", "weight")
    }
    for batch in loader:
        batch = _to_device(batch, device)
        with _autocast(device):
            out = _predict(model, batch)
        for key, value in (
            ("level_pred", out["level"]),
            ("logit", out["logit"]),
            ("level", batch["level"]),
            ("label", batch["label"]),
            ("weight", batch["weight"]),
        ):
            parts[key].append(value.float().cpu())
    cat = {k: torch.cat(v) for k, v in parts.items()}
    loss, _ = methylation_loss({"level": cat["level_pred"], "logit": cat["logit"]}, cat, alpha)
    labels = cat["label"].numpy()
    auroc = float(roc_auc_score(labels, cat["logit"].numpy())) if 0 < labels.sum() < len(labels) else math.nan
    return {
        "loss": float(loss),
        "mse": float(((cat["level_pred"] - cat["level"]) ** 2).mean()),
        "auroc": auroc,
    }


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
    ]


def _rng_state() -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": random.getstate(),
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    random.setstate(state["python"])


def _write_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def _write_metrics(path: Path, history: list[dict[str, Any]]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
            writer.writeheader()
            writer.writerows(history)


def _plot_loss(path: Path, history: list[dict[str, Any]], best_epoch: int) -> None:
    from matplotlib.figure import Figure  # object API: no pyplot, no global backend change (Agg)

    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(epochs, [row["train_loss"] for row in history], marker="o", label="train")
    ax.plot(epochs, [row["val_loss"] for row in history], marker="o", label="validation")
    ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best (epoch {best_epoch})")
    ax.set_title("Training and validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (weighted MSE + alpha * BCE)")
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _load_checkpoint(
    path: Path, config: TrainConfig, model: nn.Module, optimizer, scheduler
) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and RNGs from ``path``; return the loop state."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    changed = sorted(
        k
        for k, v in dataclasses.asdict(config).items()
        if k not in _RESUMABLE_CHANGES and checkpoint["config"].get(k) != v
    )
    if changed:
        before = {k: checkpoint["config"].get(k) for k in changed}
        raise ValueError(
            f"{path} was written with other train settings {before}; rerun with them or delete the checkpoint"
        )
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    _set_rng_state(checkpoint["rng"])
    log.info("resuming from %s after epoch %d (step %d)", path, checkpoint["epoch"], checkpoint["step"])
    return {k: checkpoint[k] for k in _fresh_state()}


def _fresh_state() -> dict[str, Any]:
    return {
        "epoch": 0,
        "step": 0,
        "best_val_loss": math.inf,
        "best_epoch": 0,
        "best_model": None,
        "epochs_without_improvement": 0,
        "stopped_early": False,
        "history": [],
    }


def _train_epoch(
    model, loader, optimizer, scheduler, config: TrainConfig, device, epoch: int, state: dict[str, Any]
) -> tuple[float, int]:
    """One pass over ``loader`` (advances state["step"]) -> (mean training loss, samples seen)."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    interactive = sys.stderr.isatty()
    batches = loader
    if interactive:
        from tqdm import tqdm

        batches = tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", leave=False, dynamic_ncols=True)
    model.train()
    loss_sum, seen = torch.zeros((), device=device), 0
    for batch in batches:
        batch = _to_device(batch, device)
        with _autocast(device):
            out = _predict(model, batch)
        loss, _ = methylation_loss(out, batch, config.alpha)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        optimizer.step()
        scheduler.step()
        state["step"] += 1
        loss_sum += loss.detach() * len(batch["level"])
        seen += len(batch["level"])
        if not interactive and state["step"] % config.log_every == 0:
            log.info(
                "epoch %d/%d step %d loss %.4f lr %.3g",
                epoch,
                config.epochs,
                state["step"],
                loss.item(),
                scheduler.get_last_lr()[0],
            )
    return float(loss_sum) / seen, seen


def _record_epoch(state: dict[str, Any], row: dict[str, Any], model: nn.Module, patience: int) -> None:
    """Append ``row`` to the history; track the best weights and early stopping."""
    state["history"].append(row)
    state["epoch"] = row["epoch"]
    if row["val_loss"] < state["best_val_loss"] or state["best_model"] is None:
        state.update(
            best_val_loss=row["val_loss"],
            best_epoch=row["epoch"],
            epochs_without_improvement=0,
            best_model={k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        )
    else:
        state["epochs_without_improvement"] += 1
        state["stopped_early"] = 0 < patience <= state["epochs_without_improvement"]


def fit(
    model: nn.Module,
    train_set: Dataset,
    val_set: Dataset,
    config: TrainConfig,
    out_dir: str | os.PathLike,
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Train ``model`` (from ``build_model``) and save its best-validation-loss weights.

    train_set / val_set yield one sample per index as a dict of tensors without the batch
    dimension (contract item 5: seq, hist, hist_mask, region, level, label, weight).
    meta: passed to ``save_model`` (needs "marks"; add "bin_size" etc.), with "training"
    set to the returned summary. Resumes from ``out_dir/checkpoint.pt`` when present (a
    finished run only rewrites the model files). The model ends holding the best weights.
    A fresh run seeds every RNG with config.seed; seed before building the model
    (``set_seed``) for reproducible initial weights.
    """
    check_meta(model, meta)
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"need training and validation samples, got {len(train_set)} and {len(val_set)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    log.info("training on %s", _describe(device))
    model.to(device)

    generator = torch.Generator()  # reseeded every epoch: the order depends on (seed, epoch) only
    loader_args = {
        "batch_size": config.batch_size,
        "num_workers": config.num_workers,
        "pin_memory": device.type == "cuda",
    }
    train_loader = DataLoader(train_set, shuffle=True, generator=generator, **loader_args)
    val_loader = DataLoader(val_set, shuffle=False, **loader_args)
    total_steps = config.epochs * len(train_loader)
    optimizer = torch.optim.AdamW(_param_groups(model, config.weight_decay), lr=config.lr)
    scheduler = warmup_cosine(optimizer, min(config.warmup_steps, total_steps // 10), total_steps)
    checkpoint_path = out_dir / CHECKPOINT
    if checkpoint_path.exists():
        state = _load_checkpoint(checkpoint_path, config, model, optimizer, scheduler)
    else:
        state = _fresh_state()
        set_seed(config.seed)

    forward_model = torch.compile(model) if config.compile else model
    while state["epoch"] < config.epochs and not state["stopped_early"]:
        epoch = state["epoch"] + 1
        generator.manual_seed(config.seed + epoch)
        started = time.perf_counter()
        train_loss, seen = _train_epoch(
            forward_model, train_loader, optimizer, scheduler, config, device, epoch, state
        )
        train_seconds = time.perf_counter() - started
        val = validate(forward_model, val_loader, device, config.alpha)
        row = {
            "epoch": epoch,
            "step": state["step"],
            "train_loss": train_loss,
            "val_loss": val["loss"],
            "val_mse": val["mse"],
            "val_auroc": val["auroc"],
            "lr": scheduler.get_last_lr()[0],
            "seconds": time.perf_counter() - started,
            "samples_per_s": seen / train_seconds,
        }
        _record_epoch(state, row, model, config.patience)
        log.info(
            "epoch %d/%d: train_loss %.4f val_loss %.4f val_mse %.4f val_auroc %.4f (%.1f s, %.0f samples/s)%s",
            epoch,
            config.epochs,
            row["train_loss"],
            row["val_loss"],
            row["val_mse"],
            row["val_auroc"],
            row["seconds"],
            row["samples_per_s"],
            "; stopping early" if state["stopped_early"] else "",
        )
        _write_metrics(out_dir / METRICS, state["history"])
        _plot_loss(out_dir / LOSS_PLOT, state["history"], state["best_epoch"])
        _write_checkpoint(
            checkpoint_path,
            {
                **state,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": _rng_state(),
                "config": dataclasses.asdict(config),
            },
        )

    model.load_state_dict(state["best_model"])
    history = state["history"]
    summary = _json_ready(
        {
            "device": _describe(device),
            "epochs_run": state["epoch"],
            "steps": state["step"],
            "best_epoch": state["best_epoch"],
            "best_val_loss": state["best_val_loss"],
            "best": history[state["best_epoch"] - 1],
            "stopped_early": state["stopped_early"],
            "seconds": sum(row["seconds"] for row in history),
            "samples_per_s": sum(row["samples_per_s"] for row in history) / len(history),
            "parameters": count_parameters(model),
            "config": dataclasses.asdict(config),
        }
    )
    save_model(out_dir, model, {**meta, "training": summary})
    return summary
