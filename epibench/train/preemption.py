"""Preemption: stop training cleanly when the scheduler asks (SLURM time limit, scancel, preemption)
or the user does (Ctrl-C: SIGINT).

At its time limit SLURM sends SIGTERM to every process of the job and SIGKILL ``KillWait``
seconds later (30 s by default); ``sbatch --signal=USR1@120`` asks for an earlier warning
on SIGUSR1. ``StopSignals`` turns those signals into a flag that the training loop polls
after each optimizer step: it then writes a checkpoint (atomically, epibench.train.checkpoint)
and raises ``Preempted``; ``epibench train`` exits with 128 + the signal number, and the
rerun (Snakemake's ``retries`` or the next ``snakemake`` call) resumes from the checkpoint.
DataLoader workers ignore these signals (``ignore_stop_signals``): they are the main process's
to handle, and a worker killed by SIGTERM would abort the loop before it can checkpoint.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

# SIGINT: Ctrl-C, which a terminal sends to every process of the job (Snakemake's too)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)


class Preempted(Exception):
    """Training stopped on a signal after writing its checkpoint; rerun to resume."""

    def __init__(self, signum: int, step: int, checkpoint: str):
        super().__init__(
            f"stopped by {signal.Signals(signum).name} at step {step}; checkpoint {checkpoint} written,"
            " rerun to resume"
        )
        self.signum = signum
        self.exit_code = 128 + signum


class StopSignals:
    """Context manager: while active, SIGTERM / SIGUSR1 / SIGINT set ``received`` (the signal
    number) instead of ending the process (a second SIGINT raises KeyboardInterrupt); the previous handlers come back on exit. Only the main
    thread can install handlers; elsewhere (e.g. a training thread in a notebook) it does nothing."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            raise KeyboardInterrupt  # Ctrl-C twice: stop now, without the checkpoint
        self.received = signum

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def ignore_stop_signals(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: workers leave SIGTERM / SIGUSR1 / SIGINT to the main process
    (they end with it)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
