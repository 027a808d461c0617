"""Inputs compressed with bzip2, xz or Zstandard read as their gzip originals; archives (tar, zip)
and the data files of R and HDF5 are refused by name (epibench.io.textfile).

Each real gzip file of tests/data/real_formats (README there) is decompressed here with Python's
gzip and compressed again with Python's bz2 and lzma and pyarrow's Zstandard codec; what each
reader makes of it is compared with what it makes of the gzip original. The file format's magic
numbers are checked against their specifications' bytes, not against the reader's table. The R and
HDF5 files are real ones (methrix's example object, a NanoMethViz test's RDS, a MultiQC test HDF5).
"""

from __future__ import annotations

import gzip
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pyBigWig
import pysam
import pytest

from text_files import COMPRESSORS, SPEC_MAGIC

from epibench.errors import InputError
from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.mark_tracks import track_kind, write_mark_bigwig
from epibench.io.methylation import detect_source
from epibench.io.methylation.ingest import read_calls
from epibench.io.reference import write_reference_index
from epibench.io.textfile import compression, iter_lines

REAL = Path(__file__).parent / "data" / "real_formats"
BISMARK = REAL / "galaxy_bismark0.22.1_coverage_mm10tiny.bismark.cov.gz"
PILEUP = REAL / "macs3_ctcf_chr22_narrow0_treat_pileup_head3000.bdg.gz"
GTF = REAL / "genomation_chr21.refseq.hg19.gtf.gz"
FASTA = REAL / "galaxy_mm10.tiny.fa.gz"


