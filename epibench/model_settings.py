"""Each model's settings and their defaults (the seed's shapes), without torch: the config is
checked against them before any job runs (``epibench.config``), and each model class takes its
``defaults`` from here (``epibench.models.cnn``, ``epibench.models.hybrid``)."""

from __future__ import annotations

from typing import Any

CNN_DEFAULTS: dict[str, Any] = {
    "channels": (128, 256),  # DeepCpG's DNA module: conv 128x11, pool 4; conv 256x3, pool 2
    "kernels": (11, 3),
    "pools": (4, 2),
    "dense": 128,
    "dropout": 0.1,
}

HYBRID_DEFAULTS: dict[str, Any] = {
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
    # off: on the demo 0.1 lowers the test AUROC on each of 3 seeds (0.985 -> 0.968 on seed 0)
    # (benchmarks/bench_lever_accuracy.py), and every cohort config already trained without it
    "dropout": 0.0,
    "norm": "layernorm",  # the sequence encoder's norms: "layernorm" or "rmsnorm"
    "histone_readout": False,  # a linear readout of the histone bin tokens beside the fusion
    "neighbours": False,  # read the neighbour context (shards built with shards.neighbours K > 0)
}

#: arch name -> its settings' defaults (the keys of ``epibench.models.factory.ARCHITECTURES``)
DEFAULTS: dict[str, dict[str, Any]] = {"cnn": CNN_DEFAULTS, "hybrid": HYBRID_DEFAULTS}
