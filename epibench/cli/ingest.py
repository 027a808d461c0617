"""Methylation calls -> canonical CpG tables: ``epibench ingest`` in one job, or scattered as
``ingest-split`` (per sample), ``ingest-group`` (per sample x shard group) and ``ingest-summary``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from epibench.cli.common import calls_args, calls_files, filter_args, format_value, write_json

log = logging.getLogger("epibench")


def cmd_ingest(args: argparse.Namespace) -> None:
    from epibench.io.methylation import ingest, write_canonical
    from epibench.io.reference import Reference

    table, qc = ingest(
        args.input,
        Reference(args.reference),
        fmt=format_value(args.format),
        min_coverage=args.min_coverage,
        min_cg_share=args.min_cg_share,
        coverage_path=args.coverage,
    )
    write_canonical(table, args.out)
    write_json({"sample": args.sample, "input": str(args.input), **qc}, args.qc)
    for warning in qc["warnings"]:
        log.warning("%s: %s", args.sample, warning)
    _log_other_modifications(args.sample, qc)
    log.info("ingested %s: %d CpGs kept", args.sample, len(table))


def cmd_ingest_split(args: argparse.Namespace) -> None:
    from epibench.data.groups import read_groups
    from epibench.io.methylation.group_ingest import split_sample
    from epibench.io.reference import Reference

    groups = read_groups(args.groups)
    qc = split_sample(
        calls_files(args),
        Reference(args.reference),
        groups,
        args.out_dir,
        min_coverage=args.min_coverage,
    )
    write_json({"sample": args.sample, **qc}, args.qc)
    for warning in qc["warnings"]:
        log.warning("%s: %s", args.sample, warning)
    log.info(
        "split %s: %d rows of %d file(s) into %d groups",
        args.sample,
        qc["n_records"],
        len(qc["inputs"]),
        len(groups),
    )
    _log_other_modifications(args.sample, qc)


def _log_other_modifications(sample: str, qc: dict) -> None:
    """Say in the log how many rows of another modification (5hmC, 6mA) were not read as methylation."""
    from epibench.io.methylation.modifications import other_modification_note

    note = other_modification_note(qc)
    if note is not None:
        log.info("%s: %s", sample, note)


def cmd_ingest_group(args: argparse.Namespace) -> None:
    from epibench.io.methylation import write_canonical
    from epibench.io.methylation.group_ingest import ingest_group
    from epibench.io.reference import Reference

    table, qc = ingest_group(args.calls, Reference(args.reference), args.min_coverage, args.min_cg_share)
    write_canonical(table, args.out)
    write_json({"group": Path(args.calls[0]).stem, **qc}, args.qc)
    for warning in qc["warnings"]:
        log.warning("%s", warning)
    log.info(
        "%s: %d of %d calls kept as %d CpGs",
        " ".join(args.calls),
        qc["n_calls"] - qc["n_off_cg_dropped"],
        qc["n_calls"],
        len(table),
    )


def cmd_ingest_summary(args: argparse.Namespace) -> None:
    from epibench.io.methylation.group_ingest import merge_ingest_qc
    from epibench.io.reference import Reference

    group_qcs = {qc.pop("group"): qc for qc in (json.loads(Path(path).read_text()) for path in args.group_qc)}
    split_qc = json.loads(Path(args.split_qc).read_text())
    qc = merge_ingest_qc(
        split_qc, group_qcs, Reference(args.reference), args.min_coverage, args.min_cg_share, args.calls
    )
    write_json(qc, args.out)
    # logged by the split and the group jobs
    logged = {
        *split_qc["warnings"],
        *(warning for group in group_qcs.values() for warning in group["warnings"]),
    }
    for warning in qc["warnings"]:
        if warning not in logged:
            log.warning("%s: %s", qc["sample"], warning)
    log.info("ingested %s: %d CpGs kept in %d groups", qc["sample"], qc["n_kept"], len(group_qcs))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``ingest``, ``ingest-split``, ``ingest-group`` and ``ingest-summary`` subcommands."""
    p = sub.add_parser("ingest", help="methylation calls -> canonical CpG table (Parquet) + QC, in one job")
    calls_args(p, cg_share=True)
    p.add_argument("--out", required=True, help="canonical table (.parquet)")
    p.add_argument("--qc", required=True, help="QC summary (.json)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "ingest-split",
        help="ingest stage 1 (per sample): read the calls once, write them per shard group",
    )
    calls_args(p, cg_share=False, several=True)
    p.add_argument("--groups", required=True, help="shard groups (groups.tsv of epibench shard-plan)")
    p.add_argument(
        "--out-dir",
        required=True,
        help="folder of per-group call files (<k>/<group>.parquet for the k-th --input)",
    )
    p.add_argument("--qc", required=True, help="QC of this stage (.json)")
    p.set_defaults(func=cmd_ingest_split)

    p = sub.add_parser(
        "ingest-group",
        help="ingest stage 2 (per sample x group): CG check, strand merge, files pooled, coverage filter",
    )
    p.add_argument(
        "--calls",
        nargs="+",
        required=True,
        help="the group's call file of each of the sample's files (ingest-split's <k>/<group>.parquet)",
    )
    filter_args(p)
    p.add_argument("--out", required=True, help="the group's canonical table (.parquet)")
    p.add_argument("--qc", required=True, help="the group's QC (.json)")
    p.set_defaults(func=cmd_ingest_group)

    p = sub.add_parser("ingest-summary", help="ingest stage 3 (per sample): the sample's QC from its stages")
    p.add_argument("--split-qc", required=True, help="QC of ingest-split (.json)")
    p.add_argument("--group-qc", nargs="+", required=True, help="QC of every ingest-group job (.json)")
    p.add_argument(
        "--calls",
        required=True,
        help="folder of per-group call files (ingest-split --out-dir), read again for a low CG share",
    )
    filter_args(p)
    p.add_argument("--out", required=True, help="the sample's ingest QC (.json)")
    p.set_defaults(func=cmd_ingest_summary)
