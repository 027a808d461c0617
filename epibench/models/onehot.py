"""The sequence input layer: base codes -> one-hot. Captum attributes through its output."""

from __future__ import annotations

import torch
from torch import nn

from epibench.codes import BASES


class OneHot(nn.Module):
    """codes (B, W) integers in 0..4 (A, C, G, T, N; uint8 as the loader gives them, or int64)
    -> (B, W, 5) float one-hot.

    Every model reads its sequence through this module (``model.seq_input``), so
    integrated gradients over its output are the usual per-base, per-letter attributions
    (baseline: the all-N sequence).

    Built on the model's device by comparing the codes with 0..4, not with ``F.one_hot``, which checks
    the codes' range and so waits for the GPU every step (a host synchronisation).
    """

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        letters = torch.arange(len(BASES), device=seq.device, dtype=seq.dtype)
        return (seq.unsqueeze(-1) == letters).float()
