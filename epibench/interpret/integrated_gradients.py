"""Integrated gradients (captum) for the predicted methylation level of chosen CpGs.

Sequence: LayerIntegratedGradients through the model's one-hot input layer ``seq_input``; the
baseline is the all-N sequence (code 4: "no base known"), and the attribution of a position is
the sum over its five letter channels. Histone marks: IntegratedGradients on the (log1p) binned signal with
an all-zero baseline (no signal), the mask held fixed. Attributions are in units of the predicted
level (0-1); per CpG they sum (approximately, see ``delta``) to level(input) - level(baseline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerIntegratedGradients

from epibench.vocab import N_CODE


@dataclass
class Attributions:
    """Attributions for K CpGs: seq (K, W) per position, hist (K, M, NB), delta (K,) convergence error
    of the sequence attributions, hist_delta (K,) of the histone ones, level (K,) predicted level."""

    seq: np.ndarray
    hist: np.ndarray
    delta: np.ndarray
    hist_delta: np.ndarray
    level: np.ndarray


def _level_of(model: torch.nn.Module):
    def forward(seq, hist, hist_mask, region):
        return model(seq, hist, hist_mask, region)["level"]

    return forward


def integrated_gradients(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], n_steps: int = 32
) -> Attributions:
    """Attribute the predicted level of every CpG in ``batch`` (a dataset batch dict) to its inputs."""
    model.eval()
    forward = _level_of(model)
    seq, hist, mask, region = batch["seq"], batch["hist"], batch["hist_mask"], batch["region"]
    seq_ig = LayerIntegratedGradients(forward, model.seq_input)
    seq_attr, seq_delta = seq_ig.attribute(
        seq,
        baselines=torch.full_like(seq, N_CODE),
        additional_forward_args=(hist, mask, region),
        n_steps=n_steps,
        return_convergence_delta=True,
    )
    hist_ig = IntegratedGradients(lambda h, s, m, r: forward(s, h, m, r))
    hist_attr, hist_delta = hist_ig.attribute(
        hist,
        baselines=torch.zeros_like(hist),
        additional_forward_args=(seq, mask, region),
        n_steps=n_steps,
        return_convergence_delta=True,
    )
    with torch.no_grad():
        level = forward(seq, hist, mask, region)
    return Attributions(
        seq=seq_attr.sum(-1).detach().numpy(),
        hist=hist_attr.detach().numpy(),
        delta=seq_delta.detach().numpy(),
        hist_delta=hist_delta.detach().numpy(),
        level=level.numpy(),
    )
