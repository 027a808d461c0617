"""Methylation readers (epibench.io.methylation): every format, detection, CG check, bad input.

Expected canonical rows are derived by hand in each test from the small files written
here, against this reference (0-based positions):

    chr1  AACGTTACGATTCGGGCGATCAGTT   CpG C at 2, 7, 12, 16 (G at 3, 8, 13, 17); a CHG C at 20
    chr2  CGTACG                      CpG C at 0, 4
"""

import gzip
import os
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from epibench.errors import InputError
from epibench.io.methylation import detect_source, ingest, write_canonical
from epibench.io.methylation.canonical import dropped_warnings
from epibench.io.methylation.detect import FORMATS
from epibench.io.methylation.ingest import READERS
from epibench.io.reference import Reference, write_reference_index
from small_reference import CHR1, CHR2, make_reference
from text_files import write_lines

DATA = os.path.join(os.path.dirname(__file__), "data")
ENCODE = os.path.join(DATA, "encode_cpg_10e5.bed.gz")


@pytest.fixture
def ref(tmp_path):
    return make_reference(tmp_path, {"chr1": CHR1, "chr2": CHR2})


def tsv(*fields):
    return "\t".join(str(f) for f in fields)


def expected(rows):
    """Canonical table from hand-derived (chrom, pos, n_meth, n_total) rows."""
    frame = pd.DataFrame(rows, columns=["chrom", "pos", "n_meth", "n_total"])
    frame = frame.astype({"pos": np.int64, "n_meth": np.float64, "n_total": np.int64})
    frame["level"] = (frame.n_meth / frame.n_total).astype(np.float32)
    return frame


def assert_table(got, rows):
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected(rows), check_exact=False, rtol=1e-6)


# --- one test per format -------------------------------------------------------------

METHYLC_ROWS = [  # chrom, start, end, context, level, strand, depth
    ("chr1", 2, 3, "CG", "0.800", "+", 5),  # + on the C at 2
    ("chr1", 3, 4, "CG", "0.500", "-", 4),  # - on the G at 3 -> CpG 2
    ("chr1", 7, 8, "CG", "1.000", "+", 6),
    ("chr1", 12, 13, "CG", "0.250", "+", 4),  # 4 reads < min_coverage 5
    ("chr1", 20, 21, "CHG", "0.500", "+", 10),  # not CG context: dropped
]


@pytest.mark.parametrize("old_order", [False, True])
def test_methylc_both_column_orders(tmp_path, ref, old_order):
    rows = [r[:5] + ((r[6], r[5]) if old_order else (r[5], r[6])) for r in METHYLC_ROWS]
    path = write_lines(tmp_path / "s.methylC.gz", [tsv(*r) for r in rows], gz=True)
    table, qc = ingest(path, ref, min_coverage=5)
    # CpG 2: n_meth 0.8*5 + 0.5*4 = 6, depth 9; CpG 7: 1.0*6 = 6 of 6
    assert_table(table, [("chr1", 2, 6.0, 9), ("chr1", 7, 6.0, 6)])
    assert qc["format"] == "methylc"
    assert qc["n_records"] == 5
    assert qc["n_non_cg_context_dropped"] == 1
    assert qc["n_cpgs_merged"] == 1
    assert qc["n_below_min_coverage"] == 1
    assert qc["n_kept"] == 2
    assert qc["cg_share"] == 1.0
    assert qc["mean_coverage"] == pytest.approx(7.5)
    assert qc["mean_level"] == pytest.approx((6 / 9 + 1) / 2)


@pytest.mark.parametrize("n_columns", [14, 11])
def test_encode_bedmethyl(tmp_path, ref, n_columns):
    def row(chrom, start, strand, coverage, percent, context="CG"):
        fields = [
            chrom,
            start,
            start + 1,
            '"ENCSR0"',
            coverage,
            strand,
            start,
            start + 1,
            "255,0,0",
            coverage,
            percent,
        ]
        return tsv(*(fields + [context, context, 2])[:n_columns])

    lines = ['track name="ENCSR0" description="x" visibility=2 itemRgb="On"']
    lines += [row("chr1", 2, "+", 3, 100), row("chr1", 3, "-", 2, 50), row("chr2", 4, "+", 6, 0)]
    if n_columns == 14:
        lines.append(row("chr1", 20, "+", 8, 50, context="CHG"))
    table, qc = ingest(write_lines(tmp_path / "s.bed", lines), ref, min_coverage=5)
    # CpG chr1:2: 3 of 3 (+) and 1 of 2 (-): 4 of 5; chr2:4: 0 of 6
    assert_table(table, [("chr1", 2, 4.0, 5), ("chr2", 4, 0.0, 6)])
    assert qc["format"] == "bedmethyl"
    assert qc["n_non_cg_context_dropped"] == (1 if n_columns == 14 else 0)


