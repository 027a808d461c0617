"""A UTF-8 byte-order mark before the first line (Excel's "CSV UTF-8", Notepad) is not part of the
first field: each text input reads as without it (epibench.io.textfile.open_binary).

The files are real ones of tests/data/real_formats (README there) with the three bytes EF BB BF
put in front; what each reader makes of it is compared with what it makes of the original.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.harmonise_report import text_sequence_names
from epibench.io.methylation.ingest import read_calls
from epibench.io.reference import write_reference_index
from epibench.io.regions import read_bed_intervals
from epibench.io.textfile import iter_lines

REAL = Path(__file__).parent / "data" / "real_formats"
BOM = "\ufeff".encode()  # U+FEFF in UTF-8: EF BB BF


def with_bom(original: Path, folder: Path) -> Path:
    """``original`` (gzip or plain) with a byte-order mark before its first byte of text, compressed
    as it was."""
    data = original.read_bytes()
    packed = data[:2] == b"\x1f\x8b"
    text = BOM + (gzip.decompress(data) if packed else data)
    path = folder / original.name
    path.write_bytes(gzip.compress(text) if packed else text)
    return path


def test_methylation_calls_and_their_sequence_names(tmp_path):
    original = REAL / "galaxy_bismark0.22.1_coverage_mm10tiny.bismark.cov.gz"
    path = with_bom(original, tmp_path)
    calls, expected = read_calls(path), read_calls(original)
    assert list(calls.chrom.names[calls.chrom.codes]) == list(expected.chrom.names[expected.chrom.codes])
    assert np.array_equal(calls.pos, expected.pos) and np.array_equal(calls.n_total, expected.n_total)
    assert text_sequence_names(path) == text_sequence_names(original)
    first = next(iter_lines(path))[1]
    assert first == gzip.decompress(original.read_bytes()).decode().splitlines()[0]


def test_a_bed_a_gtf_and_a_fasta(tmp_path):
    bed = REAL / "genomation_chr21.refseq.hg19.bed"
    intervals = read_bed_intervals(with_bom(bed, tmp_path))
    assert intervals.equals(read_bed_intervals(bed)) and set(intervals["chrom"]) == {"chr21"}
    gtf = REAL / "genomation_chr21.refseq.hg19.gtf.gz"
    assert transcripts_from_gtf(with_bom(gtf, tmp_path)).equals(transcripts_from_gtf(gtf))
    fasta = REAL / "galaxy_mm10.tiny.fa.gz"
    got = write_reference_index(with_bom(fasta, tmp_path), tmp_path / "with_bom")
    assert got.read_bytes() == write_reference_index(fasta, tmp_path / "without").read_bytes()
