"""Hypothetical contributions of every base at every position, the input TF-MoDISco needs.

For each window the gradient of the predicted level with respect to the one-hot input (the output
of the model's ``seq_input`` layer) is averaged along the integrated-gradients path from the all-N
baseline to the sequence (``n_steps`` midpoint steps), for all four letters at every position, not
only the observed one. Mean-centred over A, C, G, T at each position it is the hypothetical
contribution: what each letter would add there (DeepLIFT/BPNet practice); the contribution of the
observed sequence is ``one_hot * hypothetical``.
"""

from __future__ import annotations

import numpy as np
import torch

from epibench.codes import N_CODE
from epibench.models.base import model_inputs

ACGT = 4  # letter channels of the one-hot input (the fifth is N)


def hypothetical_contributions(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], n_steps: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """(one_hot, hypothetical) of a dataset batch, each (B, W, 4) float32: the ACGT channels of the
    one-hot sequence (an N is all 0) and the mean-centred path-averaged gradient (module docstring),
    in units of predicted level per unit of one-hot input."""
    model.eval()
    seq = batch["seq"]
    observed = model.seq_input(seq).detach()
    baseline = model.seq_input(torch.full_like(seq, N_CODE)).detach()
    total = torch.zeros_like(observed)
    for step in range(n_steps):
        point = (baseline + (step + 0.5) / n_steps * (observed - baseline)).requires_grad_(True)
        hook = model.seq_input.register_forward_hook(lambda module, args, output: point)
        try:
            level = model(*model_inputs(batch))["level"]
        finally:
            hook.remove()
        (gradient,) = torch.autograd.grad(level.sum(), point)
        total += gradient
    letters = (total / n_steps)[..., :ACGT]
    hypothetical = letters - letters.mean(-1, keepdim=True)
    return observed[..., :ACGT].numpy().astype(np.float32), hypothetical.numpy().astype(np.float32)
