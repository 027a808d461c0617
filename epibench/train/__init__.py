"""Training loop, checkpoints and model files."""
