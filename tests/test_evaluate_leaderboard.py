"""The leaderboard's verdict: the paired difference's (paired.tsv) better, worse or unclear, on AUROC
(higher) and MSE (lower), of each model against the new model of its mode."""

from __future__ import annotations

import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.evaluate.leaderboard import comparisons, leaderboard_table, seed_note, verdict


def _long(rows: dict[str, dict[str, tuple[float, float, float]]]) -> pd.DataFrame:
    """metrics.tsv rows: model -> metric -> (value, ci_low, ci_high), overall scope."""
    return pd.DataFrame(
        [
            (model, "overall", "all", metric, *values)
            for model, metrics in rows.items()
            for metric, values in metrics.items()
        ],
        columns=["model", "scope", "scope_value", "metric", "value", "ci_low", "ci_high"],
    )


def _paired(verdicts: dict[tuple[str, str], tuple[str, str]]) -> pd.DataFrame:
    """paired.tsv rows: (new, other) -> (AUROC verdict, MSE verdict); differences left out (unread)."""
    return pd.DataFrame(
        [
            (new, other, metric, verdict)
            for (new, other), pair in verdicts.items()
            for metric, verdict in zip(("auroc", "mse"), pair)
        ],
        columns=["new", "model", "metric", "verdict"],
    )


COSTS = pd.DataFrame(
    [
        ("hybrid", "model", 50.0, "epoch", 2000.0),
        ("cnn", "model", 30.0, "epoch", 1500.0),
        ("gbm", "baseline", 2.0, "fit", 300.0),
    ],
    columns=["model", "kind", "train_seconds", "train_seconds_per", "peak_mem_mb"],
)


def test_verdicts_are_the_paired_differences_not_the_intervals_overlap():
    long = _long(
        {
            "hybrid": {"auroc": (0.90, 0.88, 0.92), "mse": (0.020, 0.018, 0.022)},
            "cnn": {"auroc": (0.89, 0.87, 0.91), "mse": (0.021, 0.019, 0.023)},  # overlapping on both
            "gbm": {"auroc": (0.95, 0.94, 0.96), "mse": (0.010, 0.009, 0.011)},  # better on both
            "ceiling": {"auroc": (0.99, 0.98, 1.0), "mse": (0.005, 0.004, 0.006)},
        }
    )
    paired = _paired({("hybrid", "cnn"): ("better", "unclear"), ("hybrid", "gbm"): ("worse", "worse")})
    table = leaderboard_table(long, COSTS, paired, new="hybrid").set_index("model")
    assert table.loc["cnn", "new_beats_on_auroc"] == "yes", "paired: better, though the intervals overlap"
    assert table.loc["cnn", "new_beats_on_mse"] == "unclear"
    assert table.loc["gbm", "new_beats_on_auroc"] == "no" and table.loc["gbm", "new_beats_on_mse"] == "no"
    assert table.loc["ceiling", "kind"] == "ceiling" and table.loc["ceiling", "new_beats_on_auroc"] == ""
    assert table.loc["gbm", "train_seconds_per"] == "fit" and table.loc["hybrid", "peak_mem_mb"] == 2000.0
    assert table.loc["cnn", "auroc_ci_low"] == 0.87 and table.loc["gbm", "mse_ci_high"] == 0.011
    assert list(table.index) == ["ceiling", "gbm", "hybrid", "cnn"], "best AUROC first"
    text = verdict(table.reset_index(), "hybrid")
    assert "does not beat" in text and "cnn on MSE (unclear)" in text and "gbm on AUROC (worse)" in text
    assert "cnn on AUROC" not in text
    assert "ceiling" in text and "0.990" in text


def test_a_clean_win_says_so():
    long = _long(
        {
            "hybrid": {"auroc": (0.95, 0.94, 0.96), "mse": (0.010, 0.009, 0.011)},
            "cnn": {"auroc": (0.80, 0.78, 0.82), "mse": (0.030, 0.028, 0.032)},
            "gbm": {"auroc": (0.85, 0.84, 0.86), "mse": (0.020, 0.019, 0.021)},
        }
    )
    paired = _paired({("hybrid", "cnn"): ("better", "better"), ("hybrid", "gbm"): ("better", "better")})
    table = leaderboard_table(long, COSTS, paired, new="hybrid")
    assert "beats every other model and baseline (gbm, cnn)" in verdict(table, "hybrid")


def test_a_pair_missing_from_paired_tsv_is_named():
    long = _long(
        {
            "hybrid": {"auroc": (0.90, 0.85, 0.95), "mse": (0.010, 0.009, 0.011)},
            "cnn": {"auroc": (0.80, 0.75, 0.85), "mse": (0.020, 0.011, 0.030)},
            "gbm": {"auroc": (0.85, 0.84, 0.86), "mse": (0.020, 0.019, 0.021)},
        }
    )
    paired = _paired({("hybrid", "cnn"): ("better", "better")})
    with pytest.raises(InputError, match="no auroc row of hybrid against gbm"):
        leaderboard_table(long, COSTS, paired, new="hybrid")


def test_the_new_model_must_be_in_the_table():
    long = _long({"cnn": {"auroc": (0.8, 0.7, 0.9), "mse": (0.02, 0.01, 0.03)}})
    with pytest.raises(ValueError, match="hybrid"):
        leaderboard_table(long, COSTS, _paired({}), new="hybrid")


