"""What a trained model predicts: ``epibench predict`` (a shard split), ``impute`` (a sample
without methylation calls) and ``ablate`` (test predictions with each mark hidden)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from epibench.cli.common import bootstrap_args, bootstrap_of, many_paths_arg, model_and_dataset
from epibench.threads import use_threads

log = logging.getLogger("epibench")


def cmd_predict(args: argparse.Namespace) -> None:
    from epibench.evaluate.predict import predict
    from epibench.io.atomic import atomic_path

    use_threads(args.threads)
    model, dataset = model_and_dataset(args.model_dir, args.shards, args.split)
    dataset.require_labels("scoring predictions")
    table = predict(model, dataset, model_name=Path(args.model_dir).name, batch_size=args.batch_size)
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("predicted %d CpGs of split %s", len(table), args.split)


def cmd_impute(args: argparse.Namespace) -> None:
    from epibench.evaluate.impute import impute, imputed_summary, plot_imputed
    from epibench.io.atomic import write_tsv
    from epibench.io.parquet import write_parquet
    from epibench.report.track_export import read_chrom_sizes, write_cpg_track

    use_threads(args.threads)
    model, dataset = model_and_dataset(args.model_dir, args.shards, "all")
    table = impute(model, dataset, Path(args.model_dir).name)
    write_parquet(table, args.out_table, list(table.columns))
    write_cpg_track(
        table,
        table["level_pred"].to_numpy(),
        read_chrom_sizes(args.chrom_sizes),
        Path(args.out_bigwig),
        args.out_table,
    )
    summary = imputed_summary(table, args.threshold)
    write_tsv(summary, args.out_summary)
    plot_imputed(table, args.out_figure)
    log.info("imputed %d CpGs:\n%s", len(table), summary.to_string(index=False))


def cmd_ablate(args: argparse.Namespace) -> None:
    import pandas as pd

    from epibench.evaluate.ablation import ablation_table, hidden_mark_predictions, plot_ablation
    from epibench.evaluate.tables import check_predictions
    from epibench.io.atomic import write_tsv

    use_threads(args.threads)
    model, dataset = model_and_dataset(args.model_dir, args.shards, "test")
    name = Path(args.model_dir).name
    full = pd.read_parquet(args.predictions)
    check_predictions(full, args.predictions)
    table = ablation_table(full, hidden_mark_predictions(model, dataset, name), **bootstrap_of(args))
    write_tsv(table, args.out)
    plot_ablation(table, name, args.out_figure)
    log.info(
        "mark ablation of %s: AUROC drop %s", name, dict(zip(table["mark"], table["auroc_drop"].round(4)))
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``predict``, ``impute`` and ``ablate`` subcommands to ``sub``."""
    p = sub.add_parser("predict", help="predictions of a trained model on a shard split")
    p.add_argument("--model-dir", required=True)
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, help="predictions (.parquet)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "impute", help="methylation predicted for a sample without methylation calls (all its CpGs)"
    )
    p.add_argument("--model-dir", required=True)
    p.add_argument("--shards", nargs="+", required=True, help="the sample's shard folders")
    p.add_argument("--chrom-sizes", required=True, help="the reference stage's chrom_sizes.tsv")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--threshold", type=float, default=0.5, help="methylated = prob_pred >= threshold")
    p.add_argument("--out-table", required=True, help="imputed levels (.parquet)")
    p.add_argument("--out-bigwig", required=True, help="imputed levels (.bw)")
    p.add_argument("--out-summary", required=True, help="per region class (.tsv)")
    p.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    p.set_defaults(func=cmd_impute)

    p = sub.add_parser(
        "ablate", help="mark ablation: test predictions with each mark hidden, against the full ones"
    )
    p.add_argument("--model-dir", required=True)
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--predictions", required=True, help="the model's full test predictions (.parquet)")
    p.add_argument("--threads", type=int, default=2)
    bootstrap_args(p)
    p.add_argument("--out", required=True, help="ablation table (.tsv)")
    p.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    p.set_defaults(func=cmd_ablate)
