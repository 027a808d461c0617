"""Integrated gradients (captum) for the predicted methylation level of chosen CpGs.

Sequence: LayerIntegratedGradients through the model's one-hot input layer ``seq_input``; the
baseline is the all-N sequence (code 4: "no base known"), and the attribution of a position is
the sum over its five letter channels. Histone marks: IntegratedGradients on the (normalised) binned
signal with an all-zero baseline, the mask held fixed: with the default ``robust`` normalisation 0
is the sample's median signal of the mark, not its absence (``log1p``: 0 is no signal); with no
histone channel (M = 0) the histone attributions are empty and their delta 0 (input and baseline
are the same). Attributions are
in units of the predicted level (0-1); per CpG they sum (approximately, see ``delta``) to
level(input) - level(baseline).

Convergence: captum's delta is sum(attributions) - (F(x) - F(baseline)). A CpG's relative delta is
|delta| / (|F(x) - F(baseline)| + REL_EPS), with REL_EPS = 0.01 (one percentage point of level), so a
CpG whose prediction hardly moves from the baseline is judged by its absolute error instead.
``converged_integrated_gradients`` reruns the CpGs whose relative delta (sequence or histone) exceeds
the tolerance with n_steps doubled, until they are within it or max_steps is reached; the final
deltas and the steps each CpG used are returned.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerIntegratedGradients

from epibench.codes import N_CODE

REL_EPS = 0.01
STEPS_PER_PASS = 32  # interpolation steps evaluated per forward pass (bounds memory at large n_steps)
INPUTS = ("seq", "hist", "hist_mask", "region")


def relative_delta(delta: np.ndarray, attribution_sum: np.ndarray) -> np.ndarray:
    """|delta| / (|F(x) - F(baseline)| + REL_EPS), (K,); F(x) - F(baseline) = attribution_sum - delta."""
    return np.abs(delta) / (np.abs(attribution_sum - delta) + REL_EPS)


@dataclass
class Attributions:
    """Attributions for K CpGs: seq (K, W) per position, hist (K, M, NB), delta (K,) convergence error
    of the sequence attributions, hist_delta (K,) of the histone ones (signed, level units), level (K,)
    predicted level, n_steps (K,) integration steps used."""

    seq: np.ndarray
    hist: np.ndarray
    delta: np.ndarray
    hist_delta: np.ndarray
    level: np.ndarray
    n_steps: np.ndarray

    @property
    def seq_rel_delta(self) -> np.ndarray:
        """(K,) relative convergence delta of the sequence attributions."""
        return relative_delta(self.delta, self.seq.sum(1))

    @property
    def hist_rel_delta(self) -> np.ndarray:
        """(K,) relative convergence delta of the histone attributions."""
        return relative_delta(self.hist_delta, self.hist.sum((1, 2)))

    def converged(self, tolerance: float) -> np.ndarray:
        """(K,) bool: both relative deltas within ``tolerance``."""
        return (self.seq_rel_delta <= tolerance) & (self.hist_rel_delta <= tolerance)

    def update(self, rows: np.ndarray, other: Attributions) -> None:
        """Overwrite the CpGs at ``rows`` with ``other`` (attributions of those CpGs, in that order)."""
        for field in fields(self):
            getattr(self, field.name)[rows] = getattr(other, field.name)


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
    seq, hist, mask, region = (batch[key] for key in INPUTS)
    internal_batch = len(seq) * STEPS_PER_PASS
    seq_ig = LayerIntegratedGradients(forward, model.seq_input)
    seq_attr, seq_delta = seq_ig.attribute(
        seq,
        baselines=torch.full_like(seq, N_CODE),
        additional_forward_args=(hist, mask, region),
        n_steps=n_steps,
        internal_batch_size=internal_batch,
        return_convergence_delta=True,
    )
    if hist.shape[1]:
        hist_ig = IntegratedGradients(lambda h, s, m, r: forward(s, h, m, r))
        hist_attr, hist_delta = hist_ig.attribute(
            hist,
            baselines=torch.zeros_like(hist),
            additional_forward_args=(seq, mask, region),
            n_steps=n_steps,
            internal_batch_size=internal_batch,
            return_convergence_delta=True,
        )
    else:  # no histone channel: nothing to attribute, and input = baseline, so delta is exactly 0
        hist_attr, hist_delta = hist.clone(), torch.zeros(len(seq))
    with torch.no_grad():
        level = forward(seq, hist, mask, region)
    return Attributions(
        seq=seq_attr.sum(-1).detach().float().numpy(),
        hist=hist_attr.detach().float().numpy(),
        delta=seq_delta.detach().float().numpy(),
        hist_delta=hist_delta.detach().float().numpy(),
        level=level.float().numpy(),
        n_steps=np.full(len(seq), n_steps, dtype=np.int32),
    )


def converged_integrated_gradients(
    model: torch.nn.Module,
    batch: dict[str, torch.Tensor],
    n_steps: int = 32,
    max_steps: int = 256,
    tolerance: float = 0.05,
) -> Attributions:
    """``integrated_gradients``, rerunning the CpGs not within ``tolerance`` (module docstring) with
    n_steps doubled while that stays <= ``max_steps``. ValueError when max_steps < n_steps."""
    if max_steps < n_steps:
        raise ValueError(f"max_steps ({max_steps}) must be >= n_steps ({n_steps})")
    attr = integrated_gradients(model, batch, n_steps)
    steps = n_steps
    while steps * 2 <= max_steps:
        todo = np.flatnonzero(~attr.converged(tolerance))
        if not len(todo):
            break
        steps *= 2
        index = torch.from_numpy(todo)
        attr.update(todo, integrated_gradients(model, {key: batch[key][index] for key in INPUTS}, steps))
    return attr
