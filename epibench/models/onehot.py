"""The sequence input layer: base codes -> one-hot. Captum attributes through its output."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from epibench.codes import BASES


class OneHot(nn.Module):
    """codes (B, W) integers in 0..4 (A, C, G, T, N; uint8 as the loader gives them, or int64)
    -> (B, W, 5) float one-hot.

    Every model reads its sequence through this module (``model.seq_input``), so
    integrated gradients over its output are the usual per-base, per-letter attributions
    (baseline: the all-N sequence).
    """

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        return F.one_hot(seq.long(), len(BASES)).float()
