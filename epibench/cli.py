"""The ``epibench`` command: one subcommand per workflow stage.

Each subcommand parses its arguments and calls the package; heavy imports (torch) happen
inside the command so ``--help`` stays fast. Bad input ends with ``error: <message>`` and exit 2.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from pathlib import Path

from epibench import __version__
from epibench.errors import InputError
from epibench.threads import use_threads
from epibench.train.preemption import Preempted

log = logging.getLogger("epibench")


def _json_arg(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _calls_args(p: argparse.ArgumentParser) -> None:
    """Arguments naming a sample's methylation calls (ingest, ingest-split)."""
    p.add_argument("--input", required=True, help="methylation calls file")
    p.add_argument("--sample", required=True)
    p.add_argument("--format", default="auto", help="format name, or auto to detect from content")
    p.add_argument(
        "--coverage",
        default=None,
        help="ReadCoverage bigWig for a Roadmap FractionalMethylation bigWig",
    )
    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    p.add_argument("--min-coverage", type=int, default=5)


def _mark_arg(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, path


def cmd_demo_data(args: argparse.Namespace) -> None:
    from epibench.demo.generate import generate_demo

    lengths = [int(x) for x in args.chrom_lengths.split(",")]
    paths = generate_demo(
        Path(args.out),
        chrom_lengths=lengths,
        n_samples=args.samples,
        seed=args.seed,
        n_tumours=args.tumours,
        purity=args.purity,
    )
    log.info("demo cohort written to %s (%d files)", args.out, len(paths))


def cmd_reference(args: argparse.Namespace) -> None:
    from epibench.io.assemblies import match_assembly
    from epibench.io.reference import Reference, write_reference_index

    fasta = write_reference_index(args.fasta, args.out_dir)
    reference = Reference(fasta)
    match = match_assembly({name: reference.length(name) for name in reference.chroms})
    _write_json({"fasta": str(args.fasta), **match.to_dict()}, Path(args.out_dir) / "assembly.json")
    (log.info if match.matched else log.warning)("reference %s: %s", args.fasta, match.summary)
    log.info("reference prepared: %s", fasta)


def cmd_ingest(args: argparse.Namespace) -> None:
    from epibench.io.methylation import ingest, write_canonical
    from epibench.io.reference import Reference

    table, qc = ingest(
        args.input,
        Reference(args.reference),
        fmt=_format(args.format),
        min_coverage=args.min_coverage,
        min_cg_share=args.min_cg_share,
        coverage_path=args.coverage,
    )
    write_canonical(table, args.out)
    _write_json({"sample": args.sample, "input": str(args.input), **qc}, args.qc)
    log.info("ingested %s: %d CpGs kept", args.sample, len(table))


def cmd_ingest_split(args: argparse.Namespace) -> None:
    from epibench.data.groups import read_groups
    from epibench.io.methylation.scatter import split_calls
    from epibench.io.reference import Reference

    groups = read_groups(args.groups)
    qc = split_calls(
        args.input,
        Reference(args.reference),
        groups,
        args.out_dir,
        fmt=_format(args.format),
        coverage_path=args.coverage,
        min_coverage=args.min_coverage,
    )
    _write_json({"sample": args.sample, "input": str(args.input), **qc}, args.qc)
    log.info("split %s: %d calls into %d groups", args.sample, qc["n_records"], len(groups))


def cmd_ingest_group(args: argparse.Namespace) -> None:
    from epibench.io.methylation import write_canonical
    from epibench.io.methylation.scatter import ingest_group
    from epibench.io.reference import Reference

    table, qc = ingest_group(args.calls, Reference(args.reference), args.min_coverage, args.min_cg_share)
    write_canonical(table, args.out)
    _write_json({"group": Path(args.calls).stem, **qc}, args.qc)
    for warning in qc["warnings"]:
        log.warning("%s", warning)
    log.info(
        "%s: %d of %d calls kept as %d CpGs",
        args.calls,
        qc["n_calls"] - qc["n_off_cg_dropped"],
        qc["n_calls"],
        len(table),
    )


def cmd_ingest_summary(args: argparse.Namespace) -> None:
    from epibench.io.methylation.scatter import merge_ingest_qc
    from epibench.io.reference import Reference

    group_qcs = {qc.pop("group"): qc for qc in (json.loads(Path(path).read_text()) for path in args.group_qc)}
    split_qc = json.loads(Path(args.split_qc).read_text())
    qc = merge_ingest_qc(
        split_qc, group_qcs, Reference(args.reference), args.min_coverage, args.min_cg_share, args.calls
    )
    _write_json(qc, args.out)
    log.info("ingested %s: %d CpGs kept in %d groups", qc["sample"], qc["n_kept"], len(group_qcs))


def _format(name: str | None) -> str | None:
    """A --format value: None (detect from content) for auto or nothing."""
    return None if name in (None, "", "auto") else name


def _write_json(value: dict, path: str | Path) -> None:
    """Write ``value`` as indented JSON, atomically."""
    from epibench.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2, default=str))


