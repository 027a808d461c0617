"""ENCODE's bigBed bedMethyl: the real ENCODE bedMethyl rows (tests/data/encode_cpg_10e5.bed.gz)
written as a bigBed with gemBS's autoSql (``BisulfiteSeq``, BED9+5, as gemBS mextr writes the
portal's files) by an independent writer (pybigtools), read back as the text file reads."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pybigtools
import pytest

from epibench.errors import InputError
from epibench.io.methylation.bigbed_bedmethyl import read_parts
from epibench.io.methylation.calls import concat
from epibench.io.methylation.cohort_check import refuse_copies_within_a_sample, sample_fit, warn_of_copies
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest, read_calls
from small_reference import make_reference
from test_io_methylation_group_ingest import scattered

DATA = Path(__file__).parent / "data"
ENCODE = DATA / "encode_cpg_10e5.bed.gz"
PEAKS_BIGBED = DATA / "real_formats" / "pybigwig_test.bigBed"
GRCH38_CHR1 = 248_956_422
FIELDS = [
    ("string", "chrom"),
    ("uint", "chromStart"),
    ("uint", "chromEnd"),
    ("string", "name"),
    ("uint", "score"),
    ("char[1]", "strand"),
    ("uint", "thickStart"),
    ("uint", "thickEnd"),
    ("uint", "reserved"),
    ("uint", "readCount"),
    ("uint", "percentMeth"),
    ("string", "refContext"),
    ("string", "calledContext"),
    ("uint", "genotypeQual"),
]


def autosql(fields) -> str:
    body = "".join(f'\t{kind}\t{name};\t"{name}"\n' for kind, name in fields)
    return f'table BisulfiteSeq\n"BED9+5 scores for bisulfite-seq data"\n\t(\n{body}\t)\n'


def encode_rows() -> list[list[str]]:
    with gzip.open(ENCODE, "rt") as fh:
        next(fh)  # the track line
        return [line.rstrip("\n").split("\t") for line in fh]


def write_bigbed(path: Path, rows: list[list[str]], chroms: dict[str, int], fields=FIELDS) -> Path:
    """``rows`` (text bedMethyl fields, sorted) as a bigBed, by pybigtools."""
    entries = [(r[0], int(r[1]), int(r[2]), "\t".join(r[3:])) for r in rows]
    pybigtools.open(str(path), "w").write(chroms, entries, autosql=autosql(fields))
    return path


def text_file(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(r) + "\n" for r in rows))
    return path


def reference_for(tmp_path, rows: list[list[str]], chroms: list[str]):
    """Random bases with a CG at each row's CpG (a + row on the C, a - row on the G), per chromosome."""
    cpg = np.array([int(r[1]) - (r[5] == "-") for r in rows])
    rng = np.random.default_rng(0)
    seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, cpg.max() + 2)].copy()
    seq[cpg], seq[cpg + 1] = ord("C"), ord("G")
    return make_reference(tmp_path, {chrom: seq.tobytes().decode() for chrom in chroms})


