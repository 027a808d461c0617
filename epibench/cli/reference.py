"""The reference and the inputs read against it: ``epibench reference``, ``chrom-names``,
``fit-calls`` (a sample's part of the CG check) and ``check-inputs`` (the cohort's CG check and
bigWig lengths, before ingest)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from epibench.errors import InputError
from epibench.cli.common import cg_share_arg, format_value, mark_arg, write_json

log = logging.getLogger("epibench")


def cmd_reference(args: argparse.Namespace) -> None:
    from epibench.io.assemblies import match_assembly
    from epibench.io.reference import ASSEMBLY_RECORD, Reference, is_standin, write_reference_index

    fasta = write_reference_index(args.fasta, args.out_dir, args.aliases)
    reference = Reference(fasta)
    match = match_assembly({name: reference.length(name) for name in reference.chroms}, reference.aliases)
    record = {"fasta": str(args.fasta), **match.to_dict(), "standin": is_standin(args.fasta)}
    if record["standin"]:
        record["summary"] = f"a stand-in sequence (epibench standin-genome), its lengths: {match.summary}"
        log.warning(
            "reference %s is a stand-in sequence: random bases with a CG at each call. Metrics of "
            "sequence models on it measure CpG positions and region classes, and its attributions and "
            "motifs are not biology",
            args.fasta,
        )
    write_json(record, Path(args.out_dir) / ASSEMBLY_RECORD)
    # a near miss (an assembly of almost these lengths: another release, a one-base edit) is worth a
    # warning; a genome far from every known one (synthetic, or unlisted) is not
    near_miss = not match.matched and match.nearest_assembly is not None
    (log.warning if near_miss else log.info)("reference %s: %s", args.fasta, record["summary"])
    if reference.aliases:
        log.info("%d other names of its sequences (chrom_aliases.tsv)", len(reference.aliases))
    log.info("reference prepared: %s", fasta)


def cmd_chrom_names(args: argparse.Namespace) -> None:
    from epibench.io.harmonise_report import (
        cohort_harmonisation,
        merged_harmonisation_tables,
        write_harmonisation_table,
    )
    from epibench.io.reference import Reference

    if args.tables:
        table = merged_harmonisation_tables(args.tables)
    elif not args.reference:
        raise InputError("--input needs --reference, the FASTA the names are matched to")
    else:
        reference = Reference(args.reference)
        table = cohort_harmonisation(
            reference.chroms,
            dict(args.input),
            aliases=reference.aliases,
            on_unreadable=lambda label, error: log.error("%s left out: %s", label, error),
        )
    write_harmonisation_table(table, args.out)
    counts = table["action"].value_counts().to_dict()
    log.info("chromosome names of %d files: %s", table["input"].nunique(), counts)


def cmd_check_inputs(args: argparse.Namespace) -> None:
    from epibench.io.atomic import write_tsv
    from epibench.io.input_records import write_input_records
    from epibench.io.lengths import bigwig_lengths, check_lengths, length_mismatches
    from epibench.io.methylation.cohort_check import fits_from_records, judge_cohort
    from epibench.io.reference import Reference

    reference = Reference(args.reference)
    assembly = json.loads(Path(args.assembly).read_text())
    lengths = {name: reference.length(name) for name in reference.chroms}
    headers = {label: bigwig_lengths(path) for label, path in args.bigwig}
    mismatches = length_mismatches(lengths, headers, aliases=reference.aliases)
    for warning in check_lengths(
        mismatches, reference.shown, headers, assembly["matched"], paths=dict(args.bigwig)
    ):
        log.warning("%s", warning)
    records = _measured_records(args, reference)
    for path in args.fits:
        records += json.loads(Path(path).read_text())
    fits = fits_from_records(records)
    table = judge_cohort(fits, assembly, args.min_cg_share)
    write_tsv(table, args.out)
    write_tsv(mismatches, args.lengths_out)
    if args.records_dir:
        write_input_records(table, mismatches, headers, args.records_dir)
    log.info(
        "CG check passed: %d samples fit %s as read (it %s)",
        len(fits),
        assembly["fasta"],
        assembly["summary"],
    )


def _measured_records(args: argparse.Namespace, reference) -> list[dict]:
    """The fit record of each ``--sample`` file (its ``--format``, ``--coverage``), logged: a
    ``fit_record``, or where its check stops (an unreadable file) a ``stopped_record``, so that
    check-inputs names every such file at once."""
    from epibench.io.methylation.cohort_check import fit_record, sample_fit, stopped_record

    formats, coverage = dict(args.format), dict(args.coverage)
    records = []
    for sample, path in args.sample:
        try:
            fit = sample_fit(sample, path, reference, format_value(formats.get(sample)), coverage.get(sample))
        except InputError as error:
            log.error("CG check of %s stopped: %s", sample, error)
            records.append(stopped_record(sample, path, error))
            continue
        log.info("CG check of %s: %s", sample, fit.fit.to_dict())
        records.append(fit_record(fit))
    return records


def cmd_fit_calls(args: argparse.Namespace) -> None:
    from epibench.io.reference import Reference

    write_json(_measured_records(args, Reference(args.reference)), args.out)


def _calls_file_args(p: argparse.ArgumentParser) -> None:
    """``--sample``, ``--format``, ``--coverage``: methylation files under their labels."""
    p.add_argument(
        "--sample", type=mark_arg, action="append", default=[], help="SAMPLE=PATH of methylation calls"
    )
    p.add_argument(
        "--format", type=mark_arg, action="append", default=[], help="SAMPLE=FORMAT (default auto)"
    )
    p.add_argument(
        "--coverage", type=mark_arg, action="append", default=[], help="SAMPLE=PATH, roadmap_bigwig only"
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``reference``, ``chrom-names`` and ``check-inputs`` subcommands to ``sub``."""
    p = sub.add_parser(
        "reference",
        help="prepare the reference: uppercase-safe FASTA copy, .fai, chrom sizes, the assembly it matches",
    )
    p.add_argument(
        "--fasta",
        required=True,
        help="reference FASTA (plain, gzip, bzip2, xz or Zstandard), or a UCSC .2bit",
    )
    p.add_argument(
        "--aliases",
        help="other names of its sequences: UCSC chromAlias.txt, NCBI assembly report, or NAME<TAB>NAME rows",
    )
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser(
        "chrom-names",
        help="table of the sequence names of input files matched to the reference",
    )
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--input",
        type=mark_arg,
        action="append",
        help="LABEL=PATH, repeat per file (with --reference)",
    )
    given.add_argument(
        "--tables", nargs="+", help="tables this command wrote (each sample's): their rows in one table"
    )
    p.add_argument("--reference", help="prepared FASTA (epibench reference), for --input")
    p.add_argument("--out", required=True, help="harmonisation table (.tsv)")
    p.set_defaults(func=cmd_chrom_names)

    p = sub.add_parser(
        "check-inputs",
        help="before ingest: the cohort's CG check (which shift fits each sample) and bigWig lengths vs the reference",
    )
    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    p.add_argument(
        "--assembly", required=True, help="the reference's assembly match (.json, epibench reference)"
    )
    _calls_file_args(p)
    p.add_argument(
        "--fits", nargs="+", default=[], help="fits measured already (epibench fit-calls' .json), judged too"
    )
    p.add_argument(
        "--bigwig", type=mark_arg, action="append", default=[], help="LABEL=PATH of a histone bigWig"
    )
    cg_share_arg(p)
    p.add_argument("--out", required=True, help="per-sample fit table (.tsv)")
    p.add_argument("--lengths-out", required=True, help="sequence-length mismatches of the bigWigs (.tsv)")
    p.add_argument(
        "--records-dir",
        help="folder of each input's own record (<label>.cg_check.tsv, <label>.lengths.tsv): what a "
        "sample's jobs depend on, not the cohort tables",
    )
    p.set_defaults(func=cmd_check_inputs)

    p = sub.add_parser(
        "fit-calls",
        help="one sample's part of the CG check: how its files' calls sit on the reference's CpGs (.json)",
    )
    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    _calls_file_args(p)
    p.add_argument("--out", required=True, help="the fits (.json), for check-inputs --fits")
    p.set_defaults(func=cmd_fit_calls)
