"""Evaluation tables: scopes, the per-sample correlation axis, bootstrap intervals,
the comparison table and TSV output."""

import gzip
import math

import numpy as np
import pandas as pd

from epibench.io.atomic import write_tsv
import pytest
from scipy import stats
from sklearn import metrics as skm

from epibench.errors import InputError
from epibench.evaluate import bootstrap, tables
from epibench.codes import REGION_CLASSES
from prediction_tables import observed_levels, predictions


def make_preds(
    n_per_sample: int = 300,
    samples=("s1", "s2", "s3"),
    models=("cnn", "hybrid"),
    seed: int = 0,
    noise: float = 0.15,
) -> pd.DataFrame:
    """A predictions table: the same CpGs per sample for every model, noisy predictions."""
    rng = np.random.default_rng(seed)
    frames = []
    for sample in samples:
        level = rng.integers(0, 21, n_per_sample) / 20.0
        base = pd.DataFrame(
            {
                "sample": sample,
                "chrom": rng.choice(["chr2", "chr10"], n_per_sample),
                "pos": np.arange(n_per_sample, dtype=np.int64) * 10,
                "region": rng.choice(REGION_CLASSES, n_per_sample),
                "level_true": level,
                "label_true": (level >= 0.5).astype(np.int64),
            }
        )
        for model in models:
            pred = np.clip(level + rng.normal(0, noise, n_per_sample), 0, 1)
            frames.append(base.assign(model=model, level_pred=pred, prob_pred=pred.round(2)))
    return pd.concat(frames, ignore_index=True)[list(tables.PREDICTION_COLUMNS)]


def value(long: pd.DataFrame, model: str, scope: str, scope_value: str, metric: str) -> pd.Series:
    row = long[
        (long["model"] == model)
        & (long["scope"] == scope)
        & (long["scope_value"] == scope_value)
        & (long["metric"] == metric)
    ]
    assert len(row) == 1, (model, scope, scope_value, metric)
    return row.iloc[0]


@pytest.fixture(scope="module")
def preds():
    return make_preds()


@pytest.fixture(scope="module")
def long(preds):
    return tables.metrics_long(preds, n_boot=50, seed=0)


def test_long_table_shape(preds, long):
    assert list(long.columns) == list(tables.LONG_COLUMNS)
    for model in ("cnn", "hybrid"):
        sub = long[long["model"] == model]
        scopes = {
            ("overall", "all"),
            *(("region", r) for r in preds["region"].unique()),
            *(("sample", s) for s in preds["sample"].unique()),
            *(("chrom", c) for c in preds["chrom"].unique()),
        }
        assert set(zip(sub["scope"], sub["scope_value"])) == scopes
        assert len(sub) == len(scopes) * len(tables.METRICS)
    assert value(long, "cnn", "overall", "all", "n")["value"] == (preds["model"] == "cnn").sum()


@pytest.mark.parametrize("scope, column", [("region", "region"), ("sample", "sample"), ("chrom", "chrom")])
def test_pooled_metrics_match_sklearn_on_the_scope_rows(preds, long, scope, column):
    cnn = preds[preds["model"] == "cnn"]
    for scope_value, rows in cnn.groupby(column):
        got = lambda metric: value(long, "cnn", scope, scope_value, metric)["value"]  # noqa: E731
        assert got("n") == len(rows)
        assert got("mse") == pytest.approx(skm.mean_squared_error(rows["level_true"], rows["level_pred"]))
        assert got("auroc") == pytest.approx(skm.roc_auc_score(rows["label_true"], rows["prob_pred"]))
        assert got("auprc") == pytest.approx(
            skm.average_precision_score(rows["label_true"], rows["prob_pred"])
        )
        called = (rows["prob_pred"] >= 0.5).astype(int)
        assert got("f1") == pytest.approx(skm.f1_score(rows["label_true"], called))


def test_overall_pooled_metrics_use_every_row_of_the_model(preds, long):
    hybrid = preds[preds["model"] == "hybrid"]
    got = value(long, "hybrid", "overall", "all", "auroc")["value"]
    assert got == pytest.approx(skm.roc_auc_score(hybrid["label_true"], hybrid["prob_pred"]))