def cmd_chrom_names(args: argparse.Namespace) -> None:
    from epibench.io.harmonise_report import (
        cohort_harmonisation,
        write_harmonisation_table,
    )
    from epibench.io.reference import Reference

    table = cohort_harmonisation(Reference(args.reference).chroms, dict(args.input))
    write_harmonisation_table(table, args.out)
    counts = table["action"].value_counts().to_dict()
    log.info("chromosome names of %d files: %s", len(args.input), counts)


def cmd_check_inputs(args: argparse.Namespace) -> None:
    from epibench.io.atomic import write_tsv
    from epibench.io.lengths import bigwig_lengths, check_lengths, length_mismatches
    from epibench.io.methylation.cohort_check import judge_cohort, sample_fit
    from epibench.io.reference import Reference

    reference = Reference(args.reference)
    lengths = {name: reference.length(name) for name in reference.chroms}
    mismatches = length_mismatches(lengths, {label: bigwig_lengths(path) for label, path in args.bigwig})
    for warning in check_lengths(mismatches, reference.fasta_path):
        log.warning("%s", warning)
    formats, coverage = dict(args.format), dict(args.coverage)
    fits = []
    for sample, path in args.sample:
        fits.append(sample_fit(sample, path, reference, _format(formats.get(sample)), coverage.get(sample)))
        log.info("CG check of %s: %s", sample, fits[-1].fit.to_dict())
    assembly = json.loads(Path(args.assembly).read_text())
    table = judge_cohort(fits, assembly, args.min_cg_share)
    write_tsv(table, args.out)
    write_tsv(mismatches, args.lengths_out)
    log.info(
        "CG check passed: %d samples fit %s as read (it %s)",
        len(fits),
        assembly["fasta"],
        assembly["summary"],
    )


def cmd_qc(args: argparse.Namespace) -> None:
    import pandas as pd

    from epibench.io.atomic import write_tsv
    from epibench.io.qc import plot_qc, qc_table

    cpgs = pd.concat([pd.read_parquet(path) for path in args.cpgs], ignore_index=True)
    regions = pd.read_parquet(args.regions)
    coverage_known = json.loads(Path(args.ingest_qc).read_text()).get("coverage_known", True)
    settings = {"threshold": args.threshold, "coverage_known": coverage_known}
    write_tsv(qc_table(cpgs, regions, args.sample, **settings), args.out_table)
    plot_qc(cpgs, regions, args.sample, args.out_figure, **settings)
    log.info("QC of %s written", args.sample)


def cmd_regions(args: argparse.Namespace) -> None:
    from epibench.io.atomic import write_tsv
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
    )
    write_regions(result.table, args.out)
    write_tsv(region_summary(result.table), args.summary)
    if args.chrom_names:
        names = cohort_harmonisation(reference.chroms, {}, known=result.input_chroms)
        write_harmonisation_table(names, args.chrom_names)
    log.info("annotated %d CpGs", len(result.table))


def cmd_shard_plan(args: argparse.Namespace) -> None:
    from epibench.data.plan import write_plan
    from epibench.data.splits import SplitSettings

    mode = write_plan(args.chrom_sizes, SplitSettings(**args.split_json), args.min_share, args.out_dir)
    log.info("shard plan in %s: held-out %s", args.out_dir, mode)


