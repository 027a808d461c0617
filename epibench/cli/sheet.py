"""``epibench encode-sheet``: a cohort's sample sheet from the ENCODE portal's metadata.tsv
(epibench.io.encode_sheet)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("epibench")


def cmd_encode_sheet(args: argparse.Namespace) -> None:
    from epibench.io.encode_sheet import write_encode_sheet

    sheet, borrowed = write_encode_sheet(args.metadata, args.files, args.out, args.assembly, args.marks)
    marks = list(sheet.columns[2:])
    log.info(
        "%s: %d samples, %d methylation files, marks %s; in the cohort's config: samples: %s, marks: [%s]",
        args.out,
        sheet["sample"].nunique(),
        len(sheet),
        marks or "none",
        args.out,
        ", ".join(marks),
    )
    for mark in marks:
        lacking = sorted(set(sheet.loc[sheet[mark] == "", "sample"]))
        if lacking:
            log.warning("samples without %s (a missing channel, masked): %s", mark, ", ".join(lacking))
    for sample, mark, donor in borrowed:
        log.warning(
            "%s: %s from donor %s of the same biosample (none of its own donor's)", sample, mark, donor
        )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``encode-sheet`` subcommand to ``sub``."""
    p = sub.add_parser(
        "encode-sheet",
        help="a sample sheet from the ENCODE portal's metadata.tsv and the files downloaded beside it",
    )
    p.add_argument("--metadata", required=True, help="the portal's metadata.tsv (first line of files.txt)")
    p.add_argument("--files", required=True, help="folder of the downloaded files (ENCFF....bed.gz, .bigWig)")
    p.add_argument(
        "--assembly",
        default="GRCh38",
        help="the metadata's 'File assembly' to keep (GRCh38, hg19, mm10, ...; any spelling of its build; default: %(default)s)",
    )
    p.add_argument("--marks", nargs="*", default=[], help="marks to keep, in this order (default: all)")
    p.add_argument("--out", required=True, help="sample sheet (.tsv)")
    p.set_defaults(func=cmd_encode_sheet)
