"""Mark tracks given as bedGraph, peaks or bigBed -> bigWig (epibench.io.mark_tracks, `epibench mark-bigwig`).

The real files (tests/data/real_formats, README there) are MACS3's CTCF chr22 test outputs (hg19),
an ENCODE/SPP-style narrowPeak and pyBigWig's test bigBed; the expected signal is computed here from
the files' own lines, with plain Python and numpy.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from epibench.cli import main
from epibench.errors import InputError
from epibench.io.mark_tracks import needs_conversion, track_kind, write_mark_bigwig
from epibench.io.tracks import Track
from text_files import write_lines

REAL = Path(__file__).parent / "data" / "real_formats"
HG19 = {"chr21": 48_129_895, "chr22": 51_304_566}  # hg19 lengths; the MACS test data reach chr22:51,222,548
NARROW = REAL / "macs3_ctcf_chr22_narrow0_peaks.narrowPeak"
BROAD = REAL / "macs3_ctcf_chr22_broad_peaks.broadPeak"
GAPPED = REAL / "macs3_ctcf_chr22_broad_peaks.gappedPeak"
PILEUP = REAL / "macs3_ctcf_chr22_narrow0_treat_pileup_head3000.bdg.gz"
HOMER_NAMES = "#PeakID\tchr\tstart\tend\tstrand\tNormalized Tag Count\tfocus ratio\n"  # findPeaks' header


def rows_of(path: Path, value_column: int | None) -> list[tuple[str, int, int, float]]:
    """(chrom, start, end, value) of every line of a BED-like text file (value 1 without a column)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        return [
            (f[0], int(f[1]), int(f[2]), float(f[value_column]) if value_column is not None else 1.0)
            for f in (line.rstrip("\n").split("\t") for line in fh if line.strip())
        ]


def painted(rows, chrom: str, start: int, end: int) -> np.ndarray:
    """The peak signal over [start, end) of ``chrom``: each base the largest value of the peaks over
    it, 0 where there is none (peaks taken one by one, in file order)."""
    signal = np.zeros(end - start)
    for name, lo, hi, value in rows:
        if name == chrom and hi > start and lo < end:
            part = slice(max(lo, start) - start, min(hi, end) - start)
            signal[part] = np.maximum(signal[part], value)
    return signal


def values(path: Path, chrom: str, start: int, end: int) -> np.ndarray:
    with pyBigWig.open(str(path)) as bw:
        return np.asarray(bw.values(chrom, start, end), dtype=np.float64)


def test_kinds_are_told_by_content():
    assert [track_kind(p) for p in (NARROW, BROAD, GAPPED, PILEUP)] == [
        "narrowpeak",
        "broadpeak",
        "gappedpeak",
        "bedgraph",
    ]
    assert track_kind(REAL / "pybigwig_test.bigBed") == "bigbed"


def test_only_a_bigwig_is_used_as_it_is(tmp_path):
    with pyBigWig.open(str(tmp_path / "x.bw"), "w") as bw:
        bw.addHeader([("chr22", 100)])
    assert not needs_conversion(tmp_path / "x.bw")
    assert all(needs_conversion(p) for p in (NARROW, PILEUP, REAL / "pybigwig_test.bigBed"))


def test_a_macs_bedgraph_becomes_a_bigwig_of_its_intervals(tmp_path):
    out = tmp_path / "pileup.bw"
    qc = write_mark_bigwig(PILEUP, HG19, out)
    assert qc["kind"] == "bedgraph" and qc["n_kept"] == qc["n_intervals"] == 3000
    expected = rows_of(PILEUP, 3)
    with pyBigWig.open(str(out)) as bw:
        assert bw.chroms() == HG19  # the reference's header
        got = bw.intervals("chr22")
        assert bw.intervals("chr21") is None
    assert [(s, e) for s, e, _ in got] == [(s, e) for _, s, e, _ in expected]
    np.testing.assert_allclose([v for *_, v in got], [v for *_, v in expected], rtol=1e-6)
    # outside the excerpt's intervals the mark is missing, not 0
    last_end = expected[-1][2]
    assert np.isnan(values(out, "chr22", last_end, last_end + 100)).all()
    # as the shard builder reads it
    track = Track(out, reference_names=["chr22"])
    assert (track.values("chr22", 1000) == 0).all() and np.isnan(
        track.values("chr22", last_end + 10, last_end)
    ).all()


