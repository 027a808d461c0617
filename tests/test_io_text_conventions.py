"""Text as other systems and editors write it (epibench.io.textfile): a UTF-8 byte-order mark before
the first line (Excel's "CSV UTF-8", Notepad) is not part of the first field, lines ended by CR alone
(classic Mac OS, Excel for Mac's "CSV (Macintosh)") are lines, and a file that is no text at all is
quoted in its error message by its start, not whole.

The files are real ones of tests/data/real_formats (README there), changed here: the three bytes
EF BB BF put in front, or each LF replaced by CR; what each reader makes of it is compared with what
it makes of the original.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from epibench.errors import EXCERPT_CHARS, InputError, excerpt
from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.harmonise_report import text_sequence_names
from epibench.io.mark_tracks import write_mark_bigwig
from epibench.io.methylation import detect_source
from epibench.io.methylation.columns import text_blocks
from epibench.io.methylation.ingest import read_calls
from epibench.io.reference import write_reference_index
from epibench.io.regions import read_bed_intervals
from epibench.io.textfile import iter_lines

REAL = Path(__file__).parent / "data" / "real_formats"
BOM = "\ufeff".encode()  # U+FEFF in UTF-8: EF BB BF


def changed(original: Path, folder: Path, change) -> Path:
    """``original`` (gzip or plain) with ``change(its text's bytes)``, compressed as it was."""
    data = original.read_bytes()
    packed = data[:2] == b"\x1f\x8b"
    text = change(gzip.decompress(data) if packed else data)
    path = folder / original.name
    path.write_bytes(gzip.compress(text) if packed else text)
    return path


def with_bom(original: Path, folder: Path) -> Path:
    """``original`` with a byte-order mark before its first byte of text."""
    return changed(original, folder, lambda text: BOM + text)


def with_cr_line_ends(original: Path, folder: Path) -> Path:
    """``original`` with each LF replaced by CR."""
    return changed(original, folder, lambda text: text.replace(b"\n", b"\r"))


def test_methylation_calls_and_their_sequence_names(tmp_path):
    original = REAL / "galaxy_bismark0.22.1_coverage_mm10tiny.bismark.cov.gz"
    path = with_bom(original, tmp_path)
    calls, expected = read_calls(path), read_calls(original)
    assert list(calls.chrom.names[calls.chrom.codes]) == list(expected.chrom.names[expected.chrom.codes])
    assert np.array_equal(calls.pos, expected.pos) and np.array_equal(calls.n_total, expected.n_total)
    assert text_sequence_names(path) == text_sequence_names(original)
    text = gzip.decompress(original.read_bytes())
    assert next(iter_lines(path))[1] == text.decode().splitlines()[0]
    assert b"".join(text_blocks(detect_source(path), 1000)) == text  # the scattered ingest's blocks


def test_a_bed_a_gtf_and_a_fasta(tmp_path):
    bed = REAL / "genomation_chr21.refseq.hg19.bed"
    intervals = read_bed_intervals(with_bom(bed, tmp_path))
    assert intervals.equals(read_bed_intervals(bed)) and set(intervals["chrom"]) == {"chr21"}
    gtf = REAL / "genomation_chr21.refseq.hg19.gtf.gz"
    assert transcripts_from_gtf(with_bom(gtf, tmp_path)).equals(transcripts_from_gtf(gtf))
    fasta = REAL / "galaxy_mm10.tiny.fa.gz"
    got = write_reference_index(with_bom(fasta, tmp_path), tmp_path / "with_bom")
    assert got.read_bytes() == write_reference_index(fasta, tmp_path / "without").read_bytes()


def test_lines_ended_by_cr_alone_are_lines(tmp_path):
    calls = REAL / "galaxy_bismark0.22.1_coverage_mm10tiny.bismark.cov.gz"
    path = with_cr_line_ends(calls, tmp_path)
    got, want = read_calls(path), read_calls(calls)
    assert np.array_equal(got.pos, want.pos) and np.array_equal(got.n_meth, want.n_meth)
    assert b"".join(text_blocks(detect_source(path), 1000)) == gzip.decompress(calls.read_bytes())
    gtf = REAL / "genomation_chr21.refseq.hg19.gtf.gz"
    assert transcripts_from_gtf(with_cr_line_ends(gtf, tmp_path)).equals(transcripts_from_gtf(gtf))
    pileup = REAL / "macs3_ctcf_chr22_narrow0_treat_pileup_head3000.bdg.gz"
    lengths = {"chr22": 51_304_566}
    write_mark_bigwig(with_cr_line_ends(pileup, tmp_path), lengths, tmp_path / "cr.bw")
    write_mark_bigwig(pileup, lengths, tmp_path / "lf.bw")
    with pyBigWig.open(str(tmp_path / "cr.bw")) as got_bw, pyBigWig.open(str(tmp_path / "lf.bw")) as want_bw:
        assert got_bw.intervals("chr22") == want_bw.intervals("chr22")


def test_an_excerpt_quotes_the_start_and_says_how_long():
    assert excerpt("chr1\t5") == repr("chr1\t5")
    long = "x\t" * 5000
    quoted = excerpt(long)
    assert quoted.startswith(repr(long[:EXCERPT_CHARS])) and "10,000 characters" in quoted
    assert len(quoted) < len(repr(long[:EXCERPT_CHARS])) + 30


def test_a_file_that_is_no_text_is_named_with_its_start_only(tmp_path):
    """A binary file (twice a PNG's first bytes, then every byte value but CR and LF 40 times: lines
    of 10 kB, tabs among them) given as calls: the message names the file and a line, and quotes no more than its
    start."""
    path = tmp_path / "plot.png"
    line = b"\x89PNG" + bytes(b for b in range(256) if b not in b"\r\n") * 40
    path.write_bytes(line + b"\n" + line)
    with pytest.raises(InputError) as info:
        read_calls(path)
    assert info.value.path == path and info.value.line is not None
    # the line holds its 254-byte cycle 40 times; the quote, one at most (the message also lists the formats)
    assert str(info.value).count("0123456789") <= 1 and len(str(info.value)) < 2000, str(info.value)
