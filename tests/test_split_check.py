"""A cohort whose calls miss every held-out part of the split plan stops before training, saying
where its calls lie and what to set (epibench.data.split_check)."""

from __future__ import annotations

import json
import re

import pytest

from epibench.data.split_check import require_every_split
from epibench.errors import InputError


def _chr1_only(tiny_shards):
    """The tiny cohort's shards of chr1 alone: a targeted cohort, its calls all in training parts
    (the plan holds out chr2 for validation and chr3 for test)."""
    return [d for d in tiny_shards if d.name == "chr1"]


def test_calls_that_miss_the_held_out_parts_stop_with_where_they_lie(tiny_shards):
    shards = _chr1_only(tiny_shards)
    train = sum(json.loads((d / "manifest.json").read_text())["counts"]["train"] for d in shards)
    with pytest.raises(InputError) as caught:
        require_every_split(shards)
    message = str(caught.value)
    assert "for val and test" in message
    assert f"{train:,} train, 0 val, 0 test" in message
    low, high = (int(x.replace(",", "")) for x in re.search(r"chr1:([\d,]+)-([\d,]+)", message).groups())
    assert 1 <= low < high <= 40_000  # within the 40-kb chr1
    assert "split.block_bp: " in message and "split.val_chroms" in message


def test_a_cohort_with_every_split_passes(tiny_shards):
    require_every_split(tiny_shards)


def test_training_and_baselines_stop_before_fitting(tiny_shards, tmp_path):
    from epibench.evaluate.baselines import fit_baseline
    from epibench.train.from_shards import train_from_shards

    shards = _chr1_only(tiny_shards)
    with pytest.raises(InputError, match="holds out no CpG of the cohort"):
        train_from_shards(shards, {"arch": "cnn"}, {"epochs": 1}, tmp_path / "model")
    assert not (tmp_path / "model").exists()
    with pytest.raises(InputError, match="holds out no CpG of the cohort"):
        fit_baseline("logreg_gc_cpg", shards)


def test_the_suggested_block_holds_out_enough_blocks_for_an_interval(tiny_shards):
    """The block suggested is about 1/100 of the calls' span: 10 % held out for test is then about 10
    blocks among the calls, the fewest with a 95 % interval (1/20 left 2: every interval empty)."""
    from epibench.evaluate.bootstrap import MIN_BLOCKS
    from epibench.data import split_check

    assert split_check.MIN_HELD_OUT_BLOCKS == MIN_BLOCKS
    with pytest.raises(InputError) as caught:
        require_every_split(_chr1_only(tiny_shards))
    message = str(caught.value)
    low, high = (int(x.replace(",", "")) for x in re.search(r"chr1:([\d,]+)-([\d,]+)", message).groups())
    suggested = int(re.search(r"split.block_bp: (\d+)", message).group(1))
    assert suggested == max(1_000, int(round((high - low + 1) / 100, -3)))
    assert "about 1/100 of the widest span" in message and "95 % interval" in message
