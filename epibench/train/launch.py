"""The launcher in front of ``epibench train`` in the train rule: nothing, torchrun on one node, or
srun + torchrun across SLURM nodes.

- one GPU (or none): ``epibench train`` runs as it is;
- G > 1 GPUs on one node: ``torchrun --standalone --nproc-per-node G``, one DDP process per GPU;
- N > 1 nodes of G GPUs each: ``srun`` starts one torchrun per node of the job
  (``--nodes N --ntasks-per-node 1``; ``--overlap``, as the rule itself runs in a job step), and the
  torchruns meet through c10d rendezvous on the job's first node (``scontrol show hostnames
  $SLURM_JOB_NODELIST``, port ``RDZV_PORT``) under the job's id; N x G processes in all, each
  with its RANK, LOCAL_RANK and WORLD_SIZE (epibench.train.distributed).

The multi-node words hold shell expansions (``$SLURM_JOB_NODELIST``, ``$SLURM_JOB_ID``) made by the
job's shell on the first node, so the prefix goes into the rule's command unquoted.
"""

from __future__ import annotations

import shlex

RDZV_PORT = 29500
FIRST_NODE = '"$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"'


def launcher_prefix(gpus: int, nodes: int = 1, port: int = RDZV_PORT) -> str:
    """The words before ``epibench train`` for ``gpus`` GPUs per node on ``nodes`` nodes ("" for a
    single process). ValueError for fewer than 1 node or a negative GPU count."""
    if nodes < 1 or gpus < 0:
        raise ValueError(f"train needs >= 1 node and >= 0 GPUs, got {nodes} nodes and {gpus} GPUs")
    n_nodes, n_gpus, rdzv_port = (shlex.quote(str(int(value))) for value in (nodes, max(gpus, 1), port))
    if nodes == 1:
        return "" if gpus <= 1 else f"torchrun --standalone --nproc-per-node {n_gpus} --no-python"
    return (
        f"srun --overlap --nodes {n_nodes} --ntasks-per-node 1 "
        f"torchrun --nnodes {n_nodes} --nproc-per-node {n_gpus} --rdzv-backend c10d "
        f'--rdzv-endpoint {FIRST_NODE}:{rdzv_port} --rdzv-id "$SLURM_JOB_ID" --no-python'
    )
