"""Progress lines for long reads, written to the log (Snakemake keeps a job's log in a file, where a
progress bar would not show): at most one line per interval."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

EVERY_S = 30.0  # seconds between two lines, by default


class ProgressLog:
    """``progress(message, *args)`` logs ``message % args`` at INFO on ``logger`` when ``every_s``
    seconds (``EVERY_S`` unless given; by ``clock``) have passed since the last line or since the
    start; otherwise nothing."""

    def __init__(
        self,
        logger: logging.Logger,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.logger, self.clock = logger, clock
        self.every_s = EVERY_S if every_s is None else every_s
        self.last = clock()

    def __call__(self, message: str, *args) -> None:
        now = self.clock()
        if now - self.last >= self.every_s:
            self.logger.info(message, *args)
            self.last = now


def time_left(done: int, total: int, seconds: float) -> str:
    """The time the remaining ``total - done`` units take at the rate of the ``done`` that took
    ``seconds``, in words (``45 s``, ``12 min``, ``3 h 05 min``); ``?`` before the first unit."""
    if done <= 0 or seconds <= 0:
        return "?"
    left = round(seconds / done * max(total - done, 0))
    if left < 60:
        return f"{left} s"
    if left < 3600:
        return f"{round(left / 60)} min"
    hours, minutes = divmod(round(left / 60), 60)
    return f"{hours} h {minutes:02d} min"
