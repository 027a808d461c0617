"""Methylation files as Bismark, coverage2cytosine, MethylDackel and modkit really write them
(tests/data/real_formats/, kept as published; README there): files of every cytosine context,
CHH-only and level-only outputs, zero-based cytosine reports, modkit's header line and codes.

Expected values come from the files and FASTAs themselves, read here with pandas and plain
string slicing, not from epibench.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.methylation.cohort_check import judge_cohort, sample_fit
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest, read_calls
from epibench.io.reference import Reference, write_reference_index
from small_reference import make_reference

DATA = Path(__file__).parent / "data" / "real_formats"
BISMARK_CX_COV = DATA / "galaxy_bismark0.22.1_coverage_mm10tiny.bismark.cov.gz"
MM10_TINY = DATA / "galaxy_mm10.tiny.fa.gz"
DACKEL_CPG = DATA / "galaxy_methyldackel_test_1_CpG.bedGraph"
DACKEL_CHH = DATA / "galaxy_methyldackel_test_2_CHH.bedGraph"
DACKEL_FRACTION = DATA / "galaxy_methyldackel_test_3_CpG_fraction.bedGraph"
C2C_CPG = DATA / "bismark0.25.1_c2c.CpG_report.txt"
C2C_CX = DATA / "bismark0.25.1_c2c.CX_report.txt"
C2C_ZERO = DATA / "bismark0.25.1_c2c_zero_based.CpG_report.txt"
MODKIT = DATA / "rbedmethyl_example.bedmethyl"
MODKIT_HEADER = (
    "chrom\tchromStart\tchromEnd\tname\tscore\tstrand\tthickStart\tthickEnd\tcolor\tvalid_coverage\t"
    "percent_modified\tcount_modified\tcount_canonical\tcount_other_mod\tcount_delete\tcount_fail\t"
    "count_diff\tcount_nocall\n"
)  # what ``modkit pileup --with-header`` writes first


def _fasta(path: Path) -> dict[str, str]:
    """name -> upper-case sequence of a (gzipped) FASTA, read line by line."""
    opener = gzip.open if path.suffix == ".gz" else open
    seqs: dict[str, list[str]] = {}
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                name = line[1:].split()[0]
                seqs[name] = []
            else:
                seqs[name].append(line.strip().upper())
    return {name: "".join(parts) for name, parts in seqs.items()}


def _reference(fasta: Path, tmp_path_factory) -> Reference:
    return Reference(write_reference_index(fasta, tmp_path_factory.mktemp(fasta.name.split(".")[0])))


@pytest.fixture(scope="module")
def mm10_tiny(tmp_path_factory) -> Reference:
    return _reference(MM10_TINY, tmp_path_factory)


def test_a_bismark_file_of_every_context_keeps_its_cpgs_and_says_what_it_dropped(mm10_tiny):
    seqs = _fasta(MM10_TINY)
    rows = pd.read_csv(BISMARK_CX_COV, sep="\t", names=["chrom", "start", "end", "pct", "meth", "unmeth"])
    pos = rows["start"] - 1  # Bismark coverage is one-based
    base = np.array([seqs[c][p] for c, p in zip(rows["chrom"], pos)])
    after = np.array([seqs[c][p + 1 : p + 2] for c, p in zip(rows["chrom"], pos)])
    before = np.array([seqs[c][p - 1] for c, p in zip(rows["chrom"], pos)])
    on_c_of_cg, on_g_of_cg = (base == "C") & (after == "G"), (base == "G") & (before == "C")
    assert np.isin(base, ["C", "G"]).all() and (on_c_of_cg | on_g_of_cg).mean() < 0.1  # the file's nature

    table, qc = ingest(BISMARK_CX_COV, mm10_tiny, min_coverage=1)

    assert qc["cytosine_share"] == 1.0 and qc["cg_share"] < 0.1
    assert qc["n_off_cg_dropped"] == qc["n_off_cg_on_cytosine"] == int((~(on_c_of_cg | on_g_of_cg)).sum())
    assert any("every context" in w and "Bismark --CX" in w for w in qc["warnings"])
    # expected: the CpG rows, G rows moved onto their C, both strands summed
    cpg = rows.assign(cpg=np.where(on_g_of_cg, pos - 1, pos))[on_c_of_cg | on_g_of_cg]
    want = cpg.groupby(["chrom", "cpg"], sort=False)[["meth", "unmeth"]].sum().reset_index()
    want["total"] = want["meth"] + want["unmeth"]
    got = table.merge(want, left_on=["chrom", "pos"], right_on=["chrom", "cpg"], how="outer", indicator=True)
    assert (got["_merge"] == "both").all() and len(table) == len(want) > 100
    np.testing.assert_array_equal(got["n_total"], got["total"])
    np.testing.assert_allclose(got["n_meth"], got["meth"])


def test_the_cohort_check_accepts_a_file_of_every_context(mm10_tiny):
    fit = sample_fit("tiny", BISMARK_CX_COV, mm10_tiny)
    table = judge_cohort([fit], {"fasta": str(MM10_TINY), "matched": True, "summary": ""}, 0.95)
    assert table.loc[0, "cytosine_share"] == 1.0 and table.loc[0, "cg_share"] < 0.1
    assert table.loc[0, "best_fit"] == "0" and table.loc[0, "accepted"]


def test_a_file_of_every_context_on_another_sequence_is_still_another_assembly(tmp_path):
    """Same names and lengths, other bases: a fifth to two fifths of calls sit on a C or G by chance."""
    rng = np.random.default_rng(0)
    other = {name: "".join(rng.choice(list("ACGT"), len(seq))) for name, seq in _fasta(MM10_TINY).items()}
    with pytest.raises(InputError, match=r"wrong assembly\?.*on a cytosine of any context as read"):
        ingest(BISMARK_CX_COV, make_reference(tmp_path, other), min_coverage=1)


def test_methyldackel_cpg_output_is_read_and_its_chh_output_is_refused_by_name(tmp_path_factory):
    cg100 = _reference(DATA / "methyldackel_cg100.fa", tmp_path_factory)
    seq = _fasta(DATA / "methyldackel_cg100.fa")["chrCG"]
    rows = pd.read_csv(DACKEL_CPG, sep="\t", skiprows=1, names=["chrom", "start", "end", "pct", "m", "u"])
    table, qc = ingest(DACKEL_CPG, cg100, min_coverage=1)
    assert qc["format"] == "methyldackel" and qc["cg_share"] == 1.0
    assert all(seq[p : p + 2] == "CG" for p in table["pos"])
    assert table["n_total"].sum() == (rows["m"] + rows["u"]).sum()

    with pytest.raises(InputError, match="CHG/CHH calls only.*_CHH.bedGraph") as info:
        ingest(DACKEL_CHH, cg100, min_coverage=1)
    assert str(DACKEL_CHH) in str(info.value)


def test_methyldackel_fraction_output_is_refused_for_its_missing_counts():
    with pytest.raises(InputError, match=r"line 2: a four-column bedGraph.*--fraction") as info:
        detect_source(DACKEL_FRACTION)
    assert str(DACKEL_FRACTION) in str(info.value)


METILENE_LEVELS = DATA / "galaxy_metilene_example_S1_head300.bedgraph"


def test_level_bedgraphs_without_a_track_line_are_refused_not_read_as_counts(tmp_path):
    """Four columns without a track line are a count table (chrom, position, total, methylated) unless
    the rows say bedGraph: metilene's input (levels 0-1 after a # header), MethylDackel --fraction
    output with its track line taken off, and Bismark's .bedGraph (0-based start, end = start + 1,
    percent) of the real coverage file's rows with a whole-number percent."""
    headless = tmp_path / "fraction.bedGraph"
    headless.write_text("".join(DACKEL_FRACTION.read_text().splitlines(keepends=True)[1:]))
    cov = pd.read_csv(BISMARK_CX_COV, sep="\t", header=None)
    whole = cov[cov[3] == cov[3].round()]
    bismark = tmp_path / "sample.bedGraph"
    bismark.write_text(
        "".join(f"{c}\t{p - 1}\t{p}\t{v:.0f}\n" for c, p, v in zip(whole[0], whole[1], whole[3]))
    )
    for path, why in [
        (METILENE_LEVELS, "levels that are not whole numbers"),
        (headless, "levels that are not whole numbers"),
        (bismark, "column 3 is column 2 plus 1 in every row"),
    ]:
        with pytest.raises(InputError, match=f"line [12]: a four-column bedGraph \\({why}") as info:
            detect_source(path)
        assert str(path) in str(info.value) and "Bismark's .cov" in str(info.value)


