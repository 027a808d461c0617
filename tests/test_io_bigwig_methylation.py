"""Roadmap FractionalMethylation bigWig reader (epibench.io.methylation.bigwig) through ``ingest``.

Small bigWigs are written here with pyBigWig. Expected canonical rows are derived by
hand against this reference (0-based positions, as in test_io_methylation.py):

    chr1  AACGTTACGATTCGGGCGATCAGTT   CpG C at 2, 7, 12, 16 (G at 3, 8, 13, 17)
    chr2  CGTACG                      CpG C at 0, 4 (G at 1, 5)
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from epibench.cli import main
from epibench.errors import InputError
from epibench.io.methylation import bigwig, detect_source, ingest
from epibench.io.methylation.detect import FORMATS
from epibench.io.methylation.ingest import READERS
from small_reference import CHR1, CHR2, make_reference

SIZES = {"chr1": len(CHR1), "chr2": len(CHR2)}


@pytest.fixture
def ref(tmp_path):
    return make_reference(tmp_path, {"chr1": CHR1, "chr2": CHR2})


def write_bigwig(path, sizes: dict[str, int], entries: list[tuple[str, int, int, float]]):
    """A bigWig with header ``sizes`` and intervals (chrom, start, end, value), written by pyBigWig."""
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(sizes.items()))
    for chrom in sizes:
        rows = sorted(e for e in entries if e[0] == chrom)
        if rows:
            bw.addEntries(
                [chrom] * len(rows),
                [r[1] for r in rows],
                ends=[r[2] for r in rows],
                values=[float(r[3]) for r in rows],
            )
    bw.close()
    return path


def bases(chrom, *pairs):
    """1-bp intervals: (pos, value) pairs -> (chrom, pos, pos + 1, value)."""
    return [(chrom, pos, pos + 1, value) for pos, value in pairs]


def assert_table(got, rows):
    frame = pd.DataFrame(rows, columns=["chrom", "pos", "n_meth", "n_total"])
    frame = frame.astype({"pos": np.int64, "n_meth": np.float64, "n_total": np.int64})
    frame["level"] = (frame.n_meth / frame.n_total).astype(np.float32)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), frame, check_exact=False, rtol=1e-6)


# --- with a ReadCoverage bigWig -----------------------------------------------------------

LEVELS_BOTH = [
    *bases("chr1", (2, 0.8), (3, 0.5), (7, 1.0), (12, 0.25)),  # C and G of CpG 2; C of 7; C of 12
    *bases("chr2", (5, 1 / 3)),  # G of CpG 4 (1/3 is not exact in float32)
    *bases("chrUn_x", (0, 0.5)),  # not in the FASTA
]
COVERAGE_BOTH = [
    *bases("chr1", (2, 5), (3, 4), (7, 6), (12, 4)),
    *bases("chr2", (5, 6)),
    *bases("chrUn_x", (0, 9)),
]
SIZES_UN = {**SIZES, "chrUn_x": 10}


def test_levels_and_coverage_both_strands(tmp_path, ref):
    levels = write_bigwig(tmp_path / "E000_WGBS_FractionalMethylation.bigwig", SIZES_UN, LEVELS_BOTH)
    coverage = write_bigwig(tmp_path / "E000_WGBS_ReadCoverage.bigwig", SIZES_UN, COVERAGE_BOTH)
    table, qc = ingest(levels, ref, coverage_path=coverage, min_coverage=5)
    # CpG 2: 0.8 x 5 + 0.5 x 4 = 4 + 2 of 9; CpG 7: 6 of 6; CpG 12: 4 reads < 5; chr2 CpG 4: 1/3 x 6 = 2 of 6
    assert_table(table, [("chr1", 2, 6.0, 9), ("chr1", 7, 6.0, 6), ("chr2", 4, 2.0, 6)])
    assert table.n_meth.tolist() == [6.0, 6.0, 2.0]  # snapped to whole reads despite float32 levels
    assert qc["format"] == "roadmap_bigwig"
    # the depth is known: the one warning is of the call on chrUn_x, a sixth of them, left out
    assert qc["coverage_known"] is True and len(qc["warnings"]) == 1
    assert (
        "1 call (16.7%) on sequences the reference lacks dropped" in qc["warnings"][0]
        and "chrUn_x: 1" in qc["warnings"][0]
    )
    assert qc["n_records"] == 6 and qc["n_intervals"] == 6
    assert qc["dropped_chroms"] == {"chrUn_x": 1}
    assert qc["n_cpgs_merged"] == 1
    assert qc["n_below_min_coverage"] == 1
    assert qc["n_missing_coverage_dropped"] == 0
    assert qc["mean_coverage"] == pytest.approx(7.0)


def test_two_base_intervals_cover_c_and_g(tmp_path, ref):
    # one 2-bp interval over C and G of CpG 7, coverage as one 2-bp interval too
    levels = write_bigwig(tmp_path / "l.bw", SIZES, [("chr1", 7, 9, 0.5), ("chr1", 16, 17, 0.75)])
    coverage = write_bigwig(tmp_path / "c.bw", SIZES, [("chr1", 7, 9, 4), ("chr1", 16, 17, 8)])
    table, qc = ingest(levels, ref, coverage_path=coverage, min_coverage=1)
    assert_table(table, [("chr1", 7, 4.0, 8), ("chr1", 16, 6.0, 8)])
    assert qc["n_records"] == 3 and qc["n_intervals"] == 2


def test_window_boundaries_do_not_duplicate_or_lose_intervals(tmp_path, ref, monkeypatch):
    levels = write_bigwig(
        tmp_path / "l.bw", SIZES, [("chr1", 2, 4, 0.5), ("chr1", 7, 9, 1.0), ("chr1", 12, 13, 0.0)]
    )
    coverage = write_bigwig(
        tmp_path / "c.bw", SIZES, [("chr1", 2, 4, 2), ("chr1", 7, 9, 3), ("chr1", 12, 13, 5)]
    )
    whole, _ = ingest(levels, ref, coverage_path=coverage, min_coverage=1)
    monkeypatch.setattr(bigwig, "WINDOW", 3)  # windows [0,3) [3,6) [6,9) ...: intervals cross them
    windowed, qc = ingest(levels, ref, coverage_path=coverage, min_coverage=1)
    pd.testing.assert_frame_equal(windowed, whole)
    assert_table(whole, [("chr1", 2, 2.0, 4), ("chr1", 7, 6.0, 6), ("chr1", 12, 0.0, 5)])
    assert qc["n_intervals"] == 3


def test_chromosome_names_harmonised_between_levels_coverage_and_fasta(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", {"1": 25}, bases("1", (2, 0.5), (7, 1.0)))
    coverage = write_bigwig(tmp_path / "c.bw", {"chr1": 25}, bases("chr1", (2, 6), (7, 5)))
    table, qc = ingest(levels, ref, coverage_path=coverage)
    assert_table(table, [("chr1", 2, 3.0, 6), ("chr1", 7, 5.0, 5)])
    assert qc["renamed_chroms"] == {"1": "chr1"}


# --- without coverage -----------------------------------------------------------------------


def levels_without_coverage(tmp_path):
    """A FractionalMethylation bigWig of C-strand levels only, with no ReadCoverage beside it."""
    return write_bigwig(
        tmp_path / "l.bw", SIZES, [*bases("chr1", (2, 0.8), (12, 0.25)), *bases("chr2", (0, 1.0))]
    )


def test_c_only_without_coverage_keeps_levels_and_says_coverage_is_unknown(tmp_path, ref):
    table, qc = ingest(levels_without_coverage(tmp_path), ref, min_coverage=5)
    # n_total 1 per strand value; min_coverage 5 not applied (it would drop everything)
    assert_table(table, [("chr1", 2, 0.8, 1), ("chr1", 12, 0.25, 1), ("chr2", 0, 1.0, 1)])
    assert qc["coverage_known"] is False
    assert qc["min_coverage_applied"] is False
    assert qc["mean_coverage"] is None
    assert qc["n_below_min_coverage"] == 0
    assert len(qc["warnings"]) == 1 and "coverage unknown" in qc["warnings"][0]
    assert "min_coverage (5) was not applied" in qc["warnings"][0]


def test_the_unknown_coverage_warning_is_logged_once_in_one_job_and_scattered(tmp_path, ref, caplog):
    """`epibench ingest`, and ingest-split / -group / -summary, each log the warning exactly once."""
    levels, fasta = levels_without_coverage(tmp_path), str(ref.fasta_path)
    (tmp_path / "groups.tsv").write_text("group\tchrom\nall\tchr1\nall\tchr2\n")
    common = ["--reference", fasta, "--min-coverage", "5"]
    one_job = ["ingest", "--input", str(levels), "--sample", "s", *common]
    one_job += ["--out", str(tmp_path / "one.parquet"), "--qc", str(tmp_path / "one.json")]
    scattered = [
        [
            "ingest-split",
            "--input",
            str(levels),
            "--sample",
            "s",
            *common,
            "--groups",
            str(tmp_path / "groups.tsv"),
        ]
        + ["--out-dir", str(tmp_path / "calls"), "--qc", str(tmp_path / "split.json")],
        ["ingest-group", "--calls", str(tmp_path / "calls" / "1" / "all.parquet"), *common]
        + ["--out", str(tmp_path / "all.parquet"), "--qc", str(tmp_path / "all.json")],
        [
            "ingest-summary",
            "--split-qc",
            str(tmp_path / "split.json"),
            "--group-qc",
            str(tmp_path / "all.json"),
        ]
        + ["--reference", fasta, "--calls", str(tmp_path / "calls"), "--out", str(tmp_path / "qc.json")],
    ]
    for commands in ([one_job], scattered):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="epibench"):
            assert all(main(argv) == 0 for argv in commands)
        assert caplog.text.count("coverage unknown") == 1, caplog.text


def test_both_strands_without_coverage_average_the_strands(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, 0.75), (3, 0.25), (7, 1.0)))
    table, qc = ingest(levels, ref)
    # CpG 2: two strand values -> n_total 2, level (0.75 + 0.25) / 2; CpG 7: one value
    assert_table(table, [("chr1", 2, 1.0, 2), ("chr1", 7, 1.0, 1)])
    assert qc["n_cpgs_merged"] == 1


# --- detection ----------------------------------------------------------------------------


def test_detected_from_magic_bytes_not_name(tmp_path):
    path = write_bigwig(tmp_path / "calls.txt", SIZES, bases("chr1", (2, 0.5)))
    assert path.read_bytes()[:4] in (bytes.fromhex("26fc8f88"), bytes.fromhex("888ffc26"))
    assert detect_source(path).fmt == "roadmap_bigwig"
    assert detect_source(path, "roadmap_bigwig").fmt == "roadmap_bigwig"


def test_format_and_content_disagree(tmp_path, ref):
    bw = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, 0.5)))
    with pytest.raises(InputError, match="a bigWig file .*not bedmethyl"):
        detect_source(bw, "bedmethyl")
    text = tmp_path / "x.bed"
    text.write_text("chr1\t2\t3\tx\t5\t+\t2\t3\t0,0,0\t5\t40\n")
    with pytest.raises(InputError, match="not a bigWig"):
        detect_source(text, "roadmap_bigwig")
    with pytest.raises(InputError, match="applies only to roadmap_bigwig"):
        ingest(text, ref, coverage_path=bw)
    with pytest.raises(InputError, match="not a bigWig"):
        ingest(bw, ref, coverage_path=text)


def test_registered_as_a_format_with_a_reader():
    assert "roadmap_bigwig" in FORMATS and READERS["roadmap_bigwig"] is bigwig.read
    assert set(READERS) == set(FORMATS)


# --- bad input ----------------------------------------------------------------------------


def test_percent_track_is_an_input_error(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, 80.0)))
    with pytest.raises(InputError, match=r"level 80 at chr1:2-3 is outside 0-1; is this a percent"):
        ingest(levels, ref)


def test_read_depths_given_as_levels_say_which_file_goes_in_which_column(tmp_path, ref):
    """A ReadCoverage bigWig in the methylation column: whole numbers, some above 100."""
    depths = write_bigwig(
        tmp_path / "E000_WGBS_ReadCoverage.bigwig", SIZES, bases("chr1", (2, 16.0), (7, 140.0))
    )
    with pytest.raises(
        InputError,
        match=r"level 16 at chr1:2-3 is outside 0-1; a ReadCoverage bigWig \(read "
        r"depths\) given as the methylation file\? Give the FractionalMethylation bigWig in the sheet's methylation "
        r"column and this one in its coverage column",
    ):
        ingest(depths, ref)
    halves = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, 0.5), (7, 140.5)))
    with pytest.raises(InputError) as info:
        ingest(halves, ref)
    assert str(info.value).endswith("is outside 0-1")


def test_long_interval_is_a_signal_track_not_methylation(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, [("chr1", 2, 7, 0.5)])
    with pytest.raises(InputError, match=r"chr1:2-7 spans 5 bp"):
        ingest(levels, ref)


def test_non_integer_coverage_is_an_input_error(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, 0.5)))
    coverage = write_bigwig(tmp_path / "c.bw", SIZES, bases("chr1", (2, 2.5)))
    with pytest.raises(InputError, match="read coverage 2.5 at chr1:2-3"):
        ingest(levels, ref, coverage_path=coverage)


@pytest.fixture
def repeat_ref(tmp_path):
    """chr1 = ACGT x 50: CpG C at 1, 5, 9, ..., 197 (50 CpGs)."""
    return make_reference(tmp_path, {"chr1": "ACGT" * 50}, "repeat")


def test_a_few_values_without_coverage_are_dropped_and_counted(tmp_path, repeat_ref):
    cpgs = list(range(1, 200, 4))
    levels = write_bigwig(tmp_path / "l.bw", {"chr1": 200}, bases("chr1", *[(c, 0.5) for c in cpgs]))
    coverage = write_bigwig(tmp_path / "c.bw", {"chr1": 200}, bases("chr1", *[(c, 10) for c in cpgs[1:]]))
    table, qc = ingest(levels, repeat_ref, coverage_path=coverage)
    assert table.pos.tolist() == cpgs[1:]
    assert qc["n_missing_coverage_dropped"] == 1 and qc["n_records"] == 50


def test_coverage_of_another_sample_is_an_input_error(tmp_path, repeat_ref):
    cpgs = list(range(1, 200, 4))
    levels = write_bigwig(tmp_path / "l.bw", {"chr1": 200}, bases("chr1", *[(c, 0.5) for c in cpgs]))
    coverage = write_bigwig(tmp_path / "c.bw", {"chr1": 200}, bases("chr1", *[(c, 10) for c in cpgs[10:]]))
    with pytest.raises(InputError, match=r"10 of 50 methylation values \(20.0%\) have no read coverage"):
        ingest(levels, repeat_ref, coverage_path=coverage)


def test_coverage_missing_a_chromosome_is_named(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, [*bases("chr1", (2, 0.5)), *bases("chr2", (0, 0.5))])
    coverage = write_bigwig(tmp_path / "c.bw", {"chr1": 25}, bases("chr1", (2, 6)))
    with pytest.raises(InputError, match=r"chromosomes missing there: \['chr2'\]"):
        ingest(levels, ref, coverage_path=coverage)


def test_shifted_positions_are_a_shift_not_silently_dropped(tmp_path):
    rng = np.random.default_rng(7)
    seq = "".join(rng.choice(list("ACGT"), size=20_000))
    reference = make_reference(tmp_path, {"chr1": seq}, "random")
    cpgs = [i for i in range(1, len(seq) - 1) if seq[i : i + 2] == "CG"]
    # written one base early (1-based positions read as 0-based the other way round)
    levels = write_bigwig(tmp_path / "l.bw", {"chr1": len(seq)}, bases("chr1", *[(c - 1, 0.5) for c in cpgs]))
    with pytest.raises(
        InputError, match=r"one base to the right \(\+1\): roadmap_bigwig is zero-based by definition"
    ):
        ingest(levels, reference)


def test_not_a_bigwig_at_all(tmp_path, ref):
    path = tmp_path / "x.bigwig"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="not a bigWig"):
        ingest(path, ref, fmt="roadmap_bigwig")


def test_nan_levels_are_skipped_and_counted(tmp_path, ref):
    levels = write_bigwig(tmp_path / "l.bw", SIZES, bases("chr1", (2, float("nan")), (7, 0.5)))
    table, qc = ingest(levels, ref)
    assert_table(table, [("chr1", 7, 0.5, 1)])
    assert qc["n_nan_values_skipped"] == 1 and qc["n_records"] == 1
