"""Each sample's test scores beside what explains them: which sample is predicted worst, and why.

A sample's test MSE is measured against its observed levels, and an observed level carries the
counting noise of its reads: read n times at a CpG whose true probability is p, the level k/n
scatters around p with variance p(1-p)/n. A shallow sample (one replicate where the others have
two, a low-coverage library) therefore scores a worse MSE however good the model. Its
``counting_noise`` is that variance averaged over the sample's test CpGs, estimated without bias
from the levels themselves (y(1-y)/(n-1) per CpG of n >= 2 reads; CpGs of one read say nothing of
it), and ``mse_beyond_noise`` = MSE - counting_noise is the part the model adds: rank samples by
that. Beside them: the mean read depth of the sample's test CpGs, its methylation files (lanes or
replicates pooled) and how they agree (the lowest Pearson r of a pair, ``concordance``), the share
of its CpGs dropped below ``ingest.min_coverage`` and the marks it lacks. AUROC and MSE with their 95 % intervals are metrics.tsv's per-sample rows.

A sample whose files give levels without read depths (a Roadmap bigWig without its coverage) has
no counting noise to estimate: NaN there.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from epibench.errors import InputError
from epibench.evaluate.bars import grouped_bars, metric_series
from epibench.io.figures import save_figure

SHOWN_METRICS = ("auroc", "mse")
# samples drawn in per_sample.png, the worst first: a row each (0.5 in), so a cohort of hundreds would
# make a figure metres high; per_sample.tsv (and the report's table) keeps every sample
MAX_PLOTTED_SAMPLES = 40
COLUMNS = (
    "sample",
    "model",
    "n",
    *(f"{m}{s}" for m in SHOWN_METRICS for s in ("", "_ci_low", "_ci_high")),
    "counting_noise",
    "mse_beyond_noise",
    "mean_depth",
    "n_files",
    "replicate_pearson",
    "share_below_min_coverage",
    "marks_missing",
)


def counting_noise(level: np.ndarray, n_total: np.ndarray) -> float:
    """Mean binomial variance of observed levels (fraction^2): mean of level(1-level)/(n-1) over the
    CpGs of ``n_total`` >= 2 reads (``level``, ``n_total``: (N,)); NaN without any such CpG."""
    level, n_total = np.asarray(level, np.float64), np.asarray(n_total, np.float64)
    read_twice = n_total >= 2
    if not read_twice.any():
        return float("nan")
    y, n = level[read_twice], n_total[read_twice]
    return float(np.mean(y * (1 - y) / (n - 1)))


def _sample_metrics(metrics: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """metrics.tsv's per-sample rows of ``models``, wide: (model, sample) -> n, auroc, auroc_ci_low, ..."""
    rows = metrics[(metrics["scope"] == "sample") & metrics["model"].isin(models)]
    absent = [m for m in models if m not in set(rows["model"])]
    if absent:
        raise InputError(f"metrics.tsv has no per-sample rows of {absent}")
    wide = {}
    for metric in ("n", *SHOWN_METRICS):
        part = rows[rows["metric"] == metric].set_index(["model", "scope_value"])
        wide[metric] = part["value"]
        if metric != "n":
            wide[f"{metric}_ci_low"], wide[f"{metric}_ci_high"] = part["ci_low"], part["ci_high"]
    return pd.DataFrame(wide).rename_axis(["model", "sample"])


