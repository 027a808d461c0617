"""Variant effects: ``epibench variants`` scores a VCF's SNVs and short indels with a trained model
and one sample's marks, reference against alternative allele (epibench.variants)."""

from __future__ import annotations

import argparse
import logging

from epibench.threads import use_threads

log = logging.getLogger("epibench")


def cmd_variants(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from epibench.cli.common import model_and_dataset
    from epibench.io.atomic import write_tsv
    from epibench.report.track_export import read_chrom_sizes, write_cpg_track
    from epibench.variants.effects import score_variants, summarise
    from epibench.variants.plots import plot_top_variants
    from epibench.variants.vcf import read_variants

    use_threads(args.threads)
    model, dataset = model_and_dataset(args.model_dir, args.shards, "all")
    variants, skips = read_variants(args.vcf, dataset.sequence.genome)
    log.info("%d variant alleles to score from %s", len(variants), args.vcf)
    regions = pd.read_parquet(args.regions, columns=["chrom", "pos", "region"])
    effects = score_variants(model, dataset, regions, variants, batch_size=args.batch_size)
    summary = summarise(variants, effects)
    write_tsv(effects, args.out_table)
    write_tsv(summary, args.out_summary)
    kept = effects.dropna(subset=["delta_level"])
    strongest = kept.loc[kept["delta_level"].abs().groupby([kept["chrom"], kept["cpg_pos"]]).idxmax()]
    track = strongest.rename(columns={"cpg_pos": "pos"})
    write_cpg_track(
        track,
        track["delta_level"].to_numpy(np.float64),
        read_chrom_sizes(args.chrom_sizes),
        args.out_track,
        args.vcf,
    )
    plot_top_variants(summary, effects, args.out_figure)
    log.info(
        "variant effects: %d alleles, %d sites (%s); not scored: %s\n%s",
        len(variants),
        len(effects),
        effects["status"].value_counts().to_dict(),
        skips.counts or "none",
        summary.head(10).to_string(index=False),
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``variants`` subcommand to ``sub``."""
    p = sub.add_parser("variants", help="predicted methylation change of each variant of a VCF (REF vs ALT)")
    p.add_argument(
        "--model-dir", required=True, help="a trained model folder (model.json + model.safetensors)"
    )
    p.add_argument("--shards", nargs="+", required=True, help="the sample's shard folders (its marks)")
    p.add_argument("--regions", required=True, help="regions/cpg_regions.parquet (region class of each CpG)")
    p.add_argument("--vcf", required=True, help="VCF (plain, gzip or bgzip + tabix)")
    p.add_argument("--chrom-sizes", required=True, help="reference/chrom_sizes.tsv (the bigWig's header)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-table", required=True, help="one row per variant and CpG (.tsv)")
    p.add_argument("--out-summary", required=True, help="one row per variant (.tsv)")
    p.add_argument("--out-track", required=True, help="bigWig of each CpG's delta level (largest |delta|)")
    p.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    p.set_defaults(func=cmd_variants)