def test_coverage2cytosine_reports_agree_and_a_zero_based_one_is_named(tmp_path_factory):
    genome = _reference(DATA / "bismark_c2c_phase_b_genome.fa", tmp_path_factory)
    cpg, _ = ingest(C2C_CPG, genome, min_coverage=1)
    cx, cx_qc = ingest(C2C_CX, genome, min_coverage=1)
    pd.testing.assert_frame_equal(cpg, cx)
    raw = pd.read_csv(C2C_CX, sep="\t", names=["chrom", "pos", "strand", "m", "u", "ctx", "tri"])
    assert cx_qc["n_non_cg_context_dropped"] == int((raw["ctx"] != "CG").sum())
    covered = raw[(raw["ctx"] == "CG") & (raw["m"] + raw["u"] > 0)]
    assert cpg["n_total"].sum() == (covered["m"] + covered["u"]).sum()

    with pytest.raises(InputError, match=r"one base to the right \(\+1\).*format bismark_zero_cpg_report"):
        ingest(C2C_ZERO, genome, min_coverage=1)
    zero, _ = ingest(C2C_ZERO, genome, fmt="bismark_zero_cpg_report", min_coverage=1)
    pd.testing.assert_frame_equal(zero, cpg)


def _calls_frame(path: Path, fmt: str | None = None) -> pd.DataFrame:
    calls = read_calls(path, fmt)
    return pd.DataFrame(
        {
            "chrom": calls.chrom.names[calls.chrom.codes],
            "pos": calls.pos,
            "strand": calls.strand,
            "n_meth": calls.n_meth,
            "n_total": calls.n_total,
        }
    )


