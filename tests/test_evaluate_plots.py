"""Evaluation figures: non-empty PNG and PDF files, titles and labelled axes."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from epibench.evaluate import plots, tables
from epibench.codes import REGION_CLASSES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def preds():
    rng = np.random.default_rng(0)
    frames = []
    for model, noise in (("cnn", 0.25), ("hybrid", 0.15)):
        for sample in ("s1", "s2"):
            level = rng.random(400)
            pred = np.clip(level + rng.normal(0, noise, level.size), 0, 1)
            frames.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "sample": sample,
                        "chrom": rng.choice(["chr8", "chr9"], level.size),
                        "pos": np.arange(level.size, dtype=np.int64),
                        "region": rng.choice(REGION_CLASSES, level.size),
                        "level_true": level,
                        "label_true": (level >= 0.5).astype(int),
                        "level_pred": pred,
                        "prob_pred": pred,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def long(preds):
    return tables.metrics_long(preds, n_boot=20)


@pytest.fixture
def saved_figures(monkeypatch):
    """Record every figure handed to plots.save_figure (it still writes the files)."""
    figures = []
    original = plots.save_figure

    def recording(fig, stem):
        figures.append(fig)
        return original(fig, stem)

    monkeypatch.setattr(plots, "save_figure", recording)
    return figures


def check_outputs(paths, stem):
    assert [p.name for p in paths] == [f"{stem.name}.png", f"{stem.name}.pdf"]
    png, pdf = (p.read_bytes() for p in paths)
    assert png.startswith(PNG_MAGIC) and len(png) > 5000
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert sorted(p.name for p in stem.parent.iterdir()) == sorted(p.name for p in paths)


def check_labelled(fig: Figure):
    """Every data panel has a title and both axis labels; colour bars a label."""
    panels = [ax for ax in fig.axes if ax.axison]
    assert panels
    for ax in panels:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel() or ax.get_xlabel()
            continue
        assert ax.get_title(), ax
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()


@pytest.mark.parametrize(
    "plot, table",
    [
        (plots.plot_roc, "preds"),
        (plots.plot_pr, "preds"),
        (plots.plot_pred_vs_obs, "preds"),
        (plots.plot_region_bars, "long"),
        (plots.plot_comparison, "comparison"),
    ],
)
def test_plot_writes_labelled_png_and_pdf(tmp_path, preds, long, saved_figures, plot, table):
    data = {
        "preds": preds,
        "long": long,
        "comparison": tables.comparison_table(long, extra={"epoch time (min)": (45.0, 28.0)}),
    }[table]
    stem = tmp_path / "figs" / plot.__name__
    check_outputs(plot(data, stem), stem)
    assert len(saved_figures) == 1
    check_labelled(saved_figures[0])


def test_curves_draw_one_line_per_model(tmp_path, preds, saved_figures):
    plots.plot_roc(preds, tmp_path / "roc")
    plots.plot_pr(preds, tmp_path / "pr")
    for fig in saved_figures:
        labels = [line.get_label() for line in fig.axes[0].get_lines()]
        assert [label.split(" ")[0] for label in labels[:2]] == ["cnn", "hybrid"]
        assert labels[2].startswith("chance")


def test_region_bars_have_one_bar_per_model_and_region(tmp_path, long, saved_figures):
    plots.plot_region_bars(long, tmp_path / "regions")
    fig = saved_figures[0]
    n_regions = long.loc[long["scope"] == "region", "scope_value"].nunique()
    for ax in fig.axes:
        assert len(ax.patches) == 2 * n_regions


def test_region_bars_count_each_class_and_hatch_rankings_of_a_handful(tmp_path, preds, saved_figures):
    """A class with 3 methylated CpGs: its label says so, its AUROC bars (not its MSE bars) are
    hatched, the legend says why; the other classes' bars are not."""
    few = preds[preds["region"] == "intergenic"]
    keep = few.index[few["label_true"] == 0].union(few.index[few["label_true"] == 1][:3])
    frame = pd.concat([preds[preds["region"] != "intergenic"], preds.loc[keep]])
    long = tables.metrics_long(frame, n_boot=5)
    plots.plot_region_bars(long, tmp_path / "regions")
    auroc, mse = saved_figures[0].axes
    intergenic = REGION_CLASSES.index("intergenic")
    labels = [t.get_text() for t in auroc.get_xticklabels()]
    n_cnn = (frame["model"] == "cnn") & (frame["region"] == "intergenic")
    methylated = int(frame.loc[n_cnn, "label_true"].sum())
    assert labels[intergenic] == f"intergenic\n{methylated:,} of {n_cnn.sum():,}\nmethylated"
    hatched = [bool(bar.get_hatch()) for bar in auroc.patches[: len(REGION_CLASSES)]]
    assert hatched == [i == intergenic for i in range(len(REGION_CLASSES))]
    assert not any(bar.get_hatch() for bar in mse.patches)
    assert any("fewer than 10 methylated" in text.get_text() for text in mse.get_legend().get_texts())
    # without intervals (none drawn: n_boot 0 here, too few genomic blocks in a cohort) the label says so
    plots.plot_region_bars(tables.metrics_long(frame, n_boot=0), tmp_path / "bare")
    bare = [t.get_text() for t in saved_figures[1].axes[0].get_xticklabels()]
    assert all(label.endswith("(no interval:\nfew blocks)") for label in bare)
    assert not any("no interval" in label for label in labels)


