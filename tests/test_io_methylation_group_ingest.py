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
    CallsFile,
    ingest_group,
    merge_ingest_qc,
    split_calls,
    split_sample,
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


def scattered(paths, reference, groups, tmp_path, **settings):
    """All three stages as the workflow runs them on a sample of one file or several (``paths``):
    (concatenated canonical table, sample QC)."""
    paths = paths if isinstance(paths, list) else [paths]
    qc = split_sample([CallsFile(p) for p in paths], reference, groups, tmp_path / "calls")
    tables, group_qcs = [], {}
    for group in groups:
        files = [tmp_path / "calls" / str(k) / f"{group}.parquet" for k in range(1, len(paths) + 1)]
        table, group_qcs[group] = ingest_group(files, reference, **settings)
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
    empty, _ = ingest_group([tmp_path / "calls" / "1" / "chrB.parquet"], reference)
    assert empty.empty and list(empty.columns) == list(got.columns)


def test_errors_in_a_group_job_name_the_sample_file_and_line(tmp_path, genome):
    reference, seqs = genome
    first = cpgs_of(seqs["chrB"])[0]
    lines = encode_lines([("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])[:3]])
    lines += encode_lines([("chrB", first, "+", 9, 50), ("chrB", first, "+", 7, 10)])
    path = tmp_path / "dup.bed"
    path.write_text('track name="dup"\n' + "\n".join(lines) + "\n")
    split_calls(path, reference, {"chrA": ["chrA"], "chrB": ["chrB", "chrM"]}, tmp_path / "calls")
    ingest_group([tmp_path / "calls" / "chrA.parquet"], reference)  # the other group is fine
    with pytest.raises(InputError, match="second call for the \\+ strand .* first is on line 5") as info:
        ingest_group([tmp_path / "calls" / "chrB.parquet"], reference)
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
        ingest_group([tmp_path / "calls" / "chrB.parquet"], reference)


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
    split_qc = split_sample([CallsFile(path, fmt)], reference, groups, tmp_path / "calls")
    group_qcs = {}
    for group in groups:
        _, group_qcs[group] = ingest_group([tmp_path / "calls" / "1" / f"{group}.parquet"], reference)
        assert group_qcs[group]["n_calls"] < MIN_CALLS_TO_JUDGE
    assert sum("not judged" in w for g in group_qcs.values() for w in g["warnings"]) == 2
    with pytest.raises(InputError) as scattered_path:
        merge_ingest_qc(split_qc, group_qcs, reference, 5, 0.95, tmp_path / "calls")
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
    split_qc = split_sample([CallsFile(path)], reference, groups, tmp_path / "calls")
    group_qcs = {g: ingest_group([tmp_path / "calls" / "1" / f"{g}.parquet"], reference)[1] for g in groups}
    assert all(q["n_calls"] < MIN_CALLS_TO_JUDGE for q in group_qcs.values())
    with pytest.raises(InputError) as scattered_path:
        merge_ingest_qc(split_qc, group_qcs, reference, 5, 0.95, tmp_path / "calls")
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


# --- a sample of several files: lanes, replicates, a file per chromosome ---------------------------


def expected_pool(files, seqs, min_coverage):
    """The canonical table of a sample given as several files, by hand: each file's rows as
    (chrom, 0-based base, meth, total), a G moved to the C of its CpG, every row of a CpG summed,
    kept at min_coverage reads."""
    rows = pd.DataFrame(
        [row for rows in files for row in rows], columns=["chrom", "base", "n_meth", "n_total"]
    )
    on_g = [seqs[c][b] == "G" for c, b in zip(rows["chrom"], rows["base"])]
    rows["pos"] = rows["base"] - np.array(on_g, dtype=int)
    summed = rows.groupby(["chrom", "pos"], as_index=False)[["n_meth", "n_total"]].sum()
    return summed[summed["n_total"] >= min_coverage].reset_index(drop=True)


def test_a_sample_of_several_files_is_their_reads_summed_per_cpg(tmp_path, genome):
    """Lane 1 as ENCODE bedMethyl (stranded, chrB written B), lane 2 as Bismark coverage (1-based,
    unstranded) over chrA and part of chrB: every CpG's reads are those of both lanes, and a CpG of
    3 reads in each lane is kept at 5 (neither lane alone would keep it)."""
    reference, seqs = genome
    rng = np.random.default_rng(11)
    lane1 = stranded_calls(seqs, rng, share=0.6)
    lane2 = [
        (c, b, 0, int(rng.integers(1, 12)))
        for c in ("chrA", "chrB")
        for cpg in cpgs_of(seqs[c])[:300]
        for b in (cpg, cpg + 1)
        if rng.random() < 0.5
    ]
    lane2 = [(c, b, int(rng.integers(0, n + 1)), n) for c, b, _, n in lane2]
    low = cpgs_of(seqs["chrA"])[-1]  # 3 reads in each lane
    lane1 = [c for c in lane1 if not (c[0] == "chrA" and c[1] in (low, low + 1))] + [("chrA", low, "+", 3, 0)]
    lane2 = [c for c in lane2 if not (c[0] == "chrA" and c[1] in (low, low + 1))] + [("chrA", low + 1, 3, 3)]
    first, second = tmp_path / "lane1.bed", tmp_path / "lane2.cov"
    first.write_text("\n".join(encode_lines(lane1)) + "\n")
    second.write_text("".join(f"{c}\t{b + 1}\t{b + 1}\t0\t{m}\t{n - m}\n" for c, b, m, n in lane2))
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    got, qc = scattered([first, second], reference, groups, tmp_path)
    by_hand = expected_pool(
        [
            [("chrB" if c == "B" else c, b, n * pct / 100, n) for c, b, _, n, pct in lane1],
            [(c, b, m, n) for c, b, m, n in lane2],
        ],
        seqs,
        min_coverage=5,
    )
    assert (
        got[["chrom", "pos", "n_total"]]
        .astype({"chrom": str})
        .equals(by_hand[["chrom", "pos", "n_total"]].astype({"pos": "int64"}))
    )
    np.testing.assert_allclose(got["n_meth"], by_hand["n_meth"])
    assert ((got["chrom"] == "chrA") & (got["pos"] == low)).sum() == 1
    cpgs = [
        {(("chrB" if c == "B" else c), b - (seqs["chrB" if c == "B" else c][b] == "G")) for c, b, *_ in lane}
        for lane in (lane1, lane2)
    ]
    assert qc["n_cpgs_pooled"] == len(cpgs[0] & cpgs[1]) > 100
    assert qc["inputs"] == [str(first), str(second)]
    assert [f["format"] for f in qc["files"]] == ["bedmethyl", "bismark_cov"]
    assert qc["n_records"] == len(lane1) + len(lane2)
    assert qc["renamed_chroms"] == {"B": "chrB"}


def test_each_file_of_a_pooled_sample_is_checked_on_its_own(tmp_path, genome):
    """Both lanes may call the same strand of a CpG (that is pooling), but one file calling it twice
    is an error at that file's line; a lane off by one base is named, not the sample's other lane."""
    reference, seqs = genome
    cpgs = cpgs_of(seqs["chrA"])
    good = tmp_path / "good.bed"
    good.write_text("\n".join(encode_lines([("chrA", c, "+", 9, 50) for c in cpgs])) + "\n")
    again = tmp_path / "again.bed"
    again.write_text("\n".join(encode_lines([("chrA", c, "+", 4, 25) for c in cpgs[:5]] * 2)) + "\n")
    groups = {"all": ["chrA", "chrB", "chrM"]}
    with pytest.raises(InputError, match="second call for the \\+ strand .* first is on line 1") as info:
        scattered([good, again], reference, groups, tmp_path)
    assert info.value.path == again.resolve() and info.value.line == 6
    shifted = tmp_path / "shifted.bed"
    shifted.write_text("\n".join(encode_lines([("chrA", c + 1, "+", 9, 50) for c in cpgs])) + "\n")
    with pytest.raises(InputError, match="one base") as info:
        scattered([good, shifted], reference, groups, tmp_path)
    assert info.value.path == shifted.resolve()


def test_a_level_file_without_read_depth_is_not_pooled(tmp_path, genome):
    reference, seqs = genome
    levels = tmp_path / "levels.bw"
    bw = pyBigWig.open(str(levels), "w")
    bw.addHeader([(name, len(seq)) for name, seq in seqs.items()])
    pos = cpgs_of(seqs["chrA"])[:50]
    bw.addEntries(["chrA"] * len(pos), pos, ends=[p + 1 for p in pos], values=[0.5] * len(pos))
    bw.close()
    counts = tmp_path / "counts.bed"
    counts.write_text("\n".join(encode_lines([("chrA", c, "+", 9, 50) for c in pos])) + "\n")
    with pytest.raises(InputError, match="without the read depth.*cannot be pooled") as info:
        split_sample(
            [CallsFile(counts), CallsFile(levels)], reference, {"all": list(seqs)}, tmp_path / "calls"
        )
    assert info.value.path == levels
    assert not (tmp_path / "calls").exists() and not list(tmp_path.glob(".calls.tmp-*"))


def test_ingest_split_takes_each_file_with_its_format(tmp_path, genome, capsys):
    """The command line the workflow builds: --input per file, --format once per --input or not at
    all; a count that fits neither is refused before anything is read or written."""
    from epibench.cli import main

    reference, seqs = genome
    lines = encode_lines([("chrA", c, "+", 9, 50) for c in cpgs_of(seqs["chrA"])[:20]])
    first, second = tmp_path / "l1.bed", tmp_path / "l2.bed"
    first.write_text("\n".join(lines[:10]) + "\n")
    second.write_text("\n".join(lines[10:]) + "\n")
    (tmp_path / "groups.tsv").write_text("group\tchrom\nall\tchrA\nall\tchrB\nall\tchrM\n")
    common = [
        "--sample",
        "s",
        "--reference",
        str(reference.fasta_path),
        "--groups",
        str(tmp_path / "groups.tsv"),
    ]
    common += ["--out-dir", str(tmp_path / "calls"), "--qc", str(tmp_path / "split.json")]
    files = ["--input", str(first), "--input", str(second)]
    assert main(["ingest-split", *files, "--format", "bedmethyl", *common]) == 2
    assert "--format is given 1 times for 2 --input" in capsys.readouterr().err
    assert not (tmp_path / "calls").exists() and not (tmp_path / "split.json").exists()
    assert main(["ingest-split", *files, "--format", "bedmethyl", "--format", "auto", *common]) == 0
    qc = json.loads((tmp_path / "split.json").read_text())
    assert qc["inputs"] == [str(first), str(second)] and qc["n_records"] == 20
    for k in (1, 2):
        assert len(pq.read_table(tmp_path / "calls" / str(k) / "all.parquet")) == 10


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
    qc = split_sample([CallsFile(path, coverage=coverage)], reference, groups, tmp_path / "calls")
    tables, group_qcs = [], {}
    for group in groups:
        table, group_qcs[group] = ingest_group([tmp_path / "calls" / "1" / f"{group}.parquet"], reference)
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


def qc_keys(record: dict) -> set[str]:
    """The keys of a QC record and of its nested records (not the names of its name -> value maps)."""
    keys = set(record)
    for key, value in record.items():
        if key in ("renamed_chroms", "dropped_chroms"):  # file's name -> reference's name, or -> calls
            continue
        nested = value.values() if key == "groups" else value if isinstance(value, list) else [value]
        keys |= {k for v in nested if isinstance(v, dict) for k in qc_keys(v)}
    return keys


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_key_of_a_samples_qc_has_a_meaning_in_the_report(tmp_path, genome, fmt):
    from epibench.report.json_fields import FIELD_MEANINGS

    reference, seqs = genome
    calls = stranded_calls(seqs, np.random.default_rng(5))
    name, lines = FORMATS[fmt]
    paths = [tmp_path / f"{lane}{name}" for lane in ("l1.", "l2.")]  # a sample of two files
    for path, part in zip(paths, (calls[::2], calls[1::2])):
        text = ("\n".join(lines(part)) + "\n").encode()
        path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    groups = {"chrA": ["chrA"], "chrB": ["chrB"], "small_1": ["chrM"]}
    _, qc = scattered(paths, reference, groups, tmp_path)
    assert {"files", "groups", "n_cpgs_pooled"} <= set(qc)
    assert sorted(qc_keys(qc) - set(FIELD_MEANINGS)) == []


def test_a_shallow_sample_is_warned_of_with_its_share_below_min_coverage(tmp_path, genome):
    reference, seqs = genome
    rng = np.random.default_rng(6)
    calls = [(c, p, "+", 1, 100) for c, p, strand, _, _ in stranded_calls(seqs, rng) if strand == "+"]
    deep = set(range(0, len(calls), 4))  # a quarter of the CpGs with 9 reads, the rest with 1
    calls = [(c, p, s, 9 if i in deep else n, pct) for i, (c, p, s, n, pct) in enumerate(calls)]
    path = tmp_path / "shallow.bed"
    path.write_text("\n".join(encode_lines(calls)) + "\n")
    groups = {"all": ["chrA", "chrB", "chrM"]}
    _, qc = scattered(path, reference, groups, tmp_path)
    shallow = [w for w in qc["warnings"] if "fewer than 5 reads" in w]
    below = len(calls) - len(deep)
    assert qc["n_below_min_coverage"] == below and qc["n_kept"] == len(deep)
    assert len(shallow) == 1 and f"({below:,} of {len(calls):,})" in shallow[0]
    _, one_job_qc = ingest(path, reference)
    assert [w for w in one_job_qc["warnings"] if "fewer than 5 reads" in w] == shallow
    _, deep_qc = ingest(path, reference, min_coverage=1)
    assert not [w for w in deep_qc["warnings"] if "reads" in w]


def replicate_lines(seqs, levels, rng, depth=20):
    """ENCODE bedMethyl of one replicate: every CpG's + strand C read ``depth`` times at its true ``levels``."""
    calls = []
    for chrom, seq in seqs.items():
        for c, p in zip(cpgs_of(seq), levels[chrom]):
            k = rng.binomial(depth, p)
            calls.append((chrom, c, "+", depth, int(round(100 * k / depth))))
    return encode_lines(calls)


def test_replicates_of_one_methylome_agree_and_a_swapped_file_is_warned_of(tmp_path, genome):
    from epibench.io.methylation.concordance import MIN_READS

    reference, seqs = genome
    rng = np.random.default_rng(7)
    methylomes = [{c: rng.beta(0.4, 0.4, len(cpgs_of(s))) for c, s in seqs.items()} for _ in range(2)]
    paths = {}
    for name, methylome in (("rep1", 0), ("rep2", 0), ("other", 1)):
        paths[name] = tmp_path / f"{name}.bed"
        paths[name].write_text("\n".join(replicate_lines(seqs, methylomes[methylome], rng)) + "\n")
    groups = {"chrA": ["chrA"], "rest": ["chrB", "chrM"]}
    _, good = scattered([paths["rep1"], paths["rep2"]], reference, groups, tmp_path / "good")
    _, swapped = scattered([paths["rep1"], paths["other"]], reference, groups, tmp_path / "swapped")
    # the correlation of the levels at every CpG read >= MIN_READS times in both, computed here at once
    levels = {}
    for name in ("rep1", "rep2"):
        table = pd.read_csv(paths[name], sep="\t", header=None)
        levels[name] = table[10].to_numpy() / 100  # all read 20 >= MIN_READS times
    assert 20 >= MIN_READS
    want = np.corrcoef(levels["rep1"], levels["rep2"])[0, 1]
    [pair] = good["replicate_concordance"]
    assert pair["files"] == [str(paths["rep1"]), str(paths["rep2"])]
    assert pair["n_cpgs_compared"] == len(levels["rep1"]) and pair["pearson"] == pytest.approx(want)
    assert pair["pearson"] > 0.8 and not [w for w in good["warnings"] if "agree poorly" in w]
    [bad] = swapped["replicate_concordance"]
    assert bad["pearson"] < 0.3
    [warning] = [w for w in swapped["warnings"] if "agree poorly" in w]
    assert str(paths["other"]) in warning and "Pearson r" in warning


def test_a_file_holding_the_other_files_reads_again_is_refused(tmp_path, genome):
    """modkit's plain pileup given beside its --partition-tag HP pileups (whose reads add up to it): pooled,
    every read would count twice; the parts alone pool as usual."""
    reference, seqs = genome
    rng = np.random.default_rng(11)
    whole, parts = [], ([], [])
    for chrom, seq in seqs.items():
        for c in cpgs_of(seq):
            depth = int(rng.integers(10, 40))
            meth = int(rng.binomial(depth, 0.7))
            hp1_depth = int(rng.binomial(depth, 0.5))
            hp1_meth = int(rng.hypergeometric(meth, depth - meth, hp1_depth)) if hp1_depth else 0
            whole.append((chrom, c, "+", depth, meth))
            parts[0].append((chrom, c, "+", hp1_depth, hp1_meth))
            parts[1].append((chrom, c, "+", depth - hp1_depth, meth - hp1_meth))
    paths = {}
    for name, calls in (("whole", whole), ("hp1", parts[0]), ("hp2", parts[1])):
        paths[name] = tmp_path / f"{name}.bed"
        rows = [
            f"{c}\t{s}\t{s + 1}\tm\t{n}\t{st}\t{s}\t{s + 1}\t255,0,0\t{n} {100 * m / n:.2f} {m} {n - m} 0 0 0 0 0"
            for c, s, st, n, m in calls
            if n
        ]
        paths[name].write_text("\n".join(rows) + "\n")
    groups = {"chrA": ["chrA"], "rest": ["chrB", "chrM"]}
    table, _ = scattered([paths["hp1"], paths["hp2"]], reference, groups, tmp_path / "parts", min_coverage=1)
    want = {(c, s): (m, n) for c, s, _, n, m in whole}
    got = {
        (c, s): (m, n) for c, s, m, n in table[["chrom", "pos", "n_meth", "n_total"]].itertuples(index=False)
    }
    assert got == want
    with pytest.raises(InputError) as info:
        scattered([paths["whole"], paths["hp1"], paths["hp2"]], reference, groups, tmp_path / "both")
    assert info.value.path == str(paths["whole"])
    assert "count twice" in str(info.value) and str(paths["hp1"]) in str(info.value)
    n_deep = sum(1 for *_, n, _ in whole if n >= 10)  # every CpG of the whole file is in a part too
    assert f"at {n_deep:,} of the {n_deep:,} CpGs" in str(info.value)