def test_a_bedmethyl_whose_context_column_never_says_cg_is_named_so(tmp_path, ref):
    """Every row's context column another value than CG (a trinucleotide CGG): all rows are dropped by
    context, and the message says that, not that the chromosome names or the genome are wrong."""
    fields = ["chr1", 2, 3, "s", 5, "+", 2, 3, "255,0,0", 5, 80, "CGG", "CGG", 40]
    lines = [tsv(*fields), tsv(*[*fields[:1], 7, 8, *fields[3:6], 7, 8, *fields[8:]])]
    with pytest.raises(InputError) as caught:
        ingest(write_lines(tmp_path / "s.bed", lines), ref, min_coverage=1, fmt="bedmethyl")
    message = str(caught.value)
    assert "no CG calls on a sequence of" in message  # the phrase of an empty file of CG calls
    assert "context column of every one of its 2 rows names another context than CG" in message
    assert "chrom_aliases" not in message and "another genome" not in message


@pytest.mark.parametrize(
    ("name", "starts"),
    [("s.bismark.cov", (3, 4, 1)), ("s.bismark.zero.cov", (2, 3, 0)), ("s.bismark.cov.gz", (3, 4, 1))],
)
def test_bismark_coverage(tmp_path, ref, name, starts):
    # .cov is 1-based (start == end == the cytosine); .zero.cov is 0-based half-open
    one_based = ".zero." not in name
    ends = [s if one_based else s + 1 for s in starts]
    lines = [
        tsv("chr1", starts[0], ends[0], 80, 4, 1),  # the C of CpG chr1:2
        tsv("chr1", starts[1], ends[1], 50, 1, 1),  # the G of the same CpG: no strand column, the FASTA tells
        tsv("chr2", starts[2], ends[2], 100, 5, 0),  # CpG chr2:0
    ]
    table, qc = ingest(write_lines(tmp_path / name, lines, gz=name.endswith(".gz")), ref, min_coverage=5)
    assert_table(table, [("chr1", 2, 5.0, 7), ("chr2", 0, 5.0, 5)])
    assert qc["format"] == ("bismark_cov" if one_based else "bismark_zero_cov")
    assert qc["n_cpgs_merged"] == 1


def test_bismark_cpg_report(tmp_path, ref):
    lines = [
        tsv("chr1", 3, "+", 4, 1, "CG", "CGT"),  # 1-based 3 = 0-based 2, the C
        tsv("chr1", 4, "-", 2, 0, "CG", "CGA"),  # 1-based 4 = the G at 3
        tsv("chr1", 8, "+", 0, 0, "CG", "CGA"),  # uncovered CpG 7
        tsv("chr1", 21, "+", 3, 3, "CHG", "CAG"),  # CX report row
    ]
    table, qc = ingest(write_lines(tmp_path / "s.CpG_report.txt", lines), ref, min_coverage=1)
    assert_table(table, [("chr1", 2, 6.0, 7)])
    assert qc["format"] == "bismark_cpg_report"
    assert qc["n_zero_depth_dropped"] == 1
    assert qc["n_non_cg_context_dropped"] == 1


def test_methyldackel_bedgraph(tmp_path, ref):
    lines = [
        'track type="bedGraph" description="s CpG methylation levels"',
        tsv("chr1", 2, 3, 80, 4, 1),  # C of CpG 2
        tsv("chr1", 3, 4, 100, 2, 0),  # G of CpG 2
        tsv("chr1", 7, 9, 50, 3, 3),  # --mergeContext: one 2-bp interval on CpG 7
    ]
    table, qc = ingest(write_lines(tmp_path / "s_CpG.bedGraph", lines), ref, min_coverage=1)
    assert_table(table, [("chr1", 2, 6.0, 7), ("chr1", 7, 3.0, 6)])
    assert qc["format"] == "methyldackel"


def modkit_row(chrom, start, code, strand, valid, n_mod):
    # columns 1-9 tab-separated, 10-18 space-separated (older modkit); any whitespace must split
    head = tsv(chrom, start, start + 1, code, valid, strand, start, start + 1, "255,0,0")
    percent = f"{100 * n_mod / valid:.2f}"
    return head + "\t" + " ".join(str(v) for v in (valid, percent, n_mod, valid - n_mod, 0, 0, 0, 0, 0))


