"""Histone encoder: marks x bins (with a missing-data mask) -> one token per bin."""

from __future__ import annotations

import torch
from torch import nn

from epibench.models.inputs import masked_histone


class HistoneEncoder(nn.Module):
    """Mask-aware per-bin embedding of histone signal.

    For every bin the features are ``[values where observed else 0, mask]`` (2M numbers),
    so a missing value is seen as missing, not as zero signal; a Linear(2M, dim) maps
    them to a token, a learned bin position embedding is added, then LayerNorm.
    Values at masked positions never reach the output (NaN there is safe).

    Input:  values (B, M, NB) float, mask (B, M, NB) bool (True = observed).
    Output: (B, NB, dim).
    """

    def __init__(self, n_marks: int, n_bins: int, dim: int):
        super().__init__()
        self.n_marks = n_marks
        self.n_bins = n_bins
        self.proj = nn.Linear(2 * n_marks, dim)
        self.bin_embedding = nn.Embedding(n_bins, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """values, mask (B, M, NB) -> tokens (B, NB, dim)."""
        feats = masked_histone(values, mask, self.n_marks, self.n_bins).transpose(1, 2)  # (B, NB, 2M)
        return self.norm(self.proj(feats) + self.bin_embedding.weight)
