"""Ensembles (epibench.evaluate.ensemble): averaging aligned members, spread, its calibration, costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.evaluate.ensemble import ensemble_predictions, members_table, spread_calibration
from epibench.evaluate.writers import training_costs, write_ensemble, write_ensemble_report, write_metrics
from prediction_tables import copies_in_blocks, observed_levels, predictions


def _member(name: str, level_pred: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """A member's predictions: ``level_pred`` and probabilities a little off it."""
    n = len(level_pred)
    return predictions(name, level_pred, np.clip(level_pred + rng.normal(0, 0.01, n), 0, 1))


def test_ensemble_is_the_members_mean_on_aligned_cpgs():
    rng = np.random.default_rng(1)
    n = 50
    members = {name: _member(name, rng.uniform(0, 1, n), rng) for name in ("a", "b", "c")}
    shuffled = {**members, "b": members["b"].sample(frac=1.0, random_state=3)}  # another row order
    got = ensemble_predictions(shuffled, "ens")
    assert (got["model"] == "ens").all() and got["pos"].tolist() == members["a"]["pos"].tolist()
    row = 7
    values = [members[m]["level_pred"].iloc[row] for m in ("a", "b", "c")]
    mean = sum(values) / 3
    assert got["level_pred"].iloc[row] == pytest.approx(mean)
    assert got["spread"].iloc[row] == pytest.approx(((sum((v - mean) ** 2 for v in values)) / 3) ** 0.5)
    probs = [members[m]["prob_pred"].iloc[row] for m in ("a", "b", "c")]
    assert got["prob_pred"].iloc[row] == pytest.approx(sum(probs) / 3)


def test_members_on_different_cpgs_are_refused():
    rng = np.random.default_rng(2)
    a = _member("a", rng.uniform(0, 1, 20), rng)
    b = _member("b", rng.uniform(0, 1, 20), rng).assign(pos=lambda t: t["pos"] + 1)
    with pytest.raises(InputError, match="members 'a' and 'b' predict different CpGs"):
        ensemble_predictions({"a": a, "b": b}, "ens")
    with pytest.raises(InputError, match="at least two members"):
        ensemble_predictions({"a": a}, "ens")


def test_spread_that_tracks_error_ranks_it():
    rng = np.random.default_rng(4)
    n = 4000
    spread = rng.uniform(0.0, 0.3, n)
    level_true = rng.uniform(0.2, 0.8, n)
    preds = pd.DataFrame(
        {
            "level_true": level_true,
            "level_pred": np.clip(level_true + rng.normal(0, 1, n) * spread, 0, 1),
            "spread": spread,
        }
    )
    table, rho = spread_calibration(preds, n_bins=5, n_boot=50)
    error = (preds["level_pred"] - preds["level_true"]).abs()
    assert rho == pytest.approx(preds["spread"].rank().corr(error.rank()))  # Spearman = Pearson of ranks
    assert rho > 0.3
    assert table["n"].sum() == n and table["abs_error_mean"].is_monotonic_increasing
    assert (table["abs_error_ci_low"] <= table["abs_error_mean"]).all()
    assert (table["abs_error_mean"] <= table["abs_error_ci_high"]).all()
    noise = preds.assign(spread=rng.permutation(spread))  # a spread unrelated to the error
    assert abs(spread_calibration(noise, n_bins=5, n_boot=10)[1]) < 0.1


def test_spread_bin_intervals_are_wider_where_each_block_is_copies_of_one_cpg():
    """200 CpGs, each copied 20 times inside its own 1-kb block: each spread bin's interval of the mean
    |error|, resampled as blocks, is several times wider than resampled as CpGs (a block cut by a bin
    edge counts in each bin with its rows there)."""
    rng = np.random.default_rng(6)
    level_pred = np.clip(observed_levels(200) + rng.normal(0, 0.2, 200), 0, 1)
    ensemble = predictions("ens", level_pred).assign(spread=rng.uniform(0, 0.3, 200))
    preds = copies_in_blocks(ensemble, 20)
    cpgs, blocks = (spread_calibration(preds, n_bins=3, n_boot=200, block_bp=bp)[0] for bp in (0, 1000))
    np.testing.assert_array_equal(cpgs["abs_error_mean"], blocks["abs_error_mean"])
    cpg_width, block_width = (t["abs_error_ci_high"] - t["abs_error_ci_low"] for t in (cpgs, blocks))
    assert (block_width > 3 * cpg_width).all()


def test_ensemble_costs_sum_the_members_epochs(tmp_path):
    paths = []
    for name, seconds, peak in (("m1", [10.0, 12.0], 100.0), ("m2", [30.0, 30.0], 250.0)):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "metrics.csv"
        pd.DataFrame({"epoch": [1, 2], "seconds": seconds, "peak_mem_mb": [peak, peak / 2]}).to_csv(
            path, index=False
        )
        paths.append(path)
    costs = training_costs(paths, [], {"both": ["m1", "m2"]}).set_index("model")
    assert costs.loc["both", "kind"] == "ensemble"
    assert costs.loc["both", "train_seconds"] == pytest.approx(11.0 + 30.0)
    assert costs.loc["both", "peak_mem_mb"] == 250.0


def test_ensemble_files_end_to_end(tmp_path):
    rng = np.random.default_rng(5)
    n = 300
    paths = []
    for name in ("a", "b"):
        table = _member(name, np.clip(observed_levels(n) + rng.normal(0, 0.2, n), 0, 1), rng)
        paths.append(tmp_path / f"{name}.parquet")
        table.to_parquet(paths[-1])
    write_ensemble(paths, "ens", tmp_path / "ens.parquet")
    write_metrics([*paths, tmp_path / "ens.parquet"], None, tmp_path / "metrics.tsv", n_boot=20)
    write_ensemble_report(
        tmp_path / "metrics.tsv", tmp_path / "ens.parquet", ["a", "b"], tmp_path / "out", n_boot=20
    )
    members = pd.read_csv(tmp_path / "out" / "ens.members.tsv", sep="\t")
    assert members["model"].tolist() == ["a", "b", "ens"] and members["role"].tolist() == [
        "member",
        "member",
        "ensemble",
    ]
    # averaging two independent noisy predictors halves the error variance: the ensemble's MSE is lowest
    assert members.set_index("model")["mse"].idxmin() == "ens"
    assert len(pd.read_csv(tmp_path / "out" / "ens.calibration.tsv", sep="\t")) == 10
    assert (tmp_path / "out" / "ens.png").stat().st_size > 1000 and (tmp_path / "out" / "ens.pdf").exists()
    metrics = pd.read_csv(tmp_path / "metrics.tsv", sep="\t")
    assert set(metrics["model"]) == {"a", "b", "ens"}
    with pytest.raises(InputError, match="no overall auroc of 'c'"):
        members_table(metrics, "ens", ["a", "c"])
