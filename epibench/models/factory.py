"""Build a model by name; every default shape lives here (``MODEL_DEFAULTS``)."""

from __future__ import annotations

from typing import Any

from torch import nn

from epibench.models.cnn import OriginalCNN
from epibench.models.hybrid import HybridModel

#: Default hyper-parameters per architecture (the seed's shapes). Override any of them
#: through ``build_model(..., **overrides)``; the data give n_marks, n_bins and window.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "hybrid": {
        "d_model": 256,  # sequence token width (embedding 5 -> 256)
        "n_heads": 8,
        "ff_dim": 2048,
        "n_layers": 4,
        "stem_pool": 4,  # 1000 bp -> 250 tokens; 1 keeps one token per base
        "stem_kernel": 9,  # bp seen by the CNN stem's convolution
        "hist_dim": 128,  # one histone token per bin
        "fusion_dim": 512,
        "fusion_heads": 8,
        "head_hidden": 128,  # hidden width of each region head
        "readout_bp": 48,  # local readout: tokens within this many bp of the CpG, one weight set per offset
        "local_dim": 32,  # width each local token is projected to before flattening
        "dropout": 0.1,
    },
    "cnn": {
        "channels": (128, 256),  # DeepCpG's DNA module: conv 128x11, pool 4; conv 256x3, pool 2
        "kernels": (11, 3),
        "pools": (4, 2),
        "dense": 128,
        "dropout": 0.1,
    },
}

_CLASSES = {"hybrid": HybridModel, "cnn": OriginalCNN}
_TUPLE_KEYS = ("channels", "kernels", "pools")


def model_config(arch: str, **overrides: Any) -> dict[str, Any]:
    """Defaults of ``arch`` updated with ``overrides``; ValueError names an unknown arch or key.

    Sequences (e.g. from JSON lists) for the cnn's channels/kernels/pools become tuples.
    """
    if arch not in MODEL_DEFAULTS:
        raise ValueError(f"unknown model arch {arch!r}; choose one of {sorted(MODEL_DEFAULTS)}")
    unknown = sorted(set(overrides) - set(MODEL_DEFAULTS[arch]))
    if unknown:
        raise ValueError(f"unknown {arch} model setting(s) {unknown}; known: {sorted(MODEL_DEFAULTS[arch])}")
    config = {**MODEL_DEFAULTS[arch], **overrides}
    for key in _TUPLE_KEYS:
        if key in config:
            config[key] = tuple(int(v) for v in config[key])
    return config


def build_model(arch: str, n_marks: int, n_bins: int, window: int, **overrides: Any) -> nn.Module:
    """Build ``arch`` ("hybrid" = HybridModel, "cnn" = OriginalCNN) for the data's shapes.

    n_marks M (input channels beside the sequence: marks, 3D-genome features, covariates; 0 for
    a cohort with none, when the model reads the sequence alone), n_bins NB and window W (bp)
    come from the shard manifest. The returned model carries ``model.spec`` = {"arch",
    "n_marks", "n_bins", "window", "config"} (JSON-ready), which
    ``epibench.train.modelfile.save_model`` records so ``load_model`` can rebuild it.
    """
    config = model_config(arch, **overrides)
    for name, value, least in (("n_marks", n_marks, 0), ("n_bins", n_bins, 1), ("window", window, 1)):
        if int(value) < least:
            raise ValueError(f"{name} must be >= {least}, got {value}")
    model = _CLASSES[arch](int(n_marks), int(n_bins), int(window), **config)
    model.spec = {
        "arch": arch,
        "n_marks": int(n_marks),
        "n_bins": int(n_bins),
        "window": int(window),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
    }
    return model


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (shared ones once); only those with requires_grad if asked."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