def test_modkit_bedmethyl(tmp_path, ref):
    lines = [
        modkit_row("chr1", 2, "m", ".", 6, 5),  # --combine-strands: on the C
        modkit_row("chr1", 2, "h", ".", 6, 1),  # 5hmC: not kept
        modkit_row("chr1", 7, "m,CG,0", "+", 3, 3),
        modkit_row("chr1", 8, "m,CG,0", "-", 4, 2),  # G of CpG 7
    ]
    table, qc = ingest(write_lines(tmp_path / "s.bed", lines), ref, min_coverage=1)
    assert_table(table, [("chr1", 2, 5.0, 6), ("chr1", 7, 5.0, 7)])
    assert qc["format"] == "modkit"
    assert qc["n_other_modification_rows"] == 1
    assert qc["n_records"] == 4


# three rows of modkit's own pileup-hemi output (nanoporetech/modkit @55effb15,
# tests/resources/duplex_hemi.bed): a pattern of both strands' codes per duplex read
HEMI_ROWS = [
    "chr20\t22614392\t22614393\t-,-,C\t4\t.\t22614392\t22614393\t255,0,0\t4 75.00 3 3 1 0 0 0 0",
    "chr20\t22614392\t22614393\tm,m,C\t4\t.\t22614392\t22614393\t255,0,0\t4 25.00 1 3 3 0 0 0 0",
    "chr20\t22614448\t22614449\tm,h,C\t1\t.\t22614448\t22614449\t255,0,0\t1 100.00 1 0 0 0 3 0 0",
]


def test_modkit_pileup_hemi_output_is_refused_with_what_to_give(tmp_path):
    with pytest.raises(InputError, match=r"modkit pileup-hemi output .*give modkit pileup --cpg") as info:
        detect_source(write_lines(tmp_path / "hemi.bed", HEMI_ROWS))
    assert info.value.line == 1


@pytest.mark.parametrize(
    "name, refused",
    [
        ("h_CG0_positive.bedgraph", "'h' (5hmC"),
        ("s1_a_negative.bedgraph.gz", "'a' (6mA"),
        ("m_CG0_positive.bedgraph", None),  # 5mC: read as a bedGraph of levels and coverage
        ("C_CG0_negative.bedgraph", None),  # --combine-mods
        ("sample_1_positive.bedgraph", None),  # not a modification code: any bedGraph
    ],
)
def test_a_modkit_bedgraph_of_another_modification_is_refused_by_its_name(tmp_path, ref, name, refused):
    # modkit pileup --bedgraph rows: chrom, start, end, fraction modified, valid coverage (src/writers.rs)
    lines = [tsv("chr1", 2, 3, 0.75, 4), tsv("chr1", 7, 8, 0.5, 2)]
    path = write_lines(tmp_path / name, lines)
    if refused:
        with pytest.raises(
            InputError, match=re.escape(f"a modkit --bedgraph file of modification code {refused}")
        ) as info:
            ingest(path, ref, min_coverage=1)
        assert "give the sample's 5mC files" in str(info.value)
    else:
        table, qc = ingest(path, ref, min_coverage=1)
        assert_table(table, [("chr1", 2, 3.0, 4), ("chr1", 7, 1.0, 2)])
        # the tables and logs name the tool by modkit's file names; any other such file is BISCUIT's layout
        assert qc["format"] == ("biscuit" if name.startswith("sample_") else "modkit_bedgraph")


def test_a_bed_of_positions_without_counts_is_named_so(tmp_path):
    # three rows of modkit motif-bed's output (nanoporetech/modkit @251055f8, tests/resources/hg38_chr17_CG0_snip.bed)
    lines = [
        "chr17\t7689132\t7689133\t.\t.\t-",
        "chr17\t7689188\t7689189\t.\t.\t+",
        "chr17\t7689189\t7689190\t.\t.\t-",
    ]
    with pytest.raises(InputError, match="a BED of positions without counts .*modkit motif-bed") as info:
        detect_source(write_lines(tmp_path / "sites.bed", lines))
    assert info.value.line == 1 and "methyldackel" not in str(info.value)


def test_every_detectable_format_has_a_reader():
    assert set(READERS) == set(FORMATS)


# --- detection from content ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [
        ([tsv("chr1", 2, 3, "CG", "0.5", "+", 5)], "methylc"),
        ([tsv("chr1", 2, 3, "CG", "0.5", 5, "-")], "methylc"),
        (["track name=x", tsv("chr1", 2, 3, "x", 5, "+", 2, 3, "0,0,0", 5, 40, "CG", "CG", 2)], "bedmethyl"),
        ([tsv("chr1", 2, 3, "x", 5, "-", 2, 3, "0,0,0", 5, 40)], "bedmethyl"),
        ([modkit_row("chr1", 2, "m", ".", 6, 5)], "modkit"),
        ([tsv("chr1", 3, "+", 4, 1, "CG", "CGT")], "bismark_cpg_report"),
        ([tsv("chr1", 3, 3, 80, 4, 1)], "bismark_cov"),  # start == end: 1-based
        (["track type=bedGraph", tsv("chr1", 2, 3, 80, 4, 1)], "methyldackel"),
    ],
)
def test_detection_from_content_not_name(tmp_path, lines, fmt):
    # a gzip file named .txt: compression from the magic bytes, format from the lines
    path = write_lines(tmp_path / "calls.txt", lines, gz=True)
    assert detect_source(path).fmt == fmt


