"""Shards: built from real (generated) files, checked before use, read back by the Dataset."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from epibench.data.dataset import ShardDataset
from epibench.data.manifest import read_manifest
from epibench.data.shards import ShardSettings, build_shard
from epibench.errors import InputError
from epibench.vocab import SPLITS

SETTINGS = dict(window=200, bin_size=50, val_chroms=["chr2"], test_chroms=["chr3"])


@pytest.fixture(scope="module")
def shards(tiny_cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    dirs = []
    for sample, cpgs in tiny_cohort["cpgs"].items():
        build_shard(
            cpgs, tiny_cohort["regions"], tiny_cohort["fasta"], tiny_cohort["marks"][sample],
            out / sample, sample, ShardSettings(**SETTINGS),
        )
        dirs.append(out / sample)
    return dirs


def _fasta_sequences(path) -> dict[str, str]:
    records = path.read_text().split(">")[1:]
    return {r.split("\n", 1)[0]: r.split("\n", 1)[1].replace("\n", "") for r in records}


def test_windows_hold_the_reference_around_each_cpg(shards, tiny_cohort):
    genome = _fasta_sequences(tiny_cohort["fasta"])
    manifest = read_manifest(shards[0])
    seq = np.load(shards[0] / "seq.npy")
    pos = np.load(shards[0] / "pos.npy")
    chrom = np.load(shards[0] / "chrom.npy")
    for i in range(0, len(pos), 97):
        padded = "N" * 200 + genome[manifest["chroms"][chrom[i]]] + "N" * 200
        expected = padded[pos[i] - 99 + 200 : pos[i] + 101 + 200]
        assert "".join("ACGTN"[c] for c in seq[i]) == expected
        assert seq[i, 99] == 1 and seq[i, 100] == 2  # C, G at the centre


def test_splits_follow_held_out_chromosomes(shards):
    for shard in shards:
        manifest = read_manifest(shard)
        chrom = np.load(shard / "chrom.npy")
        split = np.load(shard / "split.npy")
        names = np.asarray(manifest["chroms"])[chrom]
        assert set(names[split == SPLITS.index("test")]) == {"chr3"}
        assert set(names[split == SPLITS.index("val")]) == {"chr2"}
        assert set(names[split == SPLITS.index("train")]) == {"chr1"}
        assert manifest["counts"]["total"] == len(split)


def test_targets_match_the_canonical_table(shards, tiny_cohort):
    sample = read_manifest(shards[0])["sample"]
    table = pd.read_parquet(tiny_cohort["cpgs"][sample])
    level = np.load(shards[0] / "level.npy")
    label = np.load(shards[0] / "label.npy")
    pos = np.load(shards[0] / "pos.npy")
    expected = table.set_index(["chrom", "pos"])["level"]
    chroms = np.asarray(read_manifest(shards[0])["chroms"])[np.load(shards[0] / "chrom.npy")]
    got = pd.Series(level, index=pd.MultiIndex.from_arrays([chroms, pos]))
    np.testing.assert_allclose(got.values, expected.loc[got.index].values)
    assert ((level >= 0.5) == (label == 1)).all()


def test_missing_histone_signal_is_masked_not_zero(shards, tiny_cohort):
    hist = np.load(shards[0] / "hist.npy")
    assert np.isnan(hist).any(), "the generator leaves a gap in one track"
    dataset = ShardDataset(shards, "train")
    item = dataset[0]
    assert item["hist_mask"].dtype == torch.bool
    assert torch.all(item["hist"][~item["hist_mask"]] == 0)


def test_dataset_reverse_complement_keeps_the_cpg_centred(shards):
    plain = ShardDataset(shards, "train")
    flipped = ShardDataset(shards, "train", reverse_complement_prob=1.0)
    for index in (0, 5, len(plain) - 1):
        a, b = plain[index], flipped[index]
        assert b["seq"][99] == 1 and b["seq"][100] == 2
        complement = torch.tensor([3, 2, 1, 0, 4])
        assert torch.equal(b["seq"], complement[a["seq"].flip(0)])
        assert torch.equal(b["hist"], a["hist"].flip(-1))
        assert a["level"] == b["level"]


def test_rows_table_joins_back_to_items(shards):
    dataset = ShardDataset(shards, "test")
    rows = dataset.rows_table()
    assert len(rows["pos"]) == len(dataset)
    assert set(rows["chrom"]) == {"chr3"}
    assert int(dataset[3]["region"]) == rows["region"][3]


def test_truncated_shard_is_refused(shards, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(shards[0], broken)
    data = (broken / "hist.npy").read_bytes()
    (broken / "hist.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        ShardDataset([broken], "train")


def test_older_schema_is_refused(shards, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(shards[0], old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["schema_version"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="schema version"):
        ShardDataset([old], "train")


def test_shards_of_other_marks_are_refused(shards, tiny_cohort, tmp_path):
    sample = read_manifest(shards[0])["sample"]
    marks = dict(list(tiny_cohort["marks"][sample].items())[:2])
    build_shard(
        tiny_cohort["cpgs"][sample], tiny_cohort["regions"], tiny_cohort["fasta"], marks,
        tmp_path / "two_marks", sample, ShardSettings(**SETTINGS),
    )
    with pytest.raises(InputError, match="marks"):
        ShardDataset([shards[0], tmp_path / "two_marks"], "train")