def test_modkit_with_header_reads_like_without(tmp_path):
    headed = tmp_path / "pileup.bed"
    headed.write_text(MODKIT_HEADER + MODKIT.read_text())
    assert detect_source(headed).fmt == detect_source(MODKIT).fmt == "modkit"
    pd.testing.assert_frame_equal(_calls_frame(headed), _calls_frame(MODKIT))
    rows = pd.read_csv(MODKIT, sep="\t", header=None)
    five_mc = rows[rows[3] == "m"]
    np.testing.assert_array_equal(_calls_frame(MODKIT)["n_meth"], five_mc[11])  # N_mod
    np.testing.assert_array_equal(_calls_frame(MODKIT)["n_total"], five_mc[9])  # N_valid_cov


def test_modkit_combined_modification_code_reads_as_methylation(tmp_path):
    """``pileup --combine-mods`` writes one row per site with code C (5mC + 5hmC, as bisulfite sees
    them): here the file's m rows relabelled so, its h rows left out."""
    lines = [line.split("\t") for line in MODKIT.read_text().splitlines()]
    combined = tmp_path / "combined.bed"
    combined.write_text("".join("\t".join([*f[:3], "C", *f[4:]]) + "\n" for f in lines if f[3] == "m"))
    pd.testing.assert_frame_equal(_calls_frame(combined), _calls_frame(MODKIT))
    only_h = tmp_path / "hydroxy.bed"
    only_h.write_text("".join("\t".join(f) + "\n" for f in lines if f[3] == "h"))
    with pytest.raises(InputError, match="no 5mC calls: every row is of another modification"):
        ingest(only_h, make_reference(tmp_path, {"chr1": "N" * 20_000}), min_coverage=1)


def test_modkit_read_as_5mc_and_5hmc_counts_the_h_rows_reads_with_the_m_rows():
    """Format modkit_5mc_5hmc: at each site, the m row's N_mod plus the h row's N_mod (the same site's
    5hmC calls, from the file's own h rows) of N_valid_cov, as bisulfite would count them."""
    rows = pd.read_csv(MODKIT, sep="\t", header=None)
    site = [0, 1, 5]
    both = rows[rows[3] == "m"].merge(rows[rows[3] == "h"], on=site, suffixes=("_m", "_h"))
    assert len(both) == (rows[3] == "m").sum()  # every 5mC row has its 5hmC row
    got = _calls_frame(MODKIT, "modkit_5mc_5hmc")
    np.testing.assert_array_equal(got["n_meth"], both["11_m"] + both["11_h"])
    np.testing.assert_array_equal(got["n_total"], both["9_m"])
    assert (got["n_meth"] > _calls_frame(MODKIT)["n_meth"]).any()
    assert detect_source(MODKIT).fmt == "modkit"  # never detected: given


def test_the_scattered_ingest_of_a_file_of_every_context_equals_one_job(mm10_tiny, tmp_path):
    """The workflow's three stages (split per group, each group, the sample's summary), two contigs a group."""
    from test_io_methylation_group_ingest import scattered

    chroms = list(mm10_tiny.chroms)
    groups = {"first": chroms[:2], "rest": chroms[2:]}
    want, want_qc = ingest(BISMARK_CX_COV, mm10_tiny, min_coverage=1)
    got, qc = scattered(BISMARK_CX_COV, mm10_tiny, groups, tmp_path, min_coverage=1)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    for key in ("n_off_cg_dropped", "n_off_cg_on_cytosine", "cg_share", "cytosine_share"):
        assert qc[key] == pytest.approx(want_qc[key]), key
    assert [w for w in qc["warnings"] if "every context" in w] == [
        w for w in want_qc["warnings"] if "every context" in w
    ]


F5C_GROUPS = DATA / "f5c_meth_freq.tsv"
F5C_SPLIT = DATA / "f5c_meth_freq_split_groups.tsv"


def test_nanopolish_groups_read_as_the_split_table_lists_their_cpgs():
    """f5c's table of CpG groups, expanded by the reader, equals f5c's own one-row-per-CpG table."""
    split = pd.read_csv(F5C_SPLIT, sep="\t")
    assert (split["num_cpgs_in_group"] == 1).all()
    grouped = _calls_frame(F5C_GROUPS)
    assert detect_source(F5C_GROUPS).fmt == detect_source(F5C_SPLIT).fmt == "nanopolish_frequency"
    assert len(grouped) == len(split) > len(pd.read_csv(F5C_GROUPS, sep="\t"))
    np.testing.assert_array_equal(grouped["chrom"], split["chromosome"])
    np.testing.assert_array_equal(grouped["pos"], split["start"])
    np.testing.assert_array_equal(grouped["n_total"], split["called_sites"])
    np.testing.assert_array_equal(grouped["n_meth"], split["called_sites_methylated"])
    pd.testing.assert_frame_equal(_calls_frame(F5C_SPLIT), grouped)


@pytest.fixture(scope="module")
def f5c_standin(tmp_path_factory) -> Reference:
    """A stand-in reference holding each f5c group's own sequence (from 5 bases before its first C),
    N elsewhere (the draft assembly itself is not published beside the tables)."""
    groups = pd.read_csv(F5C_GROUPS, sep="\t")
    seqs = {}
    for chrom, rows in groups.groupby("chromosome"):
        bases = np.full(int(rows["end"].max()) + 100, "N")
        for row in rows.itertuples():
            bases[row.start - 5 : row.start - 5 + len(row.group_sequence)] = list(row.group_sequence)
        seqs[chrom] = "".join(bases)
    return make_reference(tmp_path_factory.mktemp("f5c"), seqs)


