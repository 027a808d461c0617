"""Shards (schema 2) built from the generated tiny cohort, read back through ShardDataset.

Every expected value is computed here from the inputs themselves: sequence from the FASTA
text, histone bins from the bigWigs through pyBigWig and numpy, targets from the Parquet
tables, splits from the plan's BED, never from the code under test. Shards are built once
per module, in ``chroms`` mode (one group per chromosome) and ``blocks`` mode (two groups,
one of them packing chr1 and chr2); tests that break a shard work on a copy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest
import torch

from epibench.data.dataset import BatchRequest, ShardDataset
from epibench.data.groups import read_groups
from epibench.data.manifest import ARRAY_DTYPES, read_manifest
from epibench.data.plan import write_plan
from epibench.data.shards import ShardSettings, build_shard, missing_track_cause
from epibench.data.splits import SplitSettings
from epibench.errors import InputError
from epibench.io.methylation import write_canonical
from epibench.io.reference import write_reference_index
from epibench.codes import SPLITS

WINDOW, BIN_SIZE = 200, 50
N_BINS = WINDOW // BIN_SIZE
SETTINGS = ShardSettings(window=WINDOW, bin_size=BIN_SIZE)
# chroms mode: chr2, which holds sample1's H3K27ac gap, is the training chromosome
HELD_OUT = {"train": "chr2", "val": "chr3", "test": "chr1"}
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def built(tiny_cohort, tmp_path_factory) -> dict:
    """Per mode: the split plan BED, the groups and {(sample, group): shard folder}."""
    root = tmp_path_factory.mktemp("shards")
    modes = {
        "chroms": (SplitSettings(mode="chroms", val_chroms=["3"], test_chroms=["1"]), 0.01),
        "blocks": (
            SplitSettings(mode="blocks", block_bp=5_000, val_fraction=0.1, test_fraction=0.1, seed=0),
            0.7,
        ),
    }
    out = {}
    for mode, (split_settings, share) in modes.items():
        plan_dir = root / mode / "plan"
        assert write_plan(tiny_cohort["chrom_sizes"], split_settings, share, plan_dir) == mode
        groups = read_groups(plan_dir / "groups.tsv")
        shards = {}
        for sample, cpgs in tiny_cohort["cpgs"].items():
            for group, chroms in groups.items():
                shards[sample, group] = root / mode / sample / group
                build_shard(
                    cpgs,
                    tiny_cohort["regions"],
                    tiny_cohort["fasta"],
                    tiny_cohort["marks"][sample],
                    plan_dir / "splits.bed",
                    chroms,
                    shards[sample, group],
                    sample,
                    SETTINGS,
                )
        out[mode] = {"plan": plan_dir / "splits.bed", "groups": groups, "shards": shards}
    return out


def _dirs(built: dict, mode: str, groups: set[str] | None = None) -> list[Path]:
    return [d for (_, group), d in built[mode]["shards"].items() if groups is None or group in groups]


@pytest.fixture(scope="module")
def genome(tiny_cohort) -> dict[str, str]:
    """The generator's own FASTA (soft-masked, before normalisation) as upper-case ACGTN text."""
    raw = tiny_cohort["root"] / "raw" / "genome.fa"
    sequences = {}
    for record in raw.read_text().split(">")[1:]:
        header, body = record.split("\n", 1)
        text = body.replace("\n", "").upper()
        sequences[header.split()[0]] = "".join(b if b in "ACGT" else "N" for b in text)
    return sequences