def test_unknown_layout_is_an_input_error(tmp_path):
    path = write_lines(
        tmp_path / "x.txt", ["# comment", tsv("chr1", 2, "+", 0.5, 7)]
    )  # five columns, not BISCUIT's
    with pytest.raises(InputError, match="unrecognised methylation format") as info:
        detect_source(path)
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("damaged_first", "rest", "fmt", "message"),
    [
        # a 14-column bedMethyl row cut to 11 columns: still bedMethyl, but not this file's layout
        (
            tsv("chr1", 2, 3, "x", 5, "+", 2, 3, "0,0,0", 5, 40),
            [
                tsv("chr1", p, p + 1, "x", 5, "+", p, p + 1, "0,0,0", 5, 40, "CG", "CG", 2)
                for p in (8, 14, 20)
            ],
            "bedmethyl",
            "expected 14 columns, found 11",
        ),
        # a six-column MethylDackel row with a column lost reads as a BISCUIT row of five
        (
            tsv("chr1", 2, 3, 80, 4),
            [tsv("chr1", p, p + 1, 50, 2, 2) for p in (8, 14, 20)],
            "methyldackel",
            "expected 6 columns, found 5",
        ),
    ],
)
def test_a_damaged_first_row_is_named_not_taken_for_another_layout(
    tmp_path, damaged_first, rest, fmt, message
):
    """Detection goes by most of the first rows: the damaged first row is the error, at its line."""
    path = write_lines(tmp_path / "calls.txt", ["track name=x", damaged_first, *rest])
    assert detect_source(path).fmt == fmt
    with pytest.raises(InputError, match=message) as info:
        ingest(path, None)
    assert info.value.line == 2


def test_a_given_format_whose_rows_have_another_column_count_names_a_row_of_that_count(tmp_path):
    """Format bedmethyl given for rows of 12 columns (a bedMethyl with a column added): the count
    most rows have is named, at the first row that has it, even after a well-formed first row."""
    good = tsv("chr1", 2, 3, "x", 5, "+", 2, 3, "0,0,0", 5, 40, "CG", "CG", 2)
    extra = [tsv("chr1", p, p + 1, "x", 5, "+", p, p + 1, "0,0,0", 5, 40, "CG") for p in (8, 14, 20)]
    path = write_lines(tmp_path / "calls.bed", [good, *extra])
    with pytest.raises(InputError, match="bedmethyl has 11 or 14 columns, found 12") as info:
        detect_source(path, "bedmethyl")
    assert info.value.line == 2


# --- chromosome names ----------------------------------------------------------------


def test_chromosome_names_harmonised_and_dropped_reported(tmp_path, ref):
    lines = [
        tsv("1", 2, 3, "CG", "0.5", "+", 6),
        tsv("2", 4, 5, "CG", "1.0", "+", 5),
        tsv("chrUn_KI270302v1", 10, 11, "CG", "1.0", "+", 9),
        tsv("chrUn_KI270302v1", 20, 21, "CG", "1.0", "+", 9),
    ]
    table, qc = ingest(write_lines(tmp_path / "s.methylC", lines), ref, min_coverage=1)
    assert_table(table, [("chr1", 2, 3.0, 6), ("chr2", 4, 5.0, 5)])
    assert qc["renamed_chroms"] == {"1": "chr1", "2": "chr2"}
    assert qc["dropped_chroms"] == {"chrUn_KI270302v1": 2}
    # half the calls left out is a warning naming the sequence and the aliases setting
    (warning,) = [w for w in qc["warnings"] if "the reference lacks" in w]
    assert (
        "2 calls (50.0%) on sequences the reference lacks dropped" in warning
        and "chrUn_KI270302v1: 2" in warning
    )
    assert "reference.chrom_aliases" in warning


@pytest.mark.parametrize("n_dropped, warned", [(9, False), (10, True)])
def test_calls_dropped_off_the_reference_are_warned_of_from_one_percent(n_dropped, warned):
    qc = {"dropped_chroms": {"lambda": n_dropped}, "n_zero_depth_dropped": 0}
    warnings = dropped_warnings(qc, 1000 - n_dropped)
    assert bool(warnings) == warned
    assert not warned or "lambda: 10" in warnings[0]