def test_macs_narrowpeaks_give_their_signal_inside_and_zero_between(tmp_path):
    out = tmp_path / "narrow.bw"
    qc = write_mark_bigwig(NARROW, HG19, out)
    assert qc["kind"] == "narrowpeak" and qc["n_kept"] == 730
    assert qc["sequences_with_data"] == ["chr22"]
    rows = rows_of(NARROW, 6)
    lo, hi = rows[0][1] - 5_000, rows[40][2] + 5_000  # the first 40 peaks and the gaps between them
    np.testing.assert_allclose(values(out, "chr22", lo, hi), painted(rows, "chr22", lo, hi), rtol=1e-6)
    assert values(out, "chr22", 0, 1000).tolist() == [0.0] * 1000  # before the first peak
    assert np.isnan(values(out, "chr21", 0, 1000)).all()  # no peak on chr21: missing


def test_broadpeak_and_gappedpeak_of_one_run_give_one_track(tmp_path):
    """MACS writes the same broad peaks as broadPeak (signalValue in column 7) and gappedPeak (13)."""
    write_mark_bigwig(BROAD, HG19, tmp_path / "broad.bw")
    write_mark_bigwig(GAPPED, HG19, tmp_path / "gapped.bw")
    with pyBigWig.open(str(tmp_path / "broad.bw")) as a, pyBigWig.open(str(tmp_path / "gapped.bw")) as b:
        assert a.intervals("chr22") == b.intervals("chr22")
    rows = rows_of(BROAD, 6)
    lo, hi = rows[10][1] - 100, rows[20][2] + 100
    np.testing.assert_allclose(
        values(tmp_path / "gapped.bw", "chr22", lo, hi), painted(rows, "chr22", lo, hi), rtol=1e-6
    )


def test_an_encode_narrowpeak_without_a_final_newline(tmp_path):
    out = tmp_path / "spp.bw"
    qc = write_mark_bigwig(REAL / "encode_spp_style_ex.narrowPeak", {"chr1": 249_250_621}, out)
    assert qc["n_kept"] == 3
    rows = rows_of(REAL / "encode_spp_style_ex.narrowPeak", 6)
    lo, hi = rows[0][1] - 10, rows[-1][2] + 10
    np.testing.assert_allclose(values(out, "chr1", lo, hi), painted(rows, "chr1", lo, hi))


def test_a_bigbed_without_signal_values_marks_its_peaks_with_1(tmp_path):
    out = tmp_path / "bb.bw"
    lengths = {"chr1": 197_195_432, "chr2": 181_748_087}
    qc = write_mark_bigwig(REAL / "pybigwig_test.bigBed", lengths, out)
    assert qc["kind"] == "bigbed" and qc["value"] == "1 inside a peak, 0 between peaks"
    assert qc["dropped"] == {"chr11": 2, "chr15": 2, "chr4": 2, "chr7": 2}  # the reference lacks them
    with pyBigWig.open(str(REAL / "pybigwig_test.bigBed")) as bb:
        entries = [("chr1", s, e, 1.0) for s, e, _ in bb.entries("chr1", 0, lengths["chr1"])]
    lo, hi = entries[0][1] - 50, entries[-1][2] + 50
    np.testing.assert_array_equal(values(out, "chr1", lo, hi), painted(entries, "chr1", lo, hi))