def test_the_overall_scope_alone_is_the_whole_tables_overall_rows(preds, long):
    """What a table of overall rows (strata, leave-one-sample-out, learning curve) computes alone:
    the same values and intervals, no other scope."""
    overall = tables.metrics_long(preds, n_boot=50, seed=0, scopes=("overall",))
    assert set(overall["scope"]) == {"overall"}
    pd.testing.assert_frame_equal(overall, long[long["scope"] == "overall"].reset_index(drop=True))


def test_threshold_changes_calls(preds):
    low = tables.metrics_long(preds, threshold=0.2, n_boot=0)
    high = tables.metrics_long(preds, threshold=0.5, n_boot=0)
    cnn = preds[preds["model"] == "cnn"]
    expected = skm.accuracy_score(cnn["label_true"], cnn["prob_pred"] >= 0.2)
    assert value(low, "cnn", "overall", "all", "accuracy")["value"] == pytest.approx(expected)
    assert (
        value(low, "cnn", "overall", "all", "accuracy")["value"]
        != value(high, "cnn", "overall", "all", "accuracy")["value"]
    )


# --- correlation axis: within each sample across CpGs, then the mean over samples -----------


def within_sample_mean(frame: pd.DataFrame, fn) -> float:
    return float(np.mean([fn(g["level_true"], g["level_pred"])[0] for _, g in frame.groupby("sample")]))


def test_sample_specific_offset_keeps_within_sample_correlation_perfect():
    """Perfect within each sample up to a sample-specific affine offset: Pearson and
    Spearman are 1 per sample, while a pooled computation over all rows is far from 1."""
    rng = np.random.default_rng(1)
    frames = []
    for sample, (scale, offset) in {"a": (0.5, 0.0), "b": (0.3, 0.6), "c": (0.8, 0.15)}.items():
        level = rng.random(200)
        frames.append(
            pd.DataFrame(
                {
                    "model": "m",
                    "sample": sample,
                    "chrom": "chr1",
                    "pos": np.arange(200, dtype=np.int64),
                    "region": "promoter",
                    "level_true": level,
                    "label_true": (level >= 0.5).astype(int),
                    "level_pred": scale * level + offset,
                    "prob_pred": level,
                }
            )
        )
    preds = pd.concat(frames, ignore_index=True)
    long = tables.metrics_long(preds, n_boot=0)
    assert value(long, "m", "overall", "all", "pearson")["value"] == pytest.approx(1.0)
    assert value(long, "m", "overall", "all", "spearman")["value"] == pytest.approx(1.0)
    assert value(long, "m", "region", "promoter", "pearson")["value"] == pytest.approx(1.0)
    # The pooled (wrong) computation would not give 1: the test can tell the two apart.
    assert stats.pearsonr(preds["level_true"], preds["level_pred"])[0] < 0.9
    assert stats.spearmanr(preds["level_true"], preds["level_pred"])[0] < 0.9


def test_correlation_is_not_taken_cpg_wise_across_samples():
    """Predictions that rank CpGs right within each sample but invert the sample
    effect: within-sample correlation is high, CpG-wise correlation across samples is
    strongly negative. The table must report the former."""
    rng = np.random.default_rng(2)
    n_cpg, samples = 150, ["s1", "s2", "s3", "s4", "s5"]
    cpg_mean = rng.uniform(0.2, 0.8, n_cpg)
    sample_shift = np.linspace(-0.15, 0.15, len(samples))
    frames = []
    for shift, sample in zip(sample_shift, samples):
        level_true = np.clip(cpg_mean + shift + rng.normal(0, 0.03, n_cpg), 0, 1)
        level_pred = np.clip(cpg_mean - shift, 0, 1)
        frames.append(
            pd.DataFrame(
                {
                    "model": "m",
                    "sample": sample,
                    "chrom": "chr1",
                    "pos": np.arange(n_cpg, dtype=np.int64),
                    "region": "enhancer",
                    "level_true": level_true,
                    "label_true": (level_true >= 0.5).astype(int),
                    "level_pred": level_pred,
                    "prob_pred": level_pred,
                }
            )
        )
    preds = pd.concat(frames, ignore_index=True)
    long = tables.metrics_long(preds, n_boot=0)
    reported = value(long, "m", "overall", "all", "pearson")["value"]
    reported_spearman = value(long, "m", "overall", "all", "spearman")["value"]
    assert reported == pytest.approx(within_sample_mean(preds, stats.pearsonr), abs=1e-12)
    assert reported_spearman == pytest.approx(within_sample_mean(preds, stats.spearmanr), abs=1e-12)
    wrong_axis = np.mean(
        [stats.pearsonr(g["level_true"], g["level_pred"])[0] for _, g in preds.groupby("pos")]
    )
    assert reported > 0.9
    assert wrong_axis < -0.5
    for sample, rows in preds.groupby("sample"):
        per_sample = value(long, "m", "sample", sample, "pearson")["value"]
        assert per_sample == pytest.approx(stats.pearsonr(rows["level_true"], rows["level_pred"])[0])


