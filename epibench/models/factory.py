"""Build a model by its ``arch`` name from the registry (``ARCHITECTURES``); each model's default
shapes live in its class (``defaults``)."""

from __future__ import annotations

from typing import Any

from torch import nn

from epibench.models.base import MethylationModel
from epibench.models.cnn import OriginalCNN
from epibench.models.hybrid import HybridModel

#: Every model: its ``arch`` name (config, tables, report) -> its class (epibench.models.base). A new
#: model is one module plus one entry here.
ARCHITECTURES: dict[str, type[MethylationModel]] = {model.arch: model for model in (HybridModel, OriginalCNN)}
_TUPLE_KEYS = ("channels", "kernels", "pools")


def model_config(arch: str, **overrides: Any) -> dict[str, Any]:
    """Defaults of ``arch`` updated with ``overrides``; ValueError names an unknown arch or key.

    Sequences (e.g. from JSON lists) for the cnn's channels/kernels/pools become tuples.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown model arch {arch!r}; choose one of {sorted(ARCHITECTURES)}")
    defaults = ARCHITECTURES[arch].defaults
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValueError(f"unknown {arch} model setting(s) {unknown}; known: {sorted(defaults)}")
    config = {**defaults, **overrides}
    for key in _TUPLE_KEYS:
        if key in config:
            config[key] = tuple(int(v) for v in config[key])
    return config


def build_model(
    arch: str, n_marks: int, n_bins: int, window: int, n_context: int = 0, **overrides: Any
) -> MethylationModel:
    """Build ``arch`` (a key of ``ARCHITECTURES``) for the data's shapes.

    n_marks M (input channels beside the sequence: marks, 3D-genome features, covariates; 0 for
    a cohort with none, when the model reads the sequence alone), n_bins NB and window W (bp)
    come from the shard manifest; n_context: the neighbour tokens the shards give (2K, 0 without),
    read by a model whose config says ``neighbours: true`` (a ValueError when there are none). The
    returned model carries ``model.spec`` = {"arch", "n_marks", "n_bins", "window", "n_context",
    "config"} (JSON-ready), which
    ``epibench.train.modelfile.save_model`` records so ``load_model`` can rebuild it.
    """
    config = model_config(arch, **overrides)
    for name, value, least in (("n_marks", n_marks, 0), ("n_bins", n_bins, 1), ("window", window, 1)):
        if int(value) < least:
            raise ValueError(f"{name} must be >= {least}, got {value}")
    if config.get("neighbours") and not n_context:
        raise ValueError(
            f"this {arch} model reads the neighbour context (neighbours: true) but the shards hold none: "
            "set shards.neighbours (K nearest measured CpGs on each side)"
        )
    used_context = int(n_context) if config.get("neighbours") else 0
    context = {"n_context": used_context} if used_context else {}
    model = ARCHITECTURES[arch](int(n_marks), int(n_bins), int(window), **context, **config)
    model.spec = {
        "arch": arch,
        "n_marks": int(n_marks),
        "n_bins": int(n_bins),
        "window": int(window),
        "n_context": used_context,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
    }
    return model


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (shared ones once); only those with requires_grad if asked."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
