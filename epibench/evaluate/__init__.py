"""Predictions on held-out shards and evaluation metrics."""