def test_bed_peaks_without_a_value_are_1_and_names_meet_the_reference(tmp_path):
    bed = tmp_path / "peaks.bed"
    bed.write_text("track name=peaks\n22\t100\t200\tp1\n22\t150\t300\tp2\nchrUn_x\t0\t10\tp3\n")
    out = tmp_path / "peaks.bw"
    qc = write_mark_bigwig(bed, {"chr22": 1000}, out)
    assert qc["kind"] == "bed" and qc["renamed"] == {"22": "chr22"} and qc["dropped"] == {"chrUn_x": 1}
    assert values(out, "chr22", 90, 310).tolist() == [0.0] * 10 + [1.0] * 200 + [0.0] * 10


def test_overlapping_peaks_take_the_larger_value_and_a_peak_past_the_end_is_clipped(tmp_path):
    peaks = tmp_path / "p.narrowPeak"
    line = "chr22\t{}\t{}\t.\t0\t.\t{}\t-1\t-1\t-1\n"
    peaks.write_text(line.format(100, 200, 2.0) + line.format(150, 250, 5.0) + line.format(900, 1200, 1.5))
    qc = write_mark_bigwig(peaks, {"chr22": 1000}, tmp_path / "p.bw")
    assert qc["n_clipped"] == 1
    got = values(tmp_path / "p.bw", "chr22", 0, 1000)
    np.testing.assert_array_equal(got, painted(rows_of(peaks, 6), "chr22", 0, 1000))
    assert got[149] == 2.0 and got[150] == 5.0 and got[999] == 1.5


def test_a_peak_without_a_value_among_peaks_with_one_is_missing_inside(tmp_path):
    """Merged peak sets mix callers: a peak of -1 is no measurement of its signal (missing, not -1
    below the 0 between peaks), except where a peak with a value covers it."""
    peaks = tmp_path / "merged.narrowPeak"
    line = "chr22\t{}\t{}\t.\t0\t.\t{}\t-1\t-1\t-1\n"
    rows = [(100, 200, 2.0), (150, 250, -1), (400, 500, -1), (450, 480, 3.0)]
    peaks.write_text("".join(line.format(*row) for row in rows))
    qc = write_mark_bigwig(peaks, {"chr22": 1000}, tmp_path / "m.bw")
    assert qc["n_without_value"] == 2 and qc["value"] == "signalValue inside a peak, 0 between peaks"
    expected = np.zeros(1000)
    expected[100:200], expected[200:250], expected[400:450] = 2.0, np.nan, np.nan
    expected[450:480], expected[480:500] = 3.0, np.nan
    np.testing.assert_array_equal(values(tmp_path / "m.bw", "chr22", 0, 1000), expected)


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("chr22\t0\t100\t1.5\nchr22\t50\t150\t2\n", "overlaps", 2),
        ("chr22\t0\t100\t1.5\nchr22\t100\t150\tabc\n", "not a number", 2),
        ("chr22\t0\t100\t1.5\nchr22\t-5\t150\t2\n", "integers", 2),
        ("chr22\t0\t100\t1.5\nchr22\t100\t150\n", "4 columns, found 3", 2),
        ("chr22\t0\t100\t1\nchr22\t2000\t2100\t1\n", "past the end of chr22", 2),
        (
            "track type=bedGraph\nchr22\t0\t100\t1\ntrack type=bedGraph\nchr22\t100\t200\t1\n",
            "second track",
            3,
        ),
        ("chr22\t0\t100\t1\t2\t3\t4\n", "7 columns: a mark track is", 1),
        # a tagAlign of reads (epibench.io.read_coverage)
        ("chr22\t10\t46\tN\t1000\t+\nchr22\t20\t56\tN\t1000\n", "a tagAlign line has 6 columns", 2),
        ("chr22\t10\t46\tN\t1000\t+\nchr22\t60\t50\tN\t1000\t-\n", "0 <= start < end", 2),
        ("chr22\t10\t46\tN\t1000\t+\nchr22\t60\t96\tN\t1000\t.\n", "strand is \\+ or -", 2),
        # HOMER findPeaks: the column names, then 1-based peaks
        (HOMER_NAMES + "p1\tchr22\t1\t100\t+\t3.5\np2\tchr22\t200\t300\t+\n", "at least 6 columns", 3),
        (HOMER_NAMES + "p1\tchr22\t0\t100\t+\t3.5\n", "1 <= start <= end \\(1-based\\)", 2),
        (HOMER_NAMES + "p1\tchr22\t101\t100\t+\t3.5\n", "1 <= start <= end", 2),
        (HOMER_NAMES + "p1\tchr22\t1\t100\t+\tNA\n", "column 6\\) is not a number", 2),
    ],
)
def test_a_bad_track_names_file_and_line_and_writes_nothing(tmp_path, text, message, line):
    path = tmp_path / "bad.bedGraph"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        write_mark_bigwig(path, {"chr22": 1000}, tmp_path / "out.bw")
    assert info.value.line == line and info.value.path == path
    assert list(tmp_path.iterdir()) == [path]  # no bigWig, no temporary left


