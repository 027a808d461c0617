"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is ``torch.save`` of tensors and plain Python values only (model, optimizer and
scheduler state, every RNG, the loop state and the train settings), so
``torch.load(weights_only=True)`` reads it without executing code. It is written atomically:
a kill while writing leaves the previous checkpoint.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from epibench.io.atomic import atomic_path
from epibench.train_settings import RUNTIME_KEYS

log = logging.getLogger(__name__)

# Train settings that may change between a killed run and its resumption: those that leave the
# trained model as it is
RESUMABLE_CHANGES = frozenset(RUNTIME_KEYS)


def rng_state() -> dict[str, Any]:
    """Python's, NumPy's and torch's (CPU, CUDA) generator states as weights-only-loadable values."""
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


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` saved."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state(
        (
            n["kind"],
            n["keys"].numpy().astype(np.uint32),
            n["pos"],
            n["has_gauss"],
            n["cached_gaussian"],
        )
    )
    random.setstate(state["python"])


def write_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    """``torch.save`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def run_identity(settings: dict[str, Any], model_spec: dict[str, Any], data_fingerprint: str | None) -> dict:
    """What makes a checkpoint belong to a run: the train settings (but RESUMABLE_CHANGES), the
    model's architecture and sizes, and the training data's fingerprint."""
    return {
        "settings": {k: v for k, v in settings.items() if k not in RESUMABLE_CHANGES},
        "model": model_spec,
        "data": data_fingerprint,
    }


def identity_changes(saved: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """What differs between a checkpoint's run identity and this run's, in words (empty: none)."""
    if saved is None:
        return ["checkpoint from an older epibench (no run identity)"]
    changes = [
        f"train setting {k}: {saved['settings'].get(k)!r} then, {v!r} now"
        for k, v in current["settings"].items()
        if saved["settings"].get(k) != v
    ]
    if saved["model"] != current["model"]:
        changes.append("model architecture or sizes")
    if saved["data"] != current["data"]:
        changes.append("training data (the shards were rebuilt or are others)")
    return changes


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` (no code runs)."""
    return torch.load(path, map_location="cpu", weights_only=True)
