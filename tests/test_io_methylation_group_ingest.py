"""Ingest scattered per shard group (epibench.io.methylation.group_ingest), checked against one-job ``ingest``."""

import gzip
import json
import logging
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyBigWig
import pytest

from epibench.errors import InputError
from epibench.io.methylation import ingest
from epibench.io.methylation.group_ingest import (
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
    merged = merge_ingest_qc(
        qc,
        group_qcs,
        reference,
        settings.get("min_coverage", 5),
        settings.get("min_cg_share", 0.95),
        tmp_path / "calls",
    )
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


@pytest.mark.parametrize("fmt", ["bismark_zero_cov", "bismark_cov"])
def test_the_sample_cg_share_is_judged_when_no_group_has_enough_calls(tmp_path, genome, fmt):
    """Two small chromosomes in their own groups, each under MIN_CALLS_TO_JUDGE calls: a 1-based
    .bismark.cov read as 0-based (or the reverse) stops the scattered path as it stops ingest()."""
    reference, seqs = genome
    # both bases of each CpG, rows of two bases; the file 1-based but read as 0-based, or the reverse
    shift = 1 if fmt == "bismark_zero_cov" else 0
    bases = [(chrom, b) for chrom in ("chrB", "chrM") for c in cpgs_of(seqs[chrom])[:200] for b in (c, c + 1)]
    path = tmp_path / "s.bismark.cov"
    path.write_text("".join(f"{chrom}\t{b + shift}\t{b + shift + 1}\t50\t3\t3\n" for chrom, b in bases))
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    with pytest.raises(InputError, match="positions fit .* one base to the") as one_job:
        ingest(path, reference, fmt=fmt)
    split_calls(path, reference, groups, tmp_path / "calls", fmt=fmt)
    group_qcs = {}
    for group in groups:
        _, group_qcs[group] = ingest_group(tmp_path / "calls" / f"{group}.parquet", reference)
        assert group_qcs[group]["n_calls"] < MIN_CALLS_TO_JUDGE
    assert sum("not judged" in w for g in group_qcs.values() for w in g["warnings"]) == 2
    with pytest.raises(InputError) as scattered_path:
        merge_ingest_qc({"input": str(path)}, group_qcs, reference, 5, 0.95, tmp_path / "calls")
    assert str(scattered_path.value) == str(one_job.value)
    assert scattered_path.value.path == str(path)


def test_minus_strand_calls_on_the_c_in_a_group_of_their_own_are_diagnosed_as_in_one_job(tmp_path, genome):
    """The - strand calls (on the C of their CpG: another strand convention) all on chrB, the +
    strand calls on chrM, each group under MIN_CALLS_TO_JUDGE: the sample's fit adds the groups'
    up, and a group without - strand calls counts its calls as read under that convention too."""
    reference, seqs = genome
    calls = [("chrB", c, "-", 5, 50) for c in cpgs_of(seqs["chrB"])[:40]]
    calls += [("chrM", c, "+", 5, 50) for c in cpgs_of(seqs["chrM"])]
    path = tmp_path / "s.bed"
    path.write_text("\n".join(encode_lines(calls)) + "\n")
    with pytest.raises(InputError, match="the - strand calls sit on the C of their CpG") as one_job:
        ingest(path, reference)
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    split_calls(path, reference, groups, tmp_path / "calls")
    group_qcs = {g: ingest_group(tmp_path / "calls" / f"{g}.parquet", reference)[1] for g in groups}
    assert all(q["n_calls"] < MIN_CALLS_TO_JUDGE for q in group_qcs.values())
    with pytest.raises(InputError) as scattered_path:
        merge_ingest_qc({"input": str(path)}, group_qcs, reference, 5, 0.95, tmp_path / "calls")
    assert str(scattered_path.value) == str(one_job.value)


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


# --- reading in blocks: the output does not depend on the block size ---------------------------------


def methylc_lines(calls):
    """WashU methylC for the calls, plus a CHG row per 50 calls (dropped as non-CG context)."""
    lines = []
    for i, (c, s, st, n, pct) in enumerate(calls):
        lines.append("\t".join(map(str, (c, s, s + 1, "CG", f"{pct / 100:.3f}", st, n))))
        if i % 50 == 0:
            lines.append("\t".join(map(str, (c, s, s + 1, "CHG", "0.500", st, n))))
    return lines


def modkit_lines(calls):
    """modkit pileup (whitespace-separated), a 5hmC row beside every 5mC row (rows of other modifications)."""
    return [
        f"{c}\t{s}\t{s + 1}\t{code}\t{n}\t{st}\t{s}\t{s + 1}\t255,0,0 {n} {pct}.00 {k} {n - k} 0 0 0 0 0"
        for c, s, st, n, pct in calls
        for code, k in (("m", n * pct // 100), ("h", 0))
    ]


def bismark_lines(calls):
    """Bismark coverage (1-based, unstranded); zero-depth rows included."""
    return [
        f"{c}\t{s + 1}\t{s + 1}\t{pct}\t{n * pct // 100}\t{n - n * pct // 100}" for c, s, _, n, pct in calls
    ]


FORMATS = {
    "bedmethyl": ("s.bed.gz", lambda calls: ['track name="s"', *encode_lines(calls)]),
    "methylc": ("s.methylC.gz", methylc_lines),
    "modkit": ("s.modkit.bed", modkit_lines),
    "bismark_cov": ("s.bismark.cov.gz", bismark_lines),
}


def split_outputs(path, reference, groups, out_dir, **settings):
    """split_calls' QC, and per group its table and layout metadata."""
    qc = split_calls(path, reference, groups, out_dir, **settings)
    files = {group: pq.ParquetFile(out_dir / f"{group}.parquet") for group in groups}
    tables = {group: f.read().to_pandas() for group, f in files.items()}
    layouts = {group: json.loads(f.metadata.metadata[b"epibench.calls"]) for group, f in files.items()}
    return qc, tables, layouts


def test_the_split_reports_rows_read_as_it_goes(tmp_path, genome, monkeypatch, caplog):
    """Every block past the progress interval (0 s here) logs the rows read so far, up to all."""
    monkeypatch.setattr("epibench.progress.EVERY_S", 0.0)
    reference, seqs = genome
    lines = encode_lines(stranded_calls(seqs, np.random.default_rng(2)))
    path = tmp_path / "s.bed"
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.INFO, logger="epibench"):
        split_calls(
            path, reference, {"all": ["chrA", "chrB", "chrM"]}, tmp_path / "calls", block_bytes=1 << 16
        )
    counts = [
        int(m.group(1).replace(",", ""))
        for r in caplog.records
        if (m := re.search(r"([\d,]+) rows read", r.getMessage()))
    ]
    assert len(counts) > 3 and counts == sorted(counts) and counts[-1] == len(lines)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_split_in_many_blocks_equals_one_block(tmp_path, genome, fmt):
    reference, seqs = genome
    rng = np.random.default_rng(4)
    calls = stranded_calls(seqs, rng)
    calls = [calls[i] for i in rng.permutation(len(calls))]  # groups interleave within blocks
    calls[5] = (calls[5][0], calls[5][1], calls[5][2], 0, calls[5][4])  # a call without reads
    name, lines = FORMATS[fmt]
    text = ("\n".join(lines(calls)) + "\n").encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    one = split_outputs(path, reference, groups, tmp_path / "one")
    many = split_outputs(path, reference, groups, tmp_path / "many", block_bytes=1000)
    assert len(text) > 50 * 1000  # many blocks indeed
    assert many[0] == one[0]
    assert many[2] == one[2]
    for group in groups:
        pd.testing.assert_frame_equal(many[1][group], one[1][group])
    assert one[0]["n_records"] == sum(not line.startswith("track") for line in lines(calls))
    assert len(one[1]["small_1"]) and one[0]["n_zero_depth_dropped"] == 1


def test_a_bigwig_is_split_per_chromosome_as_one_job_ingests_it(tmp_path, genome):
    reference, seqs = genome
    rng = np.random.default_rng(6)
    sizes = {"A": len(seqs["chrA"]), "chrB": len(seqs["chrB"]), "chrM": len(seqs["chrM"])}
    levels, depths = pyBigWig.open(str(tmp_path / "levels.bw"), "w"), pyBigWig.open(
        str(tmp_path / "cov.bw"), "w"
    )
    for bw in (levels, depths):
        bw.addHeader(list(sizes.items()))
    for chrom, name in (("chrA", "A"), ("chrB", "chrB"), ("chrM", "chrM")):
        pos = np.array(sorted({p for c in cpgs_of(seqs[chrom]) for p in (c, c + 1) if rng.random() < 0.7}))
        depth = rng.integers(1, 30, len(pos)).astype(float)
        levels.addEntries(
            [name] * len(pos), pos.tolist(), ends=(pos + 1).tolist(), values=rng.random(len(pos)).tolist()
        )
        has = rng.random(len(pos)) > 0.01  # a few bases without coverage: dropped and counted
        depths.addEntries(
            [name] * int(has.sum()),
            pos[has].tolist(),
            ends=(pos[has] + 1).tolist(),
            values=depth[has].tolist(),
        )
    levels.close()
    depths.close()
    path, coverage = tmp_path / "levels.bw", tmp_path / "cov.bw"
    groups = {"chrA": ["chrA"], "rest": ["chrB", "chrM"]}
    want, want_qc = ingest(path, reference, coverage_path=coverage)
    qc = split_calls(path, reference, groups, tmp_path / "calls", coverage_path=coverage)
    qc["input"] = str(path)
    tables, group_qcs = [], {}
    for group in groups:
        table, group_qcs[group] = ingest_group(tmp_path / "calls" / f"{group}.parquet", reference)
        tables.append(table)
    got_qc = merge_ingest_qc(qc, group_qcs, reference, 5, 0.95, tmp_path / "calls")
    pd.testing.assert_frame_equal(pd.concat(tables, ignore_index=True), want)
    assert got_qc["n_missing_coverage_dropped"] == want_qc["n_missing_coverage_dropped"] > 0
    for key in (
        "n_records",
        "n_intervals",
        "renamed_chroms",
        "n_kept",
        "chroms_without_coverage",
        "coverage_known",
    ):
        assert got_qc[key] == want_qc[key], key


def test_errors_in_a_later_block_name_the_file_line(tmp_path, genome):
    reference, seqs = genome
    calls = [("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])]
    lines = ['track name="s"', *encode_lines(calls)]
    bad = len(lines) - 10
    groups = {"all": ["chrA", "chrB", "chrM"]}
    for value, message in (("150", "percent > 100"), ("x", "not a number")):
        fields = lines[bad].split("\t")
        fields[10] = value
        path = tmp_path / "s.bed"
        path.write_text("\n".join([*lines[:bad], "\t".join(fields), *lines[bad + 1 :]]) + "\n")
        with pytest.raises(InputError, match=message) as info:
            split_calls(path, reference, groups, tmp_path / "calls", block_bytes=1000)
        assert info.value.line == bad + 1, value
        assert not (tmp_path / "calls").exists()


def test_a_truncated_gzip_is_named_by_the_split(tmp_path, genome):
    reference, seqs = genome
    calls = [("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])]
    data = gzip.compress(("\n".join(encode_lines(calls)) + "\n").encode())
    path = tmp_path / "s.bed.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as info:
        split_calls(path, reference, {"all": ["chrA", "chrB", "chrM"]}, tmp_path / "calls", block_bytes=1000)
    assert info.value.path == path