def test_roc_tolerates_a_model_with_one_class(tmp_path, preds, saved_figures):
    """A model scored on methylated CpGs only has no ROC curve: it is left out of the figure, whose
    other lines stay."""
    one_class = preds[preds["model"] == "cnn"].assign(model="flat", label_true=1)
    stem = tmp_path / "roc"
    check_outputs(plots.plot_roc(pd.concat([preds, one_class]), stem), stem)
    labels = [line.get_label() for line in saved_figures[0].axes[0].get_lines()]
    assert [label.split(" ")[0] for label in labels] == ["cnn", "hybrid", "chance"]


def test_pred_vs_obs_rejects_empty_table(tmp_path, preds):
    with pytest.raises(ValueError):
        plots.plot_pred_vs_obs(preds.iloc[:0], tmp_path / "empty")


def test_a_figure_saved_twice_is_byte_identical(tmp_path):
    """No creation date in the PDF: a rerun's figures compare equal to the first run's."""
    import time

    from epibench.io.figures import save_figure

    saved = []
    for attempt in range(2):
        fig = Figure()
        fig.add_subplot().plot([0, 1, 3])
        saved.append([path.read_bytes() for path in save_figure(fig, tmp_path / f"run{attempt}")])
        time.sleep(1.1)  # PDF dates have one-second resolution
    assert saved[0] == saved[1]


def test_comparison_bars_point_right_where_the_new_model_is_better(tmp_path, saved_figures):
    """MSE falling and AUROC rising are both better (right, green); memory rising is worse (left,
    red); each row's label gives the value's own signed change, so a fall reads as a fall."""
    comparison = pd.DataFrame(
        {
            "metric": ["mse", "auroc", "peak memory (MB)"],
            "original": [0.04, 0.80, 500.0],
            "new": [0.03, 0.88, 600.0],
            "better": ["lower", "higher", "lower"],
        }
    )
    sign = np.where(comparison["better"] == "lower", -1.0, 1.0)
    comparison["improvement"] = sign * (comparison["new"] - comparison["original"]) / comparison["original"]
    plots.plot_comparison(comparison, tmp_path / "comparison", ("cnn", "hybrid"))
    ax = saved_figures[0].axes[0]
    by_row = sorted(ax.patches, key=lambda bar: -bar.get_y())  # top row first
    widths = [bar.get_width() for bar in by_row]
    assert widths == pytest.approx([25.0, 10.0, -20.0])
    assert [bar.get_facecolor() for bar in by_row][0] != by_row[2].get_facecolor()
    labels = [text.get_text() for text in ax.texts]
    # the values and the change alone: "worse" beside a difference the paired interval holds 0 in misled
    assert labels[0] == "0.04 \u2192 0.03 (-25.0 %)"
    assert labels[2] == "500 \u2192 600 (+20.0 %)"
    assert "paired verdict" in ax.get_xlabel()
    assert "hybrid (new) against cnn (original)" in ax.get_title()


def test_whiskers_span_the_interval_even_where_it_misses_its_point():
    from matplotlib.container import ErrorbarContainer

    from epibench.evaluate.bars import grouped_bars

    ax = Figure().subplots()
    value, low, high = np.array([0.5, 0.9]), np.array([0.55, 0.7]), np.array([0.8, np.nan])
    grouped_bars(ax, ["a", "b"], {"model": (value, low, high)})
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = [s for s in container.lines[2][0].get_segments() if s.size and np.isfinite(s).all()]
    assert len(segments) == 1  # none for the interval without a high end
    assert sorted(segments[0][:, 1]) == pytest.approx([0.55, 0.8])  # above the bar's 0.5, as computed


def test_the_learning_curve_is_ticked_at_the_shares_run_in_plain_percent(monkeypatch, tmp_path):
    """A trial read "3x10^1, 4x10^1, 6x10^1, 10^2" under a curve run at 25 and 100 %: the ticks are
    the shares run, written 1, 5, 25, 100."""
    from epibench.evaluate import learning_curve

    figures = []
    monkeypatch.setattr(learning_curve, "save_figure", lambda fig, stem: figures.append(fig) or [])
    rows = []
    for mode in ("scratch", "finetuned"):
        for fraction in (0.01, 0.05, 0.25, 1.0):
            rows.append({"mode": mode, "fraction": fraction, "steps": round(400 * fraction), "auroc": 0.8,
                         "auroc_ci_low": 0.7, "auroc_ci_high": 0.9, "mse": 0.1, "mse_ci_low": 0.05,
                         "mse_ci_high": 0.15})  # fmt: skip
    learning_curve.plot_curve(pd.DataFrame(rows), tmp_path / "curve")
    for ax in figures[0].axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "5", "25", "100"]
        assert not ax.get_xticklabels(minor=True)


@pytest.mark.parametrize(
    "steps, says",
    [([4, 20, 100, 400], "optimizer steps 4 to 400: a smaller share trained fewer steps"),
     ([396, 400, 399, 400], "every run 396-400 optimizer steps: the curve is data alone")],
)  # fmt: skip
def test_the_learning_curve_says_whether_its_runs_took_the_same_steps(steps, says):
    from epibench.evaluate.learning_curve import steps_note

    assert steps_note(pd.DataFrame({"steps": steps})).startswith(says)
