"""The contract every model keeps, so the training loop, prediction, the ablation and the explanations
treat them alike; a new model is one module with a ``MethylationModel`` subclass plus one entry in
``epibench.models.factory.ARCHITECTURES``.

A model is built as ``Model(n_marks, n_bins, window, **config)``: M input channels beside the sequence
(histone marks, 3D-genome features, covariates; 0 for a cohort with none), NB histone bins and the
window W (bp), all from the shard manifest, and its hyper-parameters (``defaults`` filled in by
``epibench.models.factory.model_config``).

A model built with ``n_context`` > 0 (its config's ``neighbours: true`` on shards holding the neighbour
context, epibench.data.neighbours) also reads ``nbr`` (B, n_context, 3) and ``nbr_mask`` (B, n_context);
the others take them and ignore them.

It takes one batch: ``seq`` (B, W) int64 ACGTN codes (epibench.codes), ``hist`` (B, M, NB) float,
``hist_mask`` (B, M, NB) bool (True where observed; a masked value is missing, not zero), ``region``
(B,) int64 region class, ``nbr``/``nbr_mask`` or None. It returns ``{"level": (B,) predicted methylation level in [0, 1],
"logit": (B,) logit of the methylated call}``, plus ``"attention"`` (B, heads, tokens, NB) when
asked with ``return_attention=True`` and ``has_attention`` is True.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

INPUTS = ("seq", "hist", "hist_mask", "region")  # the batch keys every model reads, in call order
CONTEXT_INPUTS = ("nbr", "nbr_mask")  # then these, None where the batch has no neighbour context


def model_inputs(batch: dict[str, torch.Tensor]) -> list[torch.Tensor | None]:
    """The positional arguments of a model's forward from a dataset batch (INPUTS, CONTEXT_INPUTS)."""
    return [batch[key] for key in INPUTS] + [batch.get(key) for key in CONTEXT_INPUTS]


def predicted_on_host(out: dict[str, torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """A forward's output as host arrays: predicted level (0-1) and probability methylated
    (sigmoid of the logit), (B,) float32 each."""
    return out["level"].float().cpu().numpy(), torch.sigmoid(out["logit"].float()).cpu().numpy()


class MethylationModel(nn.Module):
    """Base class of every model (module docstring: what it takes, returns and declares).

    arch: the name config, tables and the report use for the architecture.
    defaults: its hyper-parameters with their defaults (the seed's shapes).
    has_attention: whether ``forward(..., return_attention=True)`` gives cross-modal attention.
    seq_input: the one-hot input layer (B, W) -> (B, W, 5) that attributions go through (subclasses set it).
    n_context: neighbour tokens the model reads (0: none).
    Subclasses define ``forward(seq, hist, hist_mask, region, nbr=None, nbr_mask=None,
    return_attention=False)`` (module docstring) and start it with ``check_batch``.
    """

    arch: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    has_attention: bool = False

    def __init__(self, n_marks: int, n_bins: int, window: int, n_context: int = 0):
        super().__init__()
        self.n_marks = n_marks
        self.n_bins = n_bins
        self.window = window
        self.n_context = n_context

    def check_batch(self, seq: torch.Tensor, return_attention: bool, nbr: torch.Tensor | None = None) -> None:
        """ValueError for windows of another length, attention asked of a model without it, or a
        batch without the neighbour context the model reads."""
        if seq.shape[-1] != self.window:
            raise ValueError(f"model expects windows of {self.window} bp, got {seq.shape[-1]}")
        if self.n_context and (nbr is None or nbr.shape[1] != self.n_context):
            got = "none" if nbr is None else f"{nbr.shape[1]} tokens"
            raise ValueError(
                f"this {self.arch} model reads {self.n_context} neighbour tokens; the batch has {got}"
            )
        if return_attention and not self.has_attention:
            raise ValueError(
                f"this {self.arch} model has no attention (no histone input, or no cross-modal attention "
                "in its design); check model.has_attention first"
            )
