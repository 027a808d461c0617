"""Attributions (integrated gradients) and attention summaries."""
