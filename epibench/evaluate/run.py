"""The ``evaluate`` stage: predictions of every model -> metrics.tsv, comparison.tsv and figures."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from epibench.evaluate import plots
from epibench.evaluate.tables import check_predictions, comparison_table, metrics_long
from epibench.io.atomic import write_tsv

log = logging.getLogger(__name__)

CEILING = "ceiling"


def read_predictions(paths: list[str | Path]) -> pd.DataFrame:
    """All models' prediction tables, checked, stacked."""
    frames = []
    for path in paths:
        frame = pd.read_parquet(path)
        check_predictions(frame, path)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def ceiling_predictions(preds: pd.DataFrame, truth_path: str | Path) -> pd.DataFrame:
    """Rows of model "ceiling": the generator's true probability used as the prediction.

    The true p is the best predictor of the observed level; no model can beat it on average.
    """
    truth = pd.read_csv(truth_path, sep="\t", usecols=["sample", "chrom", "pos", "p_meth"])
    one_model = preds[preds["model"] == preds["model"].iloc[0]]
    merged = one_model.merge(truth, on=["sample", "chrom", "pos"], how="inner")
    if len(merged) < len(one_model):
        log.warning("truth table lacks %d test CpGs", len(one_model) - len(merged))
    return merged.assign(model=CEILING, level_pred=merged["p_meth"], prob_pred=merged["p_meth"]).drop(
        columns="p_meth"
    )


def epoch_seconds(metrics_csv: str | Path) -> float:
    """Mean wall-clock seconds per training epoch from a model's metrics.csv."""
    return float(pd.read_csv(metrics_csv)["seconds"].mean())


def evaluate_predictions(
    prediction_paths: list[str | Path],
    train_metrics: list[str | Path],
    truth: str | Path | None,
    settings: dict,
    out_dir: str | Path,
) -> pd.DataFrame:
    """Write metrics.tsv, comparison.tsv and the figures into ``out_dir``; returns the long metrics."""
    out_dir = Path(out_dir)
    preds = read_predictions(prediction_paths)
    if truth:
        preds = pd.concat([preds, ceiling_predictions(preds, truth)], ignore_index=True)
    long = metrics_long(
        preds,
        threshold=settings.get("threshold", 0.5),
        n_boot=settings.get("n_boot", 200),
        seed=settings.get("seed", 0),
    )
    write_tsv(long, out_dir / "metrics.tsv")
    original, new = settings.get("original", "cnn"), settings.get("new", "hybrid")
    seconds = {Path(path).parent.name: epoch_seconds(path) for path in train_metrics}
    extra = {}
    if original in seconds and new in seconds:
        extra["epoch time (s)"] = (seconds[original], seconds[new])
    comparison = comparison_table(long, original=original, new=new, extra=extra)
    write_tsv(comparison, out_dir / "comparison.tsv")
    plots.plot_roc(preds, out_dir / "roc")
    plots.plot_pr(preds, out_dir / "pr")
    plots.plot_region_bars(long, out_dir / "per_region")
    plots.plot_pred_vs_obs(preds, out_dir / "pred_vs_obs")
    plots.plot_comparison(comparison, out_dir / "comparison")
    log.info("evaluated %d models on %d test CpGs", preds["model"].nunique(), (preds["model"] == original).sum())
    return long