def per_sample_table(
    metrics: pd.DataFrame,
    test_cpgs: pd.DataFrame,
    ingest_qcs: dict[str, dict],
    models: list[str],
    missing_marks: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """One row per sample and model (``models`` order): ``COLUMNS``; the sample predicted worst
    first (the largest MSE beyond its counting noise, mean over the models: a report that shows
    the first rows shows those), ties in ``ingest_qcs`` order.

    metrics: metrics.tsv. test_cpgs: sample, level_true and n_total of every test CpG (one model's
    predictions with their read depth, ``coverage.with_depth``). ingest_qcs: sample -> its
    ``qc/<sample>.ingest.json``. missing_marks: sample -> marks its sheet row leaves empty.
    """
    missing_marks = missing_marks or {}
    scores = _sample_metrics(metrics, models)
    by_sample = dict(tuple(test_cpgs.groupby("sample", sort=False)))
    rows = []
    for sample, qc in ingest_qcs.items():
        cpgs = by_sample.get(sample)
        if cpgs is None:  # a sample whose CpGs all lie off the test split
            continue
        depth_known = qc.get("coverage_known", True)
        noise = counting_noise(cpgs["level_true"], cpgs["n_total"]) if depth_known else float("nan")
        for model in models:
            if (model, sample) not in scores.index:
                raise InputError(f"metrics.tsv has no row of model {model}, sample {sample}")
            score = scores.loc[(model, sample)]
            rows.append(
                {
                    "sample": sample,
                    "model": model,
                    **score.to_dict(),
                    "counting_noise": noise,
                    "mse_beyond_noise": score["mse"] - noise,
                    "mean_depth": float(cpgs["n_total"].mean()) if depth_known else float("nan"),
                    **ingest_fields(qc),
                    "marks_missing": ",".join(missing_marks.get(sample, [])),
                }
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if not len(table):
        return table
    worst = table.groupby("sample", sort=False)["mse_beyond_noise"].transform("mean")
    order = np.lexsort((table.index, -worst.to_numpy(np.float64)))  # worst first, models in order
    return table.iloc[order].reset_index(drop=True).astype({"n": "int64"})


def ingest_fields(qc: dict) -> dict[str, float]:
    """What a sample's ingest record (``qc/<sample>.ingest.json``) says of its inputs: ``n_files``
    pooled, the lowest Pearson r between two of them (``replicate_pearson``, NaN for one file) and
    the share of its CpGs dropped below the minimum coverage (``share_below_min_coverage``, 0-1)."""
    below, kept = qc["n_below_min_coverage"], qc["n_kept"]
    return {
        "n_files": len(qc.get("inputs", [qc.get("input")])),
        "replicate_pearson": lowest_pearson(qc),
        "share_below_min_coverage": below / max(below + kept, 1),
    }


def lowest_pearson(qc: dict) -> float:
    """The lowest Pearson r between two of a sample's files (QC ``replicate_concordance``); NaN for one file."""
    found = [pair["pearson"] for pair in qc.get("replicate_concordance", []) if pair["pearson"] is not None]
    return min(found, default=float("nan"))


def _sample_label(rows: pd.DataFrame) -> str:
    """A sample's label: its name, its test CpGs (few give wide intervals), mean depth and files,
    and the marks it lacks."""
    first = rows.iloc[0]
    depth = "depth unknown" if np.isnan(first["mean_depth"]) else f"{first['mean_depth']:.1f} reads"
    files = "" if first["n_files"] == 1 else f", {first['n_files']} files"
    lacks = f"\nno {first['marks_missing']}" if first["marks_missing"] else ""
    return f"{first['sample']}\n{int(first['n']):,} test CpGs, {depth}{files}{lacks}"


def worst_samples(table: pd.DataFrame) -> list[str]:
    """The samples of a per-sample table, worst first (the largest MSE beyond the counting noise, mean
    over the models), at most ``MAX_PLOTTED_SAMPLES``."""
    worst = table.groupby("sample", sort=False)["mse_beyond_noise"].mean().sort_values(ascending=False)
    return list(worst.index[:MAX_PLOTTED_SAMPLES])


def plot_per_sample(table: pd.DataFrame, stem: str | os.PathLike) -> list[Path]:
    """Horizontal bars per sample (``worst_samples``: worst first, at most ``MAX_PLOTTED_SAMPLES``, a
    note below saying how many of how many): MSE with its 95 % interval and the counting-noise floor marked,
    and AUROC; each model a colour, in ``table``'s order."""
    models = list(pd.unique(table["model"]))
    samples = worst_samples(table)
    n_samples = table["sample"].nunique()
    labels = [_sample_label(table[table["sample"] == s]) for s in samples]
    fig = Figure(figsize=(11, 1.5 + 0.5 * len(samples)))
    axes = fig.subplots(1, 2, sharey=True)
    keyed = table.set_index(["model", "sample"])
    for ax, metric in zip(axes, SHOWN_METRICS):
        grouped_bars(ax, labels, metric_series(keyed, samples, models, metric), horizontal=True)
        ax.set(xlabel="AUROC" if metric == "auroc" else "MSE (fraction$^2$)")
        ax.tick_params(axis="y", labelsize=8)
    y = np.arange(len(samples))
    noise = table.drop_duplicates("sample").set_index("sample").loc[samples, "counting_noise"]
    axes[1].vlines(noise.to_numpy(np.float64), y - 0.4, y + 0.4, color="black", linewidth=2, zorder=3,
                   label="counting noise")  # fmt: skip
    axes[0].set_title("Test AUROC per sample")
    axes[1].set_title("Test MSE per sample (the model adds what lies beyond the noise)", fontsize=10)
    handles, names = axes[1].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=len(names), fontsize=8, frameon=False)
    cut = len(samples) < n_samples
    if cut:
        fig.text(
            0.5,
            0.1 / fig.get_figheight(),
            f"The {len(samples)} of {n_samples} samples with the largest MSE beyond the noise; every sample "
            "is in per_sample.tsv",
            ha="center",
            fontsize=9,
        )
    # room for the legend above (and the note below)
    fig.tight_layout(rect=(0, 0.35 * cut / fig.get_figheight(), 1, 1 - 0.35 / fig.get_figheight()))
    return save_figure(fig, stem)