# --- undefined metrics -------------------------------------------------------------------


def test_undefined_metrics_are_nan_in_the_table():
    preds = make_preds(n_per_sample=200, samples=("s1", "s2"), models=("m",), seed=3)
    # Promoter CpGs all methylated: AUROC/AUPRC undefined there.
    promoter = preds["region"] == "promoter"
    preds.loc[promoter, "level_true"] = 0.9
    preds.loc[promoter, "label_true"] = 1
    # Sample s2 predicts a constant level: its Pearson is undefined.
    preds.loc[preds["sample"] == "s2", "level_pred"] = 0.4
    # One CpG on its own chromosome: n < 2.
    preds.loc[0, "chrom"] = "chrX"
    long = tables.metrics_long(preds, n_boot=20)
    for metric in ("auroc", "auprc"):
        row = value(long, "m", "region", "promoter", metric)
        assert math.isnan(row["value"]) and math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert math.isnan(value(long, "m", "sample", "s2", "pearson")["value"])
    assert math.isnan(value(long, "m", "chrom", "chrX", "pearson")["value"])
    # The overall mean over samples skips the undefined sample instead of turning nan.
    s1 = preds[preds["sample"] == "s1"]
    assert value(long, "m", "overall", "all", "pearson")["value"] == pytest.approx(
        stats.pearsonr(s1["level_true"], s1["level_pred"])[0]
    )
    assert not math.isnan(value(long, "m", "region", "promoter", "mse")["value"])


# --- bootstrap ---------------------------------------------------------------------------


def test_ci_contains_point_estimate(long):
    scored = long[~long["metric"].isin(tables.COUNT_METRICS)]
    assert scored["value"].notna().all()
    assert (scored["ci_low"] <= scored["value"]).all()
    assert (scored["value"] <= scored["ci_high"]).all()
    assert (scored["ci_low"] < scored["ci_high"]).all()
    assert long.loc[long["metric"].isin(tables.COUNT_METRICS), ["ci_low", "ci_high"]].isna().all().all()


def test_counts_give_each_scopes_rows_and_methylated_rows(preds, long):
    """n and n_methylated of every scope, counted here from the predictions table itself."""
    for model, frame in preds.groupby("model"):
        for scope, column in (("sample", "sample"), ("region", "region"), ("chrom", "chrom")):
            for scope_value, rows in frame.groupby(column):
                assert value(long, model, scope, str(scope_value), "n")["value"] == len(rows)
                assert (
                    value(long, model, scope, str(scope_value), "n_methylated")["value"]
                    == (rows["label_true"] == 1).sum()
                )


def test_ci_narrows_with_more_data():
    small = tables.metrics_long(make_preds(n_per_sample=60, models=("m",), seed=5), n_boot=100)
    large = tables.metrics_long(make_preds(n_per_sample=1500, models=("m",), seed=5), n_boot=100)
    for metric in ("mse", "pearson", "spearman", "auroc", "accuracy"):
        width = [value(t, "m", "overall", "all", metric) for t in (small, large)]
        small_width, large_width = (w["ci_high"] - w["ci_low"] for w in width)
        # 25x the CpGs: about 5x narrower (sqrt(25)); require at least 2x.
        assert large_width < small_width / 2, metric