def shuffled_pileup(tmp_path: Path, comment_at: int | None = None) -> Path:
    """The MACS pileup excerpt's lines in a fixed random order, chr22 spelled ``22`` on every third
    (as Ensembl names it) and, where asked, a ``#`` comment line before line ``comment_at``."""
    lines = gzip.open(PILEUP, "rt").read().splitlines()
    order = np.random.default_rng(7).permutation(len(lines))
    shuffled = [lines[i].replace("chr22", "22", 1) if k % 3 == 0 else lines[i] for k, i in enumerate(order)]
    if comment_at is not None:
        shuffled.insert(comment_at - 1, "# a comment in the middle")
    path = tmp_path / "shuffled.bedGraph"
    path.write_text("\n".join(shuffled) + "\n")
    return path


@pytest.mark.parametrize("comment_at", [None, 1234], ids=["parsed-by-pandas", "comment-mid-file"])
def test_a_bedgraph_read_in_many_chunks_gives_the_bigwig_of_its_intervals(tmp_path, monkeypatch, comment_at):
    """Chunks of 100 lines (the pileup's 3,000 lines shuffled, under two names of chr22): the bigWig
    holds every interval as the file gives it, sorted; a comment mid-file makes pandas give up
    there and the line reader go on from that chunk."""
    monkeypatch.setattr("epibench.io.mark_readers.ROWS_PER_CHUNK", 100)
    qc = write_mark_bigwig(shuffled_pileup(tmp_path, comment_at), HG19, tmp_path / "out.bw")
    assert qc["n_intervals"] == qc["n_kept"] == 3000 and qc["renamed"] == {"22": "chr22"}
    expected = sorted((s, e, v) for _, s, e, v in rows_of(PILEUP, 3))
    with pyBigWig.open(str(tmp_path / "out.bw")) as bw:
        got = bw.intervals("chr22")
    assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in expected]
    np.testing.assert_allclose([v for *_, v in got], [v for *_, v in expected], rtol=1e-6)


@pytest.mark.parametrize("kind", ["overlap", "bad value"])
def test_an_error_in_a_late_chunk_names_its_line_and_writes_nothing(tmp_path, monkeypatch, kind):
    """An interval overlapping one 2,000 lines before it (other chunks), or a bad value after 26
    chunks pandas parsed: the error names the line of the file."""
    monkeypatch.setattr("epibench.io.mark_readers.ROWS_PER_CHUNK", 80)
    path = shuffled_pileup(tmp_path)
    lines = path.read_text().splitlines()
    chrom, start, end, _ = lines[100].split("\t")
    lines[2100] = f"{chrom}\t{int(start) + 1}\t{end}\t5" if kind == "overlap" else lines[2100] + "x"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="overlaps" if kind == "overlap" else "not a number") as info:
        write_mark_bigwig(path, HG19, tmp_path / "out.bw")
    assert info.value.line == 2101
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shuffled.bedGraph"]