def test_nanopolish_cpgs_sit_on_the_cgs_of_their_group_sequences(f5c_standin):
    table, qc = ingest(F5C_GROUPS, f5c_standin, min_coverage=1)
    assert qc["cg_share"] == 1.0 and qc["n_records"] == len(pd.read_csv(F5C_GROUPS, sep="\t"))
    assert len(table) == len(pd.read_csv(F5C_SPLIT, sep="\t"))


def test_nanopolish_groups_split_in_many_blocks_as_in_one(f5c_standin, tmp_path):
    """The workflow reads a file a block at a time: a group's CpGs keep their line wherever it falls."""
    from test_io_methylation_group_ingest import split_outputs

    groups = {"all": list(f5c_standin.chroms)}
    one = split_outputs(F5C_GROUPS, f5c_standin, groups, tmp_path / "one")
    many = split_outputs(F5C_GROUPS, f5c_standin, groups, tmp_path / "many", block_bytes=1000)
    assert many[0] == one[0] and len(one[1]["all"]) == len(pd.read_csv(F5C_SPLIT, sep="\t"))
    pd.testing.assert_frame_equal(many[1]["all"], one[1]["all"])


def test_a_nanopolish_group_whose_sequence_lacks_its_cpgs_is_named(tmp_path):
    lines = F5C_GROUPS.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.split("\t")[3] == "2")
    fields = lines[number - 1].split("\t")
    fields[7] = fields[7].replace("CG", "CA", 1)  # the group's first CpG gone from its sequence
    lines[number - 1] = "\t".join(fields)
    broken = tmp_path / "freq.tsv"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="group_sequence does not hold num_motifs_in_group CpGs") as info:
        read_calls(broken)
    assert info.value.line == number


@pytest.mark.parametrize("name, kind", [("methyldackel_cg_aln.bam", "BAM"), ("bedtools2_empty.cram", "CRAM")])
def test_aligned_reads_given_as_calls_are_refused_with_what_to_run(name, kind):
    """A bisulfite BAM (MethylDackel's test alignment) or a CRAM in the methylation column."""
    with pytest.raises(
        InputError, match=f"a {kind} file of aligned reads, not methylation calls: .*MethylDackel"
    ):
        detect_source(DATA / name)


def test_a_sam_is_refused_as_aligned_reads(tmp_path):
    sam = tmp_path / "reads.sam"
    sam.write_text(
        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:1000\nr1\t0\tchr1\t10\t60\t4M\t*\t0\t0\tACGT\tIIII\n"
    )
    with pytest.raises(InputError, match="a SAM file of aligned reads"):
        detect_source(sam)


@pytest.mark.parametrize(
    "name, tool",
    [
        ("f5c_call_methylation_single_read.tsv", "f5c call-methylation: aggregate the reads first"),
        ("nanomethviz_megalodon_per_read.txt.gz", "megalodon: aggregate the reads first"),
    ],
)
def test_a_per_read_table_is_refused_with_what_to_run(name, tool):
    """Nanopore tools' per-read calls (f5c's test output, NanoMethViz's megalodon example)."""
    with pytest.raises(InputError, match=f"a table of calls per read, not per CpG, from .*{tool}") as info:
        detect_source(DATA / name)
    assert info.value.line == 1


METHYLKIT = DATA / "methylkit_test1.myCpG.txt.gz"
METHYLKIT_TABIX = DATA / "methylkit_test1.txt.bgz"


def test_methylkit_table_reads_as_methylkit_counts_its_sample():
    """methylKit's text table (percent to two decimals) gives the counts methylKit's own tabix
    table of the same sample holds (chr, start = end 1-based, +/-, coverage, numCs, numTs)."""
    assert detect_source(METHYLKIT).fmt == "methylkit"
    got = _calls_frame(METHYLKIT).sort_values(["pos", "strand"]).reset_index(drop=True)
    counts = pd.read_csv(METHYLKIT_TABIX, sep="\t", header=None, compression="gzip")
    counts = counts.assign(pos=counts[1] - 1, strand=counts[3].map({"+": 1, "-": -1}))
    counts = counts.sort_values(["pos", "strand"]).reset_index(drop=True)
    assert len(got) == len(counts) == 1904
    np.testing.assert_array_equal(got["pos"], counts["pos"])
    np.testing.assert_array_equal(got["strand"], counts["strand"])
    np.testing.assert_array_equal(got["n_total"], counts[4])
    np.testing.assert_array_equal(got["n_meth"], counts[5])


def test_methylkit_tabix_file_reads_as_the_text_table_of_its_sample():
    assert detect_source(METHYLKIT_TABIX).fmt == "methylkit_tabix"
    pd.testing.assert_frame_equal(
        _calls_frame(METHYLKIT_TABIX).sort_values(["pos", "strand"]).reset_index(drop=True),
        _calls_frame(METHYLKIT).sort_values(["pos", "strand"]).reset_index(drop=True),
    )


