"""``epibench demo-data``: the deterministic demo cohort."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("epibench")


def cmd_demo_data(args: argparse.Namespace) -> None:
    from epibench.demo.generate import generate_demo

    lengths = [int(x) for x in args.chrom_lengths.split(",")]
    paths = generate_demo(
        Path(args.out),
        chrom_lengths=lengths,
        n_samples=args.samples,
        seed=args.seed,
        n_tumours=args.tumours,
        purity=args.purity,
    )
    log.info("demo cohort written to %s (%d files)", args.out, len(paths))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo-data`` subcommand to ``sub``."""
    p = sub.add_parser("demo-data", help="write the deterministic demo cohort")
    p.add_argument("--out", required=True, help="output folder (e.g. resources/demo)")
    p.add_argument(
        "--chrom-lengths",
        default="200000,200000,200000,200000,200000",
        help="comma-separated bp",
    )
    p.add_argument("--samples", type=int, default=3, help="number of (normal) samples")
    p.add_argument(
        "--tumours", type=int, default=0, help="tumour-like samples after them (CIMP islands, PMDs)"
    )
    p.add_argument("--purity", type=float, default=0.7, help="tumour cell share of the tumour-like samples")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo_data)