def generated_wiggle(tmp_path: Path) -> tuple[Path, dict[str, list[tuple[int, int, float]]]]:
    """A wiggle of 12 sections (fixedStep and variableStep, on chr22 and ``22``, spans 1-50, with a
    comment line and a blank line after the header) and the intervals it stands for (chrom ->
    0-based start, end, value), built together from seeded draws."""
    rng = np.random.default_rng(3)
    lines, intervals = ["track type=wiggle_0 name=generated", "# made by the test", ""], {"chr22": []}
    position = 1
    for number in range(12):
        name, span, n = ("chr22" if number % 2 else "22"), int(rng.integers(1, 51)), int(rng.integers(5, 90))
        values = np.round(rng.gamma(1.5, 2.0, size=n), 3)
        if number % 3:
            step = span + int(rng.integers(0, 20))
            lines.append(f"fixedStep chrom={name} start={position} step={step} span={span}")
            starts = [position + step * i for i in range(n)]
            lines += [f"{v:g}" for v in values]
        else:
            lines.append(f"variableStep chrom={name} span={span}")
            starts = list(position + np.cumsum(span + rng.integers(0, 30, size=n)) - span)
            lines += [
                f"{p}\t{v:g}" if i % 2 else f"{p} {v:g}" for i, (p, v) in enumerate(zip(starts, values))
            ]
        intervals["chr22"] += [(int(p) - 1, int(p) - 1 + span, float(v)) for p, v in zip(starts, values)]
        position = int(starts[-1]) + span + 1000
    path = tmp_path / "generated.wig"
    path.write_text("\n".join(lines) + "\n")
    return path, intervals


def test_a_wiggle_read_in_many_chunks_gives_the_bigwig_of_its_sections(tmp_path, monkeypatch):
    """Chunks of 37 lines, so sections and declarations straddle chunk ends: the bigWig holds every
    interval the sections stand for, read by the chunk reader alone (the line reader is not called)."""
    monkeypatch.setattr("epibench.io.mark_readers.ROWS_PER_CHUNK", 37)
    monkeypatch.setattr("epibench.io.mark_readers._wig_records", lambda path: pytest.fail("line reader used"))
    path, intervals = generated_wiggle(tmp_path)
    qc = write_mark_bigwig(path, HG19, tmp_path / "out.bw")
    assert (
        qc["kind"] == "wig" and qc["n_kept"] == len(intervals["chr22"]) and qc["renamed"] == {"22": "chr22"}
    )
    with pyBigWig.open(str(tmp_path / "out.bw")) as bw:
        got = bw.intervals("chr22")
    assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in intervals["chr22"]]
    np.testing.assert_allclose([v for *_, v in got], [v for *_, v in intervals["chr22"]], rtol=1e-6)


@pytest.mark.parametrize("damage", ["1,5", "nan5", "track name=second", "12 3 4"])
def test_a_bad_wiggle_line_in_a_late_chunk_is_named(tmp_path, monkeypatch, damage):
    monkeypatch.setattr("epibench.io.mark_readers.ROWS_PER_CHUNK", 37)
    path, _ = generated_wiggle(tmp_path)
    lines = path.read_text().splitlines()
    at = next(i for i in range(400, len(lines)) if " " not in lines[i] and "\t" not in lines[i])  # a value
    lines[at] = damage
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        write_mark_bigwig(path, HG19, tmp_path / "out.bw")
    assert info.value.line == at + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated.wig"]


def test_nan_values_of_a_bedgraph_are_missing(tmp_path):
    path = tmp_path / "nan.bedGraph"
    path.write_text("chr22\t0\t10\tnan\nchr22\t10\t20\t3\n")
    qc = write_mark_bigwig(path, {"chr22": 100}, tmp_path / "nan.bw")
    assert qc["n_empty"] == 1
    got = values(tmp_path / "nan.bw", "chr22", 0, 30)
    assert np.isnan(got[:10]).all() and (got[10:20] == 3).all() and np.isnan(got[20:]).all()


