"""Training loss: weighted MSE on the methylation level plus BCE on the methylated label."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def methylation_loss(
    output: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], alpha: float
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """loss = weighted MSE(level) + alpha * BCE-with-logits(label), computed in float32.

    output: model output, "level" (B,) in [0, 1] and "logit" (B,).
    batch:  "level" (B,) targets in [0, 1], "label" (B,) 0/1, "weight" (B,) >= 0
            (e.g. coverage-based); MSE = sum(w * (pred - level)^2) / sum(w).
    Returns the scalar loss and its detached parts {"mse", "bce"} (0-d tensors, on the
    loss's device, so callers decide when to synchronise).
    """
    weight = batch["weight"].float()
    squared = (output["level"].float() - batch["level"].float()) ** 2
    mse = (weight * squared).sum() / weight.sum().clamp_min(torch.finfo(torch.float32).tiny)
    bce = F.binary_cross_entropy_with_logits(output["logit"].float(), batch["label"].float())
    return mse + alpha * bce, {"mse": mse.detach(), "bce": bce.detach()}