def test_ci_is_seeded_and_independent_of_other_models(preds):
    cnn_only = preds[preds["model"] == "cnn"]
    a = tables.metrics_long(cnn_only, n_boot=30, seed=7)
    b = tables.metrics_long(preds, n_boot=30, seed=7)
    c = tables.metrics_long(cnn_only, n_boot=30, seed=8)
    pd.testing.assert_frame_equal(a, b[b["model"] == "cnn"].reset_index(drop=True))
    assert not np.allclose(a["ci_low"].dropna(), c["ci_low"].dropna())


def test_n_boot_zero_skips_intervals(preds):
    long = tables.metrics_long(preds, n_boot=0)
    assert long[["ci_low", "ci_high"]].isna().all().all()
    assert long["value"].notna().all()


def test_bootstrap_ci_of_a_mean_matches_the_normal_approximation():
    rng = np.random.default_rng(11)
    x = rng.normal(2.0, 1.0, 4000)
    low, high = bootstrap.bootstrap_ci(
        lambda idx: np.array([x[idx].mean()]),
        np.zeros(x.size, dtype=np.int64),
        np.random.default_rng(0),
        n_boot=400,
    )
    half_width = 1.96 * x.std() / math.sqrt(x.size)
    assert (high[0] - low[0]) / 2 == pytest.approx(half_width, rel=0.2)
    assert low[0] < x.mean() < high[0]


def test_resample_stays_within_strata_and_keeps_their_sizes():
    strata = np.array([2, 0, 0, 1, 2, 2, 0, 1, 2, 2])
    for seed in range(20):
        idx = bootstrap.resample_indices(strata, np.random.default_rng(seed))
        assert idx.size == strata.size
        assert np.all(np.diff(idx) >= 0)
        np.testing.assert_array_equal(np.bincount(strata[idx]), np.bincount(strata))


def test_bootstrap_ci_nan_where_never_defined():
    low, high = bootstrap.bootstrap_ci(
        lambda idx: np.array([np.nan, float(idx.size)]),
        np.zeros(5, dtype=np.int64),
        np.random.default_rng(0),
        n_boot=10,
    )
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] == high[1] == 5.0


# --- comparison table --------------------------------------------------------------------


def test_comparison_table(long):
    table = tables.comparison_table(
        long,
        original="cnn",
        new="hybrid",
        extra={"epoch time (min)": (45.0, 28.0), "throughput (CpG/s)": (100.0, 150.0, "higher")},
    )
    assert list(table.columns) == list(tables.COMPARISON_COLUMNS)
    assert list(table["metric"]) == [*tables.SCORED_METRICS, "epoch time (min)", "throughput (CpG/s)"]
    row = table.set_index("metric")
    for metric in ("mse", "auroc"):
        orig = value(long, "cnn", "overall", "all", metric)["value"]
        new = value(long, "hybrid", "overall", "all", metric)["value"]
        assert row.loc[metric, "original"] == orig and row.loc[metric, "new"] == new
    mse_orig, mse_new = row.loc["mse", ["original", "new"]]
    assert row.loc["mse", "improvement"] == pytest.approx((mse_orig - mse_new) / mse_orig)
    assert row.loc["mse", "better"] == "lower"
    au_orig, au_new = row.loc["auroc", ["original", "new"]]
    assert row.loc["auroc", "improvement"] == pytest.approx((au_new - au_orig) / au_orig)
    assert row.loc["auroc", "better"] == "higher"
    # The seed's figures: 45 -> 28 min per epoch is a 37.8 % improvement.
    assert row.loc["epoch time (min)", "improvement"] == pytest.approx(17 / 45)
    assert row.loc["throughput (CpG/s)", "improvement"] == pytest.approx(0.5)


def test_comparison_table_rejects_unknown_model_and_bad_extra(long):
    with pytest.raises(ValueError, match="transformer"):
        tables.comparison_table(long, original="cnn", new="transformer")
    with pytest.raises(ValueError, match="extra"):
        tables.comparison_table(long, extra={"x": (1.0, 2.0, "sideways")})


# --- input checks and output -------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p.drop(columns="prob_pred"), "prob_pred"),
        (lambda p: p.assign(level_pred=p["level_pred"].where(p.index != 4)), "row 5"),
        (lambda p: p.assign(level_true=p["level_true"] * 100), "outside"),
        (lambda p: p.assign(label_true=p["label_true"] * 2), "not 0 or 1"),
        (lambda p: p.assign(region=p["region"].replace("enhancer", "exon")), "region"),
    ],
)
def test_bad_predictions_raise_input_error(preds, edit, message):
    with pytest.raises(InputError, match=message):
        tables.metrics_long(edit(preds.copy()), n_boot=0)


