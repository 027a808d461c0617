"""Mark ablation (epibench.evaluate.ablation): hidden-mark predictions and the paired comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import mean_squared_error, roc_auc_score

from epibench.data.dataset import ShardDataset
from epibench.errors import InputError
from epibench.evaluate.ablation import ablation_table, hidden_mark_predictions
from epibench.evaluate.predict import predict
from prediction_tables import copies_in_blocks, observed_levels, predictions


def _predictions(rng: np.random.Generator, n: int, noise: float) -> pd.DataFrame:
    """Predictions of the observed level plus Gaussian noise of SD ``noise`` (clipped to 0-1)."""
    return predictions("m", np.clip(observed_levels(n) + rng.normal(0, noise, n), 0, 1))


def test_a_mark_the_model_needs_shows_a_drop_an_unused_one_none():
    rng = np.random.default_rng(1)
    full = _predictions(rng, 2000, noise=0.1)
    needed = _predictions(rng, 2000, noise=0.5)
    table = ablation_table(full, {"unused": full.copy(), "needed": needed}, n_boot=100).set_index("mark")
    assert table.index.tolist() == ["needed", "unused"]  # largest drop first
    assert table.loc["needed", "auroc_full"] == pytest.approx(
        roc_auc_score(full["label_true"], full["prob_pred"])
    )
    assert table.loc["needed", "auroc_drop"] == pytest.approx(
        roc_auc_score(full["label_true"], full["prob_pred"])
        - roc_auc_score(needed["label_true"], needed["prob_pred"])
    )
    assert table.loc["needed", "mse_increase"] == pytest.approx(
        mean_squared_error(needed["level_true"], needed["level_pred"])
        - mean_squared_error(full["level_true"], full["level_pred"])
    )
    assert table.loc["needed", "auroc_drop_ci_low"] > 0 and table.loc["needed", "mse_increase_ci_low"] > 0
    unused = table.loc["unused"]
    assert (
        unused["auroc_drop"] == 0 and unused["auroc_drop_ci_low"] == 0 and unused["auroc_drop_ci_high"] == 0
    )


def test_block_intervals_are_wider_where_each_block_is_copies_of_one_cpg():
    """80 CpGs, each copied 50 times inside its own 1-kb block (in the full and the hidden predictions
    alike): resampled as blocks, both intervals are several times wider than resampled as CpGs, around
    the same drop and increase."""
    rng = np.random.default_rng(1)
    full, hidden = (copies_in_blocks(_predictions(rng, 80, noise), 50) for noise in (0.1, 0.3))
    cpgs, blocks = (
        ablation_table(full, {"H3K27ac": hidden}, n_boot=200, block_bp=block_bp).iloc[0]
        for block_bp in (0, 1000)
    )
    for column in ("auroc_drop", "mse_increase"):
        assert cpgs[column] == blocks[column]
        cpg_width, block_width = (
            row[f"{column}_ci_high"] - row[f"{column}_ci_low"] for row in (cpgs, blocks)
        )
        assert block_width > 3 * cpg_width, column


def test_hidden_predictions_must_cover_the_same_cpgs():
    rng = np.random.default_rng(2)
    full = _predictions(rng, 100, 0.1)
    with pytest.raises(InputError, match="without H3K4me3 do not cover"):
        ablation_table(full, {"H3K4me3": full.iloc[::-1].reset_index(drop=True)}, n_boot=10)


class MarkPresence(torch.nn.Module):
    """Predicts, per row, the share of observed bins of mark ``k``: it sees exactly what is hidden."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, seq, hist, hist_mask, region, nbr=None, nbr_mask=None):
        level = hist_mask[:, self.k].float().mean(-1)
        return {"level": level, "logit": torch.logit(level.clamp(1e-4, 1 - 1e-4))}


def test_each_pass_hides_exactly_one_mark(tiny_shards):
    dataset = ShardDataset(tiny_shards, "test")
    model = MarkPresence(k=1)
    full = predict(model, dataset, "presence")
    assert full["level_pred"].mean() > 0.5
    hidden = hidden_mark_predictions(model, dataset, "presence")
    assert list(hidden) == dataset.marks
    assert (hidden[dataset.marks[1]]["level_pred"] == 0).all()
    for mark in (dataset.marks[0], dataset.marks[2]):
        pd.testing.assert_frame_equal(hidden[mark], full)
    assert dataset.hidden_marks == ()  # shown again afterwards


def test_a_covariates_level_channels_are_hidden_together(monkeypatch):
    """condition=normal hidden alone leaves the condition readable from condition=tumour (a trial's
    referee): a categorical covariate's channels are one row; a mark or a numeric covariate its own."""
    from epibench.evaluate import ablation

    class Channels:  # the dataset's side of the ablation: its channels, and which are hidden
        marks = ["H3K4me3", "condition=normal", "condition=tumour", "purity"]
        hidden: tuple = ()

        def hide_marks(self, names):
            self.hidden = tuple(names)

    dataset = Channels()
    monkeypatch.setattr(ablation, "predict", lambda model, data, name: data.hidden)
    assert ablation.hidden_mark_predictions(None, dataset, "m") == {
        "H3K4me3": ("H3K4me3",),
        "condition": ("condition=normal", "condition=tumour"),
        "purity": ("purity",),
    }
    assert dataset.hidden == ()
