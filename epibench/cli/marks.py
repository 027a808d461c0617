"""``epibench mark-bigwig``: a histone-mark track given as bedGraph, wiggle, peaks, bigBed or aligned
reads (BAM, CRAM, SAM, tagAlign) -> a bigWig."""

from __future__ import annotations

import argparse
import json
import logging

log = logging.getLogger("epibench")


def cmd_mark_bigwig(args: argparse.Namespace) -> None:
    from epibench.cli.common import given
    from epibench.io.chroms import listed
    from epibench.io.mark_tracks import write_mark_bigwig
    from epibench.io.read_coverage import ReadSettings
    from epibench.io.reference import Reference

    reference = Reference(args.reference)
    lengths = {name: reference.length(name) for name in reference.chroms}
    qc = write_mark_bigwig(
        args.input,
        lengths,
        args.out,
        kind=args.kind,
        aliases=reference.aliases,
        reads=ReadSettings(**given(args, ReadSettings)),
        fasta=args.reference,
    )
    log.info(
        "%s: a %s track, %s; %d of %d intervals kept",
        args.input,
        qc["kind"],
        qc["value"],
        qc["n_kept"],
        qc["n_intervals"],
    )
    if qc["renamed"]:
        log.info("sequences renamed to the reference's: %s", listed(qc["renamed"]))
    if qc["dropped"]:
        log.warning(
            "%s: intervals on sequences the reference lacks, dropped: %s", args.input, listed(qc["dropped"])
        )
    if qc["n_clipped"]:
        log.warning(
            "%s: %d intervals ended past their sequence's end and were clipped", args.input, qc["n_clipped"]
        )
    if qc.get("n_left_out"):
        log.info("%s: alignment records not counted: %s", args.input, qc["n_left_out"])
    if qc["n_without_value"]:
        log.warning(
            "%s: %d peaks give no signalValue (-1) among peaks that do: missing inside them",
            args.input,
            qc["n_without_value"],
        )
    log.info("QC %s", json.dumps(qc))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``mark-bigwig`` subcommand to ``sub``."""
    from epibench.io.mark_tracks import KINDS

    p = sub.add_parser(
        "mark-bigwig",
        help="a histone-mark track given as bedGraph, wiggle, narrowPeak/broadPeak/gappedPeak/BED/HOMER peaks, bigBed "
        "or aligned reads (BAM, CRAM, SAM, tagAlign) -> a bigWig on the reference's sequences",
    )
    p.add_argument(
        "--input", required=True, help="the mark track (plain or compressed text, bigBed, or BAM/CRAM/SAM)"
    )
    p.add_argument(
        "--reference", required=True, help="prepared FASTA (epibench reference): names and lengths"
    )
    p.add_argument(
        "--kind", default="auto", choices=("auto", *KINDS), help="the track's kind (auto: by content)"
    )
    p.add_argument("--out", required=True, help="the bigWig to write")
    p.add_argument(
        "--fragment-bp",
        type=int,
        help="reads: single-end reads extended to this fragment length (0: as aligned)",
    )
    p.add_argument("--min-mapq", type=int, help="reads: alignments of lower mapping quality are not counted")
    p.add_argument("--bin-bp", type=int, help="reads: bp per value of the coverage bigWig")
    p.set_defaults(func=cmd_mark_bigwig)
