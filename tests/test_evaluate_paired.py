"""The paired difference of two models (epibench.evaluate.paired): both scored on one draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from epibench.errors import InputError
from epibench.evaluate import tables
from epibench.evaluate.paired import difference_verdict, pairs_of, paired_table
from prediction_tables import observed_levels, predictions


def _preds(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Three models on the same CpGs of two samples: "good" and "twin" (the same predictions),
    and "worse", good's predictions with errors shared by each 500 bp and noise on top."""
    rng = np.random.default_rng(seed)
    level = observed_levels(n)
    good = np.clip(level + rng.normal(0, 0.1, n), 0, 1)
    worse = np.clip(good + rng.normal(0, 0.15, n // 50).repeat(50) + rng.normal(0, 0.05, n), 0, 1)
    return pd.concat(
        [predictions(model, pred) for model, pred in (("good", good), ("twin", good), ("worse", worse))],
        ignore_index=True,
    )


@pytest.mark.parametrize("block_bp", [0, 1000])
def test_the_difference_is_scored_on_the_same_draws(block_bp):
    preds = _preds()
    table = paired_table(preds, [("good", "worse"), ("good", "twin")], block_bp=block_bp, n_boot=100)
    rows = table.set_index(["model", "metric"])
    mine, theirs = (preds[preds["model"] == m] for m in ("good", "worse"))
    expected_auroc = roc_auc_score(mine["label_true"], mine["prob_pred"]) - roc_auc_score(
        theirs["label_true"], theirs["prob_pred"]
    )
    expected_mse = mean_squared_error(mine["level_true"], mine["level_pred"]) - mean_squared_error(
        theirs["level_true"], theirs["level_pred"]
    )
    assert rows.loc[("worse", "auroc"), "difference"] == pytest.approx(expected_auroc)
    assert rows.loc[("worse", "mse"), "difference"] == pytest.approx(expected_mse)
    assert (
        rows.loc[("worse", "auroc"), "verdict"] == "better"
        and rows.loc[("worse", "mse"), "verdict"] == "better"
    )
    # the same predictions: a zero difference on every draw
    twin = rows.loc["twin"]
    assert (twin[["difference", "ci_low", "ci_high"]].to_numpy() == 0).all()
    assert (twin["verdict"] == "unclear").all()


def test_the_paired_interval_is_narrower_than_the_two_models_overlap():
    """Errors both models share (each block's level) widen each model's own interval, not the
    difference's: the leaderboard's intervals overlap, the paired one excludes 0."""
    rng = np.random.default_rng(4)
    n = 4000
    level = observed_levels(n)
    shared = rng.normal(0, 0.25, n // 100).repeat(100)  # 1 kb: 100 CpGs 10 bp apart
    preds = pd.concat(
        [
            predictions(model, np.clip(level + shared + rng.normal(0, noise, n), 0, 1))
            for model, noise in (("new", 0.02), ("old", 0.06))
        ],
        ignore_index=True,
    )
    long = tables.metrics_long(preds, n_boot=200, scopes=("overall",), block_bp=1000).set_index(
        ["model", "metric"]
    )
    assert (
        long.loc[("new", "mse"), "ci_high"] > long.loc[("old", "mse"), "ci_low"]
    ), "the two intervals overlap"
    paired = paired_table(preds, [("new", "old")], block_bp=1000, n_boot=200).set_index("metric")
    assert paired.loc["mse", "ci_high"] < 0 and paired.loc["mse", "verdict"] == "better"


def test_pairs_come_from_the_leaderboards_compared_with():
    leaderboard = pd.DataFrame(
        {"model": ["hybrid", "cnn", "gbm", "ceiling"], "compared_with": ["", "hybrid", "hybrid", np.nan]}
    )
    assert pairs_of(leaderboard) == [("hybrid", "cnn"), ("hybrid", "gbm")]


def test_a_model_without_predictions_is_named():
    with pytest.raises(InputError, match="no predictions of model 'absent'"):
        paired_table(_preds(n=200), [("good", "absent")], n_boot=10)


@pytest.mark.parametrize(
    ("metric", "low", "high", "verdict"),
    [
        ("auroc", 0.01, 0.03, "better"),
        ("auroc", -0.03, -0.01, "worse"),
        ("auroc", -0.01, 0.02, "unclear"),
        ("mse", -0.003, -0.001, "better"),  # the new model's error is lower
        ("mse", 0.001, 0.003, "worse"),
        ("mse", -0.0029, 0.0086, "unclear"),  # the lung cohort's hybrid minus CNN
        ("auroc", float("nan"), float("nan"), "no interval"),
    ],
)
def test_the_verdict_reads_each_metric_its_own_way(metric, low, high, verdict):
    assert difference_verdict(metric, low, high) == verdict


def test_a_handful_of_blocks_gives_no_interval_and_no_verdict():
    """Fewer genomic blocks than bootstrap.MIN_BLOCKS: every draw would be (nearly) the same blocks,
    a zero-width interval that excludes 0 for any difference; paired.tsv says there is none."""
    preds = _preds(n=3000)
    span = preds["pos"].max() + 1
    few = paired_table(preds, [("good", "worse")], block_bp=span // 3 + 1, n_boot=50).set_index("metric")
    assert few[["ci_low", "ci_high"]].isna().all().all() and (few["verdict"] == "no interval").all()
    assert few["difference"].notna().all(), "the point difference stays"
    enough = paired_table(preds, [("good", "worse")], block_bp=span // 40 + 1, n_boot=50).set_index("metric")
    assert enough[["ci_low", "ci_high"]].notna().all().all()


def test_models_scored_on_other_cpgs_are_warned_of(caplog):
    """The difference is scored on the CpGs both models predict; where one scored more, a warning says
    how many they share (the metrics of each are on all of its own)."""
    preds = _preds(n=1000)
    fewer = preds[(preds["model"] != "worse") | (preds["pos"] < 5000)]
    with caplog.at_level("WARNING"):
        paired_table(fewer, [("good", "worse")], n_boot=10)
    assert "models good and worse share 500 of their 1,000 and 500 test CpG measurements" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        paired_table(preds, [("good", "worse")], n_boot=10)
    assert "share" not in caplog.text
