"""Split plans and shard groups: held-out chromosomes or blocks, tiling, seeds, and the plan files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epibench.data.groups import MAX_PACKED_SEQUENCES, SMALL_PREFIX, read_groups, shard_groups, write_groups
from epibench.data.manifest import ARRAY_DTYPES
from epibench.data.plan import write_plan
from epibench.data.splits import (
    DROPPED,
    LEFT_OUT,
    SplitMap,
    SplitSettings,
    check_block_size,
    plan_splits,
    read_split_plan,
    write_split_plan,
)
from epibench.errors import InputError
from epibench.io.chroms import non_primary
from epibench.codes import SPLITS

FOUR_CHROMS = {"chr1": 5_000, "chr2": 4_000, "chr3": 3_000, "chr4": 2_000}
TRAIN, VAL, TEST = (SPLITS.index(s) for s in ("train", "val", "test"))


def _assert_tiles(plan: pd.DataFrame, chrom_sizes: dict[str, int]) -> None:
    """Every sequence is covered by its intervals from 0 to its length, with no gap or overlap."""
    assert set(plan["chrom"]) == set(chrom_sizes)
    for chrom, length in chrom_sizes.items():
        rows = plan[plan["chrom"] == chrom].sort_values("start")
        starts, ends = rows["start"].tolist(), rows["end"].tolist()
        assert starts[0] == 0 and ends[-1] == length, chrom
        assert starts[1:] == ends[:-1], f"{chrom}: gap or overlap"
        assert all(e > s for s, e in zip(starts, ends)), f"{chrom}: empty interval"


def test_chroms_mode_matches_config_names_to_reference_names():
    settings = SplitSettings(mode="chroms", val_chroms=["2"], test_chroms=["3"])
    plan, mode = plan_splits(FOUR_CHROMS, settings)
    assert mode == "chroms"
    assert dict(zip(plan["chrom"], plan["split"])) == {
        "chr1": "train",
        "chr2": "val",
        "chr3": "test",
        "chr4": "train",
    }
    _assert_tiles(plan, FOUR_CHROMS)


def test_auto_holds_out_chromosomes_when_they_exist():
    plan, mode = plan_splits(FOUR_CHROMS, SplitSettings(val_chroms=["chr2"], test_chroms=["chr4"]))
    assert mode == "chroms"
    assert set(plan.loc[plan["split"] == "test", "chrom"]) == {"chr4"}


def test_auto_falls_back_to_blocks_when_named_chromosomes_are_absent():
    # the defaults name chr6/chr7 and chr8/chr9, which this genome lacks
    plan, mode = plan_splits(FOUR_CHROMS, SplitSettings(block_bp=500))
    assert mode == "blocks"
    assert len(plan) > len(FOUR_CHROMS)
    _assert_tiles(plan, FOUR_CHROMS)


def test_a_held_out_name_the_reference_lacks_is_named_with_the_nearest_spelling():
    sizes = {"NC_000001.11": 5_000, "NC_000002.12": 5_000, "NC_000003.12": 5_000}
    settings = SplitSettings(mode="chroms", val_chroms=["NC_000002.12"], test_chroms=["NC_000003"])
    with pytest.raises(InputError, match=r"not in the reference: NC_000003 \(did you mean NC_000003.12\?\)"):
        plan_splits(sizes, settings)


def test_chroms_mode_on_a_one_chromosome_reference_says_to_hold_out_blocks():
    """The demo's config copied for a one-chromosome cohort (chr4/chr5 held out): no nearest spelling to
    offer (chr22 cannot be both), but the setting that works."""
    settings = SplitSettings(mode="chroms", val_chroms=["chr4"], test_chroms=["chr5"])
    with pytest.raises(InputError) as caught:
        plan_splits({"chr22": 50_818_468}, settings)
    message = str(caught.value)
    assert "did you mean" not in message
    assert "not in the reference: chr4, chr5" in message
    assert "1 sequence cannot hold out whole chromosomes" in message and "split.mode: blocks" in message


def test_auto_on_a_small_genome_holds_out_blocks_near_the_fractions_asked_for(caplog):
    """Three 200-kb chromosomes in auto's 1-Mb blocks would be a third each; auto cuts them finer, so
    validation and test get near 10 % of the bp each. Mode blocks keeps the block_bp given."""
    sizes = {"1": 200_000, "2": 200_000, "X": 200_000}
    with caplog.at_level("INFO", logger="epibench.data.splits"):
        plan, mode = plan_splits(sizes, SplitSettings())
    assert mode == "blocks" and "not split.block_bp's 1,000,000" in caplog.text
    _assert_tiles(plan, sizes)
    bp = (plan["end"] - plan["start"]).groupby(plan["split"]).sum() / sum(sizes.values())
    assert 0.08 <= bp["val"] <= 0.12 and 0.08 <= bp["test"] <= 0.12
    given, _ = plan_splits(sizes, SplitSettings(mode="blocks"))
    assert given["split"].value_counts().to_dict() == {"train": 1, "val": 1, "test": 1}
    # four sequences of 800 kb cut into 49 blocks of 16 kb (each sequence's count rounded): 10 % of 49
    # is 5 blocks each, not 4 (trial W: a fifth less validation and test than asked)
    fly = {"2L": 250_000, "2R": 200_000, "3L": 200_000, "X": 150_000}
    plan, _ = plan_splits(fly, SplitSettings())
    assert len(plan) == 49 and plan["split"].value_counts()[["val", "test"]].tolist() == [5, 5]
    bp = (plan["end"] - plan["start"]).groupby(plan["split"]).sum() / sum(fly.values())
    assert 0.09 <= bp["val"] <= 0.12 and 0.09 <= bp["test"] <= 0.12  # blocks of 10-24 kb


def test_auto_falls_back_to_blocks_when_nothing_is_left_to_train_on():
    sizes = {"chr6": 3_000, "chr8": 3_000}
    _, mode = plan_splits(sizes, SplitSettings(block_bp=500))
    assert mode == "blocks"


def test_a_chromosome_held_out_for_both_validation_and_test_is_named():
    settings = SplitSettings(mode="chroms", val_chroms=["chr2"], test_chroms=["chr2"])
    with pytest.raises(InputError, match=r"split.test_chroms.*chr2 is named for both"):
        plan_splits(FOUR_CHROMS, settings)


def test_chroms_mode_with_absent_chromosomes_is_an_input_error():
    with pytest.raises(InputError, match="chroms"):
        plan_splits(FOUR_CHROMS, SplitSettings(mode="chroms", val_chroms=["chr6"], test_chroms=["chr8"]))


@pytest.mark.parametrize(
    "chrom_sizes",
    [
        {"a": 10_000, "b": 7_321, "c": 999, "d": 1},
        {"chrI": 230_218, "chrII": 813_184, "chrM": 85_779},
        {"only": 12_345},
    ],
)
def test_blocks_tile_every_sequence_exactly(chrom_sizes):
    plan, mode = plan_splits(chrom_sizes, SplitSettings(mode="blocks", block_bp=1_000))
    assert mode == "blocks"
    _assert_tiles(plan, chrom_sizes)
    assert set(plan["split"]) <= {*SPLITS, LEFT_OUT}
    assert set(plan.loc[plan["split"] == LEFT_OUT, "chrom"]) == ({"chrM"} & set(chrom_sizes))


@pytest.mark.parametrize("chrom_sizes", [{"a": 3_000}, {"a": 1_200, "b": 900, "c": 1_000}, {"a": 5_000}])
def test_a_tiny_genome_still_gets_a_validation_and_a_test_block(chrom_sizes):
    plan, _ = plan_splits(chrom_sizes, SplitSettings(mode="blocks", block_bp=1_000))
    counts = plan["split"].value_counts()
    assert counts["val"] >= 1 and counts["test"] >= 1 and counts["train"] >= 1


def test_too_few_blocks_for_three_splits_is_an_input_error():
    with pytest.raises(InputError, match="block_bp"):
        plan_splits({"a": 2_000}, SplitSettings(mode="blocks", block_bp=1_000))


def test_block_draw_is_fixed_by_the_seed():
    sizes = {"a": 60_000, "b": 40_000}
    settings = {"mode": "blocks", "block_bp": 1_000, "val_fraction": 0.1, "test_fraction": 0.2}
    first, _ = plan_splits(sizes, SplitSettings(**settings, seed=11))
    again, _ = plan_splits(sizes, SplitSettings(**settings, seed=11))
    other, _ = plan_splits(sizes, SplitSettings(**settings, seed=12))
    pd.testing.assert_frame_equal(first, again)
    assert first["split"].tolist() != other["split"].tolist()
    # same fractions whatever the seed: floor(0.1 * 100) and floor(0.2 * 100) blocks
    for plan in (first, other):
        assert plan["split"].value_counts().to_dict() == {"train": 70, "test": 20, "val": 10}


@pytest.mark.parametrize("seed", range(5))
def test_spread_blocks_hold_out_every_chromosome_s_share_of_both_kinds(seed):
    """A 1-Mb and a 300-kb chromosome in auto's blocks: the short one holds out validation and test
    blocks whatever the seed, and no stretch of the genome goes without a held-out block."""
    sizes = {"chr1": 1_000_000, "chr22": 300_000}
    plan, mode = plan_splits(sizes, SplitSettings(seed=seed))
    assert mode == "blocks"
    for chrom in sizes:
        kinds = set(plan.loc[plan["chrom"] == chrom, "split"])
        assert {"val", "test"} <= kinds, (chrom, kinds)
    held_out = np.flatnonzero(plan["split"].to_numpy() != "train")
    n, m = len(plan), len(held_out)
    assert np.diff(held_out).max() <= int(np.ceil(n / m)) and held_out[0] < np.ceil(n / m)
    random_plan, _ = plan_splits(sizes, SplitSettings(seed=seed, draw="random"))
    assert random_plan["split"].value_counts().to_dict() == plan["split"].value_counts().to_dict()


def test_span_split_drops_a_span_across_a_boundary():
    plan = pd.DataFrame(
        [("c", 0, 100, "train"), ("c", 100, 200, "test"), ("c", 200, 300, "train"), ("d", 0, 50, "val")],
        columns=["chrom", "start", "end", "split"],
    )
    split_map = SplitMap(plan)
    first = [10, 90, 100, 150, 199, -30, 250]
    last = [50, 110, 199, 210, 200, 20, 320]  # inclusive ends; 320 lies past the sequence end
    assert split_map.span_split("c", first, last).tolist() == [
        TRAIN,
        DROPPED,
        TEST,
        DROPPED,
        DROPPED,
        TRAIN,
        TRAIN,
    ]
    assert split_map.split_at("d", [0, 49]).tolist() == [VAL, VAL]
    with pytest.raises(InputError, match="not in the split plan"):
        split_map.split_at("e", [0])


def test_split_plan_round_trips_through_bed(tmp_path):
    plan, _ = plan_splits(FOUR_CHROMS, SplitSettings(mode="blocks", block_bp=1_000))
    write_split_plan(plan, tmp_path / "splits.bed")
    lines = (tmp_path / "splits.bed").read_text().splitlines()
    assert len(lines) == len(plan) and lines[0].split("\t") == ["chr1", "0", "1000", plan["split"][0]]
    pd.testing.assert_frame_equal(read_split_plan(tmp_path / "splits.bed"), plan)


def test_unknown_split_name_is_refused_with_its_line(tmp_path):
    bed = tmp_path / "splits.bed"
    bed.write_text("chr1\t0\t100\ttrain\nchr1\t100\t200\ttest\nchr1\t200\t300\tholdout\n")
    with pytest.raises(InputError, match=r"line 3.*'holdout'") as err:
        read_split_plan(bed)
    assert err.value.line == 3


def test_the_line_of_an_unknown_split_counts_comment_and_blank_lines(tmp_path):
    bed = tmp_path / "splits.bed"
    bed.write_text("# my plan\nchr1\t0\t100\ttrain\n\nchr1\t100\t200\tholdout\n")
    with pytest.raises(InputError, match="line 4"):
        read_split_plan(bed)


def test_fractions_that_leave_no_training_block_are_refused():
    settings = SplitSettings(mode="blocks", block_bp=1_000, val_fraction=0.7, test_fraction=0.2)
    with pytest.raises(InputError, match="none to train on"):
        plan_splits({"a": 3_000}, settings)
    plan, _ = plan_splits({"a": 10_000}, settings)  # 7 + 2 of 10 blocks: one left
    assert plan["split"].value_counts().to_dict() == {"val": 7, "test": 2, "train": 1}


def test_a_held_out_block_shorter_than_an_input_span_is_refused():
    plan = pd.DataFrame(
        [("c", 0, 1_000, "train"), ("c", 1_000, 1_150, "test"), ("c", 1_150, 3_000, "train")],
        columns=["chrom", "start", "end", "split"],
    )
    with pytest.raises(InputError, match="c:1000-1150"):
        check_block_size(plan, 200)
    check_block_size(plan, 150)  # as long as the span: fine
    # a whole chromosome is one interval however short
    check_block_size(pd.DataFrame([("m", 0, 16, "val")], columns=plan.columns), 200)


@pytest.mark.parametrize(
    ("sizes", "packs"),
    [
        # of 1000 bp, sequences of >= 100 bp stand alone; the rest (250 bp) fit one pack of at most
        # the largest one's 500 bp (three of 10 % each would hold them)
        (
            {"chr1": 500, "chr2": 250, "u1": 60, "u2": 40, "u3": 30, "chrX": 70, "u4": 30, "u5": 20},
            {"small_1": ["u1", "u2", "u3", "chrX", "u4", "u5"]},
        ),
        # nothing stands alone (a draft assembly of scaffolds): packs hold at most 10 % of the bp
        (
            {f"s{i}": 25 for i in range(40)},
            {f"small_{i + 1}": [f"s{4 * i + j}" for j in range(4)] for i in range(10)},
        ),
    ],
)
def test_big_sequences_get_their_own_group_and_small_ones_are_packed(sizes, packs):
    share = 0.1
    limit = share * sum(sizes.values())
    groups = shard_groups(sizes, share)
    alone = [c for c in sizes if sizes[c] >= limit]
    assert {c: groups[c] for c in alone} == {c: [c] for c in alone}
    small = {name: members for name, members in groups.items() if name.startswith(SMALL_PREFIX)}
    assert small == packs
    largest_job = max([limit, *(sizes[c] for c in alone)])
    for members in small.values():
        assert sum(sizes[c] for c in members) <= largest_job
    # every sequence in exactly one group, the packs in reference order
    flat = [c for members in groups.values() for c in members]
    assert sorted(flat) == sorted(sizes)
    assert [c for members in small.values() for c in members] == [c for c in sizes if c not in alone]


def test_a_pack_holds_at_most_max_packed_sequences():
    """A large chromosome beside 25,000 contigs of 100 bp: by length one pack could take them all,
    but a shard indexes its sequences as int16, so packs stop at MAX_PACKED_SEQUENCES."""
    sizes = {"chr1": 10_000_000, **{f"ctg{i}": 100 for i in range(25_000)}}
    groups = shard_groups(sizes, 0.01)
    packs = [members for name, members in groups.items() if name.startswith(SMALL_PREFIX)]
    assert [len(members) for members in packs] == [MAX_PACKED_SEQUENCES] * 2 + [5_000]
    assert [c for members in packs for c in members] == [f"ctg{i}" for i in range(25_000)]
    assert MAX_PACKED_SEQUENCES <= np.iinfo(np.dtype(ARRAY_DTYPES["chrom"])).max


def test_a_big_sequence_that_cannot_name_a_group_is_refused():
    with pytest.raises(InputError, match="small_7"):
        shard_groups({"small_7": 1_000, "u": 1}, 0.1)


def test_groups_round_trip_through_tsv(tmp_path):
    groups = {"chr1": ["chr1"], "chr2": ["chr2"], "small_1": ["u1", "u2", "chrM"], "small_2": ["u3"]}
    write_groups(groups, tmp_path / "groups.tsv")
    assert (tmp_path / "groups.tsv").read_text().splitlines()[0] == "group\tchrom"
    back = read_groups(tmp_path / "groups.tsv")
    assert back == groups and list(back) == list(groups)


def test_write_plan_writes_groups_splits_and_figure(tmp_path):
    sizes_tsv = tmp_path / "chrom_sizes.tsv"
    pd.DataFrame({"chrom": list(FOUR_CHROMS), "length": list(FOUR_CHROMS.values()), "n_cpg": 1}).to_csv(
        sizes_tsv, sep="\t", index=False
    )
    out = tmp_path / "plan"
    mode = write_plan(sizes_tsv, SplitSettings(mode="blocks", block_bp=1_000, seed=4), 0.3, out)
    assert mode == "blocks"
    for name in ("groups.tsv", "splits.bed", "splits.tsv", "splits.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "splits.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plan = read_split_plan(out / "splits.bed")
    _assert_tiles(plan, FOUR_CHROMS)
    summary = pd.read_csv(out / "splits.tsv", sep="\t").set_index("split")
    bp = (plan["end"] - plan["start"]).groupby(plan["split"]).sum()
    assert summary["bp"].to_dict() == {s: int(bp.get(s, 0)) for s in (*SPLITS, LEFT_OUT)}
    assert summary["bp"].sum() == sum(FOUR_CHROMS.values())
    assert set(summary["mode"]) == {"blocks"}
    # 30% of 14 kb = 4.2 kb: only chr1 stands alone; a pack holds up to its 5 kb: chr2 + chr3 exceed it
    assert read_groups(out / "groups.tsv") == {
        "chr1": ["chr1"],
        "small_1": ["chr2"],
        "small_2": ["chr3", "chr4"],
    }


# --- organelles ----------------------------------------------------------------------------------

NUCLEAR = {"chr1": 9_000, "chr2": 7_000, "chr3": 6_000}


@pytest.mark.parametrize(
    ("organelles", "aliases"),
    [
        ({"chrM": 1_600, "ChrC": 1_500}, {}),  # UCSC's mitochondrion, TAIR's chloroplast
        ({"MT": 1_600, "Pt": 1_500}, {}),  # Ensembl's
        ({"NC_001665.2": 1_600}, {"MT": "NC_001665.2"}),  # rat's, named by its NCBI definition line
    ],
)
def test_organelles_are_left_out_and_the_splits_drawn_from_the_rest(organelles, aliases):
    """Each organelle is one left_out interval; the other sequences get the plan they get alone."""
    sizes = {"chr1": NUCLEAR["chr1"], **organelles, **{k: v for k, v in NUCLEAR.items() if k != "chr1"}}
    settings = SplitSettings(mode="blocks", block_bp=1_000, seed=3)
    plan, mode = plan_splits(sizes, settings, aliases)
    _assert_tiles(plan, sizes)
    left_out = plan[plan["split"] == LEFT_OUT]
    assert left_out[["chrom", "start", "end"]].values.tolist() == [[c, 0, n] for c, n in organelles.items()]
    alone, alone_mode = plan_splits(NUCLEAR, settings)
    pd.testing.assert_frame_equal(
        plan[plan["split"] != LEFT_OUT].sort_values(["chrom", "start"]).reset_index(drop=True),
        alone.sort_values(["chrom", "start"]).reset_index(drop=True),
    )
    assert mode == alone_mode
    assert plan["chrom"].drop_duplicates().tolist() == list(sizes), "reference order"


def test_organelles_true_splits_them_like_any_sequence():
    sizes = {**NUCLEAR, "chrM": 1_600}
    plan, _ = plan_splits(
        sizes, SplitSettings(mode="chroms", val_chroms=["2"], test_chroms=["3"], organelles=True)
    )
    assert dict(zip(plan["chrom"], plan["split"]))["chrM"] == "train"
    assert LEFT_OUT not in set(plan["split"])


def test_held_out_chromosomes_leave_the_mitochondrion_out_of_training():
    sizes = {**NUCLEAR, "chrM": 1_600}
    plan, mode = plan_splits(sizes, SplitSettings(val_chroms=["2"], test_chroms=["3"]))
    assert mode == "chroms"
    assert dict(zip(plan["chrom"], plan["split"])) == {
        "chr1": "train",
        "chr2": "val",
        "chr3": "test",
        "chrM": LEFT_OUT,
    }


def test_a_reference_of_organelles_only_is_refused_with_the_setting():
    with pytest.raises(InputError, match="organelles only .*split.organelles: true"):
        plan_splits({"chrM": 16_569}, SplitSettings(block_bp=1_000))


def test_a_left_out_sequence_is_in_no_split_and_round_trips(tmp_path):
    plan, _ = plan_splits({**NUCLEAR, "chrM": 1_600}, SplitSettings(val_chroms=["2"], test_chroms=["3"]))
    write_split_plan(plan, tmp_path / "splits.bed")
    back = read_split_plan(tmp_path / "splits.bed")
    pd.testing.assert_frame_equal(back, plan)
    split_map = SplitMap(back)
    assert split_map.is_left_out("chrM") and not split_map.is_left_out("chr1")
    assert split_map.span_split("chrM", np.array([0, 100]), np.array([50, 900])).tolist() == [DROPPED] * 2
    assert split_map.span_split("chr2", np.array([0]), np.array([50])).tolist() == [VAL]


# --- sequences beside the primary assembly -------------------------------------------------------

# hs38DH's kinds of sequence, in its order: primary chromosomes, unlocalised and unplaced scaffolds
# (primary), then what copies a chromosome or comes from elsewhere
HS38DH_LIKE = {
    **NUCLEAR,
    "chrM": 1_600,
    "chr1_KI270706v1_random": 1_500,
    "chrUn_KI270302v1": 1_200,
    "chrEBV": 1_700,
    "chr2_KI270769v1_alt": 2_000,
    "chr3_KI270777v1_alt": 2_000,
    "chrUn_JTFH01000001v1_decoy": 1_100,
    "HLA-A*01:01:01:01": 1_300,
    "HLA-DRB1*15:01:01:01": 1_300,
}
ALTERNATES = ["chrEBV", "chr2_KI270769v1_alt", "chr3_KI270777v1_alt", "chrUn_JTFH01000001v1_decoy"]
ALTERNATES += ["HLA-A*01:01:01:01", "HLA-DRB1*15:01:01:01"]


@pytest.mark.parametrize("mode", ["chroms", "blocks"])
def test_alternates_decoys_and_hla_are_in_no_split(mode):
    """An alt of a held-out chromosome in training would leak its CpGs; no held-out block falls on
    one either. Unplaced and unlocalised scaffolds are primary: split like the chromosomes."""
    settings = SplitSettings(mode=mode, val_chroms=["chr2"], test_chroms=["chr3"], block_bp=1_000, seed=1)
    plan, _ = plan_splits(HS38DH_LIKE, settings)
    _assert_tiles(plan, HS38DH_LIKE)
    split_of = plan.groupby("chrom")["split"].agg(set).to_dict()
    assert [c for c, splits in split_of.items() if splits == {LEFT_OUT}] == sorted(["chrM", *ALTERNATES])
    assert LEFT_OUT not in split_of["chr1_KI270706v1_random"] | split_of["chrUn_KI270302v1"]
    kept, _ = plan_splits(HS38DH_LIKE, SplitSettings(mode=mode, val_chroms=["chr2"], test_chroms=["chr3"],
                                                     block_bp=1_000, seed=1, alternates=True))  # fmt: skip
    assert set(kept.loc[kept["split"] == LEFT_OUT, "chrom"]) == {"chrM"}


@pytest.mark.parametrize(
    "name",
    ["chr6_apd_hap1", "CHR_HSCHR6_MHC_COX_CTG1", "HSCHR6_MHC_COX", "chr1_KN196472v1_fix", "hs37d5", "NC_007605",
     "lambda", "Lambda_NEB", "J02459.1", "pUC19", "phiX174"],
)  # fmt: skip
def test_other_assemblies_alternates_and_spike_ins_are_known_by_name(name):
    assert name in non_primary(["chr1", name, "chrUn_GL000195v1", "2", "Chr1", "scaffold_12"])
    assert set(non_primary(["chr1", name, "chrUn_GL000195v1", "2", "Chr1", "scaffold_12"])) == {name}


def test_chromosomes_named_with_an_underscore_are_primary():
    assert non_primary(["Chr_1", "chr_01", "CHR_1_alt", "chr6_COX_hap2", "scaffold_alternative"]) == {
        "CHR_1_alt": "alternate haplotype",
        "chr6_COX_hap2": "alternate haplotype",
    }


def test_a_test_split_too_short_for_a_bootstrap_interval_is_warned_of_at_the_plan(tmp_path, caplog):
    """A 400-kb genome under the defaults holds out 40 kb for test: 4 blocks of 10 kb, fewer than the 10
    a 95 % interval needs, so every interval of the evaluation would be missing (trial W F4, an 800-kb
    genome with 4 test blocks of 16 kb); shard-plan says so before anything trains. Five 200-kb
    chromosomes, one held out, do not."""
    from epibench.cli import main
    from epibench.data.splits import blocks_spanned

    plan = pd.DataFrame(
        [
            ("a", 0, 10_000, "test"),
            ("a", 10_000, 25_000, "test"),
            ("b", 5_000, 6_000, "test"),
            ("b", 0, 5_000, "val"),
        ],
        columns=["chrom", "start", "end", "split"],
    )
    assert blocks_spanned(plan, "test", 10_000, enough=100) == 4  # a:0, a:1, a:2 and b:0
    assert blocks_spanned(plan, "test", 10_000, enough=2) == 2
    for sizes, warned in (
        ({"2L": 250_000, "X": 150_000}, True),
        ({f"chr{i}": 200_000 for i in range(1, 6)}, False),
    ):
        table = tmp_path / "chrom_sizes.tsv"
        table.write_text("chrom\tlength\n" + "".join(f"{c}\t{n}\n" for c, n in sizes.items()))
        caplog.clear()
        flags = ["--mode", "chroms", "--test-chroms", "chr5", "--val-chroms", "chr4"] if not warned else []
        assert (
            main(["shard-plan", "--chrom-sizes", str(table), "--out-dir", str(tmp_path / "plan"), *flags])
            == 0
        )
        said = caplog.text
        assert ("fewer than the 10 a 95 % bootstrap interval needs" in said) == warned, said
