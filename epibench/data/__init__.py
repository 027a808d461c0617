"""Tensor shards (memory-mapped arrays + manifest) and the torch Dataset over them."""