def test_a_bigwig_or_an_empty_file_is_refused(tmp_path):
    with pyBigWig.open(str(tmp_path / "x.bw"), "w") as bw:
        bw.addHeader([("chr22", 100)])
        bw.addEntries(["chr22"], [0], ends=[10], values=[1.0])
    with pytest.raises(InputError, match="already a bigWig"):
        write_mark_bigwig(tmp_path / "x.bw", {"chr22": 100}, tmp_path / "y.bw")
    (tmp_path / "empty.bed").write_text("track name=x\n\n")
    with pytest.raises(InputError, match="no data line"):
        write_mark_bigwig(tmp_path / "empty.bed", {"chr22": 100}, tmp_path / "y.bw")
    with pytest.raises(InputError, match="no interval lies on a sequence of the reference .* chr22"):
        write_mark_bigwig(NARROW, {"chr1": 1000, "chr2": 1000}, tmp_path / "y.bw")
    assert not (tmp_path / "y.bw").exists()


def test_the_cli_writes_the_bigwig_and_logs_what_it_dropped(tmp_path, caplog):
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr22\n" + "ACGT" * 50 + "\n")
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(tmp_path / "ref")]) == 0
    peaks = tmp_path / "p.bed"
    peaks.write_text("chr22\t10\t20\nchr9\t0\t5\n")
    argv = ["mark-bigwig", "--input", str(peaks), "--reference", str(tmp_path / "ref" / "genome.fa")]
    with caplog.at_level(logging.INFO, logger="epibench"):
        assert main([*argv, "--out", str(tmp_path / "p.bw")]) == 0
    assert "chr9" in caplog.text and "dropped" in caplog.text
    assert values(tmp_path / "p.bw", "chr22", 0, 30).tolist() == [0.0] * 10 + [1.0] * 10 + [0.0] * 10


# rtracklayer's wiggle test files (UCSC's wiggle examples, hg19 chromosome lengths suffice)
HG19_WIG = {"chr1": 249_250_621, "chr5": 180_915_260, "chr18": 78_077_248, "chr19": 59_128_983}


def test_a_wiggle_of_variable_and_fixed_steps(tmp_path):
    """step.wig: variableStep chr19 (1-based positions, span 1) then fixedStep chr18 start=59108021
    step=300 span=200 with values 1000, 900, ..., 100 written with a leading space."""
    path = REAL / "rtracklayer_step.wig"
    assert track_kind(path) == "wig"
    qc = write_mark_bigwig(path, HG19_WIG, tmp_path / "step.bw")
    assert qc["kind"] == "wig" and qc["n_kept"] == 9 + 10
    with pyBigWig.open(str(tmp_path / "step.bw")) as bw:
        chr19, chr18 = list(bw.intervals("chr19")), list(bw.intervals("chr18"))
    assert chr19[0] == (59_104_700, 59_104_701, 10.0) and chr19[-1] == (59_107_870, 59_107_871, 10.0)
    assert chr18 == [(59_108_020 + 300 * i, 59_108_020 + 300 * i + 200, 1000.0 - 100 * i) for i in range(10)]
    gap = values(tmp_path / "step.bw", "chr18", 59_108_220, 59_108_320)  # between two spans
    assert np.isnan(gap).all(), "a wiggle's gaps are missing, not 0"


def test_a_wiggle_of_several_variablestep_sections(tmp_path):
    qc = write_mark_bigwig(REAL / "rtracklayer_variableStep.wig", HG19_WIG, tmp_path / "v.bw")
    assert qc["sequences_with_data"] == ["chr1", "chr5", "chr19"]
    with pyBigWig.open(str(tmp_path / "v.bw")) as bw:
        assert list(bw.intervals("chr1")) == [(59_101_999, 59_102_299, -1.0), (59_102_299, 59_102_599, -0.75)]
        assert list(bw.intervals("chr5")) == [(59_102_599, 59_102_899, -0.5)]