def _window_text(sequence: str, pos: int) -> str:
    """The W bases around the C at ``pos`` (CG at W//2-1, W//2), N outside the sequence."""
    start = pos - (WINDOW // 2 - 1)
    return "".join(sequence[p] if 0 <= p < len(sequence) else "N" for p in range(start, start + WINDOW))


def _bin_starts(pos: np.ndarray) -> np.ndarray:
    """(n, N_BINS) first bp of each CpG's bins: the grid edge nearest the window start (ties up), then on."""
    start = np.asarray(pos, dtype=np.int64) - (WINDOW // 2 - 1)
    first = start // BIN_SIZE
    first = first + (2 * (start - first * BIN_SIZE) >= BIN_SIZE)
    return (first[:, None] + np.arange(N_BINS)) * BIN_SIZE


def _bigwig_bins(bigwig: Path, chrom: str, length: int, pos: np.ndarray) -> np.ndarray:
    """(n, N_BINS) mean of the bigWig's per-base values over each CpG's bins (pyBigWig + numpy);
    NaN where no base of the bin is covered or the bin lies off the chromosome."""
    bw = pyBigWig.open(str(bigwig))
    signal = np.full(length, np.nan)
    covered = min(length, bw.chroms().get(chrom, 0))
    signal[:covered] = bw.values(chrom, 0, covered, numpy=True)
    bw.close()
    bases = _bin_starts(pos)[..., None] + np.arange(BIN_SIZE)
    inside = (bases >= 0) & (bases < length)
    values = np.where(inside, signal[np.clip(bases, 0, length - 1)], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an all-NaN bin
        return np.nanmean(values, axis=-1)


def _expected_hist(tiny_cohort, genome, sample: str, chrom: str, pos: np.ndarray) -> np.ndarray:
    """(n, marks, N_BINS) raw bin means of one sample's CpGs on one chromosome, marks in cohort order."""
    marks = tiny_cohort["marks"][sample]
    return np.stack([_bigwig_bins(marks[m], chrom, len(genome[chrom]), pos) for m in marks], axis=1)


def _all_rows(dataset: ShardDataset) -> dict[str, torch.Tensor]:
    return dataset.__getitems__(list(range(len(dataset))))


def _decode(codes: torch.Tensor) -> list[str]:
    return ["".join("ACGTN"[c] for c in row) for row in codes.tolist()]


def _reference_cpgs(tiny_cohort, sample: str) -> pd.DataFrame:
    """The sample's measured CpGs that are reference CpGs (the canonical table joined to the region table)."""
    cpgs = pd.read_parquet(tiny_cohort["cpgs"][sample])
    regions = pd.read_parquet(tiny_cohort["regions"])
    cpgs["chrom"] = cpgs["chrom"].astype(str)
    regions["chrom"] = regions["chrom"].astype(str)
    return cpgs.merge(regions, on=["chrom", "pos"], how="inner")


def _copy_shard(shard: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(shard, copy)
    return copy


# ---------------------------------------------------------------- sequence, histone bins, targets


@pytest.mark.parametrize("mode", ["chroms", "blocks"])
def test_sequence_windows_are_the_fasta_text_around_each_cpg(built, genome, mode):
    checked = 0
    for split in SPLITS:
        dataset = ShardDataset(_dirs(built, mode), split)
        rows = dataset.rows_table()
        got = _decode(_all_rows(dataset)["seq"])
        expected = [_window_text(genome[c], p) for c, p in zip(rows["chrom"], rows["pos"])]
        assert got == expected
        assert all(text[WINDOW // 2 - 1 : WINDOW // 2 + 1] == "CG" for text in got)
        checked += len(got)
    assert checked > 1_000


def test_windows_at_the_chromosome_end_are_n_padded(built, genome):
    dataset = ShardDataset(_dirs(built, "chroms"), "train")
    rows = dataset.rows_table()
    last = int(np.argmax(rows["pos"]))
    assert rows["chrom"][last] == "chr2" and rows["pos"][last] > len(genome["chr2"]) - WINDOW // 2
    text = _decode(dataset[last]["seq"][None])[0]
    overhang = rows["pos"][last] + WINDOW // 2 + 1 - len(genome["chr2"])
    assert text.endswith("N" * overhang) and text == _window_text(genome["chr2"], rows["pos"][last])


@pytest.mark.parametrize("mode", ["chroms", "blocks"])
def test_histone_bins_are_the_bigwig_means_over_the_grid(built, tiny_cohort, genome, mode):
    for split in SPLITS:
        dataset = ShardDataset(_dirs(built, mode), split, histone_norm="log1p")
        assert dataset.marks == list(tiny_cohort["marks"]["sample1"])
        batch = _all_rows(dataset)
        rows = pd.DataFrame({k: dataset.rows_table()[k] for k in ("sample", "chrom", "pos")})
        expected = np.full((len(rows), len(dataset.marks), N_BINS), np.nan)
        for (sample, chrom), part in rows.groupby(["sample", "chrom"]):
            raw = _expected_hist(tiny_cohort, genome, sample, chrom, part["pos"].to_numpy())
            expected[part.index] = np.log1p(np.clip(raw, 0, None))
        assert batch["hist_mask"].dtype == torch.bool and batch["hist"].dtype == torch.float32
        mask = batch["hist_mask"].numpy()
        hist = batch["hist"].numpy()
        np.testing.assert_array_equal(mask, ~np.isnan(expected))
        np.testing.assert_allclose(hist[mask], expected[mask], rtol=1e-5, atol=1e-6)
        assert (hist[~mask] == 0).all()


def test_missing_signal_is_masked_not_read_as_zero(built, tiny_cohort, genome):
    gap = json.loads((tiny_cohort["root"] / "raw" / "demo.json").read_text())["missing_signal"]
    sample, mark, chrom, gap_start, gap_end = (gap[k] for k in ("sample", "mark", "chrom", "start", "end"))
    assert chrom == HELD_OUT["train"]
    shard = built["chroms"]["shards"][sample, chrom]
    stored = np.load(shard / "hist.npy")
    assert np.isnan(stored).any(), "the stored grid keeps missing bins as NaN"
    dataset = ShardDataset([shard], "train")
    rows = dataset.rows_table()
    batch = _all_rows(dataset)
    m = dataset.marks.index(mark)
    starts = _bin_starts(rows["pos"])
    in_gap = (starts >= gap_start) & (starts + BIN_SIZE <= gap_end)  # bins wholly inside the gap
    assert in_gap.sum() > 20
    assert not batch["hist_mask"][:, m].numpy()[in_gap].any()
    assert (batch["hist"][:, m].numpy()[in_gap] == 0).all()
    # the other marks of those rows are observed, and so is this mark away from the gap
    others = [i for i in range(len(dataset.marks)) if i != m]
    assert (
        batch["hist_mask"][:, others]
        .numpy()[np.broadcast_to(in_gap[:, None, :], (len(dataset), 2, N_BINS))]
        .all()
    )
    far = (starts + BIN_SIZE <= gap_start - 5_000) & (starts >= BIN_SIZE)
    assert batch["hist_mask"][:, m].numpy()[far].all()
    # bins past the chromosome end are masked too
    past_end = starts >= len(genome[chrom])
    assert past_end.any() and not batch["hist_mask"].numpy().transpose(0, 2, 1)[past_end].any()


def test_targets_match_the_canonical_table(built, tiny_cohort):
    dataset = ShardDataset(_dirs(built, "chroms"), "test")
    rows = dataset.rows_table()
    batch = _all_rows(dataset)
    assert torch.equal(batch["index"], torch.arange(len(dataset)))
    got = pd.DataFrame(
        {
            "sample": rows["sample"],
            "chrom": rows["chrom"],
            "pos": rows["pos"],
            "region": batch["region"].numpy(),
            "level": batch["level"].numpy(),
            "label": batch["label"].numpy(),
            "weight": batch["weight"].numpy(),
        }
    )
    assert (got["region"] == rows["region"]).all()
    expected = pd.concat(
        [_reference_cpgs(tiny_cohort, s).assign(sample=s) for s in tiny_cohort["cpgs"]], ignore_index=True
    )
    joined = got.merge(expected, on=["sample", "chrom", "pos"], how="left", suffixes=("", "_expected"))
    assert len(joined) == len(got) and joined["level_expected"].notna().all()
    np.testing.assert_allclose(joined["level"], joined["level_expected"], rtol=1e-6)
    assert (joined["region"] == joined["region_expected"]).all()
    assert (joined["label"] == (joined["level_expected"] >= 0.5)).all()
    np.testing.assert_allclose(joined["weight"], joined["n_total"] / (joined["n_total"] + 5.0), rtol=1e-6)
    # every test-chromosome CpG of every sample is there, once
    held_out = expected[expected["chrom"] == HELD_OUT["test"]]
    assert len(got) == len(held_out) and not got.duplicated(["sample", "chrom", "pos"]).any()


# ---------------------------------------------------------------- splits


def test_splits_follow_the_held_out_chromosomes(built):
    dirs = _dirs(built, "chroms")
    manifests = [read_manifest(d) for d in dirs]
    for split, chrom in HELD_OUT.items():
        dataset = ShardDataset(dirs, split)
        rows = dataset.rows_table()
        assert len(dataset) > 100
        assert set(rows["chrom"]) == {chrom}
        assert set(rows["sample"]) == {"sample1", "sample2"}
        assert len(dataset) == sum(m["counts"][split] for m in manifests)
    for directory, manifest in zip(dirs, manifests):
        split = np.load(directory / "split.npy")
        assert manifest["counts"]["total"] == len(split)
        assert manifest["counts"]["crosses_split"] == 0, "whole chromosomes: nothing crosses"
        assert len(set(split.tolist())) == 1


def test_a_sequence_the_plan_leaves_out_gives_no_rows_and_is_counted(built, tiny_cohort, tmp_path):
    """As an organelle: chr3 marked ``left_out`` in the plan, its shard holds no CpG, and the count
    is the CpGs the same shard held when chr3 was the validation chromosome."""
    plan = pd.read_csv(built["chroms"]["plan"], sep="\t", header=None)
    plan.loc[plan[0] == "chr3", 3] = "left_out"
    left_out_plan = tmp_path / "splits.bed"
    plan.to_csv(left_out_plan, sep="\t", header=False, index=False)
    group = next(g for g, chroms in built["chroms"]["groups"].items() if chroms == ["chr3"])
    before = read_manifest(built["chroms"]["shards"]["sample1", group])["counts"]
    manifest = build_shard(
        tiny_cohort["cpgs"]["sample1"],
        tiny_cohort["regions"],
        tiny_cohort["fasta"],
        tiny_cohort["marks"]["sample1"],
        left_out_plan,
        ["chr3"],
        tmp_path / "shard",
        "sample1",
        SETTINGS,
    )
    assert manifest["counts"]["total"] == 0 and len(np.load(tmp_path / "shard" / "split.npy")) == 0
    assert manifest["counts"]["left_out_sequence"] == before["val"] > 100


def _spans(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last bp (inclusive) each CpG's window and bins read, computed from pos alone."""
    seq_first = pos - (WINDOW // 2 - 1)
    bins = _bin_starts(pos)
    return np.minimum(seq_first, bins[:, 0]), np.maximum(seq_first + WINDOW, bins[:, -1] + BIN_SIZE) - 1


def test_blocks_keep_every_test_span_clear_of_every_training_span(built, genome):
    assert built["blocks"]["groups"] == {"small_1": ["chr1", "chr2"], "small_2": ["chr3"]}
    dirs = _dirs(built, "blocks")
    kept = {}
    for split in SPLITS:
        rows = ShardDataset(dirs, split).rows_table()
        kept[split] = pd.DataFrame({"sample": rows["sample"], "chrom": rows["chrom"], "pos": rows["pos"]})
        assert len(kept[split]) > 0, split
    for chrom in genome:
        spans = {}
        for split, rows in kept.items():
            pos = np.unique(rows.loc[rows["chrom"] == chrom, "pos"].to_numpy())
            spans[split] = _spans(pos)
        for a, b in (("test", "train"), ("val", "train"), ("test", "val")):
            (a_first, a_last), (b_first, b_last) = spans[a], spans[b]
            overlap = (a_first[:, None] <= b_last[None, :]) & (b_first[None, :] <= a_last[:, None])
            assert not overlap.any(), f"a {a} span overlaps a {b} span on {chrom}"
    assert sum(read_manifest(d)["counts"]["crosses_split"] for d in dirs) > 0


def test_blocks_keep_exactly_the_cpgs_whose_span_lies_in_one_split(built, tiny_cohort, genome):
    plan = pd.read_csv(
        built["blocks"]["plan"], sep="\t", header=None, names=["chrom", "start", "end", "split"]
    )
    dirs = _dirs(built, "blocks")
    got = pd.concat(
        [
            pd.DataFrame(
                {k: ShardDataset(dirs, s).rows_table()[k] for k in ("sample", "chrom", "pos")}
            ).assign(split=s)
            for s in SPLITS
        ]
    )
    expected = []
    for sample in tiny_cohort["cpgs"]:
        cpgs = _reference_cpgs(tiny_cohort, sample)
        for chrom, part in cpgs.groupby("chrom"):
            blocks = plan[plan["chrom"] == chrom]
            first, last = _spans(part["pos"].to_numpy())
            first, last = np.maximum(first, 0), np.minimum(last, len(genome[chrom]) - 1)
            for p, lo, hi in zip(part["pos"], first, last):
                touched = blocks[(blocks["start"] <= hi) & (blocks["end"] > lo)]["split"].unique()
                if len(touched) == 1:
                    expected.append((sample, chrom, p, touched[0]))
    expected = pd.DataFrame(expected, columns=["sample", "chrom", "pos", "split"])
    key = ["sample", "chrom", "pos"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True).astype({"chrom": str, "sample": str, "split": str}),
        expected.sort_values(key).reset_index(drop=True).astype({"chrom": str, "sample": str, "split": str}),
        check_dtype=False,
    )
    dropped = sum(read_manifest(d)["counts"]["crosses_split"] for d in dirs)
    n_cpgs = sum(len(_reference_cpgs(tiny_cohort, s)) for s in tiny_cohort["cpgs"])
    assert dropped == n_cpgs - len(expected)


# ---------------------------------------------------------------- reverse complement


def test_reverse_complement_flips_sequence_bins_and_mask(built):
    dataset = ShardDataset(_dirs(built, "chroms"), "train")
    indices = np.arange(0, len(dataset), 7)
    plain = dataset.__getitems__(BatchRequest(indices, np.zeros(len(indices), bool)))
    flipped = dataset.__getitems__(BatchRequest(indices, np.ones(len(indices), bool)))
    for a, b in zip(_decode(plain["seq"]), _decode(flipped["seq"])):
        assert b == "".join(COMPLEMENT[x] for x in reversed(a))
        assert b[WINDOW // 2 - 1 : WINDOW // 2 + 1] == "CG"
    assert torch.equal(flipped["hist"], plain["hist"].flip(-1))
    assert torch.equal(flipped["hist_mask"], plain["hist_mask"].flip(-1))
    assert not plain["hist_mask"].all(), "the rows include masked bins, so the mask's flip is tested"
    for key in ("region", "level", "label", "weight", "index"):
        assert torch.equal(flipped[key], plain[key]), key
    # a mixed request flips only its flagged rows
    flags = np.arange(len(indices)) % 2 == 1
    mixed = dataset.__getitems__(BatchRequest(indices, flags))
    for key in ("seq", "hist", "hist_mask"):
        assert torch.equal(mixed[key][flags], flipped[key][flags]), key
        assert torch.equal(mixed[key][~flags], plain[key][~flags]), key


# ---------------------------------------------------------------- normalisation


def _independent_robust_stats(tiny_cohort, genome, sample: str) -> tuple[np.ndarray, np.ndarray]:
    """Median and IQR per mark of log1p bin means over the sample's training CpGs (chr2), from the inputs."""
    cpgs = _reference_cpgs(tiny_cohort, sample)
    pos = cpgs.loc[cpgs["chrom"] == HELD_OUT["train"], "pos"].to_numpy()
    hist = np.log1p(np.clip(_expected_hist(tiny_cohort, genome, sample, HELD_OUT["train"], pos), 0, None))
    values = [row[~np.isnan(row)] for row in hist.transpose(1, 0, 2).reshape(hist.shape[1], -1)]
    q25, q50, q75 = np.array([np.percentile(v, [25, 50, 75]) for v in values]).T
    return q50, q75 - q25


def test_robust_stats_are_median_and_iqr_of_the_training_rows(built, tiny_cohort, genome):
    dataset = ShardDataset(_dirs(built, "chroms"), "train")
    assert sorted(dataset.norm_stats) == ["sample1", "sample2"]
    for sample in dataset.norm_stats:
        centre, scale = dataset.norm_stats[sample]
        expected_centre, expected_scale = _independent_robust_stats(tiny_cohort, genome, sample)
        np.testing.assert_allclose(centre, expected_centre, rtol=1e-5)
        np.testing.assert_allclose(scale, expected_scale, rtol=1e-5)
        assert (scale > 0).all() and not np.allclose(centre, 0)
    # and the normalised bins are (log1p(mean) - centre) / scale
    rows = dataset.rows_table()
    batch = _all_rows(dataset)
    for sample in ("sample1", "sample2"):
        pick = np.flatnonzero(rows["sample"] == sample)[:50]
        raw = _expected_hist(tiny_cohort, genome, sample, "chr2", rows["pos"][pick])
        centre, scale = (s[:, None] for s in _independent_robust_stats(tiny_cohort, genome, sample))
        expected = (np.log1p(np.clip(raw, 0, None)) - centre) / scale
        mask = batch["hist_mask"].numpy()[pick]
        np.testing.assert_allclose(batch["hist"].numpy()[pick][mask], expected[mask], rtol=1e-4, atol=1e-5)


def test_robust_stats_do_not_see_validation_or_test_rows(built):
    everything = ShardDataset(_dirs(built, "chroms"), "test")
    train_only = ShardDataset(_dirs(built, "chroms", {HELD_OUT["train"]}), "train")
    without_test = ShardDataset(_dirs(built, "chroms", {HELD_OUT["train"], HELD_OUT["val"]}), "val")
    for sample in ("sample1", "sample2"):
        for other in (train_only, without_test):
            for got, expected in zip(other.norm_stats[sample], everything.norm_stats[sample]):
                np.testing.assert_array_equal(got, expected)
    # the two samples differ, so the statistics really are per sample
    assert not np.array_equal(everything.norm_stats["sample1"][0], everything.norm_stats["sample2"][0])


def test_log1p_norm_needs_no_statistics(built):
    dataset = ShardDataset(_dirs(built, "chroms"), "val", histone_norm="log1p")
    for centre, scale in dataset.norm_stats.values():
        assert (centre == 0).all() and (scale == 1).all()


# ---------------------------------------------------------------- rows table, empty shards, manifest


def test_rows_table_joins_sample_chrom_and_pos_back_to_each_row(built, genome):
    dataset = ShardDataset(_dirs(built, "blocks"), "train")
    rows = dataset.rows_table()
    assert {k: len(v) for k, v in rows.items()} == dict.fromkeys(
        ("sample", "chrom", "pos", "region"), len(dataset)
    )
    # each row's own window is the FASTA text around the (chrom, pos) the table gives it, in any batch order
    indices = np.random.default_rng(5).permutation(len(dataset))[:200]
    batch = dataset.__getitems__(list(indices))
    assert batch["index"].tolist() == indices.tolist()
    expected = [_window_text(genome[rows["chrom"][i]], rows["pos"][i]) for i in indices]
    assert _decode(batch["seq"]) == expected
    assert batch["region"].tolist() == rows["region"][indices].tolist()
    assert len(set(zip(rows["sample"], rows["chrom"], rows["pos"]))) == len(dataset)


@pytest.fixture(scope="module")
def empty_shard(built, tiny_cohort, tmp_path_factory) -> Path:
    """sample1 with its chr3 CpGs removed, sharded on chr3 alone."""
    root = tmp_path_factory.mktemp("empty")
    table = pd.read_parquet(tiny_cohort["cpgs"]["sample1"])
    write_canonical(table[table["chrom"] != "chr3"], root / "no_chr3.parquet")
    build_shard(
        root / "no_chr3.parquet",
        tiny_cohort["regions"],
        tiny_cohort["fasta"],
        tiny_cohort["marks"]["sample1"],
        built["chroms"]["plan"],
        ["chr3"],
        root / "shard",
        "sample1",
        SETTINGS,
    )
    return root / "shard"


def test_a_sample_without_cpgs_in_a_group_gives_a_valid_empty_shard(built, empty_shard):
    manifest = read_manifest(empty_shard)
    assert manifest["counts"]["total"] == 0 and manifest["chroms"] == []
    for name, dtype in ARRAY_DTYPES.items():
        array = np.load(empty_shard / f"{name}.npy")
        assert array.dtype == np.dtype(dtype)
        assert array.shape == ((0, 3) if name == "hist" else (0,)), name
    alone = ShardDataset([empty_shard], "train")
    assert len(alone) == 0 and len(alone.rows_table()["pos"]) == 0
    dirs = _dirs(built, "chroms")
    for split in SPLITS:
        with_empty = ShardDataset([*dirs, empty_shard], split)
        without = ShardDataset(dirs, split)
        assert len(with_empty) == len(without)
        for sample in without.norm_stats:
            np.testing.assert_array_equal(with_empty.norm_stats[sample][0], without.norm_stats[sample][0])
        a, b = _all_rows(with_empty), _all_rows(without)
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_manifest_describes_the_array_files(built, tiny_cohort):
    fai = Path(f"{tiny_cohort['fasta']}.fai")
    for mode in ("chroms", "blocks"):
        for (sample, group), directory in built[mode]["shards"].items():
            manifest = read_manifest(directory)
            assert manifest["schema_version"] == 2 and manifest["sample"] == sample
            assert manifest["marks"] == list(tiny_cohort["marks"][sample])
            assert (manifest["window"], manifest["bin_size"], manifest["n_bins"]) == (
                WINDOW,
                BIN_SIZE,
                N_BINS,
            )
            assert set(manifest["arrays"]) == set(ARRAY_DTYPES)
            for name, info in manifest["arrays"].items():
                path = directory / f"{name}.npy"
                assert info["bytes"] == path.stat().st_size, name
                assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
                array = np.load(path)
                assert list(array.shape) == info["shape"] and array.dtype == np.dtype(info["dtype"]), name
            n = manifest["counts"]["total"]
            assert (
                n
                == sum(c["n_cpgs"] for c in manifest["chroms"])
                == sum(manifest["counts"][s] for s in SPLITS)
            )
            assert all(manifest["arrays"][k]["shape"] == [n] for k in ARRAY_DTYPES if k != "hist")
            assert [c["name"] for c in manifest["chroms"]] == built[mode]["groups"][group]
            assert manifest["arrays"]["hist"]["shape"] == [sum(c["n_grid"] for c in manifest["chroms"]), 3]
            assert all(c["n_grid"] == -(-c["length"] // BIN_SIZE) for c in manifest["chroms"])
            assert (directory / manifest["reference"]["fasta"]).resolve() == tiny_cohort["fasta"].resolve()
            assert manifest["reference"]["fai_sha256"] == hashlib.sha256(fai.read_bytes()).hexdigest()


# ---------------------------------------------------------------- CpGs at a chromosome's very start


@pytest.fixture(scope="module")
def edge_shard(tmp_path_factory) -> dict:
    """A 300-bp chromosome with CpGs 1 bp from its start and end, and a bigWig of 10-bp steps."""
    root = tmp_path_factory.mktemp("edge")
    rng = np.random.default_rng(1)
    # random bases without a CG (only G -> A changes, so none forms), then CGs put at 1, 150 and 297
    bases = list("".join(np.array(list("ACGT"))[rng.integers(0, 4, 300)]).replace("CG", "CA"))
    for p in (1, 150, 297):
        bases[p : p + 2] = ["C", "G"]
    text = "".join(bases)
    pos = [i for i in range(299) if text[i : i + 2] == "CG"]
    assert pos == [1, 150, 297]
    (root / "raw.fa").write_text(">chrE\n" + text.lower() + "\n")
    fasta = write_reference_index(root / "raw.fa", root / "reference")
    pd.DataFrame({"chrom": "chrE", "pos": pos, "region": np.int8(3)}).to_parquet(root / "regions.parquet")
    write_canonical(
        pd.DataFrame({"chrom": "chrE", "pos": pos, "n_meth": 3.0, "n_total": 4, "level": np.float32(0.75)}),
        root / "cpgs.parquet",
    )
    signal = np.arange(30, dtype=float)  # value i over [10 i, 10 i + 10)
    bw = pyBigWig.open(str(root / "mark.bw"), "w")
    bw.addHeader([("chrE", 300)])
    bw.addEntries("chrE", 0, values=list(signal), span=10, step=10)
    bw.close()
    (root / "splits.bed").write_text("chrE\t0\t300\ttrain\n")
    build_shard(
        root / "cpgs.parquet",
        root / "regions.parquet",
        fasta,
        {"H3K4me3": root / "mark.bw"},
        root / "splits.bed",
        ["chrE"],
        root / "shard",
        "edge",
        SETTINGS,
    )
    return {"shard": root / "shard", "text": text, "pos": pos, "signal": signal}


def test_cpgs_near_both_chromosome_ends_read_n_and_masked_bins(edge_shard):
    dataset = ShardDataset([edge_shard["shard"]], "train", histone_norm="log1p")
    assert dataset.rows_table()["pos"].tolist() == edge_shard["pos"]
    batch = _all_rows(dataset)
    text = edge_shard["text"]
    assert _decode(batch["seq"]) == [_window_text(text, p) for p in edge_shard["pos"]]
    assert _decode(batch["seq"])[0] == "N" * 98 + text[:102]
    # pos 1: window [-98, 102), nearest grid edge -100: bins [-100, -50) [-50, 0) off the chromosome
    mask = batch["hist_mask"][:, 0].tolist()
    assert mask[0] == [False, False, True, True]
    assert mask[1] == [True] * 4
    # pos 297: window [198, 398), bins from 200: [200, 250) [250, 300) then two past the end
    assert mask[2] == [True, True, False, False]
    step_means = edge_shard["signal"].reshape(-1, 5).mean(axis=1)  # the six 50-bp grid bins
    hist = batch["hist"][:, 0].numpy()
    np.testing.assert_allclose(hist[0, 2:], np.log1p(step_means[:2]), rtol=1e-6)
    np.testing.assert_allclose(hist[2, :2], np.log1p(step_means[4:]), rtol=1e-6)
    assert (hist[0, :2] == 0).all() and (hist[2, 2:] == 0).all()


# ---------------------------------------------------------------- refused before training


def test_a_schema_1_shard_asks_for_a_rebuild(built, tmp_path):
    old = _copy_shard(built["chroms"]["shards"]["sample1", "chr3"], tmp_path)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["schema_version"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="rebuild"):
        ShardDataset([old], "train")


@pytest.mark.parametrize("array", ["hist", "level"])
def test_a_truncated_array_is_refused_by_name(built, tmp_path, array):
    broken = _copy_shard(built["chroms"]["shards"]["sample1", "chr3"], tmp_path)
    data = (broken / f"{array}.npy").read_bytes()
    (broken / f"{array}.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=rf"{array}\.npy"):
        ShardDataset([broken], "train")


def test_shards_of_different_marks_cannot_share_a_dataset(built, tiny_cohort, tmp_path):
    marks = dict(list(tiny_cohort["marks"]["sample1"].items())[:2])
    build_shard(
        tiny_cohort["cpgs"]["sample1"],
        tiny_cohort["regions"],
        tiny_cohort["fasta"],
        marks,
        built["chroms"]["plan"],
        ["chr3"],
        tmp_path / "two_marks",
        "sample1",
        SETTINGS,
    )
    with pytest.raises(InputError, match="marks"):
        ShardDataset([built["chroms"]["shards"]["sample2", "chr3"], tmp_path / "two_marks"], "train")


def test_shards_of_different_split_plans_cannot_share_a_dataset(built):
    mixed = [built["chroms"]["shards"]["sample1", "chr3"], built["blocks"]["shards"]["sample2", "small_2"]]
    with pytest.raises(InputError, match="split plan"):
        ShardDataset(mixed, "train")


def _shard_on_a_reference_copy(built, tiny_cohort, tmp_path):
    """Build sample1's chr3 shard (tmp_path / "shard") against a copy of the reference; returns the copy's folder."""
    reference = tmp_path / "reference"
    reference.mkdir()
    for name in ("genome.fa", "genome.fa.fai"):
        shutil.copy(tiny_cohort["fasta"].parent / name, reference / name)
    build_shard(
        tiny_cohort["cpgs"]["sample1"],
        tiny_cohort["regions"],
        reference / "genome.fa",
        tiny_cohort["marks"]["sample1"],
        built["chroms"]["plan"],
        ["chr3"],
        tmp_path / "shard",
        "sample1",
        SETTINGS,
    )
    return reference


def test_a_shard_whose_reference_was_moved_is_refused(built, tiny_cohort, tmp_path):
    reference = _shard_on_a_reference_copy(built, tiny_cohort, tmp_path)
    assert len(ShardDataset([tmp_path / "shard"], "val")) > 0
    reference.rename(tmp_path / "moved")
    with pytest.raises(InputError, match="reference FASTA"):
        ShardDataset([tmp_path / "shard"], "val")


def test_a_shard_whose_reference_was_replaced_by_another_genome_is_refused(
    built, tiny_cohort, genome, tmp_path
):
    reference = _shard_on_a_reference_copy(built, tiny_cohort, tmp_path)
    # the reference stage rerun on another genome: chr3 now 1 kb shorter
    other = {**genome, "chr3": genome["chr3"][:-1_000]}
    (tmp_path / "other.fa").write_text("".join(f">{name}\n{seq}\n" for name, seq in other.items()))
    write_reference_index(tmp_path / "other.fa", reference)
    with pytest.raises(InputError, match="not the one the shard was built from"):
        ShardDataset([tmp_path / "shard"], "val")


def test_unknown_histone_norm_or_split_is_a_value_error(built):
    dirs = _dirs(built, "chroms")
    with pytest.raises(ValueError, match="histone_norm"):
        ShardDataset(dirs, "train", histone_norm="zscore")
    with pytest.raises(ValueError, match="split"):
        ShardDataset(dirs, "holdout")


def test_a_held_out_block_narrower_than_the_widest_input_span_is_refused(tiny_cohort, tmp_path):
    # spans are W + |offset of the bins| long, up to W + bin_size // 2 = 225 bp: a 210-bp
    # test block could sit wholly inside a span whose two ends lie in training blocks
    plan = tmp_path / "splits.bed"
    plan.write_text(
        "chr1\t0\t20000\ttrain\nchr1\t20000\t20210\ttest\nchr1\t20210\t40000\ttrain\n"
        "chr2\t0\t40000\tval\nchr3\t0\t40000\ttrain\n"
    )
    with pytest.raises(InputError, match="chr1:20000-20210"):
        build_shard(
            tiny_cohort["cpgs"]["sample1"],
            tiny_cohort["regions"],
            tiny_cohort["fasta"],
            tiny_cohort["marks"]["sample1"],
            plan,
            ["chr1"],
            tmp_path / "shard",
            "sample1",
            SETTINGS,
        )


def test_a_shard_without_marks_stores_an_empty_grid_and_loads_back(tiny_shards, tiny_shards_without_marks):
    """A methylation-only cohort: ``hist`` is (G, 0) (the grid still counts its bins), and a batch has
    hist and hist_mask of (B, 0, NB) beside the very sequence, region and targets of the same CpGs
    with marks."""
    for shard in tiny_shards_without_marks:
        manifest = read_manifest(shard)
        assert manifest["marks"] == []
        n_grid = sum(c["n_grid"] for c in manifest["chroms"])
        assert manifest["arrays"]["hist"]["shape"] == [n_grid, 0]
        assert np.load(shard / "hist.npy").shape == (n_grid, 0)
    for split in SPLITS:
        bare = ShardDataset(tiny_shards_without_marks, split)
        full = ShardDataset(tiny_shards, split)
        assert bare.marks == [] and len(bare) == len(full) > 0
        assert bare.norm_stats[read_manifest(tiny_shards[0])["sample"]][0].shape == (0,)
        rows = np.arange(0, len(bare), max(1, len(bare) // 50))
        batch, reference = bare.__getitems__(rows), full.__getitems__(rows)
        assert batch["hist"].shape == batch["hist_mask"].shape == (len(rows), 0, bare.n_bins)
        for key in ("seq", "region", "level", "label", "weight", "index"):
            assert torch.equal(batch[key], reference[key]), key


def test_a_mark_the_sample_lacks_is_a_missing_channel_beside_the_others(built, tiny_cohort, tmp_path):
    """An empty path (the sample sheet's empty cell): the channel is all missing (NaN, masked), and
    the sample's other channels, its rows and the mark order are those of the full shard."""
    sample, group = next(iter(built["chroms"]["shards"]))
    full = built["chroms"]["shards"][sample, group]
    marks = dict(tiny_cohort["marks"][sample])
    lacking = list(marks)[1]
    marks[lacking] = ""
    out = tmp_path / "lacking"
    build_shard(
        tiny_cohort["cpgs"][sample],
        tiny_cohort["regions"],
        tiny_cohort["fasta"],
        marks,
        built["chroms"]["plan"],
        built["chroms"]["groups"][group],
        out,
        sample,
        SETTINGS,
    )
    assert read_manifest(out)["marks"] == read_manifest(full)["marks"]
    got, whole = np.load(out / "hist.npy"), np.load(full / "hist.npy")
    m = list(marks).index(lacking)
    assert np.isnan(got[:, m]).all() and not np.isnan(whole[:, m]).all()
    others = [i for i in range(got.shape[1]) if i != m]
    np.testing.assert_array_equal(got[:, others], whole[:, others])
    datasets = [ShardDataset([out], split) for split in SPLITS]
    batch = _all_rows(next(d for d in datasets if len(d)))
    assert not batch["hist_mask"][:, m].any() and batch["hist_mask"][:, others].any()


def test_a_mark_track_without_values_on_a_chromosome_is_warned_of_and_recorded(
    built, tiny_cohort, tmp_path, caplog
):
    """A bigWig of a mark that covers one chromosome of a group only (a track cut to some
    chromosomes): the shard records the others under marks_without_values, in one warning naming them."""
    sizes = pd.read_csv(tiny_cohort["chrom_sizes"], sep="\t").set_index("chrom")["length"].to_dict()
    chroms = list(sizes)
    sample = next(iter(tiny_cohort["cpgs"]))
    marks = dict(tiny_cohort["marks"][sample])
    partial_mark = list(marks)[0]
    partial = tmp_path / "one_chrom.bw"
    handle = pyBigWig.open(str(partial), "w")
    handle.addHeader([(chrom, int(length)) for chrom, length in sizes.items()])
    handle.addEntries([chroms[0]], [0], ends=[1_000], values=[2.0])
    handle.close()
    marks[partial_mark] = str(partial)
    out = tmp_path / "partial"
    with caplog.at_level("WARNING", logger="epibench.data.shards"):
        manifest = build_shard(
            tiny_cohort["cpgs"][sample],
            tiny_cohort["regions"],
            tiny_cohort["fasta"],
            marks,
            built["chroms"]["plan"],
            chroms,
            out,
            sample,
            SETTINGS,
        )
    assert manifest["marks_without_values"] == {partial_mark: chroms[1:]}
    assert read_manifest(out)["marks_without_values"] == {partial_mark: chroms[1:]}
    warnings = [r.getMessage() for r in caplog.records if "has no value on" in r.getMessage()]
    assert len(warnings) == 1  # one per mark, naming its sequences
    assert warnings[0].startswith(
        f"{sample}'s {partial_mark} has no value on {len(chroms) - 1} of the {len(chroms)} "
    )
    assert all(chrom in warnings[0] for chrom in chroms[1:]) and f"{chroms[0]}," not in warnings[0]
    assert "other sex" not in warnings[0]  # no Y among them: every donor has the others


@pytest.mark.parametrize(
    "chroms, other_sex",
    [
        (["chrX"], False),
        (["chrX", "chrUn_GL456239"], False),
        (["chrY"], True),
        (["X", "Y"], True),
        (["chrW"], True),
    ],
)
def test_a_donor_of_the_other_sex_is_suggested_only_for_a_y_or_w_without_values(chroms, other_sex):
    assert ("other sex" in missing_track_cause(chroms)) == other_sex


def test_a_group_of_more_sequences_than_an_int16_indexes_is_refused_before_reading(tmp_path):
    chroms = [f"ctg{i}" for i in range(np.iinfo(np.int16).max + 1)]
    with pytest.raises(InputError, match="32,768 sequences in one shard"):
        build_shard(
            None,
            tmp_path / "none",
            tmp_path / "none.fa",
            {},
            tmp_path / "none.bed",
            chroms,
            tmp_path / "out",
            "s",
            SETTINGS,
        )
    assert not (tmp_path / "out").exists()


def test_a_reference_linked_from_the_snakemake_cache_is_read_through_its_links(built, tiny_cohort, tmp_path):
    """With `snakemake --cache` (README "Several cohorts on one genome") the cohort's reference/genome.fa
    and genome.fa.fai are links to `<hash>_fasta.fa` and `<hash>_fai.fai` in the cache folder: a shard
    must name the link, whose .fai and chrom_aliases.tsv sit beside it, not the file it points to
    (which has no `<hash>_fasta.fa.fai`: baseline and train stopped with "reference FASTA or its .fai
    index is missing")."""
    cache, reference = tmp_path / "cache", tmp_path / "reference"
    cache.mkdir()
    reference.mkdir()
    source = Path(tiny_cohort["fasta"])
    for name, cached in [(source.name, "abc_fasta.fa"), (f"{source.name}.fai", "abc_fai.fai")]:
        shutil.copy(source.parent / name, cache / cached)
        (reference / name).symlink_to(cache / cached)
    chroms = built["chroms"]["groups"]
    group = next(iter(chroms))
    sample = next(iter(tiny_cohort["cpgs"]))
    shard = tmp_path / "shards" / sample / group
    build_shard(
        tiny_cohort["cpgs"][sample],
        tiny_cohort["regions"],
        reference / source.name,
        tiny_cohort["marks"][sample],
        built["chroms"]["plan"],
        chroms[group],
        shard,
        sample,
        SETTINGS,
    )
    checked = 0
    for split in SPLITS:
        linked, plain = ShardDataset([shard], split), ShardDataset(
            [built["chroms"]["shards"][sample, group]], split
        )
        assert len(linked) == len(plain), split
        if len(plain):
            assert torch.equal(_all_rows(linked)["seq"], _all_rows(plain)["seq"]), split
            checked += len(plain)
    assert checked > 0
