"""The contract every model keeps, so the training loop, prediction, the ablation and the explanations
treat them alike; a new model is one module with a ``MethylationModel`` subclass plus one entry in
``epibench.models.factory.ARCHITECTURES``.

A model is built as ``Model(n_marks, n_bins, window, **config)``: M input channels beside the sequence
(histone marks, 3D-genome features, covariates; 0 for a cohort with none), NB histone bins and the
window W (bp), all from the shard manifest, and its hyper-parameters (``defaults`` filled in by
``epibench.models.factory.model_config``).

It takes one batch: ``seq`` (B, W) int64 ACGTN codes (epibench.codes), ``hist`` (B, M, NB) float,
``hist_mask`` (B, M, NB) bool (True where observed; a masked value is missing, not zero), ``region``
(B,) int64 region class. It returns ``{"level": (B,) predicted methylation level in [0, 1],
"logit": (B,) logit of the methylated call}``, plus ``"attention"`` (B, heads, tokens, NB) when
asked with ``return_attention=True`` and ``has_attention`` is True.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn


class MethylationModel(nn.Module):
    """Base class of every model (module docstring: what it takes, returns and declares).

    arch: the name config, tables and the report use for the architecture.
    defaults: its hyper-parameters with their defaults (the seed's shapes).
    has_attention: whether ``forward(..., return_attention=True)`` gives cross-modal attention.
    seq_input: the one-hot input layer (B, W) -> (B, W, 5) that attributions go through (subclasses set it).
    Subclasses define ``forward(seq, hist, hist_mask, region, return_attention=False)`` (module docstring)
    and start it with ``check_batch``.
    """

    arch: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    has_attention: bool = False

    def __init__(self, n_marks: int, n_bins: int, window: int):
        super().__init__()
        self.n_marks = n_marks
        self.n_bins = n_bins
        self.window = window

    def check_batch(self, seq: torch.Tensor, return_attention: bool) -> None:
        """ValueError for windows of another length, or attention asked of a model without it."""
        if seq.shape[-1] != self.window:
            raise ValueError(f"model expects windows of {self.window} bp, got {seq.shape[-1]}")
        if return_attention and not self.has_attention:
            raise ValueError(
                f"this {self.arch} model has no attention (no histone input, or no cross-modal attention "
                "in its design); check model.has_attention first"
            )