def test_calls_dropped_on_alternates_alone_are_no_name_problem_to_fix():
    """A primary-only FASTA against calls on hs38DH's alts, decoys and HLA: said so, no alias table
    asked for; one primary chromosome among them asks for it."""
    beside = {"chr2_KI270769v1_alt": 50, "chrUn_JTFH01000001v1_decoy": 30, "HLA-A*01:01:01:01": 20}
    (warning,) = dropped_warnings({"dropped_chroms": beside, "n_zero_depth_dropped": 0}, 900)
    assert "sequences beside a primary assembly (HLA allele, alternate haplotype, decoy)" in warning
    assert "chrom_aliases" not in warning
    (warning,) = dropped_warnings({"dropped_chroms": {**beside, "chr5": 40}, "n_zero_depth_dropped": 0}, 900)
    assert "reference.chrom_aliases" in warning


def test_nothing_on_the_fasta_is_an_input_error(tmp_path, ref):
    path = write_lines(tmp_path / "s.methylC", [tsv("chrZ", 2, 3, "CG", "0.5", "+", 6)])
    with pytest.raises(InputError, match="chrZ"):
        ingest(path, ref)


# --- CG check and its diagnosis -------------------------------------------------------


@pytest.fixture
def random_ref(tmp_path):
    """20 kb of random sequence (about 1,250 CpGs): enough calls for shares to mean something."""
    rng = np.random.default_rng(7)
    seq = "".join(rng.choice(list("ACGT"), size=20_000))
    return make_reference(tmp_path, {"chr1": seq}, "random"), seq


