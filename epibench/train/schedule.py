"""Learning-rate schedule: linear warm-up, then cosine decay."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def warmup_cosine(
    optimizer: Optimizer, warmup_steps: int, total_steps: int, final_ratio: float = 0.0
) -> LambdaLR:
    """LambdaLR whose factor rises linearly to 1 over ``warmup_steps`` optimizer steps
    ((step + 1) / warmup_steps), then follows a cosine from 1 down to ``final_ratio`` at
    ``total_steps``, and stays there. Call ``scheduler.step()`` after every optimizer step.
    """
    if total_steps < 1 or warmup_steps < 0:
        raise ValueError(f"need total_steps >= 1 and warmup_steps >= 0, got {total_steps}, {warmup_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return final_ratio + (1.0 - final_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, factor)