def cmd_shards(args: argparse.Namespace) -> None:
    from epibench.data.covariates import encode_covariates
    from epibench.data.groups import read_groups
    from epibench.data.shards import ShardSettings, build_shard
    from epibench.io.genome_features import GenomeFeatures
    from epibench.io.reference import Reference

    settings = dict(args.settings_json)
    if settings.get("ambiguous_band") is not None:
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
        (
            GenomeFeatures(Reference(args.reference).chroms, args.tads, args.loops)
            if args.tads or args.loops
            else None
        ),
    )
    log.info("shard %s: %s", args.out_dir, manifest["counts"])


def cmd_train(args: argparse.Namespace) -> None:
    from epibench.train.run import train_from_shards

    use_threads(args.threads)
    if "SLURM_JOB_ID" in os.environ:
        log.info(
            "SLURM job %s on partition %s, node %s, CUDA_VISIBLE_DEVICES=%s",
            os.environ["SLURM_JOB_ID"],
            os.environ.get("SLURM_JOB_PARTITION", "?"),
            os.environ.get("SLURMD_NODENAME", "?"),
            os.environ.get("CUDA_VISIBLE_DEVICES", "(none)"),
        )
    summary = train_from_shards(args.shards, args.model_json, args.train_json, args.out_dir)
    log.info("training done: %s", summary)


def _model_and_dataset(model_dir: str, shards: list[str], split: str):
    """A trained model and the ``split`` rows of ``shards``, read as it was trained (histone
    normalisation from model.json); stops when the shards' marks or window differ from training.
    """
    from epibench.data.dataset import ShardDataset
    from epibench.train.modelfile import META, check_data, load_model

    model, meta = load_model(model_dir)
    dataset = ShardDataset(shards, split=split, histone_norm=meta.get("histone_norm", "log1p"))
    check_data(meta, dataset.marks, dataset.window, Path(model_dir) / META)
    return model, dataset


def cmd_predict(args: argparse.Namespace) -> None:
    from epibench.evaluate.predict import predict
    from epibench.io.atomic import atomic_path

    use_threads(args.threads)
    model, dataset = _model_and_dataset(args.model_dir, args.shards, args.split)
    dataset.require_labels("scoring predictions")
    table = predict(model, dataset, model_name=Path(args.model_dir).name, batch_size=args.batch_size)
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("predicted %d CpGs of split %s", len(table), args.split)


def cmd_ablate(args: argparse.Namespace) -> None:
    import pandas as pd

    from epibench.evaluate.ablation import ablation_table, hidden_mark_predictions, plot_ablation
    from epibench.evaluate.tables import check_predictions
    from epibench.io.atomic import write_tsv

    use_threads(args.threads)
    model, dataset = _model_and_dataset(args.model_dir, args.shards, "test")
    name = Path(args.model_dir).name
    full = pd.read_parquet(args.predictions)
    check_predictions(full, args.predictions)
    settings = args.settings_json
    table = ablation_table(
        full,
        hidden_mark_predictions(model, dataset, name),
        settings.get("n_boot", 200),
        settings.get("seed", 0),
    )
    write_tsv(table, args.out)
    plot_ablation(table, name, args.out_figure)
    log.info(
        "mark ablation of %s: AUROC drop %s", name, dict(zip(table["mark"], table["auroc_drop"].round(4)))
    )


def cmd_impute(args: argparse.Namespace) -> None:
    from epibench.evaluate.impute import impute, imputed_summary, plot_imputed
    from epibench.io.atomic import write_tsv
    from epibench.io.parquet import write_parquet
    from epibench.report.tracks import read_chrom_sizes, write_cpg_track

    use_threads(args.threads)
    model, dataset = _model_and_dataset(args.model_dir, args.shards, "all")
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


def cmd_baseline(args: argparse.Namespace) -> None:
    from epibench.evaluate.baselines import fit_baseline
    from epibench.io.atomic import atomic_path

    table, record = fit_baseline(
        args.name, args.shards, histone_norm=args.histone_norm, max_train_rows=args.max_train_rows
    )
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(args.record) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    log.info("baseline %s: %s", args.name, record)