def test_a_united_methylkit_table_is_read_a_sample_at_a_time_by_the_columns_it_names(tmp_path):
    """methylKit's unite() table of two samples (here the tabix table of test1 and the same table
    with its counts halved): refused at its header, naming each sample's column spec; each spec
    reads that sample's calls as methylkit_tabix reads the sample's columns cut into a file of
    their own."""
    rows = pd.read_csv(METHYLKIT_TABIX, sep="\t", header=None, compression="gzip")
    second = rows[[4, 5, 6]] // 2
    united = pd.concat([rows, second], axis=1, ignore_index=True)
    united.columns = ["chr", "start", "end", "strand", "coverage1", "numCs1", "numTs1"] + [
        "coverage2",
        "numCs2",
        "numTs2",
    ]
    path = tmp_path / "united.txt"
    united.to_csv(path, sep="\t", index=False)
    specs = ["columns:chrom=1,pos=2,strand=4,total=5,meth=6", "columns:chrom=1,pos=2,strand=4,total=8,meth=9"]
    with pytest.raises(InputError, match=f"a methylKit table of 2 samples .*{specs[0]}, {specs[1]}") as info:
        detect_source(path)
    assert info.value.line == 1
    for i, spec in enumerate(specs):
        cut = tmp_path / f"sample{i + 1}.txt"
        united.iloc[:, [0, 1, 2, 3, 4 + 3 * i, 5 + 3 * i, 6 + 3 * i]].to_csv(cut, sep="\t", index=False)
        assert detect_source(cut).fmt == "methylkit_tabix"
        pd.testing.assert_frame_equal(_calls_frame(path, spec), _calls_frame(cut))


def test_methylkit_reverse_rows_sit_on_the_g_of_their_cpg():
    """Where both strands of a CpG are called, the R row is one base right of the F row (the G):
    in the file's own rows, far more F rows have an R row one base right than one base left."""
    calls = _calls_frame(METHYLKIT)
    on_c = set(calls["pos"][calls["strand"] == 1])
    on_g = set(calls["pos"][calls["strand"] == -1])
    rows = pd.read_csv(METHYLKIT, sep="\t")
    forward, reverse = set(rows["base"][rows["strand"] == "F"]), set(rows["base"][rows["strand"] == "R"])
    right, left = sum(b + 1 in reverse for b in forward), sum(b - 1 in reverse for b in forward)
    assert right > 5 * left
    assert sum(p + 1 in on_g for p in on_c) == right


DACKEL_METHYLKIT = DATA / "pigx_methyldackel_PEsample_rrbs_CpG.methylKit"
ALLC_METHYLPY = DATA / "methylpy_allc_P0_FB_1_head10000.tsv.gz"
ALLC_ALLCOOLS = DATA / "allcools_Cell08.allc.tsv.gz"
CGMAP = DATA / "methylc_analyzer_wt1_demo.CGmap.gz"
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def test_methyldackel_methylkit_output_reads_with_its_padded_percentages():
    """``MethylDackel extract --methylKit`` pads percentages (``%6.2f``: '  0.00'); counts come back
    whole, within the rounding of two decimals."""
    assert detect_source(DACKEL_METHYLKIT).fmt == "methylkit"
    rows = pd.read_csv(DACKEL_METHYLKIT, sep="\t")
    calls = _calls_frame(DACKEL_METHYLKIT)
    assert len(calls) == len(rows) == 281
    np.testing.assert_array_equal(calls["pos"], rows["base"] - 1)
    np.testing.assert_array_equal(calls["strand"], rows["strand"].map({"F": 1, "R": -1}))
    exact = rows["freqC"] * rows["coverage"] / 100
    assert (np.abs(calls["n_meth"] - exact) <= 0.005 * rows["coverage"] / 100 + 1e-9).all()
    assert (calls["n_meth"] == np.round(calls["n_meth"])).all()


def _sequence_of_contexts(bases: list[tuple[int, str]]) -> str:
    """A sequence with ``bases`` ((0-based position, base) pairs; N for unknown, skipped) set, N
    elsewhere; asserts that no two rows disagree about a base."""
    known: dict[int, str] = {}
    for pos, base in bases:
        if base != "N" and pos >= 0:
            assert known.setdefault(pos, base) == base, (pos, known[pos], base)
    seq = ["N"] * (max(known) + 10)
    for pos, base in known.items():
        seq[pos] = base
    return "".join(seq)


def _cpg_starts(forward: pd.Series, positions: pd.Series) -> set[int]:
    """0-based C of the CpG of each row (1-based ``positions``; a reverse-strand row sits on the G)."""
    return set(np.where(forward, positions - 1, positions - 2).tolist())


def test_allc_strands_and_contexts_agree_with_a_reference_spelt_from_them(tmp_path):
    """methylpy's allc gives each cytosine's trinucleotide from its own reference: those bases (a -
    row's read on the reverse strand) make a reference that every row fits; ingest against it
    merges the CG rows onto their CpGs with the file's counts."""
    rows = pd.read_csv(ALLC_METHYLPY, sep="\t", header=None, dtype={0: str})
    assert detect_source(ALLC_METHYLPY).fmt == "allc"
    bases = []
    for pos, strand, context in zip(rows[1] - 1, rows[2], rows[3]):
        step, spelt = (1, context) if strand == "+" else (-1, context.translate(COMPLEMENT))
        bases += [(pos + step * i, base) for i, base in enumerate(spelt)]
    reference = make_reference(tmp_path, {"1": _sequence_of_contexts(bases)})
    table, qc = ingest(ALLC_METHYLPY, reference, min_coverage=1)
    cg = rows[rows[3].str[:2] == "CG"]
    assert qc["format"] == "allc" and qc["n_non_cg_context_dropped"] == len(rows) - len(cg)
    covered = cg[cg[5] > 0]
    assert set(table["pos"]) == _cpg_starts(covered[2] == "+", covered[1])
    assert table["n_meth"].sum() == covered[4].sum() and table["n_total"].sum() == covered[5].sum()


