"""Where a training step's time goes beside the model: waiting for the loader, and the GPU sitting idle.

``StepTimer`` measures, per optimizer step and without synchronising the GPU each step:

- loader wait (host, ms): the time the training process spent blocked on the next batch (DataLoader
  workers not keeping up, or the batch built in-process with ``num_workers: 0``);
- GPU idle (CUDA only, ms): the gap on the GPU's stream between the end of one step's work (after
  the optimizer step) and the start of the next (before its host-to-device copies), from CUDA events.
  Zero when the host queues work ahead of the GPU; the loader or host-side Python showing through
  when it does not.

The events are read (one synchronisation) only when ``means`` is called: at the loop's progress lines,
which synchronise anyway (the logged loss), and at the end of an epoch.
"""

from __future__ import annotations

import math
import time

import torch


class StepTimer:
    """Accumulates loader wait and GPU idle over an epoch's steps (``reset`` starts an epoch)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.pairs: list[tuple[torch.cuda.Event, torch.cuda.Event]] = []  # (last step's end, this start)
        self.reset()

    def waiting(self) -> None:
        """The loop asks the loader for the next batch now."""
        self.wait_started = time.perf_counter()

    def step_started(self) -> None:
        """The batch has arrived; the step's GPU work is about to be queued."""
        self.wait_s += time.perf_counter() - self.wait_started
        if self.cuda:
            start = torch.cuda.Event(enable_timing=True)
            start.record()
            if self.previous_end is not None:
                self.pairs.append((self.previous_end, start))

    def step_finished(self) -> None:
        """The step's GPU work (through the optimizer step) is queued."""
        self.steps += 1
        if self.cuda:
            self.previous_end = torch.cuda.Event(enable_timing=True)
            self.previous_end.record()

    def means(self) -> dict[str, float]:
        """{"loader_wait_ms", "gpu_idle_ms"}: means per step since ``reset`` (GPU idle NaN on CPU or
        before a second step); resolves the events recorded so far (synchronises on CUDA)."""
        for end, start in self.pairs:
            start.synchronize()
            self.idle_ms += end.elapsed_time(start)
        self.gaps += len(self.pairs)
        result = {
            "loader_wait_ms": 1e3 * self.wait_s / self.steps if self.steps else math.nan,
            "gpu_idle_ms": self.idle_ms / self.gaps if self.gaps else math.nan,
        }
        self.pairs.clear()
        return result

    def reset(self) -> None:
        """Start an epoch: forget the sums and the last step (no gap across validation)."""
        self.wait_s, self.steps, self.idle_ms, self.gaps = 0.0, 0, 0.0, 0
        self.pairs.clear()
        self.previous_end = None
        self.wait_started = time.perf_counter()