def test_a_bigbed_bedmethyl_reads_as_its_text_rows(tmp_path):
    rows = encode_rows()
    bigbed = write_bigbed(tmp_path / "ENCFF.bigBed", rows, {"chr1": GRCH38_CHR1})
    text = text_file(tmp_path / "ENCFF.bed", rows)
    assert detect_source(bigbed).fmt == "bedmethyl_bigbed"
    got, want = read_calls(bigbed), read_calls(text)
    assert len(got) == len(rows) == 99_999
    for name in ("pos", "strand", "n_meth", "n_total", "cg_context"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    reference = reference_for(tmp_path, rows, ["chr1"])
    table, qc = ingest(bigbed, reference, min_coverage=1)
    pd.testing.assert_frame_equal(table, ingest(text, reference, min_coverage=1)[0])
    assert qc["format"] == "bedmethyl_bigbed" and qc["n_records"] == len(rows)


def test_a_bigbed_read_a_window_at_a_time_reads_as_whole(tmp_path):
    """Windows of 100 kb over the rows' 3.7 Mb (37 parts, an entry on a window's edge read once)."""
    rows = encode_rows()
    bigbed = write_bigbed(tmp_path / "ENCFF.bigBed", rows, {"chr1": GRCH38_CHR1})
    source = detect_source(bigbed)
    parts = list(read_parts(source, window=100_000))
    whole = read_calls(bigbed)
    assert len(parts) > 30 and max(len(part) for part in parts) < len(whole) / 10
    windowed = concat(parts)
    for name in ("pos", "strand", "n_meth", "n_total", "cg_context"):
        np.testing.assert_array_equal(getattr(windowed, name), getattr(whole, name), err_msg=name)


def test_the_scattered_ingest_of_a_bigbed_reads_it_a_chromosome_at_a_time(tmp_path):
    """Two chromosomes (the rows' first half on chr1, the second on chr2): the workflow's split per
    group, each group and the summary equal one job."""
    rows = encode_rows()[:20_000]
    half = [r for r in rows[10_000:]]
    rows = rows[:10_000] + [["chr2", *r[1:]] for r in half]
    bigbed = write_bigbed(tmp_path / "two.bigBed", rows, {"chr1": GRCH38_CHR1, "chr2": 242_193_529})
    reference = reference_for(tmp_path, rows, ["chr1", "chr2"])
    want, want_qc = ingest(bigbed, reference, min_coverage=1)
    got, qc = scattered(bigbed, reference, {"a": ["chr1"], "b": ["chr2"]}, tmp_path, min_coverage=1)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert qc["n_kept"] == want_qc["n_kept"] == len(want)
    assert set(want["chrom"]) == {"chr1", "chr2"}


def test_a_twice_listed_entry_is_named_by_its_line_in_bigbedtobed_output(tmp_path):
    rows = encode_rows()[:2_000]
    rows = rows[:1_500] + [["chr2", *r[1:]] for r in rows[1_500:]]
    twice = rows[:1_601] + [rows[1_600]] + rows[1_601:]  # a chr2 entry listed twice
    bigbed = write_bigbed(tmp_path / "twice.bigBed", twice, {"chr1": GRCH38_CHR1, "chr2": 242_193_529})
    reference = reference_for(tmp_path, rows, ["chr1", "chr2"])
    with pytest.raises(InputError) as info:
        ingest(bigbed, reference, min_coverage=1)
    message = str(info.value)
    assert "a second call" in message and str(bigbed) in message
    # rows[1_600] is line 1,601 of bigBedToBed's output (chr1's 1,500 entries first), its copy 1,602
    assert info.value.line == 1_602 and "the first is on line 1601" in message


def test_a_bad_value_in_a_bigbed_names_its_line(tmp_path):
    rows = encode_rows()[:1_000]
    rows[700] = [*rows[700][:10], "250", *rows[700][11:]]  # percent past 100
    bigbed = write_bigbed(tmp_path / "bad.bigBed", rows, {"chr1": GRCH38_CHR1})
    with pytest.raises(InputError, match="percent > 100") as info:
        read_calls(bigbed)
    assert info.value.line == 701
    with pytest.raises(InputError, match="percent > 100") as info:
        list(read_parts(detect_source(bigbed), window=20_000))  # row 701 in a later window
    assert info.value.line == 701


def test_a_bigbed_of_other_records_is_refused_naming_its_fields(tmp_path):
    with pytest.raises(InputError, match=r"a bigBed of \d+ fields .*not bedMethyl") as info:
        detect_source(PEAKS_BIGBED)
    assert str(PEAKS_BIGBED) in str(info.value)
    with pytest.raises(InputError, match="a bigBed file, not bedmethyl"):
        detect_source(
            write_bigbed(tmp_path / "m.bigBed", encode_rows()[:10], {"chr1": GRCH38_CHR1}), "bedmethyl"
        )
    with pytest.raises(InputError, match="not a bigBed"):
        detect_source(ENCODE, "bedmethyl_bigbed")


def test_an_encode3_bed9_plus_2_bigbed_reads_too(tmp_path):
    rows = [r[:11] for r in encode_rows()[:500]]
    bigbed = write_bigbed(tmp_path / "e3.bigBed", rows, {"chr1": GRCH38_CHR1}, fields=FIELDS[:11])
    calls = read_calls(bigbed)
    assert calls.cg_context is None
    np.testing.assert_array_equal(calls.n_total, [int(r[9]) for r in rows])
    assert os.path.getsize(bigbed) > 0


def test_the_bed_and_the_bigbed_of_one_encode_file_carry_one_digest(tmp_path, caplog):
    """The portal serves each WGBS bedMethyl as text and as bigBed; the two listed as two samples (or
    as two files of one, reads doubled) are the same calls, whatever parts each is read in."""
    rows = encode_rows()[:4_000]
    rows = rows[:2_000] + [["chr2", *r[1:]] for r in rows[2_000:]]
    bigbed = write_bigbed(tmp_path / "ENCFF.bigBed", rows, {"chr1": GRCH38_CHR1, "chr2": 242_193_529})
    text = text_file(tmp_path / "ENCFF.bed", rows)
    reference = reference_for(tmp_path, rows, ["chr1", "chr2"])
    fits = [sample_fit("lung#1", bigbed, reference), sample_fit("lung#2", text, reference)]
    assert fits[0].digest == fits[1].digest
    with caplog.at_level("WARNING"):
        assert warn_of_copies(fits) == [["lung#1", "lung#2"]]
    assert "carry the same calls" in caplog.text
    with pytest.raises(
        InputError, match=r"sample lung: its files .*ENCFF.bigBed \(lung#1\), .*ENCFF.bed \(lung#2\)"
    ):
        refuse_copies_within_a_sample(fits)  # one sample's two files: its reads would count twice
    two_samples = [sample_fit("lung", bigbed, reference), sample_fit("liver", text, reference)]
    refuse_copies_within_a_sample(two_samples)  # two samples: a warning (above), not an error