def test_a_space_separated_bedgraph_under_a_wiggle_track_line(tmp_path):
    """bed.wig: UCSC's BED-format wiggle example, columns separated by single spaces."""
    path = REAL / "rtracklayer_bed.wig"
    assert track_kind(path) == "bedgraph"
    write_mark_bigwig(path, HG19_WIG, tmp_path / "b.bw")
    expected = [line.split() for line in path.read_text().splitlines()[1:]]
    with pyBigWig.open(str(tmp_path / "b.bw")) as bw:
        got = {chrom: list(bw.intervals(chrom) or []) for chrom in ("chr1", "chr5", "chr19")}
    for chrom in got:
        assert got[chrom] == [(int(s), int(e), float(v)) for c, s, e, v in expected if c == chrom]


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("variableStep chrom=chr22\n10 1\n1x 2\n", "holds a position and a value", 3),
        ("variableStep chrom=chr22\n0 1\n", "integer >= 1", 2),
        ("fixedStep chrom=chr22 start=1\n1\n", "needs chrom=, start=, step=", 1),
        ("fixedStep chrom=chr22 start=1 step=10 span=20\n1\n2\n", "overlaps", 3),
        ("10 1\n", "2 columns: a mark track is", 1),
    ],
)
def test_a_bad_wiggle_names_its_line(tmp_path, text, message, line):
    path = tmp_path / "bad.wig"
    path.write_text("track type=wiggle_0\n" + text)
    with pytest.raises(InputError, match=message) as info:
        write_mark_bigwig(path, {"chr22": 1000}, tmp_path / "out.bw")
    assert info.value.line == line + 1


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("methyldackel_cg_aln.bam", r"of 4 records, none passes .*'mapping quality below 10': 2"),
        ("bedtools2_empty.cram", "of 0 records, none passes"),
    ],
)
def test_aligned_reads_of_which_none_counts_are_an_error_saying_why(tmp_path, name, why):
    """A BAM or CRAM is read as reads (epibench.io.read_coverage): of MethylDackel's four bisulfite
    reads none passes (mapping quality, flags), bedtools' CRAM has none."""
    with pytest.raises(InputError, match=f"no read to count: {why}"):
        write_mark_bigwig(REAL / name, {"chr22": 1000}, tmp_path / "out.bw")
    assert not (tmp_path / "out.bw").exists()


def test_a_macs_peaks_xls_is_refused_with_the_narrowpeak_to_give():
    """MACS2's _peaks.xls (its '#' run notes, then chr start end length abs_summit ... names and 1-based
    rows) has 10 columns, as a narrowPeak has: read as one, its columns would be misread."""
    xls = Path(__file__).parent / "data" / "real_formats" / "seqsetvis_macs2_test_peaks.xls"
    header = next(n for n, line in enumerate(xls.read_text().splitlines(), 1) if line.startswith("chr\t"))
    with pytest.raises(InputError, match="a MACS peaks table .*_peaks.narrowPeak") as info:
        track_kind(xls)
    assert info.value.line == header > 1


def test_a_homer_annotatepeaks_table_is_refused_with_the_peak_file_it_annotates(tmp_path):
    """annotatePeaks.pl's first line names its command (as nf-core/atacseq and chipseq run it)."""
    path = tmp_path / "consensus_peaks.mRp.clN.annotatePeaks.txt"
    path.write_text(
        "PeakID (cmd=annotatePeaks.pl consensus_peaks.mRp.clN.bed genome.fa -gid -gtf genes.gtf -cpu 6)\tChr"
        "\tStart\tEnd\tStrand\tPeak Score\tFocus Ratio/Region Size\tAnnotation\n"
        "Interval_1\tchr9\t124851870\t124853798\t+\t0\tNA\tpromoter-TSS (WDR38)\n"
    )
    with pytest.raises(
        InputError,
        match="annotatePeaks.pl table .*give the peak file it annotates, " "consensus_peaks.mRp.clN.bed",
    ) as info:
        write_mark_bigwig(path, {"chr9": 138_394_717}, tmp_path / "out.bw")
    assert info.value.line == 1 and not (tmp_path / "out.bw").exists()


