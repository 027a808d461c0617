"""Each sample's test scores beside what explains them (epibench.evaluate.samples): the counting
noise of levels read from few reads, checked against binomial draws of known probabilities; a
shallow sample's MSE is its noise, not the model's fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epibench.evaluate.samples import (
    COLUMNS,
    MAX_PLOTTED_SAMPLES,
    counting_noise,
    per_sample_table,
    plot_per_sample,
    worst_samples,
)


def binomial_levels(rng, p: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Observed levels k/n of ``depth`` reads at true probabilities ``p``, and the depths."""
    n = np.full(len(p), depth)
    return rng.binomial(n, p) / n, n


def test_counting_noise_is_the_mean_squared_distance_of_levels_from_the_truth():
    rng = np.random.default_rng(0)
    p = rng.beta(0.5, 0.5, 200_000)
    for depth in (2, 5, 30):
        level, n = binomial_levels(rng, p, depth)
        truth_mse = np.mean((level - p) ** 2)  # what a perfect model scores against the levels
        assert counting_noise(level, n) == pytest.approx(truth_mse, rel=0.03)
        assert truth_mse == pytest.approx(np.mean(p * (1 - p)) / depth, rel=0.03)


def test_cpgs_read_once_say_nothing_of_the_noise():
    assert counting_noise(np.array([1.0, 0.0, 0.5]), np.array([1, 1, 2])) == pytest.approx(0.25)
    assert np.isnan(counting_noise(np.array([1.0, 0.0]), np.array([1, 1])))


def metrics_rows(model: str, sample: str, mse: float, auroc: float, n: int) -> list[dict]:
    """metrics.tsv's per-sample rows of one model and sample (intervals +-0.01)."""
    rows = [{"metric": "n", "value": n, "ci_low": np.nan, "ci_high": np.nan}]
    rows += [
        {"metric": metric, "value": value, "ci_low": value - 0.01, "ci_high": value + 0.01}
        for metric, value in (("mse", mse), ("auroc", auroc), ("pearson", 0.9))
    ]
    return [{"model": model, "scope": "sample", "scope_value": sample, **row} for row in rows]


def test_a_shallow_sample_predicted_perfectly_adds_nothing_beyond_its_noise(tmp_path):
    """Two samples of the same true probabilities, one read 30 times, one 3 times, and a model
    that predicts the truth itself: the shallow sample's MSE is ten times the deep one's, all of
    it counting noise."""
    rng = np.random.default_rng(1)
    p = rng.beta(0.5, 0.5, 50_000)
    frames, metric_rows = [], []
    for sample, depth in (("deep", 30), ("shallow", 3)):
        level, n = binomial_levels(rng, p, depth)
        frames.append(pd.DataFrame({"sample": sample, "level_true": level, "n_total": n}))
        for model, pred in (("truth", p), ("flat", np.full(len(p), level.mean()))):
            metric_rows += metrics_rows(model, sample, float(np.mean((pred - level) ** 2)), 0.9, len(p))
    qcs = {
        "shallow": {"inputs": ["a.cov"], "n_below_min_coverage": 30, "n_kept": 70, "coverage_known": True},
        "deep": {
            "inputs": ["b1.cov", "b2.cov"],
            "n_below_min_coverage": 0,
            "n_kept": 50,
            "replicate_concordance": [
                {"files": ["b1.cov", "b2.cov"], "n_cpgs_compared": 40, "pearson": 0.93}
            ],
        },
    }
    table = per_sample_table(
        pd.DataFrame(metric_rows), pd.concat(frames), qcs, ["truth", "flat"], {"shallow": ["H3K27ac"]}
    )
    assert list(table.columns) == list(COLUMNS)
    assert list(zip(table["sample"], table["model"])) == [
        ("shallow", "truth"),
        ("shallow", "flat"),
        ("deep", "truth"),
        ("deep", "flat"),
    ]
    worst_first = table.groupby("sample", sort=False)["mse_beyond_noise"].mean()
    assert list(worst_first.index) == list(worst_first.sort_values(ascending=False).index)
    perfect = table[table["model"] == "truth"].set_index("sample")
    assert perfect.loc["shallow", "mse"] > 5 * perfect.loc["deep", "mse"]
    assert abs(perfect.loc["shallow", "mse_beyond_noise"]) < 0.05 * perfect.loc["shallow", "mse"]
    assert abs(perfect.loc["deep", "mse_beyond_noise"]) < 0.05 * perfect.loc["deep", "mse"]
    flat = table[table["model"] == "flat"].set_index("sample")
    assert flat.loc["deep", "mse_beyond_noise"] > 0.1  # a model that ignores the CpG adds error
    by_sample = table.drop_duplicates("sample").set_index("sample")
    assert by_sample.loc["shallow", "mean_depth"] == 3 and by_sample.loc["deep", "n_files"] == 2
    assert by_sample.loc["shallow", "share_below_min_coverage"] == pytest.approx(0.3)
    assert by_sample.loc["deep", "replicate_pearson"] == 0.93 and np.isnan(
        by_sample.loc["shallow", "replicate_pearson"]
    )
    assert (
        by_sample.loc["shallow", "marks_missing"] == "H3K27ac"
        and by_sample.loc["deep", "marks_missing"] == ""
    )
    assert perfect.loc["deep", "auroc_ci_low"] == pytest.approx(0.89)
    pngs = plot_per_sample(table, tmp_path / "per_sample")
    assert [p.suffix for p in pngs] == [".png", ".pdf"] and all(p.stat().st_size for p in pngs)