@pytest.mark.parametrize("name", ["metrics.tsv", "metrics.tsv.gz"])
def test_write_tsv_round_trips(tmp_path, long, name):
    path = tmp_path / "out" / name
    write_tsv(long, path)
    back = pd.read_csv(path, sep="\t")
    pd.testing.assert_frame_equal(back, long, check_dtype=False)
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary left behind
    if name.endswith(".gz"):
        with gzip.open(path, "rt") as handle:
            assert handle.readline().rstrip("\n").split("\t") == list(tables.LONG_COLUMNS)


def test_a_block_resample_draws_whole_blocks_as_many_as_there_are():
    rng = np.random.default_rng(3)
    blocks = np.repeat(np.arange(40), rng.integers(1, 9, 40))  # 40 blocks of 1-8 rows
    for _ in range(20):
        idx = bootstrap.resample_blocks(blocks, rng)
        assert np.all(np.diff(idx) >= 0)
        copies = np.bincount(idx, minlength=blocks.size)  # how often each row was drawn
        per_block = pd.Series(copies).groupby(blocks)
        assert (per_block.nunique() == 1).all(), "every row of a block drawn as often as the block"
        assert per_block.first().sum() == 40, "as many block draws as blocks"


def test_block_intervals_are_wider_where_errors_are_shared_within_blocks():
    """Errors shared by the CpGs of a 1-kb block (a region the model misjudges): per-CpG resampling
    takes them as independent and gives too narrow an interval; blocks give a wider one. The point
    values do not change."""
    rng = np.random.default_rng(9)
    n = 4000  # 100 CpGs per 1-kb block (prediction_tables: 10 bp apart), 40 blocks
    level = observed_levels(n)
    pred = np.clip(level + rng.normal(0, 0.2, n // 100).repeat(100) + rng.normal(0, 0.02, n), 0, 1)
    preds = predictions("m", pred)
    cpgs = tables.metrics_long(preds, n_boot=200, seed=1, scopes=("overall",))
    blocks = tables.metrics_long(preds, n_boot=200, seed=1, scopes=("overall",), block_bp=1000)
    pd.testing.assert_series_equal(cpgs["value"], blocks["value"])
    for metric in ("mse", "auroc"):
        width = [value(t, "m", "overall", "all", metric) for t in (cpgs, blocks)]
        cpg_width, block_width = (w["ci_high"] - w["ci_low"] for w in width)
        assert block_width > 2 * cpg_width, metric
    # fewer blocks than bootstrap.MIN_BLOCKS: no interval (one block would give a zero-width one)
    few = tables.metrics_long(preds, n_boot=20, seed=1, scopes=("overall",), block_bp=n * 10 // 5)
    scored = few[~few["metric"].isin(tables.COUNT_METRICS)]
    assert scored[["ci_low", "ci_high"]].isna().all().all() and scored["value"].notna().all()


def test_block_codes_name_each_chromosome_block_once_and_none_without_blocks():
    """Rows of one (chrom, pos // block_bp), of any sample, share a code; distinct pairs, the same
    block number on two chromosomes included, get distinct codes, 0..B-1 with none unused."""
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame(
        {
            "chrom": rng.choice(["chr1", "chr2", "chrX"], n),
            "pos": rng.integers(0, 50_000, n),
            "sample": rng.choice(["s1", "s2"], n),
        }
    )
    codes = tables.block_codes(frame, 1000)
    assert codes.dtype == np.int64 and codes.shape == (n,)
    pairs = pd.Series(list(zip(frame["chrom"], frame["pos"] // 1000)))
    assert (pd.Series(codes).groupby(pairs).nunique() == 1).all(), "one code per (chrom, block)"
    assert (pairs.groupby(codes).nunique() == 1).all(), "one (chrom, block) per code"
    assert np.array_equal(np.unique(codes), np.arange(pairs.nunique()))
    assert tables.block_codes(frame, 0) is None
    with pytest.raises(ValueError, match="block_bp must be >= 0"):
        tables.block_codes(frame, -1)
