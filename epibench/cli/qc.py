"""``epibench qc``: a sample's QC table and figure."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

log = logging.getLogger("epibench")


def cmd_qc(args: argparse.Namespace) -> None:
    import pandas as pd

    from epibench.io.atomic import write_tsv
    from epibench.io.qc import plot_qc, qc_table

    cpgs = pd.concat([pd.read_parquet(path) for path in args.cpgs], ignore_index=True)
    if args.splits:
        cpgs = _in_a_split(cpgs, args.splits, args.sample)
    regions = pd.read_parquet(args.regions)
    coverage_known = json.loads(Path(args.ingest_qc).read_text()).get("coverage_known", True)
    settings = {"threshold": args.threshold, "coverage_known": coverage_known}
    write_tsv(qc_table(cpgs, regions, args.sample, **settings), args.out_table)
    plot_qc(cpgs, regions, args.sample, args.out_figure, **settings)
    log.info("QC of %s written", args.sample)


def _in_a_split(cpgs, splits_bed: str, sample: str):
    """``cpgs`` without those on sequences in no split (the plan's ``left_out``: organelles,
    alternates), whose depth and levels are not the nuclear genome's; logs what it left out."""
    from epibench.data.splits import LEFT_OUT, read_split_plan

    plan = read_split_plan(splits_bed)
    left_out = set(plan.loc[plan["split"] == LEFT_OUT, "chrom"])
    outside = cpgs["chrom"].astype(str).isin(left_out).to_numpy()
    if outside.any():
        names = sorted(set(cpgs.loc[outside, "chrom"].astype(str)))
        log.info(
            "%s: %d CpGs on %d sequence(s) in no split left out of the QC (%s)",
            sample,
            int(outside.sum()),
            len(names),
            ", ".join(names[:5]),
        )
    return cpgs[~outside]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``qc`` subcommand to ``sub``."""
    p = sub.add_parser("qc", help="per-sample QC table and figure (coverage, level per region class)")
    p.add_argument("--sample", required=True)
    p.add_argument(
        "--cpgs", nargs="+", required=True, help="canonical CpG table(s) of the sample (one per group)"
    )
    p.add_argument("--regions", required=True, help="cohort region table")
    p.add_argument("--ingest-qc", required=True, help="the sample's ingest QC (.json)")
    p.add_argument(
        "--splits", help="the shard plan's splits.bed: CpGs on sequences in no split (chrM, alts) left out"
    )
    p.add_argument("--threshold", type=float, default=0.5, help="methylated = level >= threshold")
    p.add_argument("--out-table", required=True, help="QC table (.tsv)")
    p.add_argument(
        "--out-figure",
        required=True,
        help="figure path without suffix (.png and .pdf are written)",
    )
    p.set_defaults(func=cmd_qc)
