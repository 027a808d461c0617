"""3D-genome channels (epibench.io.genome_features) and signed signal normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from epibench.data.normalise import log1p_signal
from epibench.errors import InputError
from epibench.io.genome_features import LOOP_CHANNEL, TAD_CHANNEL, GenomeFeatures, interval_distance_grid
from conftest import rebuild_first_shard


def _brute(starts, ends, length, bin_size):
    centres = np.arange(0, length, bin_size) + bin_size / 2
    out = []
    for c in centres:
        d = min(
            0.0 if s <= c < e or (s == e == c) else min(abs(c - s), abs(c - e)) for s, e in zip(starts, ends)
        )
        out.append(np.log10(1 + d))
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_distance_grid_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, 10_000, 12)
    ends = starts + rng.integers(0, 800, 12) * (seed % 2)  # odd seeds: intervals; even: points
    got = interval_distance_grid(starts, ends, 10_000, 100)
    np.testing.assert_allclose(got, _brute(starts, ends, 10_000, 100), rtol=1e-6)
    assert np.isnan(interval_distance_grid(np.empty(0), np.empty(0), 1_000, 100)).all()


def test_tads_and_loops_become_named_channels(tmp_path):
    tads = tmp_path / "tads.bed"
    tads.write_text("1\t1000\t5000\n1\t5000\t9000\n")  # Ensembl name: matched to chr1
    loops = tmp_path / "loops.bedpe"
    loops.write_text("chr1\tx1\tx2\tchr2\ty1\ty2\nchr1\t2000\t2100\tchr1\t8000\t8200\n")
    features = GenomeFeatures(["chr1", "chr2"], tads, loops)
    assert features.channels == [TAD_CHANNEL, LOOP_CHANNEL]
    tad, loop = features.grids("chr1", 10_000, 1000)
    # boundaries 1000, 5000, 9000; bin centres 500, 1500, 2500
    np.testing.assert_allclose(tad[:3], np.log10(1 + np.array([500.0, 500.0, 1500.0])))
    np.testing.assert_allclose(loop[2], np.log10(1 + 400.0))  # centre 2500, anchor 2000-2100
    fine = features.grids("chr1", 10_000, 100)[1]
    assert fine[20] == 0.0 and fine[80] == 0.0  # centres 2050 and 8050 lie inside the two anchors
    assert np.isnan(features.grids("chr2", 5_000, 1000)[0]).all(), "no TAD on chr2: missing, not far"


def test_bad_bedpe_names_the_line(tmp_path):
    loops = tmp_path / "loops.bedpe"
    loops.write_text("chr1\t2000\t2100\tchr1\t8000\n")
    with pytest.raises(InputError, match="6 tab-separated columns") as info:
        GenomeFeatures(["chr1"], None, loops)
    assert info.value.line == 1


def test_signed_signal_keeps_its_sign():
    values = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, np.nan])
    out = log1p_signal(values)
    np.testing.assert_allclose(out[:5], [-np.log1p(3), -np.log1p(0.5), 0.0, np.log1p(0.5), np.log1p(3)])
    assert np.isnan(out[5])


def test_shards_carry_the_channels_after_the_marks(tiny_cohort, tiny_shards, tmp_path):
    from epibench.data.dataset import ShardDataset

    chrom = "chr1"  # the first shard group of the tiny cohort
    tads = tmp_path / "tads.bed"
    tads.write_text(f"{chrom}\t5000\t20000\n")
    features = GenomeFeatures([chrom], tads, None)
    chroms = rebuild_first_shard(tiny_cohort, tiny_shards, tmp_path / "shard", genome_features=features)
    assert chroms == [chrom]
    data = ShardDataset([tmp_path / "shard"], "train", histone_norm="log1p")
    assert data.marks == ["H3K4me3", "H3K27ac", "H3K36me3", TAD_CHANNEL, "same_tad"]
    rows = data.rows_table()
    batch = data.__getitems__(list(range(len(data))))
    # same_tad: 1 exactly where a bin centre and the CpG both lie in the TAD [5000, 20000)
    starts = (rows["pos"] // 50 - data.n_bins // 2) * 50  # first bin of each window (grid-aligned)
    centres = starts[:, None] + 25 + 50 * np.arange(data.n_bins)
    in_tad = lambda x: (x >= 5000) & (x < 20000)  # noqa: E731
    expected = in_tad(centres) & in_tad(rows["pos"])[:, None]
    observed = batch["hist_mask"][:, 4].numpy()
    np.testing.assert_array_equal(
        batch["hist"][:, 4].numpy()[observed], expected[observed].astype(np.float32)
    )
    assert expected.any() and (~expected).any()
    # log1p(log10(1 + distance)) of the centre bin, from the CpG's own position
    window_bins = data.n_bins
    assert batch["hist_mask"][:, 3].all()
    centre = batch["hist"][:, 3, window_bins // 2].numpy()
    distance = np.minimum(np.abs(rows["pos"] - 5000), np.abs(rows["pos"] - 20000))
    far = distance > 500  # the centre bin is within a bin of the CpG: compare where that is small
    np.testing.assert_allclose(centre[far], np.log1p(np.log10(1 + distance[far])), atol=0.05)