def homer_peaks(path: Path) -> list[tuple[str, int, int, float]]:
    """(chrom, start, end, Normalized Tag Count) of a HOMER peak file's rows, as HOMER's pos2bed.pl
    gives them: its 1-based inclusive start and end as a 0-based half-open interval."""
    rows = [line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
    return [(f[1], int(f[2]) - 1, int(f[3]), float(f[5])) for f in rows]


def test_a_homer_peak_file_gives_its_tag_counts_inside_its_1_based_peaks(tmp_path):
    """HOMER findPeaks output of an ATAC-seq sample (MultiQC's test data): 35 '#' lines, then rows of
    PeakID, chr, start, end (1-based), strand, Normalized Tag Count, ... in order of tag count."""
    path = REAL / "multiqc_homer_A01.peaks1kb.truncated.txt"
    rows = homer_peaks(path)
    lengths = {name: 250_000_000 for name in sorted({chrom for chrom, *_ in rows})}
    assert track_kind(path) == "homer"
    qc = write_mark_bigwig(path, lengths, tmp_path / "homer.bw")
    assert qc["kind"] == "homer" and qc["n_kept"] == qc["n_intervals"] == len(rows) == 166
    assert qc["value"].startswith("the Normalized Tag Count inside a peak")
    for chrom, lo, hi, _ in rows[:20]:
        np.testing.assert_allclose(
            values(tmp_path / "homer.bw", chrom, lo - 100, hi + 100),
            painted(rows, chrom, lo - 100, hi + 100),
            rtol=1e-6,
        )
    # chr3-11, the first row: 93470076-93471076 in HOMER's 1-based terms, 1,355.2 tags per 10 M
    got = values(tmp_path / "homer.bw", "chr3", 93_470_074, 93_471_077)
    assert got[0] == 0 and got[-1] == 0 and got[1:-1] == pytest.approx([1355.2] * 1001)


def test_a_tagalign_file_of_reads_is_read_as_reads_not_painted_as_peaks(tmp_path):
    """ENCODE's and Roadmap's tagAlign (BED6 of 36-bp reads, name N, score 1000) would read as BED6
    peaks by its columns; it is reads: their fragments' coverage (200 bp from the 5' end), 0 elsewhere."""
    path = tmp_path / "E096-H3K4me3.tagAlign.gz"
    path.write_bytes(gzip.compress(b"chr22\t100\t136\tN\t1000\t+\nchr22\t580\t616\tN\t1000\t-\n"))
    qc = write_mark_bigwig(path, {"chr22": 630}, tmp_path / "out.bw")
    assert qc["kind"] == "reads" and qc["n_kept"] == 2
    with pyBigWig.open(str(tmp_path / "out.bw")) as bw:
        values = np.asarray(bw.values("chr22", 0, 630))
    per_read = 1e6 / 2
    assert values[[0, 99, 350]].tolist() == [0, 0, 0]
    assert values[[100, 299, 460, 599]].tolist() == [per_read] * 4
    # the reverse read's fragment 416-616 covers 34 bp of the bin 400-450 and 16 of the last, 600-630
    assert values[[416, 615]].tolist() == pytest.approx([per_read * 34 / 50, per_read * 16 / 30])


def test_seacr_peaks_give_their_mean_signal_inside_and_zero_between(tmp_path):
    """SEACR's output (chr, start, end, total signal, max signal, max region; README of
    FredHutch/SEACR): each peak's total signal over its length inside it, 0 between."""
    path = write_lines(
        tmp_path / "sample.stringent.bed",
        ["chr1\t100\t300\t400\t5\tchr1:150-160", "chr1\t500\t550\t25.5\t1.2\tchr1:500-520"],
    )
    assert track_kind(path) == "seacr"
    qc = write_mark_bigwig(path, {"chr1": 1_000}, tmp_path / "seacr.bw")
    assert qc["kind"] == "seacr" and qc["value"].startswith("the mean signal")
    got = values(tmp_path / "seacr.bw", "chr1", 0, 1_000)
    expected = np.zeros(1_000)
    expected[100:300], expected[500:550] = 400 / 200, 25.5 / 50
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    bed6 = write_lines(tmp_path / "peaks.bed", ["chr1\t100\t300\tpeak1\t0\t+"])
    assert track_kind(bed6) == "bed"
