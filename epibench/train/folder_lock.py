"""One training per model folder at a time.

Two trainings writing one ``models/<model>/`` folder resume from each other's checkpoints and
overwrite each other's weights: it happens on a cluster when the Snakemake process that submitted a
train job dies (a lost login session), its job runs on, and the rerun submits a second one. The first
training process holds an advisory POSIX lock (``fcntl.lockf``, which NFS and Lustre honour across
nodes) on ``.train.lock`` in the folder while it trains; a second one stops at once, naming the
holder (host, process, SLURM job) written in the file.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from epibench.errors import InputError

LOCK_NAME = ".train.lock"


@contextmanager
def training_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold the model folder's training lock for the ``with`` block; InputError at once when another
    process holds it (its host, process id, SLURM job and start time in the message)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            raise InputError(
                f"another training of this model is running ({_holder_text(handle.read())}): two would "
                "overwrite each other's checkpoints and weights. Wait for it, or stop it (scancel its "
                "SLURM job) and run again: the next training resumes from its checkpoint",
                path,
            ) from None
        handle.seek(0)
        handle.truncate()
        holder = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "slurm_job": os.environ.get("SLURM_JOB_ID", ""),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        handle.write(json.dumps(holder) + "\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def _holder_text(text: str) -> str:
    """The lock holder a lock file names, in words ("process 12 on node7, SLURM job 1923, since ...")."""
    try:
        holder = json.loads(text)
    except json.JSONDecodeError:
        return "its holder unknown"
    job = f", SLURM job {holder['slurm_job']}" if holder.get("slurm_job") else ""
    return f"process {holder.get('pid')} on {holder.get('host')}{job}, since {holder.get('since')}"