def cpgs_of(seq):
    return [i for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"]


def test_one_based_coverage_read_as_zero_based_is_refused_by_its_rows(tmp_path, random_ref):
    ref, seq = random_ref
    # a true 1-based Bismark file: both cytosines of each CpG (C at c+1, the - C at c+2)
    lines = [tsv("chr1", p, p, 50, 3, 3) for c in cpgs_of(seq) for p in (c + 1, c + 2)]
    path = write_lines(tmp_path / "s.bismark.cov", lines)
    table, _ = ingest(path, ref)  # read right: every CpG once, both strands merged
    assert table.pos.tolist() == cpgs_of(seq) and (table.n_total == 12).all()
    with pytest.raises(InputError, match="start == end is one-based") as info:
        ingest(path, ref, fmt="bismark_zero_cov")
    assert f"{path}, line 1:" in str(info.value)


def test_one_based_rows_of_two_bases_read_as_zero_based_offer_both_causes(tmp_path, random_ref):
    ref, seq = random_ref
    # one 1-based row per cytosine, ending one base after it: its rows allow either base
    lines = [tsv("chr1", p + 1, p + 2, 50, 3, 3) for c in cpgs_of(seq) for p in (c, c + 1)]
    path = write_lines(tmp_path / "s.bismark.zero.cov", lines)
    with pytest.raises(
        InputError,
        match=r"fit \S+ one base to the left \(-1\): either the file is one-based "
        r"\(format bismark_cov\) or the reference is offset",
    ) as info:
        ingest(path, ref, fmt="bismark_zero_cov")
    assert "random/genome.fa" in str(info.value) and "moved -1" in str(info.value)


def test_zero_based_read_as_one_based_offers_the_zero_based_format(tmp_path, random_ref):
    ref, seq = random_ref
    lines = [tsv("chr1", p, p + 1, 50, 3, 3) for c in cpgs_of(seq) for p in (c, c + 1)]
    path = write_lines(tmp_path / "s.bismark.zero.cov", lines)
    with pytest.raises(
        InputError,
        match=r"one base to the right \(\+1\): either the file is zero-based " r"\(format bismark_zero_cov\)",
    ):
        ingest(path, ref, fmt="bismark_cov")


def test_stranded_one_based_bedmethyl_blames_the_reference(tmp_path, random_ref):
    ref, seq = random_ref
    lines = [
        tsv("chr1", p + 1, p + 2, "x", 5, strand, p + 1, p + 2, "0,0,0", 5, 40)  # shifted by one: 1-based
        for c in cpgs_of(seq)
        for p, strand in ((c, "+"), (c + 1, "-"))
    ]
    with pytest.raises(
        InputError,
        match="one base to the left .*bedmethyl is zero-based by definition, so the "
        "reference is offset or another assembly",
    ) as info:
        ingest(write_lines(tmp_path / "s.bed", lines), ref)
    assert "format bismark" not in str(info.value)


def test_minus_strand_calls_on_the_c_are_named_as_a_strand_convention(tmp_path, random_ref):
    ref, seq = random_ref
    # every - strand call written at the C of its CpG instead of its G
    lines = [tsv("chr1", c, c + 1, "CG", "0.5", strand, 5) for c in cpgs_of(seq) for strand in "+-"]
    with pytest.raises(InputError, match="- strand calls sit on the C of their CpG") as info:
        ingest(write_lines(tmp_path / "s.methylC", lines), ref)
    assert "100.0% with - strand calls on the C" in str(info.value)


def test_wrong_assembly(tmp_path, random_ref):
    ref, seq = random_ref
    rng = np.random.default_rng(3)
    positions = np.sort(rng.choice(len(seq) - 2, size=500, replace=False))
    lines = [tsv("chr1", p, p + 1, "CG", "0.5", "+", 5) for p in positions]
    with pytest.raises(
        InputError, match=r"wrong assembly\? too few calls fall on a CpG of .* at any shift"
    ) as info:
        ingest(write_lines(tmp_path / "s.methylC", lines), ref)
    assert "random/genome.fa" in str(info.value)


def test_calls_that_fit_as_read_with_read_errors_besides_are_not_called_another_assembly(
    tmp_path, random_ref
):
    """A pileup of every base made without the reference (modkit pileup without --ref): 90 % of the
    calls on the C of a CpG, 10 % on other bases (a read's error each): it fits as read."""
    ref, seq = random_ref
    cpgs = cpgs_of(seq)[:180]
    others = [i for i in range(2, len(seq)) if seq[i] in "AT"][:20]
    lines = [tsv("chr1", p, p + 1, "CG", "0.5", "+", 5) for p in sorted(cpgs + others)]
    with pytest.raises(InputError, match="as read, but too few sit on a cytosine") as info:
        ingest(write_lines(tmp_path / "s.methylC", lines), ref)
    assert "modkit pileup --ref <fasta> --cpg" in str(info.value) and "wrong assembly" not in str(info.value)


def test_a_few_off_cpg_calls_are_dropped_not_fatal(tmp_path, random_ref):
    ref, seq = random_ref
    cpgs = cpgs_of(seq)
    off = next(i for i in range(2, len(seq)) if seq[i] == "A")
    lines = [tsv("chr1", c, c + 1, "CG", "0.5", "+", 8) for c in cpgs] + [
        tsv("chr1", off, off + 1, "CG", "0.5", "+", 8)
    ]
    table, qc = ingest(write_lines(tmp_path / "s.methylC", lines), ref)
    assert qc["n_off_cg_dropped"] == 1
    assert qc["cg_share"] == pytest.approx(len(cpgs) / (len(cpgs) + 1))
    assert table.pos.tolist() == cpgs


# --- the real ENCODE file -------------------------------------------------------------


def encode_calls():
    """(start, strand, coverage, percent) per data line, parsed here independently of the reader."""
    with gzip.open(ENCODE, "rt") as fh:
        next(fh)  # the track line
        rows = [line.split("\t") for line in fh]
    return [(int(r[1]), r[5], int(r[9]), float(r[10])) for r in rows]


def test_encode_bedmethyl_real_file(tmp_path):
    calls = encode_calls()
    cpg = np.array([s if strand == "+" else s - 1 for s, strand, _, _ in calls])
    # Synthetic chr1 (there is no FASTA for this file): random bases up to the last call,
    # with C, G written at each call's CpG (a + call on the C, a - call on the G).
    rng = np.random.default_rng(0)
    seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, cpg.max() + 2)].copy()
    seq[cpg], seq[cpg + 1] = ord("C"), ord("G")
    fasta = tmp_path / "chr1.fa"
    fasta.write_bytes(b">chr1\n" + seq.tobytes() + b"\n")
    ref = Reference(write_reference_index(fasta, tmp_path / "ref"))

    # expected, by plain Python: strands summed per CpG, n_meth = percent / 100 x coverage
    sums = {}
    for (start, strand, coverage, percent), c in zip(calls, cpg):
        meth, total, n = sums.get(c, (0.0, 0, 0))
        sums[c] = (meth + percent / 100 * coverage, total + coverage, n + 1)

    table, qc = ingest(ENCODE, ref, min_coverage=1)
    assert qc["format"] == "bedmethyl" and qc["n_records"] == 99_999 == len(calls)
    assert qc["cg_share"] == 1.0
    assert qc["n_cpgs_merged"] == sum(1 for v in sums.values() if v[2] == 2)
    want = sorted((c, m, t) for c, (m, t, _) in sums.items())
    assert table.pos.tolist() == [c for c, _, _ in want]
    np.testing.assert_allclose(table.n_meth, [m for _, m, _ in want])
    np.testing.assert_array_equal(table.n_total, [t for _, _, t in want])
    assert (table.chrom == "chr1").all()

    table5, qc5 = ingest(ENCODE, ref)  # default min_coverage 5
    assert len(table5) == sum(1 for _, t, _ in sums.values() if t >= 5) == qc5["n_kept"]
    assert qc5["n_below_min_coverage"] == len(sums) - len(table5)

    # a truncated copy of the real file names the file
    cut = tmp_path / "cut.bed.gz"
    data = open(ENCODE, "rb").read()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated") as info:
        ingest(cut, ref)
    assert str(cut) in str(info.value)


