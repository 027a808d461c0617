"""Region-specific output heads."""

from __future__ import annotations

import torch
from torch import nn

from epibench.codes import REGION_CLASSES


class RegionHeads(nn.Module):
    """One small MLP per region class (``epibench.codes.REGION_CLASSES`` order).

    Each head: Linear(in_dim, hidden) -> GELU -> Dropout -> Linear(hidden, 2), giving
    [regression output before the sigmoid, classification logit]. Every head runs on the
    whole batch and each row keeps the output of its own region's head (a gather); with
    4 small heads this costs less than splitting the batch and needs no host sync.

    Input:  x (B, in_dim), region (B,) int64 codes 0..len(REGION_CLASSES)-1.
    Output: (B, 2).
    """

    def __init__(self, in_dim: int, hidden: int, dropout: float, n_classes: int = len(REGION_CLASSES)):
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 2))
            for _ in range(n_classes)
        )

    def forward(self, x: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
        """x (B, in_dim), region (B,) -> (B, 2) from each row's region head."""
        every = torch.stack([head(x) for head in self.heads], dim=1)  # (B, C, 2)
        index = region.long().view(-1, 1, 1).expand(-1, 1, every.shape[-1])
        return every.gather(1, index).squeeze(1)
