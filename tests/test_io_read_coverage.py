"""A mark given as aligned reads (epibench.io.read_coverage), on deepTools' real test alignments.

Expected values come from outside the code under test: deepTools' own tests state testB.bam's
bamCoverage bedGraphs (as aligned, and extended to 100 bp); ``bedtools genomecov`` (the binary the
project installs) gives per-base coverage of single-end reads extended to a fragment (``-fs``) and of
proper pairs' inserts (``-pc``); reads the tests filter by flag and mapping quality are written with
pysam for bedtools to count.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyBigWig
import pysam
import pytest

from epibench.errors import InputError
from epibench.io.mark_readers import track_kind
from epibench.io.mark_tracks import write_mark_bigwig
from epibench.io.read_coverage import ReadSettings

REAL = Path(__file__).parent / "data" / "real_formats"
TEST_B = REAL / "deeptools_testB.bam"
PAIRED = REAL / "deeptools_test_paired2.bam"
FILTERING = REAL / "deeptools_test_filtering.bam"
BEDTOOLS = shutil.which("bedtools")


def _values(bigwig: Path, chrom: str, start: int, end: int) -> np.ndarray:
    with pyBigWig.open(str(bigwig)) as bw:
        return np.asarray(bw.values(chrom, start, end, numpy=True), dtype=np.float64)


def _bedgraph_values(lines: list[tuple[int, int, float]], length: int) -> np.ndarray:
    """Per-base values of bedGraph rows (start, end, value) over [0, length)."""
    out = np.zeros(length)
    for start, end, value in lines:
        out[start:end] = value
    return out


def _genomecov(bam: Path, start: int, end: int, *flags: str) -> np.ndarray:
    """Per-base coverage over [start, end) of the one sequence of ``bam`` by ``bedtools genomecov -bg``."""
    text = subprocess.run(
        [BEDTOOLS, "genomecov", "-ibam", str(bam), "-bg", *flags], check=True, capture_output=True, text=True
    ).stdout
    rows = [line.split("\t") for line in text.splitlines()]
    return _bedgraph_values([(int(lo), int(hi), float(v)) for _, lo, hi, v in rows], end)[start:]


@pytest.mark.parametrize(
    ("fragment_bp", "deeptools_bedgraph"),
    [
        (0, [(0, 50, 0), (50, 150, 1), (150, 200, 2)]),  # test_bam_coverage_arguments
        (100, [(0, 150, 1), (150, 200, 3)]),  # test_bam_coverage_extend: --extendReads 100
    ],
)
def test_single_end_reads_give_deeptools_bamcoverage_per_million(tmp_path, fragment_bp, deeptools_bedgraph):
    """testB's reads lie on 50-bp bins, so mean coverage per bin is deepTools' read count per bin;
    per million of its 4 reads. The reference names the sequence chr3R: 3R meets it."""
    out = tmp_path / "testB.bw"
    qc = write_mark_bigwig(
        TEST_B, {"chr3R": 200}, out, reads=ReadSettings(fragment_bp=fragment_bp, min_mapq=0, bin_bp=50)
    )
    assert qc["kind"] == "reads" and qc["n_kept"] == 4 and qc["renamed"] == {"3R": "chr3R"}
    want = _bedgraph_values(deeptools_bedgraph, 200) * 1e6 / 4
    np.testing.assert_allclose(_values(out, "chr3R", 0, 200), want, rtol=1e-6)


def test_mapping_quality_below_the_minimum_is_not_counted(tmp_path):
    """testB's reverse read has MAPQ 10: at 15 it is left out and the rest scale to 3 reads."""
    out = tmp_path / "testB.bw"
    qc = write_mark_bigwig(
        TEST_B, {"3R": 200}, out, reads=ReadSettings(fragment_bp=0, min_mapq=15, bin_bp=50)
    )
    assert qc["n_kept"] == 3 and qc["n_left_out"]["mapping quality below 15"] == 1
    want = _bedgraph_values([(100, 150, 1), (150, 200, 2)], 200) * 1e6 / 3
    np.testing.assert_allclose(_values(out, "3R", 0, 200), want, rtol=1e-6)


