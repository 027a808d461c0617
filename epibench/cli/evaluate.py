"""``epibench evaluate STEP``: evaluation tables and figures from predictions, one per call."""

from __future__ import annotations

import argparse
import logging

from epibench.cli.common import bootstrap_args, bootstrap_of, json_arg, many_paths_arg, resample_args
from epibench.errors import InputError

log = logging.getLogger("epibench")


def cmd_evaluate_metrics(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import write_metrics

    write_metrics(args.predictions, args.truth, args.out, args.threshold, **bootstrap_of(args))


def cmd_evaluate_paired(args: argparse.Namespace) -> None:
    import pandas as pd

    from epibench.evaluate.leaderboard import comparisons
    from epibench.evaluate.paired import pairs_of, paired_table
    from epibench.evaluate.writers import load_predictions
    from epibench.io.atomic import write_tsv

    preds = load_predictions(args.predictions)
    compared = comparisons(
        list(pd.unique(preds["model"])),
        args.new,
        tuple(args.neighbour_models),
        args.new_with_neighbours,
        args.base_mode,
    )
    table = paired_table(preds, pairs_of(compared), **bootstrap_of(args))
    write_tsv(table, args.out)
    log.info("paired differences:\n%s", table.to_string(index=False))


def cmd_evaluate_compare(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import write_comparison

    write_comparison(args.metrics, args.train_metrics, args.original, args.new, args.out)


def cmd_evaluate_leaderboard(args: argparse.Namespace) -> None:
    from epibench.evaluate.leaderboard import verdict_with_seed_note
    from epibench.evaluate.writers import write_leaderboard

    table = write_leaderboard(
        args.metrics,
        args.train_metrics,
        args.baselines,
        args.paired,
        args.ensembles_json,
        args.new,
        args.out,
        tuple(args.neighbour_models),
        args.new_with_neighbours,
        args.base_mode,
        args.seed_replicates_json,
    )
    log.info("%s", verdict_with_seed_note(table, args.new))


def comparison_args(q: argparse.ArgumentParser) -> None:
    """``--new``, ``--neighbour-models``, ``--new-with-neighbours``, ``--base-mode``: the modes and which
    new model each model is compared with (epibench.evaluate.leaderboard.comparisons)."""
    q.add_argument("--new", default="hybrid", help="the model the verdicts judge")
    q.add_argument(
        "--neighbour-models", nargs="*", default=[], help="models and baselines reading the neighbour context"
    )
    q.add_argument("--new-with-neighbours", default=None, help="the new model of the neighbour mode")
    q.add_argument(
        "--base-mode",
        default="sequence + marks",
        help="the mode of the rows without the neighbour context: what they read beside the sequence "
        "(sequence: nothing; sequence + covariates, ...: epibench.config.base_mode)",
    )


def cmd_evaluate_ensemble(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import write_ensemble

    preds = write_ensemble(args.members, args.name, args.out)
    log.info(
        "ensemble %s of %d members: %d CpGs, mean spread %.4f",
        args.name,
        len(args.members),
        len(preds),
        preds["spread"].mean(),
    )


def cmd_evaluate_ensemble_report(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import write_ensemble_report

    rho = write_ensemble_report(
        args.metrics, args.predictions, args.members, args.out_dir, **bootstrap_of(args)
    )
    log.info("ensemble spread vs absolute error: Spearman rho %.3f", rho)


def _write_table_and_figure(
    table,
    args: argparse.Namespace,
    plot,
    title: str,
    keys: list[str],
    shown: tuple[str, ...] = ("auroc", "mse"),
) -> None:
    """Write an evaluation ``table`` to ``args.out`` (TSV), ``plot(table, args.out_figure)``, and log
    its ``keys`` columns with the ``shown`` ones (each distinct row once)."""
    from epibench.io.atomic import write_tsv

    write_tsv(table, args.out)
    plot(table, args.out_figure)
    log.info("%s:\n%s", title, table[[*keys, *shown]].drop_duplicates().to_string(index=False))


def cmd_evaluate_learning_curve(args: argparse.Namespace) -> None:
    from epibench.evaluate.learning_curve import curve_table, plot_curve, runs_from_meta
    from epibench.evaluate.writers import load_predictions

    preds = load_predictions(args.predictions)
    table = curve_table(preds, runs_from_meta(args.model_meta), **bootstrap_of(args))
    _write_table_and_figure(table, args, plot_curve, "learning curve", ["mode", "fraction", "n_train_rows"])


def cmd_evaluate_by_covariate(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import load_predictions
    from epibench.evaluate.strata import covariate_strata, plot_strata, sample_rows, stratified_table

    preds = load_predictions(args.predictions)
    strata = sample_rows(preds, covariate_strata(args.covariates_json))
    table = stratified_table(preds, strata, **bootstrap_of(args))
    if table.empty:
        raise InputError("no stratum of the covariates has test predictions (are the covariate cells empty?)")
    _write_table_and_figure(
        table, args, plot_strata, "metrics by covariate", ["model", "covariate", "stratum"]
    )


def cmd_evaluate_by_coverage(args: argparse.Namespace) -> None:
    from functools import partial

    from epibench.evaluate.coverage import DEPTH_COVARIATE, depth_strata, read_depths, with_depth
    from epibench.evaluate.strata import plot_strata, stratified_table
    from epibench.evaluate.writers import load_predictions

    preds = with_depth(load_predictions(args.predictions, args.truth), read_depths(args.cpgs))
    table = stratified_table(preds, depth_strata(preds["n_total"].to_numpy()), **bootstrap_of(args))
    plot = partial(plot_strata, what=DEPTH_COVARIATE)
    _write_table_and_figure(table, args, plot, "metrics by read depth", ["model", "stratum", "n"])


def cmd_evaluate_per_sample(args: argparse.Namespace) -> None:
    import json
    from pathlib import Path

    import pandas as pd

    from epibench.evaluate.coverage import read_depths, with_depth
    from epibench.evaluate.samples import per_sample_table, plot_per_sample
    from epibench.evaluate.writers import load_predictions

    qcs = [json.loads(Path(path).read_text()) for path in args.qc]
    test_cpgs = with_depth(load_predictions([args.predictions]), read_depths(args.cpgs))
    table = per_sample_table(
        pd.read_csv(args.metrics, sep="\t"),
        test_cpgs,
        {qc["sample"]: qc for qc in qcs},
        list(dict.fromkeys(args.models)),  # the new model may be the original too
        dict(args.missing_marks),
    )
    keys = ["sample", "model", "mean_depth", "counting_noise", "mse_beyond_noise"]
    _write_table_and_figure(table, args, plot_per_sample, "per sample", keys)


def _sample_marks(text: str) -> tuple[str, list[str]]:
    """``SAMPLE=MARK,MARK`` -> (sample, marks)."""
    sample, sep, marks = text.partition("=")
    if not sep or not sample:
        raise argparse.ArgumentTypeError(f"expected SAMPLE=MARK[,MARK...], got {text!r}")
    return sample, [m for m in marks.split(",") if m]


def cmd_evaluate_loso(args: argparse.Namespace) -> None:
    from epibench.evaluate.loso import loso_table, plot_loso
    from epibench.evaluate.writers import load_predictions

    preds = load_predictions(args.predictions)
    table = loso_table(
        preds, args.held_out_json, args.cohort_model, **bootstrap_of(args), control=args.control
    )
    _write_table_and_figure(table, args, plot_loso, "leave-one-sample-out", ["sample", "setting"])


def cmd_evaluate_calibration(args: argparse.Namespace) -> None:
    from epibench.evaluate.calibration import calibration_table, plot_calibration
    from epibench.evaluate.writers import load_predictions

    preds = load_predictions(args.predictions, args.truth)
    table = calibration_table(preds, **bootstrap_of(args))
    _write_table_and_figure(table, args, plot_calibration, "calibration", ["model"], ("ece", "brier"))


def cmd_evaluate_block_sizes(args: argparse.Namespace) -> None:
    from epibench.evaluate.block_sizes import BLOCK_SIZES_BP, block_size_table, narrow_text, plot_block_sizes
    from epibench.evaluate.writers import load_predictions

    preds = load_predictions(args.predictions)
    original = args.original if args.original != args.new else None
    table = block_size_table(
        preds, args.new, original, sizes=tuple(args.sizes or BLOCK_SIZES_BP), **bootstrap_of(args)
    )
    _write_table_and_figure(
        table,
        args,
        plot_block_sizes,
        "intervals by block",
        ["model", "other", "metric", "block_bp", "n_blocks"],
        ("ci_low", "ci_high", "width"),
    )
    for sentence in narrow_text(table):
        log.warning(
            "%s: the intervals of this run may be too narrow (see the figure; a longer "
            "evaluate.bootstrap_block_bp widens them)",
            sentence,
        )


def cmd_evaluate_bootstrap_block(args: argparse.Namespace) -> None:
    from epibench.evaluate.block_choice import AUTO_SIZES_BP, choice_record, choice_text, write_choice
    from epibench.evaluate.block_sizes import block_size_table
    from epibench.evaluate.writers import load_predictions

    preds = load_predictions(args.predictions)
    original = args.original if args.original != args.new else None
    table = block_size_table(
        preds, args.new, original, AUTO_SIZES_BP[0], AUTO_SIZES_BP, n_boot=args.n_boot, seed=args.seed
    )
    record = choice_record(table)
    write_choice(record, args.out)
    log.info("every table's intervals resample %s", choice_text(record))


def cmd_evaluate_figure(args: argparse.Namespace) -> None:
    from epibench.evaluate.writers import write_figure

    write_figure(args.kind, args.inputs, args.truth, args.out, tuple(args.names))


def cpg_tables_arg(q: argparse.ArgumentParser) -> None:
    """``--cpgs``: the samples' canonical CpG tables, whose read depths the step joins to the test CpGs."""
    many_paths_arg(q, "--cpgs", "canonical CpG tables (methylation/<sample>/cpgs/<group>.parquet)")


def table_and_figure_args(q: argparse.ArgumentParser) -> None:
    """The bootstrap and the outputs of a step that writes a table and its figure."""
    bootstrap_args(q)
    q.add_argument("--out", required=True, help="table (.tsv)")
    q.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand and its steps to ``sub``."""
    p = sub.add_parser("evaluate", help="evaluation tables and figures from predictions, one per call")
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    q = steps.add_parser("metrics", help="metrics.tsv: every metric per model and scope, 95%% intervals")
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--truth", default=None, help="true probabilities (demo): adds the 'ceiling' model")
    q.add_argument("--threshold", type=float, default=0.5, help="methylated = probability >= threshold")
    bootstrap_args(q)
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_metrics)
    q = steps.add_parser("paired", help="paired.tsv: the new model minus each model it is compared with")
    q.add_argument("--predictions", nargs="+", required=True)
    comparison_args(q)
    bootstrap_args(q)
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_paired)
    q = steps.add_parser("compare", help="comparison.tsv: the seed's original-vs-new table")
    q.add_argument("--metrics", required=True)
    q.add_argument("--train-metrics", nargs="*", default=[], help="models' metrics.csv (time, memory)")
    q.add_argument("--original", default="cnn", help="the model shown as 'original'")
    q.add_argument("--new", default="hybrid", help="the model shown as 'new'")
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_compare)
    q = steps.add_parser("leaderboard", help="leaderboard.tsv: every model and baseline, costs, verdict")
    q.add_argument("--metrics", required=True)
    q.add_argument("--train-metrics", nargs="*", default=[], help="models' metrics.csv (time, memory)")
    q.add_argument("--baselines", nargs="*", default=[], help="baselines' fit records (.json)")
    q.add_argument("--paired", required=True, help="paired.tsv: the verdicts (epibench evaluate paired)")
    q.add_argument("--ensembles-json", type=json_arg, default={}, help="ensemble -> its member models")
    q.add_argument(
        "--seed-replicates-json",
        type=json_arg,
        default={},
        help="model -> the model it repeats with another seed (epibench.config.seed_replicates)",
    )
    comparison_args(q)
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_leaderboard)
    q = steps.add_parser(
        "ensemble", help="an ensemble's predictions: its members' averaged, with their spread"
    )
    q.add_argument("--name", required=True, help="the ensemble's model name")
    q.add_argument("--members", nargs="+", required=True, help="the members' predictions (.parquet)")
    q.add_argument("--out", required=True, help="the ensemble's predictions (.parquet)")
    q.set_defaults(func=cmd_evaluate_ensemble)
    q = steps.add_parser(
        "ensemble-report", help="ensemble vs members table, spread calibration table and figure"
    )
    q.add_argument("--metrics", required=True)
    q.add_argument("--predictions", required=True, help="the ensemble's predictions (.parquet)")
    q.add_argument("--members", nargs="+", required=True, help="member model names")
    bootstrap_args(q)
    q.add_argument("--out-dir", required=True)
    q.set_defaults(func=cmd_evaluate_ensemble_report)
    q = steps.add_parser(
        "learning-curve", help="test metrics against the share of training CpGs, from scratch and fine-tuned"
    )
    q.add_argument("--predictions", nargs="+", required=True, help="each run's test predictions (.parquet)")
    q.add_argument("--model-meta", nargs="+", required=True, help="each run's model.json")
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_learning_curve)
    q = steps.add_parser(
        "by-covariate", help="test metrics per sample-covariate stratum (tumour/normal, purity)"
    )
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument(
        "--covariates-json", type=json_arg, required=True, help="sample -> covariate column -> cell"
    )
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_by_covariate)
    q = steps.add_parser("by-coverage", help="test metrics per read-depth band (1-4, 5-9, ... reads)")
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--truth", default=None, help="true probabilities (demo): adds the 'ceiling' model")
    cpg_tables_arg(q)
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_by_coverage)
    q = steps.add_parser(
        "per-sample", help="per-sample AUROC and MSE beside read depth, counting noise, files, missing marks"
    )
    q.add_argument("--metrics", required=True, help="metrics.tsv")
    q.add_argument("--predictions", required=True, help="one model's predictions (the test CpGs)")
    cpg_tables_arg(q)
    q.add_argument("--qc", nargs="+", required=True, help="the samples' qc/<sample>.ingest.json")
    q.add_argument(
        "--models", nargs="+", required=True, help="models shown, first the one samples are ranked by"
    )
    q.add_argument(
        "--missing-marks",
        type=_sample_marks,
        action="append",
        default=[],
        metavar="SAMPLE=MARK[,MARK]",
        help="marks a sample lacks (repeat per sample)",
    )
    q.add_argument("--out", required=True, help="table (.tsv)")
    q.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    q.set_defaults(func=cmd_evaluate_per_sample)
    q = steps.add_parser(
        "loso", help="leave-one-sample-out: each sample scored by a model trained without it"
    )
    q.add_argument(
        "--predictions",
        nargs="+",
        required=True,
        help="the cohort model's, every held-out model's, the control's",
    )
    q.add_argument(
        "--held-out-json", type=json_arg, required=True, help="held-out model -> the samples it did not see"
    )
    q.add_argument("--cohort-model", required=True, help="the model trained on every sample")
    q.add_argument(
        "--control",
        help="the model trained on every sample but on a held-out run's share of the CpGs "
        "(epibench.config.loso_control): the same training budget, no sample unseen",
    )
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_loso)
    q = steps.add_parser(
        "calibration", help="calibration of the predicted probability: reliability per bin, ECE, Brier score"
    )
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--truth", default=None, help="true probabilities (demo): adds the 'ceiling' model")
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_calibration)
    q = steps.add_parser(
        "block-sizes",
        help="the intervals of the new model and of its difference from the original, block by block size",
    )
    q.add_argument("--predictions", nargs="+", required=True, help="the two models' predictions (.parquet)")
    q.add_argument("--new", required=True, help="the new model")
    q.add_argument("--original", required=True, help="the model its difference is taken from (= --new: none)")
    q.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="block sizes to draw the intervals with, bp (0: CpGs; --block-bp is added; default: CpGs, 1 kb, "
        "10 kb, 100 kb, 1 Mb)",
    )
    table_and_figure_args(q)
    q.set_defaults(func=cmd_evaluate_block_sizes)
    q = steps.add_parser(
        "bootstrap-block",
        help="choose the cohort's bootstrap block where the new model's intervals level off "
        "(evaluate.bootstrap_block_bp: auto); every table's --block-bp reads the JSON it writes",
    )
    q.add_argument("--predictions", nargs="+", required=True, help="the two models' predictions (.parquet)")
    q.add_argument("--new", required=True, help="the new model")
    q.add_argument("--original", required=True, help="the model its difference is taken from (= --new: none)")
    resample_args(q)
    q.add_argument("--out", required=True, help="the choice (.json)")
    q.set_defaults(func=cmd_evaluate_bootstrap_block)
    q = steps.add_parser("figure", help="one figure (.png + .pdf)")
    q.add_argument("--kind", required=True, choices=["roc", "pr", "pred_vs_obs", "per_region", "comparison"])
    q.add_argument("--inputs", nargs="+", required=True, help="predictions, or metrics.tsv / comparison.tsv")
    q.add_argument("--truth", default=None)
    q.add_argument(
        "--names",
        nargs=2,
        default=["original", "new"],
        metavar=("ORIGINAL", "NEW"),
        help="comparison: the original and the new model's names",
    )
    q.add_argument("--out", required=True, help="output path without extension")
    q.set_defaults(func=cmd_evaluate_figure)
