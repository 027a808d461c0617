"""Results for people: ``epibench report`` (the cohort's HTML page) and ``tracks export|serve``
(genome-browser bigWigs and a WashU datahub)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("epibench")


def cmd_report(args: argparse.Namespace) -> None:
    from epibench.report.cohort import cohort_report

    out = cohort_report(
        args.results,
        args.title,
        args.models,
        args.out,
        max_rows=args.max_rows,
        new=args.new,
        original=args.original,
        samples=args.samples,
    )
    log.info("report written to %s", out)


def cmd_tracks_export(args: argparse.Namespace) -> None:
    from epibench.io.chrom_aliases import read_alias_table
    from epibench.report.datahub import IMPUTED, VARIANT_DELTA
    from epibench.report.track_export import export_tracks

    inputs: dict[str, dict[str, str]] = {}
    for sample, mark, path in args.input:
        inputs.setdefault(sample, {})[mark] = path
    hub = export_tracks(
        args.predictions,
        args.chrom_sizes,
        args.out_dir,
        inputs,
        args.attributions,
        args.attribution_model,
        args.base_url,
        {IMPUTED: dict(args.imputed), VARIANT_DELTA: dict(args.variant_delta)},
        read_alias_table(args.chrom_aliases) if args.chrom_aliases else None,
    )
    log.info("genome-browser tracks and datahub in %s", hub)


def cmd_tracks_serve(args: argparse.Namespace) -> None:
    from epibench.report.serve import serve

    serve(args.dir, args.port, args.host)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` and ``tracks`` (``export``, ``serve``) subcommands to ``sub``."""
    p = sub.add_parser("report", help="the cohort's HTML summary page")
    p.add_argument("--results", required=True, help="results/<cohort>")
    p.add_argument("--title", default="EpiBench report")
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument(
        "--samples", nargs="+", default=None, help="the cohort's samples (default: every sample with files)"
    )
    p.add_argument("--new", default="hybrid", help="the new model, whose verdict the leaderboard gives")
    p.add_argument(
        "--original", default="cnn", help="the original model the headline compares the winner with"
    )
    p.add_argument("--max-rows", type=int, default=30)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("tracks", help="genome-browser export: bigWigs and a WashU datahub")
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    q = steps.add_parser("export", help="predicted, error and attribution bigWigs and hub.json")
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--chrom-sizes", required=True, help="the reference stage's chrom_sizes.tsv")
    q.add_argument(
        "--chrom-aliases", help="the reference stage's chrom_aliases.tsv (other names of its sequences)"
    )
    q.add_argument("--attributions", default=None, help="the attribute stage's attributions.npz")
    q.add_argument("--attribution-model", default="")
    q.add_argument(
        "--input",
        nargs=3,
        action="append",
        default=[],
        metavar=("SAMPLE", "MARK", "PATH"),
        help="input bigWig",
    )
    q.add_argument(
        "--imputed",
        nargs=2,
        action="append",
        default=[],
        metavar=("SAMPLE", "PATH"),
        help="bigWig of the levels predicted for a sample without calls (epibench impute)",
    )
    q.add_argument(
        "--variant-delta",
        nargs=2,
        action="append",
        default=[],
        metavar=("SAMPLE", "PATH"),
        help="bigWig of the variants' predicted changes with a sample's marks (epibench variants)",
    )
    q.add_argument("--base-url", default="", help="URL prefix of the tracks folder ('' = relative URLs)")
    q.add_argument("--out-dir", required=True)
    q.set_defaults(func=cmd_tracks_export)
    q = steps.add_parser("serve", help="serve a tracks folder to the browser (byte ranges, CORS)")
    q.add_argument("--dir", required=True)
    q.add_argument("--port", type=int, default=8000, help="the port to serve on (default: %(default)s)")
    q.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to serve on (default: %(default)s, this machine only)",
    )
    q.set_defaults(func=cmd_tracks_serve)
