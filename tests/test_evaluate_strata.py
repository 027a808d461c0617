"""Evaluation by covariate stratum (epibench.evaluate.strata) and leave-one-sample-out (loso)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from epibench.errors import InputError
from epibench.evaluate.loso import loso_table
from epibench.evaluate.strata import covariate_strata, stratified_table
from prediction_tables import observed_levels, predictions


def _cohort(model: str, noise: dict[str, float], n: int = 600) -> pd.DataFrame:
    """Predictions for samples s1 (even rows) and s2 (odd rows) with per-sample noise."""
    rng = np.random.default_rng(len(model))
    table = predictions(model, observed_levels(n))
    sd = table["sample"].map(noise).to_numpy()
    table["level_pred"] = np.clip(table["level_true"] + rng.normal(0, 1, n) * sd, 0, 1)
    table["prob_pred"] = table["level_pred"]
    return table


def test_strata_of_categorical_and_numeric_covariates():
    values = {
        "a": {"condition": "normal", "purity": "1.0"},
        "b": {"condition": "tumour", "purity": "0.6"},
        "c": {"condition": "tumour", "purity": "0.8"},
        "d": {"condition": "", "purity": ""},
    }
    assert covariate_strata(values) == [
        ("condition", "normal", ["a"]),
        ("condition", "tumour", ["b", "c"]),
        ("purity", "<= 0.8", ["b", "c"]),
        ("purity", "> 0.8", ["a"]),
    ]


def test_each_stratum_scores_only_its_samples():
    preds = _cohort("m", {"s1": 0.05, "s2": 0.4})
    strata = covariate_strata({"s1": {"condition": "normal"}, "s2": {"condition": "tumour"}})
    table = stratified_table(preds, strata, n_boot=20).set_index("stratum")
    tumour = preds[preds["sample"] == "s2"]
    assert table.loc["tumour", "samples"] == "s2" and table.loc["tumour", "n"] == len(tumour)
    assert table.loc["tumour", "mse"] == pytest.approx(
        mean_squared_error(tumour["level_true"], tumour["level_pred"])
    )
    assert table.loc["tumour", "auroc"] == pytest.approx(
        roc_auc_score(tumour["label_true"], tumour["prob_pred"])
    )
    assert table.loc["tumour", "mse"] > table.loc["normal", "mse"]


def test_leave_one_sample_out_pairs_each_sample_with_the_cohort_model():
    cohort = _cohort("new", {"s1": 0.05, "s2": 0.05})
    without_s1 = _cohort("new_without_s1", {"s1": 0.3, "s2": 0.3})
    preds = pd.concat([cohort, without_s1[without_s1["sample"] == "s1"]], ignore_index=True)
    table = loso_table(preds, {"new_without_s1": "s1"}, "new", n_boot=20).set_index("setting")
    mine = cohort[cohort["sample"] == "s1"]
    assert table.loc["within cohort", "mse"] == pytest.approx(
        mean_squared_error(mine["level_true"], mine["level_pred"])
    )
    assert table.loc["sample held out", "mse"] > table.loc["within cohort", "mse"]
    assert (table["n"] == len(mine)).all()
    with pytest.raises(InputError, match="differ in CpGs"):
        loso_table(preds.iloc[:-3], {"new_without_s1": "s1"}, "new", n_boot=10)
