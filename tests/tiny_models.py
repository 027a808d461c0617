"""Model sizes small enough for CPU tests in seconds (build_model overrides)."""

TINY_HYBRID = {
    "d_model": 16,
    "n_heads": 2,
    "ff_dim": 32,
    "n_layers": 1,
    "stem_pool": 4,
    "hist_dim": 8,
    "fusion_dim": 16,
    "fusion_heads": 2,
    "head_hidden": 8,
}
TINY_CNN = {"channels": (8, 8), "dense": 8}
