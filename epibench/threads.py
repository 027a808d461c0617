"""CPU threads of one process: a job uses the cores it was given and no more."""

from __future__ import annotations

import os

#: Thread-count variables of the math libraries torch and NumPy may load (OpenMP, MKL, OpenBLAS).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def use_threads(threads: int) -> None:
    """Run torch's intra-op and inter-op work on ``threads`` threads (>= 1) and set the math
    libraries' thread variables for any child process (DataLoader workers, torchrun ranks).

    torch fixes its inter-op pool at its first parallel operation; when that has happened, the
    pool keeps its size (torch refuses the change) and only the intra-op count changes.
    """
    threads = max(1, int(threads))
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    import torch

    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # the inter-op pool has already started
            pass
