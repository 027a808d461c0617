"""Calibration table (epibench.evaluate.calibration) against scikit-learn and a plain loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from epibench.cli import main
from epibench.evaluate.calibration import calibration_table, plot_calibration
from prediction_tables import copies_in_blocks, observed_levels, predictions


def _predictions(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Two samples; "calibrated" draws each label with its predicted probability, "overconfident"
    pushes the same probabilities toward 0 and 1."""
    rng = np.random.default_rng(seed)
    prob = rng.beta(0.6, 0.6, n)
    label = (rng.random(n) < prob).astype(np.int64)
    sample = np.where(np.arange(n) % 3 == 0, "s1", "s2")
    sharp = np.clip(0.5 + 1.8 * (prob - 0.5), 0, 1)
    frames = [
        pd.DataFrame({"model": name, "sample": sample, "prob_pred": p, "label_true": label})
        for name, p in (("calibrated", prob), ("overconfident", sharp))
    ]
    return pd.concat(frames, ignore_index=True)


def test_bins_and_brier_match_scikit_learn():
    preds = _predictions()
    table = calibration_table(preds, n_boot=20)
    for model, rows in table.groupby("model"):
        mine = preds[preds["model"] == model]
        observed, mean_prob = calibration_curve(
            mine["label_true"], mine["prob_pred"], n_bins=10, strategy="uniform"
        )
        filled = rows[rows["n"] > 0]
        np.testing.assert_allclose(filled["observed"], observed)
        np.testing.assert_allclose(filled["mean_prob"], mean_prob)
        assert rows["n"].sum() == len(mine)
        assert rows["brier"].iloc[0] == pytest.approx(brier_score_loss(mine["label_true"], mine["prob_pred"]))


def test_expected_calibration_error_is_the_weighted_gap():
    preds = _predictions(n=600, seed=3)
    table = calibration_table(preds, n_boot=10)
    for model, mine in preds.groupby("model"):
        gaps = {}
        for prob, label in zip(mine["prob_pred"], mine["label_true"]):
            k = 0 if prob <= 0.1 else min(int(np.ceil(prob * 10)) - 1, 9)
            gaps.setdefault(k, []).append((prob, label))
        ece = sum(
            len(v) / len(mine) * abs(np.mean([p for p, _ in v]) - np.mean([y for _, y in v]))
            for v in gaps.values()
        )
        assert table.loc[table["model"] == model, "ece"].iloc[0] == pytest.approx(ece)


def test_the_overconfident_model_is_worse_calibrated_beyond_its_interval():
    table = calibration_table(_predictions(), n_boot=50).groupby("model").first()
    calibrated, sharp = table.loc["calibrated"], table.loc["overconfident"]
    assert calibrated["ece"] < 0.03
    assert sharp["ece_ci_low"] > calibrated["ece_ci_high"]
    for row in (calibrated, sharp):
        assert row["ece_ci_low"] <= row["ece"] <= row["ece_ci_high"]


def test_an_empty_bin_has_no_share_and_the_figure_draws(tmp_path):
    preds = pd.DataFrame(
        {"model": "m", "sample": "s", "prob_pred": [0.05, 0.05, 0.95, 0.95], "label_true": [0, 0, 1, 0]}
    )
    table = calibration_table(preds, n_boot=10)
    assert table["n"].tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table["observed"].isna().sum() == 8 and table["observed"].iloc[-1] == 0.5
    paths = plot_calibration(table, tmp_path / "calibration")
    assert all(p.stat().st_size > 1000 for p in paths)


def test_block_intervals_are_wider_where_each_block_is_copies_of_one_cpg():
    """80 CpGs, each copied 50 times inside its own 1-kb block: resampled as CpGs the 4,000 rows pass
    for independent measurements; resampled as blocks they are the 80 they are, and the intervals of
    the observed shares and of the ECE widen (by about the square root of 50). The values do not change."""
    base = _predictions(n=160, seed=1)
    preds = copies_in_blocks(base[base["model"] == "overconfident"].reset_index(drop=True), 50)
    cpgs, blocks = (calibration_table(preds, n_boot=200, block_bp=block_bp) for block_bp in (0, 1000))
    pd.testing.assert_frame_equal(
        cpgs[["n", "observed", "ece", "brier"]], blocks[["n", "observed", "ece", "brier"]]
    )
    for column in ("observed", "ece"):
        cpg_width, block_width = (
            (table[f"{column}_ci_high"] - table[f"{column}_ci_low"]).sum() for table in (cpgs, blocks)
        )
        assert block_width > 3 * cpg_width, column


def test_the_command_passes_block_bp_to_the_intervals(tmp_path):
    """``epibench evaluate calibration --block-bp`` (rule calibration) resamples blocks: the ECE
    interval of CpGs copied 50 times per 1-kb block widens with it."""
    level = observed_levels(80)
    path = tmp_path / "m.parquet"
    copies_in_blocks(predictions("m", np.clip(level + 0.2 * (level - 0.5), 0, 1)), 50).to_parquet(path)
    widths = []
    for block_bp in ("0", "1000"):
        out = tmp_path / f"calibration_{block_bp}.tsv"
        args = ["evaluate", "calibration", "--predictions", str(path), "--n-boot", "100"]
        assert main([*args, "--block-bp", block_bp, "--out", str(out), "--out-figure", str(out)[:-4]]) == 0
        table = pd.read_csv(out, sep="\t")
        widths.append(table["ece_ci_high"].iloc[0] - table["ece_ci_low"].iloc[0])
    assert widths[1] > 3 * widths[0]
