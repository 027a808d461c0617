"""``epibench baseline``: a baseline fitted on the train split, predicting the test split."""

from __future__ import annotations

import argparse
import json
import logging

from epibench.cli.common import many_paths_arg

log = logging.getLogger("epibench")


def cmd_baseline(args: argparse.Namespace) -> None:
    from epibench.evaluate.baselines import fit_baseline
    from epibench.io.atomic import atomic_path

    table, record = fit_baseline(
        args.name, args.shards, histone_norm=args.histone_norm, max_train_rows=args.max_train_rows
    )
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(args.record) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    log.info("baseline %s: %s", args.name, record)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``baseline`` subcommand to ``sub``."""
    p = sub.add_parser("baseline", help="fit a baseline on the train split, predict the test split")
    p.add_argument(
        "--name", required=True, help="logreg_gc_cpg, gbm_histone or gbm_region (no histone features)"
    )
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--histone-norm", default="robust", choices=["robust", "log1p"])
    p.add_argument("--max-train-rows", type=int, default=500_000, help="training rows sampled at most")
    p.add_argument("--out", required=True, help="predictions (.parquet)")
    p.add_argument("--record", required=True, help="fit time and memory (.json)")
    p.set_defaults(func=cmd_baseline)
