"""OriginalCNN: the seed's original CNN-only baseline (DeepCpG-style)."""

from __future__ import annotations

import torch
from torch import nn

from epibench.model_settings import CNN_DEFAULTS
from epibench.models.base import MethylationModel
from epibench.models.inputs import masked_histone
from epibench.models.onehot import OneHot
from epibench.codes import N_CODE


class OriginalCNN(MethylationModel):
    """DeepCpG-style baseline: no transformer, no cross-attention, one shared head.

    One-hot sequence (B, 4, W) -> blocks of [Conv1d (same padding), ReLU, MaxPool1d] ->
    flatten -> concatenated with the flattened histone [values where observed else 0, mask]
    (B, 2*M*NB) -> Linear(., dense) -> ReLU -> Dropout -> Linear(dense, 2).

    forward(seq (B, W) int64, hist (B, M, NB), hist_mask (B, M, NB) bool, region (B,))
    -> {"level": (B,) in [0, 1], "logit": (B,)}; region, nbr and nbr_mask are accepted for the common
    signature (epibench.models.base) and unused: the seed's model reads sequence and marks only. return_attention=True raises ValueError (no attention).
    """

    arch = "cnn"
    defaults = CNN_DEFAULTS

    def __init__(
        self,
        n_marks: int,
        n_bins: int,
        window: int,
        channels: tuple[int, ...],
        kernels: tuple[int, ...],
        pools: tuple[int, ...],
        dense: int,
        dropout: float,
    ):
        super().__init__(n_marks, n_bins, window)
        if not len(channels) == len(kernels) == len(pools) >= 1:
            raise ValueError(
                f"cnn channels, kernels and pools need the same number (>= 1) of entries; "
                f"got {list(channels)}, {list(kernels)}, {list(pools)}"
            )
        self.seq_input = OneHot()
        blocks, width, length = [], 4, window
        for out_channels, kernel, pool in zip(channels, kernels, pools):
            blocks += [nn.Conv1d(width, out_channels, kernel, padding="same"), nn.ReLU(), nn.MaxPool1d(pool)]
            width, length = out_channels, length // pool
        if length < 1:
            raise ValueError(f"window {window} is too short for pooling by {list(pools)}")
        self.conv = nn.Sequential(*blocks, nn.Flatten())
        self.dense = nn.Sequential(
            nn.Linear(width * length + 2 * n_marks * n_bins, dense), nn.ReLU(), nn.Dropout(dropout)
        )
        self.head = nn.Linear(dense, 2)

    def forward(
        self,
        seq: torch.Tensor,
        hist: torch.Tensor,
        hist_mask: torch.Tensor,
        region: torch.Tensor,
        nbr: torch.Tensor | None = None,
        nbr_mask: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> dict[str, torch.Tensor]:
        self.check_batch(seq, return_attention)
        histone = masked_histone(hist, hist_mask, self.n_marks, self.n_bins)  # (B, 2M, NB)
        one_hot = self.seq_input(seq)[..., :N_CODE]  # (B, W, 4): N is all zeros
        x = self.conv(one_hot.transpose(1, 2))
        x = torch.cat([x, histone.flatten(1)], dim=1)
        out = self.head(self.dense(x)).float()
        return {"level": torch.sigmoid(out[:, 0]), "logit": out[:, 1]}