@pytest.mark.skipif(BEDTOOLS is None, reason="needs the bedtools binary")
def test_proper_pairs_count_once_as_their_insert_as_bedtools_genomecov_pc(tmp_path):
    """22 proper pairs (and a mate 2 whose mate 1 the excerpt lacks): their coverage is bedtools
    genomecov -pc's; the two unpaired reads (flags 0 and 16 at 5,001,491 and 5,001,700, 36 bp) are
    extended to 200 bp from their 5' ends on top. Their MAPQ 255 (not available) passes a minimum of 30."""
    out = tmp_path / "paired.bw"
    qc = write_mark_bigwig(PAIRED, {"chr2": 5_010_000}, out, reads=ReadSettings(min_mapq=30, bin_bp=1))
    assert qc["n_kept"] == 22 + 2
    assert qc["n_left_out"] == {"mate 2 of a proper pair, or a pair that is not proper": 23}
    start = 5_000_000
    want = _genomecov(PAIRED, start, 5_002_000, "-pc")
    want[5_001_491 - start : 5_001_491 - start + 200] += 1
    want[5_001_736 - start - 200 : 5_001_736 - start] += 1
    got = _values(out, "chr2", start, 5_002_000) * qc["n_kept"] / 1e6
    assert _values(out, "chr2", 0, start).sum() == 0
    np.testing.assert_allclose(got, want, atol=1e-3)


def _filtered_copy(bam: Path, out: Path, min_mapq: int) -> int:
    """The records of ``bam`` that are mapped, primary, not QC-failed nor duplicates, with MAPQ >=
    ``min_mapq``, written to ``out``; returns their number."""
    n = 0
    with (
        pysam.AlignmentFile(str(bam)) as source,
        pysam.AlignmentFile(str(out), "wb", template=source) as sink,
    ):
        for read in source.fetch(until_eof=True):
            if not read.flag & 0xF04 and read.mapping_quality >= min_mapq:
                sink.write(read)
                n += 1
    return n


@pytest.mark.skipif(BEDTOOLS is None, reason="needs the bedtools binary")
@pytest.mark.parametrize("bin_bp", [1, 50])
def test_flagged_and_low_quality_reads_are_left_out_and_bins_hold_mean_coverage(tmp_path, bin_bp):
    """test_filtering.bam: what bedtools genomecov -fs 200 gives of the reads a pysam filter keeps, per
    base (bin 1) or averaged over 50-bp bins (its 1.5 kb: 30 whole bins)."""
    kept = _filtered_copy(FILTERING, tmp_path / "kept.bam", min_mapq=10)
    per_base = _genomecov(tmp_path / "kept.bam", 0, 1_500, "-fs", "200")
    out = tmp_path / "filtering.bw"
    qc = write_mark_bigwig(FILTERING, {"3R": 1_500}, out, reads=ReadSettings(min_mapq=10, bin_bp=bin_bp))
    assert qc["n_kept"] == kept and 0 < kept < 193 and sum(qc["n_left_out"].values()) == 193 - kept
    want = per_base.reshape(-1, bin_bp).mean(axis=1).repeat(bin_bp)
    np.testing.assert_allclose(_values(out, "3R", 0, 1_500) * kept / 1e6, want, atol=1e-3)


def test_a_tagalign_of_the_same_reads_gives_the_same_bigwig(tmp_path):
    """ENCODE's and Roadmap's tagAlign: chrom, start, end, N, 1000, strand; read as reads by content."""
    rows = []
    with pysam.AlignmentFile(str(TEST_B)) as bam:
        for read in bam.fetch(until_eof=True):
            strand = "-" if read.is_reverse else "+"
            rows.append(
                f"{read.reference_name}\t{read.reference_start}\t{read.reference_end}\tN\t1000\t{strand}\n"
            )
    tagalign = tmp_path / "E003-H3K4me3.tagAlign.gz"
    tagalign.write_bytes(gzip.compress("".join(rows).encode()))
    assert track_kind(tagalign) == "reads" and track_kind(TEST_B) == "reads"
    settings = ReadSettings(fragment_bp=100, min_mapq=0, bin_bp=25)
    write_mark_bigwig(TEST_B, {"3R": 200}, tmp_path / "bam.bw", reads=settings)
    qc = write_mark_bigwig(tagalign, {"3R": 200}, tmp_path / "tagalign.bw", reads=settings)
    assert qc["n_kept"] == 4
    np.testing.assert_array_equal(
        _values(tmp_path / "tagalign.bw", "3R", 0, 200), _values(tmp_path / "bam.bw", "3R", 0, 200)
    )


