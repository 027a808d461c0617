"""The evaluation stage, one function per table or figure (each its own Snakemake rule).

Inputs are the predictions tables of the models and baselines (epibench.evaluate.predict,
epibench.evaluate.baselines), the models' metrics.csv (time per epoch, peak memory) and the
baselines' fit records; with a truth table (the demo), the "ceiling" joins as a model.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from epibench.evaluate import plots
from epibench.evaluate.bootstrap import DEFAULT_N_BOOT
from epibench.evaluate.ensemble import ensemble_predictions, members_table, plot_ensemble, spread_calibration
from epibench.evaluate.leaderboard import BASE_MODE, CEILING, leaderboard_table
from epibench.evaluate.tables import check_predictions, comparison_table, metrics_long
from epibench.io.atomic import write_tsv
from epibench.io.parquet import write_parquet

log = logging.getLogger(__name__)

CURVES = {"roc": plots.plot_roc, "pr": plots.plot_pr, "pred_vs_obs": plots.plot_pred_vs_obs}


def ceiling_predictions(preds: pd.DataFrame, truth_path: str | Path) -> pd.DataFrame:
    """Rows of model "ceiling": the generator's true probability used as the prediction.

    The true p is the best predictor of the observed level; no model can beat it on average.
    """
    truth = pd.read_csv(
        truth_path,
        sep="\t",
        usecols=["sample", "chrom", "pos", "p_meth"],
        dtype={"sample": str, "chrom": str},
    )
    one_model = preds[preds["model"] == preds["model"].iloc[0]]
    merged = one_model.merge(truth, on=["sample", "chrom", "pos"], how="inner")
    if len(merged) < len(one_model):
        log.warning("truth table lacks %d test CpGs", len(one_model) - len(merged))
    return merged.assign(model=CEILING, level_pred=merged["p_meth"], prob_pred=merged["p_meth"]).drop(
        columns="p_meth"
    )


def load_predictions(paths: list[str | Path], truth: str | Path | None = None) -> pd.DataFrame:
    """All prediction tables, checked and stacked, plus the ceiling's rows when ``truth`` is given."""
    frames = []
    for path in paths:
        frame = pd.read_parquet(path)
        check_predictions(frame, path)
        frames.append(frame)
    preds = pd.concat(frames, ignore_index=True)
    if truth:
        preds = pd.concat([preds, ceiling_predictions(preds, truth)], ignore_index=True)
    return preds