def test_allcools_allc_reads_its_counts():
    rows = pd.read_csv(ALLC_ALLCOOLS, sep="\t", header=None)
    assert detect_source(ALLC_ALLCOOLS).fmt == "allc"
    calls = read_calls(ALLC_ALLCOOLS)
    np.testing.assert_array_equal(calls.pos, rows[1] - 1)
    np.testing.assert_array_equal(calls.n_meth, rows[4])
    np.testing.assert_array_equal(calls.n_total, rows[5])
    np.testing.assert_array_equal(calls.cg_context, rows[3].str.startswith("CG"))


def test_cgmap_strands_and_contexts_agree_with_a_reference_spelt_from_them(tmp_path):
    """A CGmap row gives its base (C, or G for a reverse-strand cytosine) and the dinucleotide read
    on its strand: the reference they spell fits every row, and ingest merges the CG rows."""
    rows = pd.read_csv(CGMAP, sep="\t", header=None, dtype={0: str})
    assert detect_source(CGMAP).fmt == "cgmap"
    bases = []
    for nucleotide, pos, pair in zip(rows[1], rows[2] - 1, rows[4]):
        if pair != "--":
            step, spelt = (1, pair) if nucleotide == "C" else (-1, pair.translate(COMPLEMENT))
            bases += [(pos + step * i, base) for i, base in enumerate(spelt)]
    reference = make_reference(tmp_path, {"1": _sequence_of_contexts(bases)})
    table, qc = ingest(CGMAP, reference, min_coverage=1)
    cg = rows[(rows[3] == "CG") & (rows[7] > 0)]
    assert qc["format"] == "cgmap" and len(cg) > 100
    assert set(table["pos"]) == _cpg_starts(cg[1] == "C", cg[2])
    assert table["n_meth"].sum() == cg[6].sum() and table["n_total"].sum() == cg[7].sum()


METHRATIO = DATA / "bsmapz_original_paired.mr.gz"
METHRATIO_NO_SNP_COUNTS = DATA / "bsmapz_original_paired_ct.bam.mr.gz"
METHRATIO_FASTA = DATA / "bsmapz_test.fasta.gz"


@pytest.fixture(scope="module")
def bsmapz_reference(tmp_path_factory) -> Reference:
    return _reference(METHRATIO_FASTA, tmp_path_factory)


@pytest.mark.parametrize("path", [METHRATIO, METHRATIO_NO_SNP_COUNTS], ids=["snp_counts", "na_snp_counts"])
def test_bsmap_methratio_rows_sit_on_their_reference_cytosines(path, bsmapz_reference):
    """BSMAP's methratio.py, run on simulated reads against the published FASTA: a + row sits on a
    C, a - row on a G (the reverse strand's C), a CG row on its CpG; ingest merges the CG rows
    onto their CpGs with C_count methylated of CT_count reads, and drops the CHG/CHH rows."""
    rows = pd.read_csv(path, sep="\t")
    seqs = _fasta(METHRATIO_FASTA)
    forward = rows["strand"] == "+"
    base = [seqs[chrom][pos - 1] for chrom, pos in zip(rows["chr"], rows["pos"])]
    assert (np.array(base) == np.where(forward, "C", "G")).all()
    cg = rows[rows["context"] == "CG"]
    start = np.where(cg["strand"] == "+", cg["pos"] - 1, cg["pos"] - 2)
    assert all(seqs[chrom][i : i + 2] == "CG" for chrom, i in zip(cg["chr"], start))

    assert detect_source(path).fmt == "methratio"
    table, qc = ingest(path, bsmapz_reference, min_coverage=1)
    covered = cg["CT_count"].to_numpy() > 0
    assert qc["format"] == "methratio" and qc["n_off_cg_dropped"] == 0
    assert qc["n_non_cg_context_dropped"] == len(rows) - len(cg) > 1000
    assert set(zip(table["chrom"], table["pos"])) == set(zip(cg["chr"][covered], start[covered]))
    assert table["n_meth"].sum() == cg["C_count"].sum() and table["n_total"].sum() == cg["CT_count"].sum()


def test_bsmap_methratio_without_its_header_and_with_full_contexts_reads_the_same_calls(tmp_path):
    """``methratio.py --no-header`` drops the first line, ``--full`` spells the non-CG contexts out
    (CHG -> CAG, from the reference); the calls read are those of the file as published."""
    seqs = _fasta(METHRATIO_FASTA)
    lines = gzip.open(METHRATIO, "rt").read().splitlines()
    spelt = []
    for line in lines[1:]:
        fields = line.split("\t")
        chrom, pos, strand, context = fields[0], int(fields[1]), fields[2], fields[3]
        if context != "CG":
            ahead = seqs[chrom][pos - 1 : pos + 2]
            behind = seqs[chrom][pos - 3 : pos].translate(COMPLEMENT)[::-1]
            fields[3] = ahead if strand == "+" else behind
        spelt.append("\t".join(fields))
    full = tmp_path / "full.mr"
    full.write_text("\n".join(spelt) + "\n")
    assert {line.split("\t")[3] for line in spelt} > {"CG", "CAG", "CTT"}
    published = _calls_frame(METHRATIO)
    assert detect_source(full).fmt == "methratio"
    pd.testing.assert_frame_equal(_calls_frame(full), published)