def test_a_cram_reads_against_the_reference_given(tmp_path):
    """testB's reads as a CRAM against a FASTA of 3R: the BAM's coverage. deepTools' own testB.cram,
    whose reference is not at hand, is an error naming the file (none half-written)."""
    fasta = tmp_path / "3R.fa"
    rng = np.random.default_rng(0)
    fasta.write_text(">3R\n" + "".join(rng.choice(list("ACGT"), 200)) + "\n")
    pysam.faidx(str(fasta))
    cram = tmp_path / "testB.cram"
    with (
        pysam.AlignmentFile(str(TEST_B)) as bam,
        pysam.AlignmentFile(str(cram), "wc", template=bam, reference_filename=str(fasta)) as sink,
    ):
        for read in bam.fetch(until_eof=True):
            sink.write(read)
    settings = ReadSettings(fragment_bp=0, min_mapq=0, bin_bp=50)
    write_mark_bigwig(TEST_B, {"3R": 200}, tmp_path / "bam.bw", reads=settings)
    write_mark_bigwig(cram, {"3R": 200}, tmp_path / "cram.bw", reads=settings, fasta=fasta)
    np.testing.assert_array_equal(
        _values(tmp_path / "cram.bw", "3R", 0, 200), _values(tmp_path / "bam.bw", "3R", 0, 200)
    )
    deeptools_cram = REAL / "deeptools_testB.cram"
    with pytest.raises(InputError, match="cannot read the alignments.*a CRAM whose reference") as info:
        write_mark_bigwig(deeptools_cram, {"3R": 200}, tmp_path / "no.bw", reads=settings, fasta=fasta)
    assert str(deeptools_cram) in str(info.value) and not (tmp_path / "no.bw").exists()


def test_reads_on_no_reference_sequence_are_an_error_naming_them(tmp_path):
    with pytest.raises(InputError, match=r"no read to count: of 4 records.*'3R': 4") as info:
        write_mark_bigwig(TEST_B, {"chr1": 1_000}, tmp_path / "out.bw", reads=ReadSettings(min_mapq=0))
    assert str(TEST_B) in str(info.value)


def test_the_cli_reads_a_bam_with_the_settings_given(tmp_path, caplog):
    """``epibench mark-bigwig`` as rule mark_bigwig runs it for a BAM (the flags common.smk's
    mark_reads_args adds): the reference's chr3R, fragments of 100 bp, 50-bp bins, what was left out logged.
    """
    from epibench.cli import main

    fasta = tmp_path / "dm.fa"
    fasta.write_text(">chr3R\n" + "ACGT" * 50 + "\n")
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(tmp_path / "ref")]) == 0
    argv = ["mark-bigwig", "--input", str(TEST_B), "--reference", str(tmp_path / "ref" / "genome.fa")]
    settings = ["--fragment-bp", "100", "--min-mapq", "15", "--bin-bp", "50"]
    with caplog.at_level("INFO", logger="epibench"):
        assert main([*argv, *settings, "--out", str(tmp_path / "b.bw")]) == 0
    assert "'mapping quality below 15': 1" in caplog.text
    # the MAPQ-10 reverse read left out: fragments 100-200 and twice 150-250 (clipped at 200), of 3
    want = _bedgraph_values([(100, 150, 1), (150, 200, 3)], 200) * 1e6 / 3
    np.testing.assert_allclose(_values(tmp_path / "b.bw", "chr3R", 0, 200), want, rtol=1e-6)


def test_a_file_named_tagalign_is_reads_whatever_its_names_and_scores(tmp_path):
    """bedtools bamtobed writes read names and MAPQs in columns 4-5; saved as .tagAlign it is reads,
    saved as .bed the same rows would be BED6 peaks (1 inside each)."""
    rows = "3R\t50\t100\tread1/1\t10\t-\n3R\t100\t150\tread2/1\t20\t+\n"
    named, plain = tmp_path / "ChIP.tagAlign", tmp_path / "ChIP.bed"
    named.write_text(rows)
    plain.write_text(rows)
    assert track_kind(named) == "reads" and track_kind(plain) == "bed"
    qc = write_mark_bigwig(
        named, {"3R": 200}, tmp_path / "out.bw", reads=ReadSettings(fragment_bp=0, bin_bp=50)
    )
    assert qc["n_kept"] == 2
    np.testing.assert_allclose(_values(tmp_path / "out.bw", "3R", 0, 200), [0] * 50 + [5e5] * 100 + [0] * 50)


def test_a_mapped_record_without_a_cigar_is_left_out_not_a_crash(tmp_path):
    """SAM allows a mapped record with CIGAR ``*``: htslib reads it as unmapped, so it is left out."""
    sam = tmp_path / "reads.sam"
    sam.write_text(
        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:3R\tLN:200\n"
        "r1\t0\t3R\t51\t30\t50M\t*\t0\t0\t" + "A" * 50 + "\t*\n"
        "r2\t0\t3R\t101\t30\t*\t*\t0\t0\t*\t*\n"
    )
    qc = write_mark_bigwig(
        sam, {"3R": 200}, tmp_path / "out.bw", reads=ReadSettings(fragment_bp=0, bin_bp=50)
    )
    assert qc["n_kept"] == 1 and qc["n_left_out"] == {
        "unmapped, secondary, supplementary, duplicate or QC-failed": 1
    }
    np.testing.assert_allclose(_values(tmp_path / "out.bw", "3R", 0, 200), [0] * 50 + [1e6] * 50 + [0] * 100)