def recompressed(gz: Path, folder: Path, kind: str) -> Path:
    """The gzip file ``gz`` compressed as ``kind`` instead, under the same name with its suffix."""
    suffix, compress = COMPRESSORS[kind]
    path = folder / (gz.name.removesuffix(".gz") + suffix)
    path.write_bytes(compress(gzip.decompress(gz.read_bytes())))
    assert path.read_bytes().startswith(SPEC_MAGIC[kind])
    return path


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_compression_is_told_by_the_first_bytes_not_the_name(tmp_path, kind):
    path = recompressed(BISMARK, tmp_path, kind)
    renamed = path.rename(tmp_path / "calls.txt")
    assert compression(renamed) == kind
    assert compression(BISMARK) == "gzip"
    plain = tmp_path / "plain.bz2"
    plain.write_bytes(b"BZhx\t1\t2\n")  # a plain file whose first field starts as bzip2 does
    assert compression(plain) is None


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_methylation_calls_read_as_from_the_gzip(tmp_path, kind):
    path = recompressed(BISMARK, tmp_path, kind)
    assert detect_source(path).fmt == detect_source(BISMARK).fmt == "bismark_cov"  # by the name's .cov
    calls, expected = read_calls(path), read_calls(BISMARK)
    assert len(calls) == len(expected) == gzip.decompress(BISMARK.read_bytes()).count(b"\n")
    assert list(calls.chrom.names[calls.chrom.codes]) == list(expected.chrom.names[expected.chrom.codes])
    for field in ("pos", "strand", "n_meth", "n_total"):
        assert np.array_equal(getattr(calls, field), getattr(expected, field)), field


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_a_mark_bedgraph_gives_the_same_bigwig(tmp_path, kind):
    path = recompressed(PILEUP, tmp_path, kind)
    assert track_kind(path) == track_kind(PILEUP) == "bedgraph"
    lengths = {"chr22": 51_304_566}
    write_mark_bigwig(path, lengths, tmp_path / "from_kind.bw")
    write_mark_bigwig(PILEUP, lengths, tmp_path / "from_gzip.bw")
    with (
        pyBigWig.open(str(tmp_path / "from_kind.bw")) as got,
        pyBigWig.open(str(tmp_path / "from_gzip.bw")) as want,
    ):
        assert got.intervals("chr22") == want.intervals("chr22")
        assert len(want.intervals("chr22")) > 1000


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_gene_models_and_reference_read_as_from_the_gzip(tmp_path, kind):
    transcripts = transcripts_from_gtf(recompressed(GTF, tmp_path, kind))
    assert transcripts.equals(transcripts_from_gtf(GTF)) and len(transcripts) > 100
    genome = write_reference_index(recompressed(FASTA, tmp_path, kind), tmp_path / "ref_kind")
    expected = write_reference_index(FASTA, tmp_path / "ref_gzip")
    assert genome.read_bytes() == expected.read_bytes()


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_a_truncated_stream_is_named_with_its_compression(tmp_path, kind):
    path = recompressed(BISMARK, tmp_path, kind)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    readable = {"bz2": "bzip2", "xz": "xz", "zstd": "Zstandard"}[kind]
    with pytest.raises(InputError, match=f"damaged or truncated {readable} stream") as info:
        read_calls(path, "bismark_cov")  # pyarrow's reader
    assert info.value.path == path
    with pytest.raises(InputError, match=f"damaged or truncated {readable} stream"):
        for _ in iter_lines(path):  # the line reader
            pass


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_concatenated_streams_read_as_one_file(tmp_path, kind):
    """pbzip2, pixz and pzstd write one stream per block of input, one after the other."""
    text = gzip.decompress(BISMARK.read_bytes())
    half = text.rfind(b"\n", 0, len(text) // 2) + 1
    suffix, compress = COMPRESSORS[kind]
    path = tmp_path / f"calls.bismark.cov{suffix}"
    path.write_bytes(compress(text[:half]) + compress(text[half:]))
    assert [line for _, line in iter_lines(path)] == text.decode().splitlines()
    assert np.array_equal(read_calls(path).pos, read_calls(BISMARK).pos)


@pytest.mark.parametrize("packing", ["", "gz", "xz"])
def test_a_tar_archive_is_refused_naming_its_first_file(tmp_path, packing):
    """GEO's GSE*_RAW.tar holds one file per sample: given as one file, it is named for what it is."""
    path = tmp_path / f"GSE1_RAW.tar{'.' + packing if packing else ''}"
    with tarfile.open(path, f"w:{packing}") as archive:
        archive.add(BISMARK, arcname="GSM1_sample1.bismark.cov.gz")
        archive.add(PILEUP, arcname="GSM2_sample2.bdg.gz")
    for read in (read_calls, track_kind, transcripts_from_gtf):
        with pytest.raises(
            InputError, match="a tar archive .*GSM1_sample1.bismark.cov.gz.*extract it"
        ) as info:
            read(path)
        assert info.value.path == path


def test_a_zip_archive_is_refused_naming_what_it_holds(tmp_path):
    path = tmp_path / "calls.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(BISMARK, "sample1.bismark.cov.gz")
    with pytest.raises(InputError, match=r"a zip archive of 1 files \(sample1.bismark.cov.gz\): unzip it"):
        read_calls(path)


@pytest.mark.parametrize(
    "name, what",
    [
        ("methrix_data.rda", "an R object"),  # save(), bzip2-compressed
        ("nanomethviz_testthat-problems.rds", "an R object"),  # saveRDS(), gzip-compressed
        ("multiqc_xenium_cell_feature_matrix.h5", "an HDF5 file"),
    ],
)
def test_r_and_hdf5_data_files_are_refused_with_the_export_to_run(name, what):
    path = REAL / name
    for read in (read_calls, track_kind, transcripts_from_gtf):
        with pytest.raises(InputError, match=f"{what} .*not a text table: .*'From R objects'") as info:
            read(path)
        assert info.value.path == path


def test_a_tabix_index_given_for_its_calls_names_the_file_it_indexes(tmp_path):
    """A Roadmap lab's sheet named E003.methylC.gz.tbi (a tab completion) for its methylC: the reader
    said 'methylc has 7 columns, found 1: TBI', which names neither the index nor what to give."""
    table = tmp_path / "E003.methylC"
    table.write_text("chr1\t10\t11\tCG\t0.800\t+\t5\nchr1\t11\t12\tCG\t0.500\t-\t4\n")
    pysam.tabix_index(str(table), seq_col=0, start_col=1, end_col=2, zerobased=True)
    index = tmp_path / "E003.methylC.gz.tbi"
    for read in (read_calls, detect_source):
        with pytest.raises(InputError, match=r"a tabix index \(\.tbi\), not the data: give the file") as info:
            read(index)
        assert f"({tmp_path / 'E003.methylC.gz'}) in its place" in str(info.value)
        assert info.value.path == index