def cmd_evaluate_metrics(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import write_metrics

    write_metrics(args.predictions, args.truth, args.settings_json, args.out)


def cmd_evaluate_compare(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import write_comparison

    write_comparison(args.metrics, args.train_metrics, args.settings_json, args.out)


def cmd_evaluate_leaderboard(args: argparse.Namespace) -> None:
    from epibench.evaluate.leaderboard import verdict
    from epibench.evaluate.run import write_leaderboard

    table = write_leaderboard(args.metrics, args.train_metrics, args.baselines, args.settings_json, args.out)
    log.info("%s", verdict(table, args.settings_json.get("new", "hybrid")))


def cmd_evaluate_ensemble(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import write_ensemble

    preds = write_ensemble(args.members, args.name, args.out)
    log.info(
        "ensemble %s of %d members: %d CpGs, mean spread %.4f",
        args.name,
        len(args.members),
        len(preds),
        preds["spread"].mean(),
    )


def cmd_evaluate_ensemble_report(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import write_ensemble_report

    rho = write_ensemble_report(
        args.metrics, args.predictions, args.members, args.settings_json, args.out_dir
    )
    log.info("ensemble spread vs absolute error: Spearman rho %.3f", rho)


def _write_table_and_figure(table, args: argparse.Namespace, plot, title: str, keys: list[str]) -> None:
    """Write an evaluation ``table`` to ``args.out`` (TSV), ``plot(table, args.out_figure)``, and log
    its ``keys`` columns with AUROC and MSE."""
    from epibench.io.atomic import write_tsv

    write_tsv(table, args.out)
    plot(table, args.out_figure)
    log.info("%s:\n%s", title, table[[*keys, "auroc", "mse"]].to_string(index=False))


def cmd_evaluate_learning_curve(args: argparse.Namespace) -> None:
    from epibench.evaluate.learning_curve import curve_table, plot_curve, runs_from_meta
    from epibench.evaluate.run import load_predictions

    settings = args.settings_json
    table = curve_table(
        load_predictions(args.predictions),
        runs_from_meta(args.model_meta),
        n_boot=settings.get("n_boot", 200),
        seed=settings.get("seed", 0),
    )
    _write_table_and_figure(table, args, plot_curve, "learning curve", ["mode", "fraction", "n_train_rows"])


def cmd_evaluate_by_covariate(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import load_predictions
    from epibench.evaluate.strata import covariate_strata, plot_strata, stratified_table

    settings = args.settings_json
    strata = covariate_strata(args.covariates_json)
    table = stratified_table(
        load_predictions(args.predictions), strata, settings.get("n_boot", 200), settings.get("seed", 0)
    )
    if table.empty:
        raise InputError("no stratum of the covariates has test predictions (are the covariate cells empty?)")
    _write_table_and_figure(
        table, args, plot_strata, "metrics by covariate", ["model", "covariate", "stratum"]
    )


def cmd_evaluate_loso(args: argparse.Namespace) -> None:
    from epibench.evaluate.loso import loso_table, plot_loso
    from epibench.evaluate.run import load_predictions

    settings = args.settings_json
    table = loso_table(
        load_predictions(args.predictions),
        args.held_out_json,
        args.cohort_model,
        settings.get("n_boot", 200),
        settings.get("seed", 0),
    )
    _write_table_and_figure(table, args, plot_loso, "leave-one-sample-out", ["sample", "setting"])


def cmd_evaluate_figure(args: argparse.Namespace) -> None:
    from epibench.evaluate.run import write_figure

    write_figure(args.kind, args.inputs, args.truth, args.out)


def cmd_attribute(args: argparse.Namespace) -> None:
    from epibench.interpret.explain import explain

    use_threads(args.threads)
    settings = args.settings_json
    model, dataset = _model_and_dataset(args.model_dir, args.shards, "test")
    summary = explain(
        model,
        dataset,
        args.out_dir,
        per_region=settings.get("per_region", 64),
        n_steps=settings.get("n_steps", 32),
        kmer_size=settings.get("kmer", 6),
        max_steps=settings.get("max_steps", 256),
        tolerance=settings.get("tolerance", 0.05),
    )
    log.info("attributions: %s", summary)


def cmd_attribute_figure(args: argparse.Namespace) -> None:
    from epibench.interpret.plots import write_interpret_figure  # logomaker imports pyplot

    write_interpret_figure(args.kind, args.attributions, args.out)


def cmd_tracks_export(args: argparse.Namespace) -> None:
    from epibench.report.tracks import export_tracks

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
    )
    log.info("genome-browser tracks and datahub in %s", hub)


def cmd_tracks_serve(args: argparse.Namespace) -> None:
    from epibench.report.tracks import serve

    serve(args.dir, args.port, args.host)


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
    )
    log.info("report written to %s", out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="epibench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"epibench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="write the deterministic demo cohort")
    p.add_argument("--out", required=True, help="output folder (e.g. resources/demo)")
    p.add_argument(
        "--chrom-lengths",
        default="200000,200000,200000,200000,200000",
        help="comma-separated bp",
    )
    p.add_argument("--samples", type=int, default=3, help="number of (normal) samples")
    p.add_argument(
        "--tumours", type=int, default=0, help="tumour-like samples after them (CIMP islands, PMDs)"
    )
    p.add_argument("--purity", type=float, default=0.7, help="tumour cell share of the tumour-like samples")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser(
        "reference",
        help="prepare the reference: uppercase-safe FASTA copy, .fai, chrom sizes, the assembly it matches",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (plain or gzip)")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("ingest", help="methylation calls -> canonical CpG table (Parquet) + QC, in one job")
    _calls_args(p)
    p.add_argument("--min-cg-share", type=float, default=0.95)
    p.add_argument("--out", required=True, help="canonical table (.parquet)")
    p.add_argument("--qc", required=True, help="QC summary (.json)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "ingest-split",
        help="ingest stage 1 (per sample): read the calls once, write them per shard group",
    )
    _calls_args(p)
    p.add_argument("--groups", required=True, help="shard groups (groups.tsv of epibench shard-plan)")
    p.add_argument("--out-dir", required=True, help="folder of per-group call files (<group>.parquet)")
    p.add_argument("--qc", required=True, help="QC of this stage (.json)")
    p.set_defaults(func=cmd_ingest_split)

    p = sub.add_parser(
        "ingest-group",
        help="ingest stage 2 (per sample x group): CG check, strand merge, coverage filter",
    )
    p.add_argument("--calls", required=True, help="one group's call file (from ingest-split)")
    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    p.add_argument("--min-coverage", type=int, default=5)
    p.add_argument("--min-cg-share", type=float, default=0.95)
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
    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    p.add_argument("--min-coverage", type=int, default=5)
    p.add_argument("--min-cg-share", type=float, default=0.95)
    p.add_argument("--out", required=True, help="the sample's ingest QC (.json)")
    p.set_defaults(func=cmd_ingest_summary)

    p = sub.add_parser(
        "chrom-names",
        help="table of the sequence names of input files matched to the reference",
    )
    p.add_argument("--reference", required=True)
    p.add_argument(
        "--input",
        type=_mark_arg,
        action="append",
        default=[],
        help="LABEL=PATH, repeat per file",
    )
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
    p.add_argument(
        "--sample", type=_mark_arg, action="append", default=[], help="SAMPLE=PATH of methylation calls"
    )
    p.add_argument(
        "--format", type=_mark_arg, action="append", default=[], help="SAMPLE=FORMAT (default auto)"
    )
    p.add_argument(
        "--coverage", type=_mark_arg, action="append", default=[], help="SAMPLE=PATH, roadmap_bigwig only"
    )
    p.add_argument(
        "--bigwig", type=_mark_arg, action="append", default=[], help="LABEL=PATH of a histone bigWig"
    )
    p.add_argument("--min-cg-share", type=float, default=0.95)
    p.add_argument("--out", required=True, help="per-sample fit table (.tsv)")
    p.add_argument("--lengths-out", required=True, help="sequence-length mismatches of the bigWigs (.tsv)")
    p.set_defaults(func=cmd_check_inputs)

    p = sub.add_parser("qc", help="per-sample QC table and figure (coverage, level per region class)")
    p.add_argument("--sample", required=True)
    p.add_argument(
        "--cpgs", nargs="+", required=True, help="canonical CpG table(s) of the sample (one per group)"
    )
    p.add_argument("--regions", required=True, help="cohort region table")
    p.add_argument("--ingest-qc", required=True, help="the sample's ingest QC (.json)")
    p.add_argument("--threshold", type=float, default=0.5, help="methylated = level >= threshold")
    p.add_argument("--out-table", required=True, help="QC table (.tsv)")
    p.add_argument(
        "--out-figure",
        required=True,
        help="figure path without suffix (.png and .pdf are written)",
    )
    p.set_defaults(func=cmd_qc)

    p = sub.add_parser("regions", help="every reference CpG -> one region class")
    p.add_argument("--reference", required=True)
    p.add_argument("--gtf", required=True)
    p.add_argument("--enhancers", default=None, help="optional enhancer BED")
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
    p.add_argument("--split-json", type=_json_arg, default={}, help="SplitSettings fields as JSON")
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
        type=_mark_arg,
        action="append",
        default=[],
        help="NAME=bigWig, repeat per mark",
    )
    p.add_argument(
        "--settings-json",
        type=_json_arg,
        default={},
        help="ShardSettings fields as JSON",
    )
    p.add_argument(
        "--covariates-json",
        type=_json_arg,
        default={},
        help='the sample\'s covariates as JSON: column -> {"value": cell, "levels": the cohort\'s values} '
        "(epibench.data.covariates), fed to the model after the marks",
    )
    p.add_argument("--tads", default=None, help="TAD BED: adds the channel tad_boundary_distance")
    p.add_argument("--loops", default=None, help="loop BEDPE: adds the channel loop_anchor_distance")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_shards)

    p = sub.add_parser("train", help="train a model on shard folders")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument(
        "--model-json",
        type=_json_arg,
        required=True,
        help='{"arch": "hybrid"|"cnn", sizes...}',
    )
    p.add_argument("--train-json", type=_json_arg, default={}, help="training settings as JSON")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="predictions of a trained model on a shard split")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, help="predictions (.parquet)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("attribute-figure", help="one interpretation figure from attributions.npz")
    p.add_argument(
        "--kind",
        required=True,
        choices=["sequence_attribution", "histone_attribution", "attention", "cpg_explanations"],
    )
    p.add_argument("--attributions", required=True, help="the attribute stage's attributions.npz")
    p.add_argument("--out", required=True, help="output path without extension (.png and .pdf are written)")
    p.set_defaults(func=cmd_attribute_figure)

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
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--predictions", required=True, help="the model's full test predictions (.parquet)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--settings-json", type=_json_arg, default={}, help="n_boot, seed")
    p.add_argument("--out", required=True, help="ablation table (.tsv)")
    p.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    p.set_defaults(func=cmd_ablate)

    p = sub.add_parser("baseline", help="fit a baseline on the train split, predict the test split")
    p.add_argument(
        "--name", required=True, help="logreg_gc_cpg, gbm_histone or gbm_region (no histone features)"
    )
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--histone-norm", default="robust", choices=["robust", "log1p"])
    p.add_argument("--max-train-rows", type=int, default=500_000, help="training rows sampled at most")
    p.add_argument("--out", required=True, help="predictions (.parquet)")
    p.add_argument("--record", required=True, help="fit time and memory (.json)")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("evaluate", help="evaluation tables and figures from predictions, one per call")
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    q = steps.add_parser("metrics", help="metrics.tsv: every metric per model and scope, 95%% intervals")
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--truth", default=None, help="true probabilities (demo): adds the 'ceiling' model")
    q.add_argument("--settings-json", type=_json_arg, default={})
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_metrics)
    q = steps.add_parser("compare", help="comparison.tsv: the seed's original-vs-new table")
    q.add_argument("--metrics", required=True)
    q.add_argument("--train-metrics", nargs="*", default=[], help="models' metrics.csv (time, memory)")
    q.add_argument("--settings-json", type=_json_arg, default={})
    q.add_argument("--out", required=True)
    q.set_defaults(func=cmd_evaluate_compare)
    q = steps.add_parser("leaderboard", help="leaderboard.tsv: every model and baseline, costs, verdict")
    q.add_argument("--metrics", required=True)
    q.add_argument("--train-metrics", nargs="*", default=[], help="models' metrics.csv (time, memory)")
    q.add_argument("--baselines", nargs="*", default=[], help="baselines' fit records (.json)")
    q.add_argument("--settings-json", type=_json_arg, default={})
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
    q.add_argument("--settings-json", type=_json_arg, default={})
    q.add_argument("--out-dir", required=True)
    q.set_defaults(func=cmd_evaluate_ensemble_report)
    q = steps.add_parser(
        "learning-curve", help="test metrics against the share of training CpGs, from scratch and fine-tuned"
    )
    q.add_argument("--predictions", nargs="+", required=True, help="each run's test predictions (.parquet)")
    q.add_argument("--model-meta", nargs="+", required=True, help="each run's model.json")
    q.add_argument("--settings-json", type=_json_arg, default={}, help="n_boot, seed")
    q.add_argument("--out", required=True, help="table (.tsv)")
    q.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    q.set_defaults(func=cmd_evaluate_learning_curve)
    q = steps.add_parser(
        "by-covariate", help="test metrics per sample-covariate stratum (tumour/normal, purity)"
    )
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument(
        "--covariates-json", type=_json_arg, required=True, help="sample -> covariate column -> cell"
    )
    q.add_argument("--settings-json", type=_json_arg, default={}, help="n_boot, seed")
    q.add_argument("--out", required=True, help="table (.tsv)")
    q.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    q.set_defaults(func=cmd_evaluate_by_covariate)
    q = steps.add_parser(
        "loso", help="leave-one-sample-out: each sample scored by a model trained without it"
    )
    q.add_argument(
        "--predictions", nargs="+", required=True, help="the cohort model's and every held-out model's"
    )
    q.add_argument("--held-out-json", type=_json_arg, required=True, help="held-out model -> its sample")
    q.add_argument("--cohort-model", required=True, help="the model trained on every sample")
    q.add_argument("--settings-json", type=_json_arg, default={}, help="n_boot, seed")
    q.add_argument("--out", required=True, help="table (.tsv)")
    q.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    q.set_defaults(func=cmd_evaluate_loso)
    q = steps.add_parser("figure", help="one figure (.png + .pdf)")
    q.add_argument("--kind", required=True, choices=["roc", "pr", "pred_vs_obs", "per_region", "comparison"])
    q.add_argument("--inputs", nargs="+", required=True, help="predictions, or metrics.tsv / comparison.tsv")
    q.add_argument("--truth", default=None)
    q.add_argument("--out", required=True, help="output path without extension")
    q.set_defaults(func=cmd_evaluate_figure)

    p = sub.add_parser("attribute", help="integrated gradients, k-mers and attention on test CpGs")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--settings-json", type=_json_arg, default={})
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("tracks", help="genome-browser export: bigWigs and a WashU datahub")
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    q = steps.add_parser("export", help="predicted, error and attribution bigWigs and hub.json")
    q.add_argument("--predictions", nargs="+", required=True)
    q.add_argument("--chrom-sizes", required=True, help="the reference stage's chrom_sizes.tsv")
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
    q.add_argument("--base-url", default="", help="URL prefix of the tracks folder ('' = relative URLs)")
    q.add_argument("--out-dir", required=True)
    q.set_defaults(func=cmd_tracks_export)
    q = steps.add_parser("serve", help="serve a tracks folder to the browser (byte ranges, CORS)")
    q.add_argument("--dir", required=True)
    q.add_argument("--port", type=int, default=8000)
    q.add_argument("--host", default="127.0.0.1")
    q.set_defaults(func=cmd_tracks_serve)

    p = sub.add_parser("report", help="the cohort's HTML summary page")
    p.add_argument("--results", required=True, help="results/<cohort>")
    p.add_argument("--title", default="EpiBench report")
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--new", default="hybrid", help="the new model, whose verdict the leaderboard gives")
    p.add_argument(
        "--original", default="cnn", help="the original model the headline compares the winner with"
    )
    p.add_argument("--max-rows", type=int, default=30)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Preempted as stop:
        log.warning("%s", stop)
        return stop.exit_code
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # outputs are written atomically: the half-written one is gone, earlier ones are whole
        print(
            f"error: {err.strerror} writing {err.filename or 'an output'}: free space and rerun",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