def test_each_mode_is_judged_by_its_own_new_model():
    """With the neighbour context: its rows are compared with the new model of that mode, the seed's
    rows with ``new``; the verdict speaks of both."""
    long = _long(
        {
            "hybrid": {"auroc": (0.90, 0.88, 0.92), "mse": (0.020, 0.018, 0.022)},
            "cnn": {"auroc": (0.80, 0.78, 0.82), "mse": (0.030, 0.028, 0.032)},
            "hybrid_nbr": {"auroc": (0.97, 0.96, 0.98), "mse": (0.010, 0.009, 0.011)},
            "gbm_nbr": {"auroc": (0.965, 0.955, 0.975), "mse": (0.013, 0.012, 0.014)},
        }
    )
    costs = pd.concat(
        [COSTS, pd.DataFrame([("hybrid_nbr", "model", 60.0, "epoch", 2100.0)], columns=COSTS.columns)]
    )
    paired = _paired(
        {
            ("hybrid", "cnn"): ("better", "better"),
            ("hybrid_nbr", "gbm_nbr"): ("unclear", "better"),
            ("hybrid", "gbm_nbr"): ("worse", "worse"),  # not the comparison the leaderboard makes
        }
    )
    table = leaderboard_table(
        long, costs, paired, "hybrid", ("hybrid_nbr", "gbm_nbr"), "hybrid_nbr"
    ).set_index("model")
    assert table.loc["cnn", "mode"] == "sequence + marks" and table.loc["cnn", "compared_with"] == "hybrid"
    assert (
        table.loc["gbm_nbr", "mode"] == "+ neighbours"
        and table.loc["gbm_nbr", "compared_with"] == "hybrid_nbr"
    )
    assert table.loc["gbm_nbr", "new_beats_on_auroc"] == "unclear"  # not "no", as against hybrid
    assert table.loc["gbm_nbr", "new_beats_on_mse"] == "yes"
    assert table.loc["hybrid_nbr", "compared_with"] == "" and table.loc["hybrid", "compared_with"] == ""
    text = verdict(table.reset_index(), "hybrid")
    assert "The new model (hybrid) beats every other model and baseline (cnn)" in text
    assert "With the neighbour context (+ neighbours): The new model (hybrid_nbr) does not beat" in text
    assert "gbm_nbr on AUROC (unclear)" in text


def test_comparisons_without_the_neighbour_new_model_fall_back_to_new():
    """A neighbour-context baseline whose new model is not among the models is compared with ``new``;
    the ceiling with none."""
    table = comparisons(["hybrid", "gbm_nbr", "ceiling"], "hybrid", ("gbm_nbr",), "hybrid_nbr").set_index(
        "model"
    )
    assert (
        table.loc["gbm_nbr", "compared_with"] == "hybrid" and table.loc["gbm_nbr", "mode"] == "+ neighbours"
    )
    assert table.loc["ceiling", "compared_with"] == "" and table.loc["ceiling", "mode"] == ""


def test_a_cohort_without_channels_says_sequence():
    long = _long(
        {
            "hybrid": {"auroc": (0.90, 0.88, 0.92), "mse": (0.020, 0.018, 0.022)},
            "cnn": {"auroc": (0.80, 0.78, 0.82), "mse": (0.030, 0.028, 0.032)},
        }
    )
    table = leaderboard_table(
        long, COSTS, _paired({("hybrid", "cnn"): ("better", "better")}), "hybrid", base_mode="sequence"
    )
    assert set(table["mode"]) == {"sequence"}


def test_a_seed_replicate_is_no_other_model_and_its_gap_is_named():
    """hybrid_seed1 is hybrid from another seed: the new model 'beating' it (paired: better) is test-set
    sampling of two trained weights, not a better architecture (trial T F6). The verdict leaves it out of
    'every other model'; the seed note gives the replicate's gap and names the models no farther away."""
    long = _long(
        {
            "hybrid": {"auroc": (0.950, 0.94, 0.96), "mse": (0.010, 0.009, 0.011)},
            "hybrid_seed1": {"auroc": (0.940, 0.93, 0.95), "mse": (0.012, 0.011, 0.013)},
            "gbm": {"auroc": (0.944, 0.93, 0.95), "mse": (0.011, 0.010, 0.012)},  # 0.006 behind
            "cnn": {"auroc": (0.800, 0.78, 0.82), "mse": (0.030, 0.028, 0.032)},  # 0.150 behind
        }
    )
    paired = _paired(
        {
            ("hybrid", "hybrid_seed1"): ("better", "better"),
            ("hybrid", "gbm"): ("better", "better"),
            ("hybrid", "cnn"): ("better", "better"),
        }
    )
    table = leaderboard_table(long, COSTS, paired, new="hybrid", seed_replicates={"hybrid_seed1": "hybrid"})
    by_model = table.set_index("model")
    assert by_model.loc["hybrid_seed1", "seed_replicate_of"] == "hybrid"
    assert by_model.loc["cnn", "seed_replicate_of"] == ""
    assert (
        by_model.loc["hybrid_seed1", "new_beats_on_auroc"] == "yes"
    ), "the paired verdict is kept as measured"
    text = verdict(table, "hybrid")
    assert "beats every other model and baseline (gbm, cnn)" in text and "hybrid_seed1" not in text
    note = seed_note(table, "hybrid")
    assert "hybrid_seed1 against hybrid: -0.010 AUROC, +0.0020 MSE" in note
    assert "to gbm is no wider" in note, "gbm's gap (0.006) is within the seed gap (0.010); cnn's is not"
    assert "cnn" not in note
    # without replicates (or a table written before the column) there is no note
    assert seed_note(leaderboard_table(long, COSTS, paired, new="hybrid"), "hybrid") == ""
    assert seed_note(table.drop(columns="seed_replicate_of"), "hybrid") == ""
