"""``epibench train``: a model trained on shard folders."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from epibench.cli.common import json_arg, many_paths_arg
from epibench.errors import InputError
from epibench.log_warnings import LOG_FORMAT
from epibench.train.preemption import Preempted
from epibench.train_settings import RUNTIME_KEYS, from_words, merged, runtime_only
from epibench.threads import use_threads

log = logging.getLogger("epibench")
HISTORY_LOG = "train_history.log"  # in the model folder: every run of its training, appended
# why a SLURM job's training got its signal, and what to change where it was the time limit
SLURM_STOP = (
    "SLURM job %s: SLURM signals a job 5 minutes before its time limit (the profile's --signal=TERM@300), "
    "and on scancel or pre-emption; the retry resumes from the checkpoint with the same time limit, so "
    "where this job ran to its limit (`sacct -j <job> -o Elapsed,Timelimit`), raise train's runtime in "
    "your copy of the profile"
)


def cmd_train(args: argparse.Namespace) -> None:
    from epibench.train.from_shards import train_from_shards

    use_threads(args.threads)
    # settled before the model folder and its history log are made: a refused command writes nothing
    model, settings = model_settings(args), train_settings(args)
    with kept_history(args.out_dir):
        log.info(
            "epibench train %s: started on %s, process %d", args.out_dir, socket.gethostname(), os.getpid()
        )
        if "SLURM_JOB_ID" in os.environ:
            log.info(
                "SLURM job %s on partition %s, node %s, CUDA_VISIBLE_DEVICES=%s",
                os.environ["SLURM_JOB_ID"],
                os.environ.get("SLURM_JOB_PARTITION", "?"),
                os.environ.get("SLURMD_NODENAME", "?"),
                os.environ.get("CUDA_VISIBLE_DEVICES", "(none)"),
            )
        try:
            summary = train_from_shards(args.shards, model, settings, args.out_dir)
        except Preempted as stop:  # said inside the block: train_history.log keeps why this run ended
            log.warning("%s", stop)
            if "SLURM_JOB_ID" in os.environ:
                log.warning(SLURM_STOP, os.environ["SLURM_JOB_ID"])
            raise
        log.info("training done: %s", summary)


@contextmanager
def kept_history(out_dir: str) -> Iterator[None]:
    """For the ``with`` block, the main process's log goes to ``out_dir``/``HISTORY_LOG`` as well,
    appended: a job's own log is rewritten by its next run (Snakemake removes a job's log before it
    starts), so after a pre-empted or cancelled training is resumed, only this file still holds the
    steps of the run that did them."""
    if os.environ.get("RANK", "0") != "0":
        yield
        return
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(Path(out_dir) / HISTORY_LOG, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def train_settings(args: argparse.Namespace) -> dict:
    """The train settings of --train-json, --train and --runtime-json together (epibench.train_settings);
    InputError for a key two of them give different values or a --runtime-json key that changes the
    trained model."""
    return merged(
        ("--train-json", args.train_json),
        ("--train", from_words(args.train)),
        ("--runtime-json", runtime_only(args.runtime_json)),
    )


def model_settings(args: argparse.Namespace) -> dict:
    """The architecture (and transfer) settings of --model-json and --model together; InputError for a
    key both give different values, or where neither names the architecture (arch)."""
    settings = merged(("--model-json", args.model_json), ("--model", from_words(args.model)))
    if "arch" not in settings:
        raise InputError(
            "the model's architecture is missing: give arch=hybrid (or cnn) in --model or --model-json"
        )
    return settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand to ``sub``."""
    p = sub.add_parser("train", help="train a model on shard folders")
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--model-json", type=json_arg, default={}, help='{"arch": "hybrid"|"cnn", sizes...}')
    p.add_argument(
        "--model",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="the architecture and its sizes as KEY=VALUE words, VALUE as JSON or a bare string "
        "(arch=hybrid d_model=64), as the workflow passes them",
    )
    p.add_argument("--train-json", type=json_arg, default={}, help="training settings as JSON")
    p.add_argument(
        "--train",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="training settings as KEY=VALUE words, VALUE as JSON or a bare string "
        "(epochs=30 histone_norm=robust): the workflow's are those that decide the trained model",
    )
    p.add_argument(
        "--runtime-json",
        type=json_arg,
        default={},
        help=f"settings that do not change the trained model, as JSON: {', '.join(RUNTIME_KEYS)} (the "
        "workflow passes them apart, so editing them retrains nothing)",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_train)
