"""Sample covariates: encoding (epibench.data.covariates) and constant channels in the dataset."""

from __future__ import annotations

import numpy as np
import pytest

from epibench.data.covariates import encode_covariates
from epibench.data.dataset import ShardDataset
from epibench.errors import InputError
from conftest import rebuild_first_shard


def test_numeric_and_categorical_columns_and_unknown_cells():
    spec = {
        "condition": {"value": "tumour", "levels": ["normal", "tumour", "normal"]},
        "purity": {"value": "0.6", "levels": ["0.6", "1", "0.85"]},
        "batch": {"value": "", "levels": ["b2", "b1"]},
    }
    assert encode_covariates(spec) == {
        "condition=normal": 0.0,
        "condition=tumour": 1.0,
        "purity": 0.6,
        "batch=b1": None,
        "batch=b2": None,
    }
    mixed = {"stage": {"value": "II", "levels": ["1", "II"]}}  # one non-number: categorical
    assert encode_covariates(mixed) == {"stage=1": 0.0, "stage=II": 1.0}
    with pytest.raises(InputError, match="not among the cohort"):
        encode_covariates({"condition": {"value": "tumor", "levels": ["normal", "tumour"]}})


def test_covariates_follow_the_marks_as_constant_channels(tiny_cohort, tiny_shards, tmp_path):
    out = tmp_path / "shard"
    covariates = {"condition=tumour": 1.0, "purity": None}
    rebuild_first_shard(tiny_cohort, tiny_shards, out, covariates=covariates)
    plain = ShardDataset([tiny_shards[0]], "train")
    data = ShardDataset([out], "train")
    assert data.marks == [*plain.marks, "condition=tumour", "purity"] and data.mark_channels.channels == plain.marks
    batch, reference = data.__getitems__(list(range(16))), plain.__getitems__(list(range(16)))
    marks = len(plain.marks)
    np.testing.assert_array_equal(batch["hist"][:, :marks].numpy(), reference["hist"].numpy())
    assert (batch["hist"][:, marks] == 1.0).all() and batch["hist_mask"][:, marks].all()
    assert not batch["hist_mask"][:, marks + 1].any(), "an unknown covariate is missing, not 0"
    with pytest.raises(InputError, match="covariate channels"):
        ShardDataset([tiny_shards[0], out], "train")