def _as_batmeth2(rows: pd.DataFrame, seqs: dict[str, str]) -> tuple[str, str]:
    """BSMAPz's calls written as BatMeth2 ``calmeth`` writes its two tables (the ``fprintf`` formats of
    its src/calmeth.cpp @107c960: 1-based loci, a - row on the G, as methratio.py): the
    ``.methratio.txt`` text (header, 12 columns, 5-bp context from the FASTA) and the
    ``_loci.CG.txt`` text (CG rows, 6 columns)."""
    header = (
        "#chromsome\tloci\tstrand\tcontext\tC_count\tCT_count\tmethRatio\teff_CT_count\trev_G_count\t"
        "rev_GA_count\tMethContext\t5context\n"
    )
    full, loci = [header], []
    for r in rows.itertuples(index=False):
        window = seqs[r.chr][r.pos - 3 : r.pos + 2]
        five = window if r.strand == "+" else window.translate(COMPLEMENT)[::-1]
        ratio = r.C_count / r.CT_count if r.CT_count else 0.0
        level = "M" if ratio >= 0.8 else "U" if ratio <= 0.2 else "H"
        full.append(
            f"{r.chr}\t{r.pos}\t{r.strand}\t{r.context}\t{r.C_count}\t{r.CT_count}\t{ratio:f}\tnull\t"
            f"0\t0\t{level}\t{five}\n"
        )
        if r.context == "CG":
            loci.append(f"{r.chr}\t{r.pos}\t{r.strand}\tCG\t{r.C_count}\t{r.CT_count}\n")
    return "".join(full), "".join(loci)


def test_batmeth2_tables_read_as_the_calls_they_hold(tmp_path, bsmapz_reference):
    """The same real calls (BSMAPz's) as BatMeth2's methratio and CG loci tables: both read as
    ``batmeth2`` and ingest to the table methratio.py's own file gives."""
    rows = pd.read_csv(METHRATIO, sep="\t")
    full, loci = _as_batmeth2(rows, _fasta(METHRATIO_FASTA))
    (tmp_path / "s.methratio.txt").write_text(full)
    (tmp_path / "s_loci.CG.txt").write_text(loci)
    want, _ = ingest(METHRATIO, bsmapz_reference, min_coverage=1)
    for name in ("s.methratio.txt", "s_loci.CG.txt"):
        assert detect_source(tmp_path / name).fmt == "batmeth2"
        table, qc = ingest(tmp_path / name, bsmapz_reference, min_coverage=1)
        assert qc["format"] == "batmeth2" and qc["n_off_cg_dropped"] == 0
        pd.testing.assert_frame_equal(table, want)


@pytest.mark.parametrize("header", ["Bismark methylation extractor version v0.24.2\n", ""])
def test_a_bismark_extractor_file_of_calls_per_read_is_refused_naming_the_coverage_file(header, tmp_path):
    """bismark_methylation_extractor's CpG_OT_*.txt: read id, +/-, chrom, 1-based position, call
    letter (z/Z for CpG), with its version line or without (``--no_header``)."""
    reads = "".join(
        f"SRR478983.{read}\t{sign}\tchr22\t{pos}\t{call}\n"
        for read, sign, pos, call in [
            (5, "+", 33431552, "Z"),
            (5, "+", 33431588, "Z"),
            (145, "-", 45713129, "z"),
        ]
    )
    path = tmp_path / "CpG_OT_sample_bismark_bt2.txt"
    path.write_text(header + reads)
    with pytest.raises(InputError, match="calls per read.*bismark2bedGraph") as error:
        detect_source(path)
    assert error.value.line == 1


GEMBS = DATA / "encode_wgbs_ENCSR750CPN_gembs_mextr_head5000.bed.gz"
BISCUIT = DATA / "biscuiteer_MCF7_Cunha_chr11p15_head5000.bed.gz"


def test_gembs_mextr_strands_agree_with_the_reference_bases_it_lists(tmp_path):
    """ENCODE's gemBS mextr table lists the reference base of every row (Ref): on the reference
    those bases spell, each row called C sits on the C of a CpG and each called G on its G, and
    ingest merges them onto the CpG with the non_conv / conv counts."""
    rows = pd.read_csv(GEMBS, sep="\t")
    assert detect_source(GEMBS).fmt == "gembs_mextr"
    reference = make_reference(
        tmp_path, {"chr1": _sequence_of_contexts(list(zip(rows["Pos0"], rows["Ref"])))}
    )
    table, qc = ingest(GEMBS, reference, min_coverage=1)
    ref = dict(zip(rows["Pos0"], rows["Ref"]))
    call = rows.filter(like=":Call").iloc[:, 0]
    on_c = (call == "C") & rows["Pos0"].map(lambda p: ref.get(p) == "C" and ref.get(p + 1) == "G")
    on_g = (call == "G") & rows["Pos0"].map(lambda p: ref.get(p) == "G" and ref.get(p - 1) == "C")
    methylated, unmethylated = rows.filter(like=":non_conv").iloc[:, 0], rows.filter(like=":conv").iloc[:, 0]
    kept = (on_c | on_g) & (methylated + unmethylated > 0)
    assert (
        on_c.sum() > 2000
        and qc["n_off_cg_dropped"] == ((~on_c & ~on_g) & (methylated + unmethylated > 0)).sum()
    )
    assert set(table["pos"]) == set(np.where(on_c, rows["Pos0"], rows["Pos0"] - 1)[kept])
    assert table["n_meth"].sum() == methylated[kept].sum()
    assert table["n_total"].sum() == (methylated + unmethylated)[kept].sum()