# --- bad input names file and line ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lines", "line", "what"),
    [
        (
            "a.methylC",
            [
                tsv("chr1", 2, 3, "CG", "0.5", "+", 5),
                tsv("chr1", 7, 8, "CG", "0.5", "+", 5),
                tsv("chr1", 12, 13, "CG", "high", "+", 5),
            ],
            3,
            "column 5 \\(level\\) is not a number",
        ),
        (
            "b.methylC",
            [tsv("chr1", 2, 3, "CG", "0.5", "+", 5), tsv("chr1", 7, 8, "CG", "80", "+", 5)],
            2,
            "fraction column",
        ),
        (
            "c.bed",
            [
                "track name=x",
                tsv("chr1", 2, 3, "x", 5, "+", 2, 3, "0,0,0", 5, 40),
                tsv("chr1", 7, 8, "x", 5, "+", 7, 8, "0,0,0", 5, 150),
            ],
            3,
            "percent > 100",
        ),
        (
            "d.bed",
            [
                "track name=x",
                tsv("chr1", 2, 3, "x", 5, "+", 2, 3, "0,0,0", 5, 40, "CG", "CG", 2),
                tsv("chr1", 7, 8, "x", 5, "+", 7, 8, "0,0,0", 5, 40, "CG", "CG", 2),
                tsv("chr1", 12, 13, "x", 5, "+", 12, 13, "0,0,0", 5, 40, "CG", "CG"),
            ],
            4,
            "expected 14 columns, found 13",
        ),
        (
            "e.methylC",
            [tsv("chr1", 2, 3, "CG", "0.5", "+", 5), tsv("chr1", -5, 3, "CG", "0.5", "+", 5)],
            2,
            "coordinate below 0",
        ),
        (
            "f.bismark.cov",
            [tsv("chr1", 3, 3, 50, 1, 1), tsv("chr1", 0, 0, 50, 1, 1)],
            2,
            "coordinate below 1",
        ),
        (
            "g.bismark.cov",
            [tsv("chr1", 3, 3, 50, 1, 1), tsv("chr1", 4, 4, 50, -1, 1)],
            2,
            "negative methylated count",
        ),
        (
            "h.bed",
            [modkit_row("chr1", 2, "m", ".", 6, 5), modkit_row("chr1", 7, "m", ".", 6, 5).rsplit(" ", 1)[0]],
            2,
            "expected 18 columns, found 17",
        ),
        (
            "i.txt",
            [tsv("chr1", 3, "+", 4, 1, "CG", "CGT"), tsv("chr1", 8, "*", 4, 1, "CG", "CGT")],
            2,
            "strand must be one of",
        ),
        (
            "j.methylC",
            [tsv("chr1", 2, 3, "CG", "0.5", "+", 5), tsv("chr1", 7, 8, "CG", "0.5", "+", "5x")],
            2,
            "column 7 \\(depth\\) is not an integer",
        ),
        (  # R's write.table writes a round position in scientific notation
            "k.bismark.cov",
            [tsv("chr1", 3, 3, 50, 1, 1), tsv("chr1", "1e+01", "1e+01", 50, 1, 1)],
            2,
            "column 2 \\(start\\) is not an integer: '1e\\+01' \\(scientific notation, as R's write.table",
        ),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, ref, name, lines, line, what):
    path = write_lines(tmp_path / name, lines)
    with pytest.raises(InputError, match=what) as info:
        ingest(path, ref, min_coverage=1)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}, line {line}: ")


def test_the_same_strand_called_twice_names_both_lines(tmp_path, ref):
    lines = [
        tsv("chr1", 2, 3, "CG", "0.5", "+", 5),
        tsv("chr1", 7, 8, "CG", "0.5", "+", 5),
        tsv("chr1", 2, 3, "CG", "0.8", "+", 5),
    ]
    with pytest.raises(InputError, match="second call for the \\+ strand .* first is on line 1") as info:
        ingest(write_lines(tmp_path / "dup.methylC", lines), ref)
    assert info.value.line == 3


@pytest.mark.parametrize("lines", [[], ['track name="empty"'], ["", ""]])
@pytest.mark.parametrize("gz", [False, True])
def test_empty_file_is_an_input_error(tmp_path, ref, lines, gz):
    path = write_lines(tmp_path / ("empty.bed.gz" if gz else "empty.bed"), lines, gz=gz)
    with pytest.raises(InputError, match="no data lines") as info:
        ingest(path, ref)
    assert str(path) in str(info.value)


