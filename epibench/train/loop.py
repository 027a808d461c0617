"""Training loop: AdamW, warm-up + cosine, early stopping, resumable step checkpoints, DDP.

Files written into ``out_dir`` (each atomically, by rank 0): ``checkpoint.pt`` (every
``checkpoint_every`` optimizer steps and at the end of every epoch; epibench.train.checkpoint),
``metrics.csv``, ``loss.png`` and, at the end, the best-validation-loss weights as
``model.safetensors`` + ``model.json`` (``epibench.train.modelfile``).

Rerunning ``fit`` on the same ``out_dir`` resumes from ``checkpoint.pt``, in the middle of
an epoch if that is where it stopped: batches come from (seed, epoch) alone
(epibench.data.loader), so on CPU a run killed at any checkpoint and rerun ends with the
same weights as an uninterrupted run. Under torchrun (epibench.train.distributed) every rank
trains on its share of each epoch's batches with DDP and validates on the whole validation
set, so all ranks take the same early-stopping decision without talking.

On SIGTERM, SIGUSR1 (a scheduler's time limit or preemption) or SIGINT (Ctrl-C;
epibench.train.preemption) the loop writes a checkpoint after the current optimizer step and
raises ``Preempted``; the rerun resumes from it.
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
from torch.utils.data import DataLoader

from epibench.models.base import CONTEXT_INPUTS, model_inputs
from epibench.data.dataset import ShardDataset
from epibench.data.loader import make_loader

from epibench.io.atomic import atomic_path
from epibench.memory import peak_rss_mb
from epibench.progress import time_left
from epibench.models.factory import count_parameters
from epibench.train import distributed
from epibench.train.checkpoint import (
    identity_changes,
    read_checkpoint,
    run_identity,
    rng_state,
    set_rng_state,
    write_checkpoint,
)
from epibench.train.losses import methylation_loss
from epibench.train.modelfile import check_meta, save_model
from epibench.train.preemption import Preempted, StopSignals, ignore_stop_signals
from epibench.train.schedule import warmup_cosine
from epibench.train.step_timing import StepTimer

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
STOP_SYNC_STEPS = 10  # with several ranks: optimizer steps between agreeing on a stop signal
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
    "peak_mem_mb",
    "loader_wait_ms",
    "gpu_idle_ms",
)
#: torch.compile modes: "reduce-overhead" replays CUDA graphs (no per-kernel launch cost; the step
#: has no host synchronisation and static shapes, so it is graph-safe), "max-autotune" also tunes
#: matmul and convolution kernels (minutes of compilation)
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
#: metrics.csv columns that measure the run (machine, load) rather than its results
TIMING_COLUMNS = ("seconds", "samples_per_s", "peak_mem_mb", "loader_wait_ms", "gpu_idle_ms")
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
    DataLoader worker processes. compile: torch.compile the model: "auto" on CUDA only (1.7x
    the eager hybrid's samples/s end to end on an H200, ~1 min of compilation), or true / false;
    compile_mode: torch.compile's mode (``COMPILE_MODES``). device: "auto" (cuda
    if available), "cpu", "cuda" or "cuda:N". log_every: steps between progress lines
    when stderr is not a terminal. reverse_complement: probability that a training row is
    reverse-complemented (epibench.data.loader). checkpoint_every: optimizer steps between
    checkpoints (0 = only at the end of each epoch). mark_dropout: probability that a mark of a
    training row is hidden (missing), so the model copes with a missing mark (mark ablation).
    passes: passes over the training rows per epoch (a model entry's own setting, not the config's
    train section: the learning curve's ``budget: steps`` gives a run on a share f of the CpGs 1/f,
    so its epochs take the optimizer steps of the run on all of them).
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
    compile: bool | str = "auto"
    compile_mode: str = "default"
    device: str = "auto"
    log_every: int = 100
    reverse_complement: float = 0.5
    checkpoint_every: int = 500
    mark_dropout: float = 0.0
    passes: float = 1.0

    def __post_init__(self):
        for name in ("epochs", "batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"train setting {name} must be >= 1, got {getattr(self, name)}")
        for name in (
            "lr",
            "weight_decay",
            "warmup_steps",
            "grad_clip",
            "patience",
            "alpha",
            "num_workers",
            "checkpoint_every",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"train setting {name} must be >= 0, got {getattr(self, name)}")
        if self.passes <= 0:
            raise ValueError(f"train setting passes must be > 0, got {self.passes}")
        if self.compile not in (True, False, "auto"):
            raise ValueError(f"train setting compile must be true, false or auto, got {self.compile!r}")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(
                f"train setting compile_mode must be one of {list(COMPILE_MODES)}, got {self.compile_mode!r}"
            )
        for name in ("reverse_complement", "mark_dropout"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"train setting {name} must be in 0-1, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a config mapping; ValueError names unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown train setting(s) {unknown}; known: {sorted(known)}")
        return cls(**values)


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """ "auto" -> cuda (this process's GPU under torchrun) if available, else cpu; a CUDA device
    that is absent -> ValueError."""
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
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
    keys = [*BATCH_KEYS, *(k for k in CONTEXT_INPUTS if k in batch)]
    return {k: batch[k].to(device, non_blocking=True) for k in keys}


def _predict(model: nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return model(*model_inputs(batch))


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


def _write_metrics(path: Path, history: list[dict[str, Any]]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
            writer.writeheader()
            writer.writerows(history)


def _plot_loss(path: Path, history: list[dict[str, Any]], best_epoch: int) -> None:
    """The loss per epoch of a training, titled with its model: the name of its folder (``path``'s parent)."""
    from matplotlib.figure import Figure  # object API: no pyplot, no global backend change (Agg)
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(epochs, [row["train_loss"] for row in history], marker="o", label="train")
    ax.plot(epochs, [row["val_loss"] for row in history], marker="o", label="validation")
    ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best (epoch {best_epoch})")
    ax.set_title(f"Training and validation loss: {path.parent.name}")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only
    ax.set_ylabel("loss: depth-weighted MSE\n+ train.alpha x BCE of the label")
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


def _fresh_state() -> dict[str, Any]:
    """The loop state a checkpoint carries: finished epochs, steps, the epoch in progress, the best model."""
    return {
        "epoch": 0,  # finished epochs
        "step": 0,  # optimizer steps so far
        "batch_in_epoch": 0,  # this rank's batches done in the unfinished epoch
        "epoch_loss_sum": 0.0,  # of the unfinished epoch: sum of loss x samples, samples, seconds
        "epoch_seen": 0,
        "epoch_seconds": 0.0,
        "best_val_loss": math.inf,
        "best_epoch": 0,
        "best_model": None,
        "epochs_without_improvement": 0,
        "stopped_early": False,
        "history": [],
    }


@dataclasses.dataclass
class _Run:
    """What one training run works with, for the loop's helpers."""

    model: nn.Module  # the bare model (state dicts, saving)
    forward: nn.Module  # what is called: DDP and/or torch.compile wrapped
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    config: TrainConfig
    device: torch.device
    ranks: distributed.Ranks
    checkpoint_path: Path
    identity: dict[str, Any]  # epibench.train.checkpoint.run_identity
    stop: StopSignals  # SIGTERM / SIGUSR1 received while training
    stop_agreement: distributed.LaggedMax  # the ranks' largest stop signal, agreed without waiting
    timer: StepTimer  # loader wait and GPU idle per step

    def stop_signal(self, step: int) -> int:
        """The stop signal to act on after optimizer step ``step`` (0: none). With several ranks
        they agree every ``STOP_SYNC_STEPS`` steps on the largest signal number any rank had received
        by the previous agreement, so all of them checkpoint and stop at the same step, at most
        ``2 * STOP_SYNC_STEPS`` steps after the signal, and no step waits for the collective."""
        if self.ranks.distributed and step % STOP_SYNC_STEPS:
            return 0
        return self.stop_agreement.exchange(self.stop.received or 0)

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Rank 0 writes the checkpoint; every rank waits for it."""
        if self.ranks.is_main:
            write_checkpoint(
                self.checkpoint_path,
                {
                    **state,
                    "identity": self.identity,
                    "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "rng": rng_state(),
                    "config": dataclasses.asdict(self.config),
                },
            )
        distributed.barrier(self.ranks)


def train_step(run: _Run, batch: dict[str, torch.Tensor], params: list[torch.Tensor]) -> torch.Tensor:
    """One optimizer step on ``batch`` (host tensors, pinned on CUDA): copy, forward (bf16 autocast on
    CUDA), loss, backward, clipping, AdamW and the schedule. Returns the loss, detached, float64 on the
    device: nothing here waits for the GPU (no ``.item()``), so the host queues the next step while the
    GPU runs this one (tests/test_train_host_sync.py)."""
    batch = _to_device(batch, run.device)
    with _autocast(run.device):
        out = _predict(run.forward, batch)
    loss, _ = methylation_loss(out, batch, run.config.alpha)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if run.config.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(params, run.config.grad_clip)
    run.optimizer.step()
    run.scheduler.step()
    return loss.detach().double()


def _train_epoch(run: _Run, loader: DataLoader, epoch: int, state: dict[str, Any]) -> None:
    """Train on this rank's remaining batches of ``epoch``; advances the step and epoch counters in
    ``state`` and checkpoints every ``checkpoint_every`` steps."""
    config = run.config
    params = [p for group in run.optimizer.param_groups for p in group["params"]]
    interactive = sys.stderr.isatty() and run.ranks.is_main
    batches = loader
    if interactive:
        from tqdm import tqdm

        batches = tqdm(
            loader,
            desc=f"epoch {epoch}/{config.epochs}",
            total=len(loader.batch_sampler),
            initial=state["batch_in_epoch"],
            leave=False,
            dynamic_ncols=True,
        )
    run.forward.train()
    loss_sum = torch.tensor(state["epoch_loss_sum"], dtype=torch.float64, device=run.device)
    run.timer.reset()
    started = time.perf_counter()
    for batch in batches:
        run.timer.step_started()
        loss = train_step(run, batch, params)
        run.timer.step_finished()
        state["step"] += 1
        state["batch_in_epoch"] += 1
        loss_sum += loss * len(batch["level"])
        state["epoch_seen"] += len(batch["level"])
        if not interactive and run.ranks.is_main and state["step"] % config.log_every == 0:
            seconds = state["epoch_seconds"] + time.perf_counter() - started
            log.info(
                "epoch %d/%d step %d loss %.4f lr %.3g; batch %d of %d, %.0f samples/s, %s left in the epoch; "
                "per step: %s",
                epoch,
                config.epochs,
                state["step"],
                loss.item(),
                run.scheduler.get_last_lr()[0],
                state["batch_in_epoch"],
                len(loader.batch_sampler),
                state["epoch_seen"] / seconds,
                time_left(state["batch_in_epoch"], len(loader.batch_sampler), seconds),
                _step_waits(run.timer.means()),
            )
        stop_signal = run.stop_signal(state["step"])
        if stop_signal or (config.checkpoint_every and state["step"] % config.checkpoint_every == 0):
            state["epoch_loss_sum"] = float(loss_sum)
            state["epoch_seconds"] += time.perf_counter() - started
            started = time.perf_counter()
            run.save_checkpoint(state)
            if stop_signal:
                raise Preempted(stop_signal, state["step"], str(run.checkpoint_path))
        run.timer.waiting()
    state["epoch_loss_sum"] = float(loss_sum)
    state["epoch_seconds"] += time.perf_counter() - started


def _step_waits(timing: dict) -> str:
    """The loader's wait per step, and the GPU's idle time where there is one (NaN on a CPU)."""
    text = f"loader wait {timing['loader_wait_ms']:.1f} ms"
    if math.isfinite(timing["gpu_idle_ms"]):
        text += f", GPU idle {timing['gpu_idle_ms']:.1f} ms"
    return text


def _train_epochs(
    run: _Run, state: dict[str, Any], train_loader: DataLoader, val_loader: DataLoader, out_dir: Path
) -> None:
    """Train the remaining epochs (from ``state``), validating, logging and checkpointing each."""
    config, ranks = run.config, run.ranks
    while state["epoch"] < config.epochs and not state["stopped_early"]:
        epoch = state["epoch"] + 1
        train_loader.batch_sampler.set_epoch(epoch, start_batch=state["batch_in_epoch"])
        _train_epoch(run, train_loader, epoch, state)
        row = _finish_epoch(run, state, epoch, val_loader)
        _record_epoch(state, row, run.model, config.patience)
        if ranks.is_main:
            log.info(
                "epoch %d/%d: train_loss %.4f val_loss %.4f val_mse %.4f val_auroc %.4f (%.1f s, %.0f samples/s; "
                "per step: %s)%s",
                epoch,
                config.epochs,
                row["train_loss"],
                row["val_loss"],
                row["val_mse"],
                row["val_auroc"],
                row["seconds"],
                row["samples_per_s"],
                _step_waits(row),
                "; stopping early" if state["stopped_early"] else "",
            )
            _write_metrics(out_dir / METRICS, state["history"])
            _plot_loss(out_dir / LOSS_PLOT, state["history"], state["best_epoch"])
        run.save_checkpoint(state)


def _peak_memory_mb(device: torch.device) -> float:
    """Peak memory so far, MB: the GPU's allocated tensors on CUDA, the process's resident set on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return peak_rss_mb()


def _finish_epoch(run: _Run, state: dict[str, Any], epoch: int, val_loader: DataLoader) -> dict[str, Any]:
    """Validate, log, and turn the epoch's counters into a metrics row; resets them."""
    totals = distributed.all_sum(
        torch.tensor([state["epoch_loss_sum"], state["epoch_seen"]], dtype=torch.float64),
        run.ranks,
    )
    started = time.perf_counter()
    val = validate(run.forward, val_loader, run.device, run.config.alpha)
    seen = float(totals[1])
    row = {
        "epoch": epoch,
        "step": state["step"],
        "train_loss": float(totals[0]) / seen,
        "val_loss": val["loss"],
        "val_mse": val["mse"],
        "val_auroc": val["auroc"],
        "lr": run.scheduler.get_last_lr()[0],
        "seconds": state["epoch_seconds"] + time.perf_counter() - started,
        "samples_per_s": seen / max(state["epoch_seconds"], 1e-9),
        "peak_mem_mb": _peak_memory_mb(run.device),
        **run.timer.means(),
    }
    state.update(batch_in_epoch=0, epoch_loss_sum=0.0, epoch_seen=0, epoch_seconds=0.0)
    return row


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


def _matching_checkpoint(
    path: Path, identity: dict[str, Any], on_stale: str, ranks: distributed.Ranks
) -> dict[str, Any] | None:
    """The checkpoint at ``path`` when it belongs to this run, else None (see ``fit``)."""
    if not path.exists():
        return None
    checkpoint = read_checkpoint(path)
    changes = identity_changes(checkpoint.get("identity"), identity)
    if not changes:
        return checkpoint
    if on_stale != "restart":
        raise ValueError(
            f"{path} belongs to another run ({'; '.join(changes)}): rerun as it was or delete it"
        )
    distributed.barrier(ranks)  # every rank has read it before rank 0 moves it
    if ranks.is_main:
        path.replace(path.with_name("checkpoint.stale.pt"))
        log.info("starting afresh: %s belongs to another run (%s)", path, "; ".join(changes))
    return None


def _wrap(
    model: nn.Module,
    config: TrainConfig,
    device: torch.device,
    ranks: distributed.Ranks,
) -> nn.Module:
    """The module the loop calls: DDP across ranks, then torch.compile when asked."""
    forward = model
    if ranks.distributed:
        from torch.nn.parallel import DistributedDataParallel

        forward = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    use_compile = device.type == "cuda" if config.compile == "auto" else bool(config.compile)
    # static shapes: the last, shorter batch of an epoch and validation get graphs of their own
    # instead of turning every batch into a dynamic-shape graph
    return torch.compile(forward, dynamic=False, mode=config.compile_mode) if use_compile else forward


def fit(
    model: nn.Module,
    train_set: ShardDataset,
    val_set: ShardDataset,
    config: TrainConfig,
    out_dir: str | os.PathLike,
    meta: dict[str, Any],
    on_stale_checkpoint: str = "error",
) -> dict[str, Any]:
    """Train ``model`` (from ``build_model``) and save its best-validation-loss weights.

    train_set / val_set: ShardDatasets of the train and val splits (read through
    epibench.data.loader: batched, shuffled from the seed, reverse-complement augmented).
    meta: passed to ``save_model`` (needs "marks"; add "bin_size" etc.), with "training"
    set to the returned summary; its "data_fingerprint" (epibench.train.from_shards) ties checkpoints
    to the data. Resumes from ``out_dir/checkpoint.pt`` when it belongs to this run (same
    settings, model and data; a finished run only rewrites the model files); one from another
    run raises ValueError, or with ``on_stale_checkpoint="restart"`` is moved to
    ``checkpoint.stale.pt`` and training starts afresh. The model ends holding the best weights.
    A fresh run seeds every RNG with config.seed; seed before building the model
    (``set_seed``) for reproducible initial weights (every rank must build the same one).
    """
    check_meta(model, meta)
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"need training and validation samples, got {len(train_set)} and {len(val_set)}")
    ranks = distributed.ranks_from_env()
    device = resolve_device(config.device, ranks.local_rank)
    distributed.init_process_group(ranks, device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if (
        config.device == "auto"
        and device.type == "cpu"
        and os.environ.get("CUDA_VISIBLE_DEVICES", "") not in ("", "-1")
    ):
        log.warning(
            "GPU(s) CUDA_VISIBLE_DEVICES=%s were allocated but this torch (%s) cannot use CUDA: training on the CPU",
            os.environ["CUDA_VISIBLE_DEVICES"],
            torch.__version__,
        )
    if ranks.is_main:
        log.info(
            "training on %s%s",
            _describe(device),
            f", {ranks.world_size} processes (DDP)" if ranks.distributed else "",
        )
    model.to(device)

    loader_args = {
        "batch_size": config.batch_size,
        "seed": config.seed,
        "num_workers": config.num_workers,
        "pin_memory": device.type == "cuda",
        "worker_init_fn": ignore_stop_signals,
    }
    train_loader = make_loader(
        train_set,
        shuffle=True,
        reverse_complement_prob=config.reverse_complement,
        mark_dropout=config.mark_dropout,
        passes=config.passes,
        rank=ranks.rank,
        world_size=ranks.world_size,
        **loader_args,
    )
    val_loader = make_loader(val_set, shuffle=False, **loader_args)
    total_steps = config.epochs * len(train_loader.batch_sampler)
    if total_steps == 0:
        raise ValueError(f"{len(train_set)} training rows make no batch for {ranks.world_size} processes")
    # fused: one kernel for all parameters on CUDA
    optimizer = torch.optim.AdamW(
        _param_groups(model, config.weight_decay), lr=config.lr, fused=device.type == "cuda"
    )
    scheduler = warmup_cosine(optimizer, min(config.warmup_steps, total_steps // 10), total_steps)
    # the processes decide the effective batch (each takes batches of its own): part of the run
    settings = dataclasses.asdict(config) | {"processes": ranks.world_size}
    identity = run_identity(settings, model.spec, meta.get("data_fingerprint"))
    run = _Run(
        model,
        _wrap(model, config, device, ranks),
        optimizer,
        scheduler,
        config,
        device,
        ranks,
        out_dir / CHECKPOINT,
        identity,
        StopSignals(),
        distributed.LaggedMax(ranks),
        StepTimer(device),
    )
    state = _fresh_state()
    checkpoint = _matching_checkpoint(run.checkpoint_path, identity, on_stale_checkpoint, ranks)
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        set_rng_state(checkpoint["rng"])
        state = {k: checkpoint.get(k, v) for k, v in state.items()}
        if ranks.is_main:
            log.info(
                "resuming from %s at step %d (epoch %d, batch %d)",
                run.checkpoint_path,
                state["step"],
                state["epoch"] + 1,
                state["batch_in_epoch"],
            )
    else:
        set_seed(config.seed)

    with run.stop:
        _train_epochs(run, state, train_loader, val_loader, out_dir)
    run.stop_agreement.finish()

    model.load_state_dict(state["best_model"])
    history = state["history"]
    if ranks.is_main:  # again: a rerun resumed from a finished run's checkpoint trains no epoch
        _write_metrics(out_dir / METRICS, history)
        _plot_loss(out_dir / LOSS_PLOT, history, state["best_epoch"])
    summary = _json_ready(
        {
            "device": _describe(device),
            "processes": ranks.world_size,
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
    if ranks.is_main:
        save_model(out_dir, model, {**meta, "training": summary})
    distributed.barrier(ranks)
    distributed.destroy_process_group(ranks)
    return summary