def test_a_gembs_mextr_table_of_two_samples_is_read_a_sample_at_a_time_by_its_columns(tmp_path):
    """ENCODE's mextr table with a second sample beside the first (its counts reversed): refused,
    naming both samples and each one's column spec; each spec gives the CpGs ingest gives from
    that sample's table alone."""
    lines = gzip.open(GEMBS, "rt").read().splitlines()
    rows = pd.read_csv(GEMBS, sep="\t")
    reference = make_reference(
        tmp_path, {"chr1": _sequence_of_contexts(list(zip(rows["Pos0"], rows["Ref"])))}
    )
    header = lines[0].split("\t")
    other = [name.replace("sample_ENCSR750CPN", "other") for name in header[4:]]
    swapped = [line.split("\t")[4:] for line in lines[1:]]
    for fields in swapped:  # the other sample: non_conv and conv swapped
        fields[3], fields[4] = fields[4], fields[3]
    path = tmp_path / "two.cpg.txt"
    path.write_text(
        "\t".join(header + other)
        + "\n"
        + "".join(line + "\t" + "\t".join(more) + "\n" for line, more in zip(lines[1:], swapped))
    )
    other_alone = tmp_path / "other.cpg.txt"
    other_alone.write_text(
        "\t".join(header[:4] + other)
        + "\n"
        + "".join("\t".join(line.split("\t")[:4] + more) + "\n" for line, more in zip(lines[1:], swapped))
    )
    specs = ["columns:chrom=1,pos=2,meth=8,unmeth=9,base=0", "columns:chrom=1,pos=2,meth=15,unmeth=16,base=0"]
    with pytest.raises(
        InputError,
        match=rf"line 1: a gemBS mextr table of 2 samples \(sample_ENCSR750CPN, other\).*"
        rf"sample_ENCSR750CPN: {specs[0]}, other: {specs[1]}",
    ):
        detect_source(path)
    for spec, alone in zip(specs, [GEMBS, other_alone]):
        got, qc = ingest(path, reference, fmt=spec, min_coverage=1)
        expected, _ = ingest(alone, reference, min_coverage=1)
        assert qc["format"] == spec and len(got) > 2000
        pd.testing.assert_frame_equal(got, expected)


def test_biscuit_vcf2bed_reads_one_call_per_cytosine_with_its_counts():
    """BISCUIT's vcf2bed rows (1 bp, beta to two decimals in this 2016 version, coverage): unstranded
    calls, the methylated count beta x coverage as a whole number."""
    rows = pd.read_csv(BISCUIT, sep="\t", header=None)
    assert detect_source(BISCUIT).fmt == "biscuit"
    calls = read_calls(BISCUIT)
    np.testing.assert_array_equal(calls.pos, rows[1])
    assert (calls.strand == 0).all() and (rows[2] - rows[1] == 1).all()
    np.testing.assert_array_equal(calls.n_total, rows[4])
    assert (np.abs(calls.n_meth - rows[3] * rows[4]) <= 0.005 * rows[4] + 1e-9).all()
    assert (calls.n_meth == np.round(calls.n_meth)).all()


@pytest.mark.parametrize(
    "text",
    [
        "ID_REF\tGSM1234567\tGSM1234568\ncg00000029\t0.4567\t0.5123\ncg00000108\t0.9312\t0.9011\n",
        '"ID_REF","GSM1234567"\n"cg00000029_TC21",0.4567\n',  # EPICv2 ids, a CSV
        '!Series_title\t"Methylation of ..."\n!Series_geo_accession\t"GSE12345"\n',
    ],
    ids=["beta_table", "epic_v2_csv", "series_matrix"],
)
def test_a_methylation_array_table_is_refused_as_such(text, tmp_path):
    """Illumina 450K/EPIC levels (probe ids, beta values; GEO's series matrix) have no positions or
    read counts: named as array data, not as an unrecognised sequencing format."""
    path = tmp_path / "GSE12345_matrix.txt"
    path.write_text(text)
    with pytest.raises(InputError, match="a methylation array table"):
        detect_source(path)


def test_a_methylation_vcf_is_refused_with_what_to_make_of_it(tmp_path):
    """BISCUIT's pileup VCF (its header, a CpG row with the sample's BT/CV fields): named as a VCF."""
    path = tmp_path / "sample.pileup.vcf"
    path.write_text(
        "##fileformat=VCFv4.1\n##source=BISCUIT\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tsample\n"
        "chr1\t10469\t.\tC\t.\t3\tPASS\tNS=1;CX=CGC;N5=AACGC\tDP:GT:GP:GQ:SP:AC:AF1:CV:BT\t"
        "7:0/0:0,9,43:9:C7:0:0:6:0.83\n"
    )
    with pytest.raises(InputError, match="a VCF .*biscuit vcf2bed") as error:
        detect_source(path)
    assert error.value.line == 1