def test_levels_without_read_depths_have_no_noise_to_estimate():
    metrics = pd.DataFrame(metrics_rows("m", "roadmap", 0.05, 0.9, 3))
    cpgs = pd.DataFrame({"sample": "roadmap", "level_true": [0.5, 0.2, 0.9], "n_total": [2, 2, 1]})
    qc = {"input": "x.bigWig", "n_below_min_coverage": 0, "n_kept": 3, "coverage_known": False}
    row = per_sample_table(metrics, cpgs, {"roadmap": qc}, ["m"]).iloc[0]
    assert np.isnan(row["counting_noise"]) and np.isnan(row["mean_depth"]) and row["n_files"] == 1


def test_a_cohort_of_hundreds_draws_its_worst_samples_in_a_figure_of_bounded_height(tmp_path):
    """per_sample.png shows the MAX_PLOTTED_SAMPLES samples of the largest MSE beyond the noise (mean
    over the models): 300 samples give the figure of MAX_PLOTTED_SAMPLES, not one 300 rows high."""
    rng = np.random.default_rng(0)
    rows = []
    for number in range(300):
        for model, extra in (("hybrid", 0.0), ("cnn", 0.01)):
            beyond = rng.uniform(0, 0.05)
            row = dict.fromkeys(COLUMNS, 1)
            row |= {"sample": f"s{number:03d}", "model": model, "mse_beyond_noise": beyond + extra}
            row |= {
                "mse": beyond + extra + 0.01,
                "counting_noise": 0.01,
                "mean_depth": 10.0,
                "marks_missing": "",
            }
            row |= {"auroc": 0.9, "auroc_ci_low": 0.85, "auroc_ci_high": 0.95}
            row |= {"mse_ci_low": row["mse"] - 0.005, "mse_ci_high": row["mse"] + 0.005}
            rows.append(row)
    table = pd.DataFrame(rows)
    by_mean = table.groupby("sample")["mse_beyond_noise"].mean()
    assert worst_samples(table) == list(by_mean.sort_values(ascending=False).index[:MAX_PLOTTED_SAMPLES])
    height = {}
    for n in (MAX_PLOTTED_SAMPLES, 300):
        kept = table[table["sample"].isin(sorted(table["sample"].unique())[:n])]
        png = plot_per_sample(kept, tmp_path / f"per_sample_{n}")[0]
        height[n] = plt_image_height(png)
    assert height[300] < 1.05 * height[MAX_PLOTTED_SAMPLES]


def plt_image_height(png) -> int:
    """A PNG's height in pixels, from its IHDR chunk."""
    data = png.read_bytes()
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[20:24], "big")
