"""Histone input shared by the models: signal where observed, and the mask itself."""

from __future__ import annotations

import torch


def masked_histone(values: torch.Tensor, mask: torch.Tensor, n_marks: int, n_bins: int) -> torch.Tensor:
    """``[values where observed else 0, mask]`` stacked on the mark axis: (B, M, NB) x2 -> (B, 2M, NB).

    A missing bin is seen as missing (mask 0), never as zero signal; values at masked
    positions (even NaN) never reach the output. ValueError when the shapes are not
    (B, n_marks, n_bins) for both.
    """
    if values.shape[1:] != (n_marks, n_bins) or mask.shape != values.shape:
        raise ValueError(
            f"histone input must be (B, {n_marks} marks, {n_bins} bins) with a mask of the same "
            f"shape; got values {tuple(values.shape)}, mask {tuple(mask.shape)}"
        )
    mask = mask.bool()
    observed = torch.where(mask, values, torch.zeros((), dtype=values.dtype, device=values.device))
    return torch.cat([observed, mask.to(values.dtype)], dim=1)
