"""The model's inputs: ``epibench regions`` (a region class per reference CpG), ``shard-plan``
(shard groups and held-out splits) and ``shards`` (one sample x shard group -> shard folder)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from epibench.cli.common import given, json_arg, mark_track_arg
from epibench.errors import InputError

log = logging.getLogger("epibench")


def cmd_regions(args: argparse.Namespace) -> None:
    from epibench.io.atomic import write_tsv
    from epibench.io.gene_models import SKIPPED_GENE_TYPES
    from epibench.io.harmonise_report import (
        cohort_harmonisation,
        write_harmonisation_table,
    )
    from epibench.io.reference import Reference
    from epibench.io.regions import (
        annotate_regions_with_report,
        region_summary,
        write_regions,
    )

    reference = Reference(args.reference)
    result = annotate_regions_with_report(
        reference,
        args.gtf,
        enhancer_bed=args.enhancers,
        promoter_upstream=args.promoter_upstream,
        promoter_downstream=args.promoter_downstream,
        tmp_dir=args.tmp_dir,
        cpg_islands=args.cpg_islands,
        blacklist=args.blacklist,
        shore_bp=args.shore_bp,
        enhancer_states=args.enhancer_states,
        gene_types=args.gene_types,
        skip_gene_types=SKIPPED_GENE_TYPES if args.skip_gene_types is None else args.skip_gene_types,
    )
    write_regions(result.table, args.out)
    write_tsv(region_summary(result.table), args.summary)
    if args.chrom_names:
        names = cohort_harmonisation(
            reference.chroms, {}, known=result.input_chroms, aliases=reference.aliases
        )
        write_harmonisation_table(names, args.chrom_names)
    log.info("annotated %d CpGs", len(result.table))


def split_args(p: argparse.ArgumentParser) -> None:
    """The held-out data settings: one flag per field of epibench.data.splits.SplitSettings (config ``split``)."""
    p.add_argument(
        "--mode", choices=["auto", "chroms", "blocks"], help="held-out chromosomes, blocks, or auto"
    )
    p.add_argument("--val-chroms", nargs="*", help="held-out validation chromosomes (6 matches chr6)")
    p.add_argument("--test-chroms", nargs="*", help="held-out test chromosomes")
    p.add_argument("--block-bp", type=int, help="block length in blocks mode (bp)")
    p.add_argument("--val-fraction", type=float, help="share of blocks held out for validation")
    p.add_argument("--test-fraction", type=float, help="share of blocks held out for test")
    p.add_argument("--seed", type=int, help="seed of the block draw")
    p.add_argument(
        "--draw",
        choices=["spread", "random"],
        help="held-out blocks spaced evenly along the genome, or random",
    )
    p.add_argument(
        "--organelles",
        action=argparse.BooleanOptionalAction,
        help="split the mitochondrion and plastids too (default: left out)",
    )
    p.add_argument(
        "--alternates",
        action=argparse.BooleanOptionalAction,
        help="split alt haplotypes, HLA alleles, decoys, viruses and spike-ins too (default: left out)",
    )


def shard_settings_args(p: argparse.ArgumentParser) -> None:
    """How CpGs become examples: one flag per field of epibench.data.shards.ShardSettings (config ``shards``)."""
    p.add_argument("--window", type=int, help="sequence window centred on the CpG (bp, even)")
    p.add_argument("--bin-size", type=int, help="histone bin (bp); must divide the window")
    p.add_argument("--label-threshold", type=float, help="methylated = level >= this")
    p.add_argument(
        "--ambiguous-band", type=float, nargs=2, metavar=("LOW", "HIGH"), help="drop low < level < high"
    )
    p.add_argument("--weight-pseudocount", type=float, help="coverage weight = n / (n + this)")
    p.add_argument(
        "--drop-blacklisted",
        action=argparse.BooleanOptionalAction,
        help="leave out blacklisted CpGs (default yes)",
    )
    p.add_argument(
        "--neighbours", type=int, help="the neighbour context: K measured CpGs on each side (0 = off)"
    )


def cmd_shard_plan(args: argparse.Namespace) -> None:
    from epibench.data.plan import write_plan
    from epibench.data.splits import SplitSettings
    from epibench.io.chrom_aliases import read_alias_table

    settings = SplitSettings(**given(args, SplitSettings))
    aliases = read_alias_table(args.chrom_aliases) if args.chrom_aliases else {}
    mode = write_plan(args.chrom_sizes, settings, args.min_share, args.out_dir, aliases)
    log.info("shard plan in %s: held-out %s", args.out_dir, mode)
    _warn_of_too_few_test_blocks(Path(args.out_dir) / "splits.bed")


def _warn_of_too_few_test_blocks(splits_bed: Path) -> None:
    """A warning, before anything trains, where the test split touches fewer genomic blocks of the
    bootstrap's shortest (10 kb) than a 95 % interval needs (MIN_BLOCKS): the evaluation would give
    none (with evaluate.bootstrap_block_bp auto or 10 kb and more, the default)."""
    from epibench.data.splits import blocks_spanned, read_split_plan, split_counts_bp
    from epibench.evaluate.block_choice import AUTO_SIZES_BP
    from epibench.evaluate.bootstrap import MIN_BLOCKS

    plan = read_split_plan(splits_bed)
    shortest = AUTO_SIZES_BP[0]
    touched = blocks_spanned(plan, "test", shortest, MIN_BLOCKS)
    if touched < MIN_BLOCKS:
        log.warning(
            "the test split spans %s bp, %d genomic blocks of %s bp at most: fewer than the %d a 95 %% bootstrap "
            "interval needs, so the evaluation will give no intervals (with evaluate.bootstrap_block_bp auto, "
            "the default, or %s bp and more): hold out more (split.test_fraction, split.test_chroms), or set "
            "evaluate.bootstrap_block_bp to the longest stretch over which neighbouring CpGs' levels still agree",
            f"{split_counts_bp(plan)['test']:,}",
            touched,
            f"{shortest:,}",
            MIN_BLOCKS,
            f"{shortest:,}",
        )


def cmd_shards(args: argparse.Namespace) -> None:
    from epibench.data.covariates import encode_covariates
    from epibench.data.groups import read_groups
    from epibench.data.shards import ShardSettings, build_shard

    settings = given(args, ShardSettings)
    if "ambiguous_band" in settings:
        settings["ambiguous_band"] = tuple(settings["ambiguous_band"])
    plan_dir = Path(args.plan_dir)
    groups = read_groups(plan_dir / "groups.tsv")
    if args.group not in groups:
        raise InputError(
            f"shard group {args.group!r} is not in the plan",
            path=plan_dir / "groups.tsv",
        )
    manifest = build_shard(
        args.cpgs,
        args.regions,
        args.reference,
        dict(args.mark),
        plan_dir / "splits.bed",
        groups[args.group],
        args.out_dir,
        args.sample,
        ShardSettings(**settings),
        encode_covariates(args.covariates_json),
        _genome_features(args.reference, args.tads, args.loops),
    )
    log.info("shard %s: %s", args.out_dir, manifest["counts"])


def _genome_features(fasta: str, tads: str | None, loops: str | None):
    """The TAD and loop channels on the prepared reference's names (and aliases); None without either file."""
    from epibench.io.genome_features import GenomeFeatures
    from epibench.io.reference import Reference

    if not (tads or loops):
        return None
    reference = Reference(fasta)
    return GenomeFeatures(reference.chroms, tads, loops, reference.aliases)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``regions``, ``shard-plan`` and ``shards`` subcommands to ``sub``."""
    p = sub.add_parser("regions", help="every reference CpG -> one region class")
    p.add_argument("--reference", required=True)
    p.add_argument("--gtf", required=True)
    p.add_argument("--enhancers", default=None, help="optional enhancer BED")
    p.add_argument(
        "--enhancer-states",
        nargs="*",
        default=[],
        help="labels of the enhancer BED's column 4 to keep as enhancers (the enhancer states of a "
        "segmentation, e.g. E7 E8); none: cCRE classes and named ChromHMM states are recognised",
    )
    p.add_argument(
        "--gene-types",
        nargs="*",
        default=[],
        help="gene or transcript types whose transcripts count (e.g. protein_coding); none: every type",
    )
    p.add_argument(
        "--skip-gene-types",
        nargs="*",
        default=None,
        help="gene or transcript types whose transcripts are left out (default: transposable-element "
        "genes, gene_models.SKIPPED_GENE_TYPES); the flag alone: none",
    )
    p.add_argument("--promoter-upstream", type=int, default=1000)
    p.add_argument("--promoter-downstream", type=int, default=500)
    p.add_argument(
        "--cpg-islands",
        default=None,
        help="optional CpG-island BED (BED3+, or UCSC cpgIslandExt)",
    )
    p.add_argument("--blacklist", default=None, help="optional blacklist BED (ENCODE blacklist v2)")
    p.add_argument("--shore-bp", type=int, default=2000, help="CpG-island shore width (bp)")
    p.add_argument("--tmp-dir", default=None, help="folder for bedtools temporary files")
    p.add_argument("--chrom-names", default=None, help="chromosome-name harmonisation table (.tsv)")
    p.add_argument("--out", required=True, help="region table (.parquet)")
    p.add_argument("--summary", required=True, help="CpGs per class (.tsv)")
    p.set_defaults(func=cmd_regions)

    p = sub.add_parser(
        "shard-plan",
        help="shard groups (the scatter) and held-out splits of the reference",
    )
    p.add_argument("--chrom-sizes", required=True, help="the reference stage's chrom_sizes.tsv")
    p.add_argument(
        "--chrom-aliases",
        help="the reference stage's chrom_aliases.tsv (other names of the held-out chromosomes)",
    )
    split_args(p)
    p.add_argument(
        "--min-share",
        type=float,
        default=0.01,
        help="genome share of a sequence with its own group",
    )
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_shard_plan)

    p = sub.add_parser("shards", help="one sample x shard group -> shard folder (arrays + manifest)")
    p.add_argument("--sample", required=True)
    p.add_argument("--group", required=True, help="shard group (groups.tsv of the plan)")
    p.add_argument(
        "--plan-dir",
        required=True,
        help="the shard-plan folder (groups.tsv, splits.bed)",
    )
    p.add_argument(
        "--cpgs",
        default=None,
        help="the sample's canonical CpG table of this group; none for a sample without methylation calls (to predict)",
    )
    p.add_argument("--regions", required=True, help="cohort region table")
    p.add_argument("--reference", required=True)
    p.add_argument(
        "--mark",
        type=mark_track_arg,
        action="append",
        default=[],
        help="NAME=bigWig, repeat per mark, in the model's order; NAME= for a mark this sample lacks (all missing)",
    )
    shard_settings_args(p)
    p.add_argument(
        "--covariates-json",
        type=json_arg,
        default={},
        help='the sample\'s covariates as JSON: column -> {"value": cell, "levels": the cohort\'s values} '
        "(epibench.data.covariates), fed to the model after the marks",
    )
    p.add_argument("--tads", default=None, help="TAD BED: adds the channel tad_boundary_distance")
    p.add_argument("--loops", default=None, help="loop BEDPE: adds the channel loop_anchor_distance")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_shards)