def write_metrics(
    prediction_paths: list[str | Path],
    truth: str | Path | None,
    out: str | Path,
    threshold: float = 0.5,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> None:
    """metrics.tsv: every metric per model and scope with 95 % bootstrap intervals (``n_boot``
    resamples, ``seed``; of genomic blocks of ``block_bp`` bp where > 0, else of CpGs); accuracy
    and F1 call a CpG methylated at probability >= ``threshold``."""
    preds = load_predictions(prediction_paths, truth)
    long = metrics_long(preds, threshold=threshold, n_boot=n_boot, seed=seed, block_bp=block_bp)
    write_tsv(long, out)
    log.info(
        "metrics of %d models on %d test rows",
        preds["model"].nunique(),
        len(preds) // preds["model"].nunique(),
    )


def read_metrics(path: str | Path) -> pd.DataFrame:
    """metrics.tsv as written by ``write_metrics`` (names kept as text: a sample called 1 stays "1")."""
    return pd.read_csv(path, sep="\t", dtype={"model": str, "scope": str, "scope_value": str, "metric": str})


def training_costs(
    train_metrics: list[str | Path],
    baseline_records: list[str | Path],
    ensembles: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """model, kind, train_seconds, train_seconds_per, peak_mem_mb: mean epoch time and peak memory of
    each deep model (its metrics.csv, in models/<model>/; kind "fine-tuned" when its model.json
    says it started from a pretrained model), fit time and memory of each baseline, and
    for each ensemble (name -> member models) its members' epoch times summed and their largest peak."""
    rows = []
    for path in train_metrics:
        epochs = pd.read_csv(path)
        peak = epochs["peak_mem_mb"].max() if "peak_mem_mb" in epochs else float("nan")
        meta_path = Path(path).with_name("model.json")
        pretrained = meta_path.exists() and "pretrained" in json.loads(meta_path.read_text())
        kind = "fine-tuned" if pretrained else "model"
        rows.append((Path(path).parent.name, kind, epochs["seconds"].mean(), "epoch", peak))
    for path in baseline_records:
        record = json.loads(Path(path).read_text())
        rows.append((record["model"], "baseline", record["fit_seconds"], "fit", record["peak_rss_mb"]))
    costs = pd.DataFrame(rows, columns=["model", "kind", "train_seconds", "train_seconds_per", "peak_mem_mb"])
    by_model = costs.set_index("model")
    for name, members in (ensembles or {}).items():
        parts = by_model.reindex(members)
        rows.append(
            (
                name,
                "ensemble",
                parts["train_seconds"].sum(min_count=len(members)),
                "epoch",
                parts["peak_mem_mb"].max(),
            )
        )
    return pd.DataFrame(rows, columns=costs.columns)


def write_comparison(
    metrics_tsv: str | Path, train_metrics: list[str | Path], original: str, new: str, out: str | Path
) -> None:
    """comparison.tsv: the seed's table (metric, ``original``, ``new``, improvement), with time per
    epoch and peak memory."""
    long = read_metrics(metrics_tsv)
    costs = training_costs(train_metrics, []).set_index("model")
    extra = {}
    if {original, new} <= set(costs.index):
        extra["epoch time (s)"] = (costs.loc[original, "train_seconds"], costs.loc[new, "train_seconds"])
        extra["peak memory (MB)"] = (costs.loc[original, "peak_mem_mb"], costs.loc[new, "peak_mem_mb"])
    write_tsv(comparison_table(long, original=original, new=new, extra=extra), out)


def read_model_table(path: str | Path, name_columns: tuple[str, ...] = ("model",)) -> pd.DataFrame:
    """A TSV with a row per model (leaderboard.tsv, paired.tsv): ``name_columns`` read as text, only
    ``nan``/``NaN`` missing, so a verdict such as ``no interval`` or a model named ``NA`` stays a word."""
    return pd.read_csv(
        path,
        sep="\t",
        dtype=dict.fromkeys(name_columns, str),
        keep_default_na=False,
        na_values=["nan", "NaN"],
    )


def write_leaderboard(
    metrics_tsv: str | Path,
    train_metrics: list[str | Path],
    baseline_records: list[str | Path],
    paired_tsv: str | Path,
    ensembles: dict[str, list[str]],
    new: str,
    out: str | Path,
    context_models: tuple[str, ...] = (),
    context_new: str | None = None,
    base_mode: str = BASE_MODE,
    seed_replicates: dict[str, str] | None = None,
) -> pd.DataFrame:
    """leaderboard.tsv (epibench.evaluate.leaderboard), judged for the model ``new`` (and, in the
    neighbour mode, ``context_new``; ``context_models`` read the neighbour context) by the verdicts of
    ``paired_tsv`` (epibench.evaluate.paired); ``ensembles``:
    name -> member models, whose costs an ensemble sums; ``base_mode``: the mode of the rows without the
    neighbour context; ``seed_replicates``: model -> the model it repeats with another seed. Returns the table.
    """
    long = read_metrics(metrics_tsv)
    costs = training_costs(train_metrics, baseline_records, ensembles)
    paired = read_model_table(paired_tsv, ("new", "model"))
    table = leaderboard_table(
        long, costs, paired, new, tuple(context_models), context_new, base_mode, seed_replicates
    )
    write_tsv(table, out)
    return table


def write_ensemble(member_paths: list[str | Path], name: str, out: str | Path) -> pd.DataFrame:
    """The ensemble's predictions table (epibench.evaluate.ensemble) from its members' tables; returns it."""
    members = {}
    for path in member_paths:
        table = pd.read_parquet(path)
        check_predictions(table, path)
        members[str(table["model"].iloc[0])] = table
    preds = ensemble_predictions(members, name)
    write_parquet(preds, out, list(preds.columns))
    return preds


def write_ensemble_report(
    metrics_tsv: str | Path,
    predictions: str | Path,
    members: list[str],
    out_dir: str | Path,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    block_bp: int = 0,
) -> float:
    """``out_dir``/<name>.members.tsv, <name>.calibration.tsv and <name>.png (+ .pdf) of one
    ensemble (name = the model in ``predictions``; intervals from ``n_boot`` resamples, ``seed``,
    of CpGs or of genomic blocks of ``block_bp`` bp where > 0); returns Spearman's rho(spread, |error|)."""
    preds = pd.read_parquet(predictions)
    check_predictions(preds, predictions)
    name = str(preds["model"].iloc[0])
    table = members_table(read_metrics(metrics_tsv), name, members)
    calibration, rho = spread_calibration(preds, n_boot=n_boot, seed=seed, block_bp=block_bp)
    out_dir = Path(out_dir)
    write_tsv(table, out_dir / f"{name}.members.tsv")
    write_tsv(calibration.assign(spearman_rho=rho), out_dir / f"{name}.calibration.tsv")
    plot_ensemble(table, calibration, rho, out_dir / name)
    return rho


def write_figure(
    kind: str,
    inputs: list[str | Path],
    truth: str | Path | None,
    stem: str | Path,
    names: tuple[str, str] = ("original", "new"),
) -> None:
    """One figure: "roc", "pr", "pred_vs_obs" (from predictions), "per_region" (from metrics.tsv)
    or "comparison" (from comparison.tsv; ``names``: the original and the new model's); writes
    ``stem``.png and .pdf."""
    if kind in CURVES:
        CURVES[kind](load_predictions(inputs, truth), stem)
    elif kind == "per_region":
        plots.plot_region_bars(read_metrics(inputs[0]), stem)
    elif kind == "comparison":
        plots.plot_comparison(pd.read_csv(inputs[0], sep="\t"), stem, names)
    else:
        raise ValueError(f"unknown figure {kind!r}; known: {[*CURVES, 'per_region', 'comparison']}")
