"""Ingest scattered per shard group (epibench.io.methylation.scatter), checked against one-job ``ingest``."""

import gzip

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.methylation import ingest
from epibench.io.methylation.scatter import (
    MIN_CALLS_TO_JUDGE,
    ingest_group,
    merge_ingest_qc,
    split_calls,
)
from small_reference import make_reference

RNG_SEED = 5


def cpgs_of(seq):
    return [i for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"]


def encode_lines(calls):
    """ENCODE bedMethyl (11 columns) for (chrom, start, strand, coverage, percent) calls."""
    return [
        "\t".join(map(str, (c, s, s + 1, "x", n, st, s, s + 1, "0,0,0", n, pct)))
        for c, s, st, n, pct in calls
    ]


@pytest.fixture
def genome(tmp_path):
    """Three random sequences: two large (own groups) and a small one; reference order chrA, chrB, chrM."""
    rng = np.random.default_rng(RNG_SEED)
    seqs = {
        name: "".join(rng.choice(list("ACGT"), size=n))
        for name, n in (("chrA", 30_000), ("chrB", 20_000), ("chrM", 300))
    }
    return make_reference(tmp_path, seqs, "three"), seqs


def stranded_calls(seqs, rng, share=0.8):
    """Calls on both strands of a random ``share`` of every CpG (chromosome names as a lab might write them)."""
    return [
        (
            chrom.replace("chr", "") if chrom == "chrB" else chrom,
            p,
            strand,
            int(rng.integers(1, 30)),
            int(rng.integers(0, 101)),
        )
        for chrom, seq in seqs.items()
        for c in cpgs_of(seq)
        for p, strand in ((c, "+"), (c + 1, "-"))
        if rng.random() < share
    ]


def scattered(path, reference, groups, tmp_path, **settings):
    """All three stages as the workflow runs them: (concatenated canonical table, sample QC)."""
    qc = split_calls(path, reference, groups, tmp_path / "calls")
    qc["input"] = str(path)
    tables, group_qcs = [], {}
    for group in groups:
        table, group_qcs[group] = ingest_group(tmp_path / "calls" / f"{group}.parquet", reference, **settings)
        tables.append(table)
    merged = merge_ingest_qc(qc, group_qcs, reference, settings.get("min_coverage", 5))
    return pd.concat(tables, ignore_index=True), merged


def test_scattered_ingest_equals_one_job(tmp_path, genome):
    reference, seqs = genome
    rng = np.random.default_rng(1)
    calls = stranded_calls(seqs, rng)
    calls = [calls[i] for i in rng.permutation(len(calls))]  # unsorted: rows keep their file numbers
    path = tmp_path / "s.bed.gz"
    path.write_bytes(gzip.compress(("\n".join(encode_lines(calls)) + "\n").encode()))
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    want, want_qc = ingest(path, reference)
    got, qc = scattered(path, reference, groups, tmp_path)
    pd.testing.assert_frame_equal(got, want)
    for key in (
        "n_records",
        "renamed_chroms",
        "n_cpgs_merged",
        "n_below_min_coverage",
        "n_kept",
        "n_off_cg_dropped",
    ):
        assert qc[key] == want_qc[key], key
    for key in ("cg_share", "mean_coverage", "mean_level"):
        assert qc[key] == pytest.approx(want_qc[key]), key
    assert qc["renamed_chroms"] == {"B": "chrB"}
    assert set(qc["groups"]) == set(groups)
    assert sum(g["n_calls"] for g in qc["groups"].values()) == len(calls)


def test_a_group_without_calls_is_empty_not_an_error(tmp_path, genome):
    reference, seqs = genome
    calls = [c for c in stranded_calls(seqs, np.random.default_rng(2)) if c[0] == "chrA"]
    path = tmp_path / "s.bed"
    path.write_text("\n".join(encode_lines(calls)) + "\n")
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    got, qc = scattered(path, reference, groups, tmp_path)
    assert set(got["chrom"]) == {"chrA"}
    assert qc["groups"]["chrB"]["n_calls"] == 0 and qc["groups"]["chrB"]["cg_share"] is None
    empty, _ = ingest_group(tmp_path / "calls" / "chrB.parquet", reference)
    assert empty.empty and list(empty.columns) == list(got.columns)


def test_errors_in_a_group_job_name_the_sample_file_and_line(tmp_path, genome):
    reference, seqs = genome
    first = cpgs_of(seqs["chrB"])[0]
    lines = encode_lines([("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])[:3]])
    lines += encode_lines([("chrB", first, "+", 9, 50), ("chrB", first, "+", 7, 10)])
    path = tmp_path / "dup.bed"
    path.write_text('track name="dup"\n' + "\n".join(lines) + "\n")
    split_calls(path, reference, {"chrA": ["chrA"], "chrB": ["chrB", "chrM"]}, tmp_path / "calls")
    ingest_group(tmp_path / "calls" / "chrA.parquet", reference)  # the other group is fine
    with pytest.raises(InputError, match="second call for the \\+ strand .* first is on line 5") as info:
        ingest_group(tmp_path / "calls" / "chrB.parquet", reference)
    assert info.value.path == path.resolve() and info.value.line == 6


def test_cg_share_is_judged_per_group_unless_the_group_has_few_calls(tmp_path, genome):
    reference, seqs = genome
    rng = np.random.default_rng(3)
    good = [("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])]
    assert len(good) >= MIN_CALLS_TO_JUDGE
    # chrM from another assembly: few calls, mostly off a CpG -> a warning, its off-CpG calls dropped
    chrm = [("chrM", int(p), "+", 9, 50) for p in rng.choice(len(seqs["chrM"]) - 2, 40, replace=False)]
    # chrB as well, with enough calls to judge: the whole run stops, with the diagnosis
    chrb = [
        ("chrB", int(p), "+", 9, 50)
        for p in rng.choice(len(seqs["chrB"]) - 2, MIN_CALLS_TO_JUDGE, replace=False)
    ]
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    path = tmp_path / "s.bed"
    path.write_text("\n".join(encode_lines(good + chrm)) + "\n")
    got, qc = scattered(path, reference, groups, tmp_path)
    assert qc["groups"]["small_1"]["cg_share"] < 0.5
    assert any("not judged" in w and "wrong assembly" in w for w in qc["warnings"])
    assert set(got["chrom"]) <= {"chrA", "chrM"}
    path.write_text("\n".join(encode_lines(good + chrb)) + "\n")
    split_calls(path, reference, groups, tmp_path / "calls")
    with pytest.raises(InputError, match="wrong assembly"):
        ingest_group(tmp_path / "calls" / "chrB.parquet", reference)


def test_nothing_kept_in_any_group_is_an_input_error(tmp_path, genome):
    reference, seqs = genome
    path = tmp_path / "s.bed"
    path.write_text("\n".join(encode_lines([("chrA", c, "+", 2, 50) for c in cpgs_of(seqs["chrA"])])) + "\n")
    with pytest.raises(InputError, match="no CpG has at least 5 reads") as info:
        scattered(path, reference, {"chrA": ["chrA"], "rest": ["chrB", "chrM"]}, tmp_path)
    assert str(path) in str(info.value)


def test_a_failed_split_leaves_no_partial_output(tmp_path, genome):
    reference, _ = genome
    path = tmp_path / "bad.bed"
    path.write_text("\n".join(encode_lines([("chrA", 5, "+", 9, 50)])) + "\nchrA\t7\tnot-a-number\n")
    with pytest.raises(InputError):
        split_calls(path, reference, {"all": ["chrA", "chrB", "chrM"]}, tmp_path / "calls")
    assert not (tmp_path / "calls").exists()
    assert not list(tmp_path.glob(".calls.tmp-*"))


def test_a_stale_plan_is_named(tmp_path, genome):
    reference, seqs = genome
    path = tmp_path / "s.bed"
    path.write_text("\n".join(encode_lines([("chrB", c, "+", 9, 50) for c in cpgs_of(seqs["chrB"])])) + "\n")
    with pytest.raises(InputError, match="in no shard group"):
        split_calls(path, reference, {"chrA": ["chrA"]}, tmp_path / "calls")
    with pytest.raises(InputError, match="not in the reference"):
        split_calls(path, reference, {"chrA": ["chrA", "chrZ"]}, tmp_path / "calls")