def test_nothing_above_min_coverage_is_an_input_error(tmp_path, ref):
    path = write_lines(tmp_path / "s.methylC", [tsv("chr1", 2, 3, "CG", "0.5", "+", 2)])
    with pytest.raises(InputError, match="at least 5 reads"):
        ingest(path, ref)


# --- output ---------------------------------------------------------------------------


def test_write_canonical_parquet(tmp_path, ref):
    path = write_lines(tmp_path / "s.methylC", [tsv(*r) for r in METHYLC_ROWS])
    table, _ = ingest(path, ref)
    out = tmp_path / "out" / "s.parquet"
    write_canonical(table, out)
    assert os.listdir(out.parent) == ["s.parquet"]  # no temporary left behind
    back = pq.read_table(out)
    assert back.column_names == ["chrom", "pos", "n_meth", "n_total", "level"]
    assert [str(t) for t in back.schema.types] == ["large_string", "int64", "double", "int64", "float"] or [
        str(t) for t in back.schema.types
    ] == ["string", "int64", "double", "int64", "float"]
    assert_table(back.to_pandas(), [("chr1", 2, 6.0, 9), ("chr1", 7, 6.0, 6)])


# --- row order: sorted files take the no-sort path, any other order the same table --------


def encode_rows(calls):
    """ENCODE bedMethyl lines (11 columns) for (chrom, start, strand, coverage, percent) calls."""
    return [tsv(c, s, s + 1, "x", n, st, s, s + 1, "0,0,0", n, pct) for c, s, st, n, pct in calls]


@pytest.mark.parametrize("reference", ["small", "random"])
def test_row_order_does_not_change_the_table(tmp_path, ref, random_ref, reference):
    rng = np.random.default_rng(11)
    if reference == "small":  # calls at the ends of the sequences (chr2:0): the whole-codes path
        seqs = {"chr1": CHR1, "chr2": CHR2}
    else:  # calls inside the sequences only: the bases around them read from the FASTA
        seqs = {"chr1": random_ref[1], "chr2": CHR1 * 40}
        ref = make_reference(tmp_path, seqs, "two")
    calls = [
        (chrom, p, strand, int(rng.integers(1, 30)), int(rng.integers(0, 101)))
        for chrom, s in seqs.items()
        for c in cpgs_of(s)
        for p, strand in ((c, "+"), (c + 1, "-"))
        if rng.random() < 0.8
    ]
    calls.append(("chr1", 1, "+", 9, 50))  # off a CpG: dropped, counted
    calls.sort(key=lambda r: (r[0], r[1]))
    want, want_qc = ingest(
        write_lines(tmp_path / "sorted.bed", encode_rows(calls)), ref, min_coverage=5, min_cg_share=0.5
    )
    assert want_qc["n_off_cg_dropped"] == 1
    assert want.chrom.tolist() == sorted(want.chrom) and all(
        g.pos.is_monotonic_increasing for _, g in want.groupby("chrom")
    )
    orders = {
        "shuffled": [calls[i] for i in rng.permutation(len(calls))],
        "chr2 first": sorted(calls, key=lambda r: (r[0] != "chr2", r[1])),
        "descending": calls[::-1],
    }
    for name, rows in orders.items():
        got, qc = ingest(
            write_lines(tmp_path / f"{name}.bed", encode_rows(rows)), ref, min_coverage=5, min_cg_share=0.5
        )
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)
        assert qc == want_qc, name


def test_strand_called_twice_in_an_unsorted_file_names_both_lines(tmp_path, ref):
    lines = [
        tsv("chr1", 20, 21, "CHG", "0.5", "+", 5),  # dropped first (context): rows are renumbered
        tsv("chr1", 7, 8, "CG", "0.5", "+", 5),
        tsv("chr1", 3, 4, "CG", "0.5", "-", 5),
        tsv("chr1", 8, 9, "CG", "0.5", "-", 5),
        tsv("chr1", 3, 4, "CG", "0.8", "-", 5),
    ]
    with pytest.raises(
        InputError, match="second call for the - strand of the CpG at chr1:2 .* first is on line 3"
    ) as info:
        ingest(write_lines(tmp_path / "dup.methylC", lines), ref)
    assert info.value.line == 5


def test_the_context_warning_counts_calls_off_any_cytosine_apart():
    from epibench.io.methylation.canonical import context_warnings

    qc = {"cg_share": 0.73, "n_calls": 26, "n_off_cg_dropped": 7, "n_off_cg_on_cytosine": 5}
    (warning,) = context_warnings(qc, 0.95)
    assert (
        "5 calls outside CpGs (CHG/CHH by the reference) were dropped, and 2 on no cytosine at all" in warning
    )
    (warning,) = context_warnings(qc | {"n_off_cg_dropped": 5}, 0.95)
    assert warning.endswith("were dropped")
