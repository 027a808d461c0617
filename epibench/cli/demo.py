"""``epibench demo-data``: the deterministic demo cohort; ``standin-genome``: a stand-in reference for
real calls without their sequence (epibench.demo.standin)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from epibench.errors import InputError, excerpt

log = logging.getLogger("epibench")


def cmd_demo_data(args: argparse.Namespace) -> None:
    from epibench.demo.generate import generate_demo

    try:
        lengths = [int(x) for x in args.chrom_lengths.split(",")]
        paths = generate_demo(
            Path(args.out),
            chrom_lengths=lengths,
            n_samples=args.samples,
            seed=args.seed,
            n_tumours=args.tumours,
            purity=args.purity,
            chrom_names=args.chrom_names.split(",") if args.chrom_names else (),
        )
    except InputError:
        raise
    except ValueError as exc:  # a setting out of range: one line, not a traceback
        raise InputError(f"demo-data: {exc}") from None
    log.info("demo cohort written to %s (%d files)", args.out, _n_files(paths))


def _n_files(paths: dict) -> int:
    """The files of ``generate_demo``'s answer (name -> path, or a nested dict of them)."""
    return sum(_n_files(value) if isinstance(value, dict) else 1 for value in paths.values())


def cmd_standin_genome(args: argparse.Namespace) -> None:
    from epibench.demo.standin import write_standin
    from epibench.io.textfile import iter_lines

    lengths = {}
    for number, text in iter_lines(args.chrom_sizes):
        fields = text.split("\t")
        if len(fields) < 2 or not fields[1].isdigit():
            raise InputError(f"expected name <tab> length, found {excerpt(text)}", args.chrom_sizes, number)
        lengths[fields[0]] = int(fields[1])
    planted = write_standin([Path(p) for p in args.calls], lengths, args.seed, Path(args.out))
    log.info("stand-in reference %s: CpGs planted %s", args.out, planted)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo-data`` and ``standin-genome`` subcommands to ``sub``."""
    p = sub.add_parser("demo-data", help="write the deterministic demo cohort")
    p.add_argument("--out", required=True, help="output folder (e.g. resources/demo)")
    p.add_argument(
        "--chrom-lengths",
        default="200000,200000,200000,200000,200000",
        help="comma-separated bp, each at least 20000 (a shorter sequence, a mitochondrion, say: cut one)",
    )
    p.add_argument(
        "--chrom-names",
        default="",
        help="comma-separated names, one per length (default chr1,chr2,...): e.g. 2L,2R,X or NC_003070.9",
    )
    p.add_argument("--samples", type=int, default=3, help="number of (normal) samples")
    p.add_argument(
        "--tumours", type=int, default=0, help="tumour-like samples after them (CIMP islands, PMDs)"
    )
    p.add_argument("--purity", type=float, default=0.7, help="tumour cell share of the tumour-like samples")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo_data)
    p = sub.add_parser(
        "standin-genome",
        help="a stand-in reference for real calls without their sequence: CG at every called CpG, random bases elsewhere",
    )
    p.add_argument(
        "--calls", nargs="+", required=True, help="methylation files (any format) whose CpGs to plant"
    )
    p.add_argument("--chrom-sizes", required=True, help="name <tab> length of every sequence to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="the FASTA to write")
    p.set_defaults(func=cmd_standin_genome)
