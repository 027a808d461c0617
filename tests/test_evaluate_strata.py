"""Evaluation by covariate stratum (epibench.evaluate.strata), by read depth (coverage) and
leave-one-sample-out (loso)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from epibench.errors import InputError
from epibench.evaluate.coverage import band_labels, depth_bands, depth_strata, read_depths, with_depth
from epibench.evaluate.learning_curve import curve_table
from epibench.evaluate.loso import loso_table
from epibench.evaluate.strata import covariate_strata, sample_rows, stratified_table
from prediction_tables import copies_in_blocks, observed_levels, predictions


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


def test_a_median_tied_at_the_top_still_splits_the_samples():
    """Purity 1.0 of every normal is the median: the split is below it vs at it, not all vs none."""
    purity = {"n1": "1.0", "n2": "1.0", "n3": "1", "t1": "0.7", "t2": "0.55"}
    assert covariate_strata({s: {"purity": v} for s, v in purity.items()}) == [
        ("purity", "< 1", ["t1", "t2"]),
        ("purity", ">= 1", ["n1", "n2", "n3"]),
    ]
    assert covariate_strata({s: {"purity": "0.9"} for s in ("a", "b")}) == [("purity", ">= 0.9", ["a", "b"])]


def test_each_stratum_scores_only_its_samples():
    preds = _cohort("m", {"s1": 0.05, "s2": 0.4})
    strata = covariate_strata({"s1": {"condition": "normal"}, "s2": {"condition": "tumour"}})
    table = stratified_table(preds, sample_rows(preds, strata), n_boot=20).set_index("stratum")
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
    table = loso_table(preds, {"new_without_s1": ["s1"]}, "new", n_boot=20).set_index("setting")
    mine = cohort[cohort["sample"] == "s1"]
    assert table.loc["within cohort", "mse"] == pytest.approx(
        mean_squared_error(mine["level_true"], mine["level_pred"])
    )
    assert table.loc["sample held out", "mse"] > table.loc["within cohort", "mse"]
    assert (table["n"] == len(mine)).all()
    with pytest.raises(InputError, match="differ in CpGs"):
        loso_table(preds.iloc[:-3], {"new_without_s1": ["s1"]}, "new", n_boot=10)
    # a patient's two samples held out together: each scored on its own rows, naming the other
    without_both = _cohort("new_without_p1", {"s1": 0.3, "s2": 0.3})
    table = loso_table(pd.concat([cohort, without_both]), {"new_without_p1": ["s1", "s2"]}, "new", n_boot=10)
    held = table[table["setting"] == "sample held out"].set_index("sample")
    assert held.loc["s1", "held_out_with"] == "s2" and held.loc["s2", "held_out_with"] == "s1"
    assert held.loc["s2", "n"] == len(cohort[cohort["sample"] == "s2"])


def test_leave_one_sample_out_sets_the_control_of_the_same_budget_beside_them(tmp_path):
    """The control (every sample, a held-out run's share of CpGs: the same budget) is scored on the
    held-out sample's CpGs as a third row; the figure draws its bars; its rows must match too."""
    from epibench.evaluate.loso import CONTROL_SETTING, plot_loso

    cohort = _cohort("new", {"s1": 0.05, "s2": 0.05})
    without_s1 = _cohort("new_without_s1", {"s1": 0.3, "s2": 0.3})
    control = _cohort("new_loso_control", {"s1": 0.25, "s2": 0.25})
    preds = pd.concat([cohort, without_s1[without_s1["sample"] == "s1"], control], ignore_index=True)
    table = loso_table(preds, {"new_without_s1": ["s1"]}, "new", n_boot=20, control="new_loso_control")
    assert table["setting"].tolist() == ["within cohort", "sample held out", CONTROL_SETTING]
    rows = table.set_index("setting")
    theirs = control[control["sample"] == "s1"]
    assert rows.loc[CONTROL_SETTING, "model"] == "new_loso_control"
    assert rows.loc[CONTROL_SETTING, "mse"] == pytest.approx(
        mean_squared_error(theirs["level_true"], theirs["level_pred"])
    )
    assert rows.loc[CONTROL_SETTING, "n"] == len(theirs)
    assert [p.suffix for p in plot_loso(table, tmp_path / "loso")] == [".png", ".pdf"]
    with pytest.raises(InputError, match="predictions of 'new_loso_control' and 'new' on sample s1 differ"):
        loso_table(preds.iloc[:-3], {"new_without_s1": ["s1"]}, "new", n_boot=10, control="new_loso_control")


_BY_METRICS_LONG = {  # tables scored through metrics_long: (preds, block_bp) -> table
    "by_covariate": lambda preds, block_bp: stratified_table(
        preds, sample_rows(preds, [("condition", "tumour", ["s1"])]), 200, 0, block_bp
    ),
    "loso": lambda preds, block_bp: loso_table(preds, {"held": ["s1", "s2"]}, "new", 200, 0, block_bp),
    "learning_curve": lambda preds, block_bp: curve_table(
        preds,
        {m: {"mode": "scratch", "fraction": 1.0, "n_train_rows": 1, "steps": 1} for m in ("new", "held")},
        200,
        0,
        block_bp,
    ),
}


@pytest.mark.parametrize("table_of", _BY_METRICS_LONG.values(), ids=_BY_METRICS_LONG.keys())
def test_block_intervals_are_wider_where_each_block_is_copies_of_one_cpg(table_of):
    """80 CpGs of two samples, each copied 50 times inside its own 1-kb block: the table's AUROC and
    MSE intervals, resampled as blocks, are several times wider than resampled as CpGs."""
    preds = pd.concat(
        [copies_in_blocks(_cohort(model, {"s1": 0.2, "s2": 0.2}, n=80), 50) for model in ("new", "held")],
        ignore_index=True,
    )
    cpgs, blocks = (table_of(preds, block_bp) for block_bp in (0, 1000))
    for metric in ("auroc", "mse"):
        np.testing.assert_array_equal(cpgs[metric], blocks[metric])
        cpg_width, block_width = (t[f"{metric}_ci_high"] - t[f"{metric}_ci_low"] for t in (cpgs, blocks))
        assert (block_width > 3 * cpg_width).all(), metric


def _depth_tables(tmp_path, preds: pd.DataFrame, depth: np.ndarray) -> list:
    """Canonical CpG tables (methylation/<sample>/cpgs/chr1.parquet) giving each row of ``preds`` ``depth``."""
    paths = []
    for sample, rows in preds.assign(n_total=depth).groupby("sample"):
        path = tmp_path / "methylation" / sample / "cpgs" / "chr1.parquet"
        path.parent.mkdir(parents=True)
        rows[["chrom", "pos", "n_total"]].assign(n_meth=0.0, level=0.0).to_parquet(path)
        paths.append(path)
    return paths


def test_depth_bands_have_fixed_edges():
    assert band_labels() == ["1-4", "5-9", "10-19", "20-49", ">= 50"]
    assert depth_bands(np.array([1, 4, 5, 9, 10, 49, 50, 400, 0])).tolist() == [0, 0, 1, 1, 2, 3, 4, 4, -1]


def test_each_depth_band_scores_only_its_cpgs(tmp_path):
    n = 800
    preds = predictions("m", observed_levels(n))
    rng = np.random.default_rng(3)
    depth = rng.choice([3, 12, 80], size=n)
    noise = np.where(depth == 3, 0.4, 0.05)  # shallow CpGs predicted badly
    preds["level_pred"] = preds["prob_pred"] = np.clip(
        preds["level_true"] + rng.normal(0, 1, n) * noise, 0, 1
    )
    joined = with_depth(preds, read_depths(_depth_tables(tmp_path, preds, depth)))
    assert joined["n_total"].tolist() == depth.tolist()  # row order kept, each CpG its own sample's depth
    table = stratified_table(joined, depth_strata(joined["n_total"].to_numpy()), n_boot=20).set_index(
        "stratum"
    )
    assert table.index.tolist() == ["1-4", "10-19", ">= 50"]  # empty bands left out
    deep = preds[depth >= 50]
    assert table.loc[">= 50", "n"] == len(deep)
    assert table.loc[">= 50", "auroc"] == pytest.approx(roc_auc_score(deep["label_true"], deep["prob_pred"]))
    assert table.loc["1-4", "mse"] > table.loc["10-19", "mse"]


def test_a_cpg_in_no_table_is_named(tmp_path):
    preds = predictions("m", observed_levels(40))
    depths = read_depths(_depth_tables(tmp_path, preds.iloc[:-1], np.full(39, 7)))
    with pytest.raises(InputError, match=r"1 predicted CpGs .* first m s1 chr1:390"):
        with_depth(preds, depths)


def test_the_two_panels_titles_do_not_overlap_with_two_strata():
    """A cohort of two tissues: each panel is narrow, and one-line titles ran into each other."""
    from epibench.evaluate.strata import STRATUM_COLUMNS, strata_figure

    rows = [
        {
            **dict.fromkeys(STRATUM_COLUMNS, 0.5),
            "model": model,
            "covariate": "tissue",
            "stratum": stratum,
            "samples": f"{stratum}_1",
            "n": 100,
        }
        for model in ("cnn", "hybrid", "logreg_gc_cpg", "gbm_histone")
        for stratum in ("liver", "muscle")
    ]
    fig = strata_figure(pd.DataFrame(rows, columns=list(STRATUM_COLUMNS)))
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    left, right = (ax.title.get_window_extent(renderer) for ax in fig.axes[:2])
    assert left.x1 < right.x0, "the AUROC title ends before the MSE title starts"
