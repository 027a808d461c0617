"""Chromosome-name harmonisation report (epibench.io.chroms.harmonisation_table, epibench.io.harmonise_report)."""

import gzip
import os

import pandas as pd
import pyBigWig
import pytest

from epibench.errors import InputError
from epibench.io import harmonise_report
from epibench.io.chroms import harmonisation_table
from epibench.io.harmonise_report import (
    cohort_harmonisation,
    sequence_names,
    text_sequence_names,
    write_harmonisation_table,
)
from epibench.io.reference import Reference, write_reference_index
from epibench.io.regions import annotate_regions_with_report
from text_files import write_lines

DATA = os.path.join(os.path.dirname(__file__), "data")
GENCODE = os.path.join(os.path.dirname(__file__), "data", "gencode_human.gtf.gz")
COLUMNS = ["input", "name_in_file", "name_in_reference", "action", "reason"]

GTF_LINES = [
    "#!genome-build GRCh38",
    '1\tt\ttranscript\t11\t60\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    '1\tt\texon\t11\t60\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    'MT\tt\ttranscript\t2\t9\t.\t+\t.\tgene_id "g2"; transcript_id "t2";',
    'GL000220.1\tt\ttranscript\t1\t50\t.\t+\t.\tgene_id "g3"; transcript_id "t3";',
]


def rows(table):
    return [tuple(None if pd.isna(v) else v for v in row) for row in table.itertuples(index=False, name=None)]


def test_gtf_in_ensembl_spelling_against_a_ucsc_fasta(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 25 + "\n>chrM\nAACGTTACGA\n")
    ref = Reference(write_reference_index(fasta, tmp_path / "ref"))
    gtf = write_lines(tmp_path / "a.gtf.gz", GTF_LINES, gz=True)
    result = annotate_regions_with_report(ref, gtf, tmp_dir=tmp_path)
    assert result.chroms_without_transcripts == []
    assert sequence_names(gtf) == result.input_chroms["gtf"] == ["1", "MT", "GL000220.1"]

    table = harmonisation_table(ref.chroms, result.input_chroms)
    assert list(table.columns) == COLUMNS
    assert rows(table) == [
        ("gtf", "1", "chr1", "renamed", "'chr' prefix added"),
        ("gtf", "MT", "chrM", "renamed", "'chr' prefix added, mitochondrion MT -> M"),
        ("gtf", "GL000220.1", None, "dropped", "not in the reference"),
    ]


def test_kept_renamed_dropped_and_ambiguous():
    reference = ["chr1", "chrX", "chrM", "MT"]  # both mitochondrial spellings: M is ambiguous
    table = harmonisation_table(
        reference,
        {
            "sample1.methylation": ["chr1", "chrX", "chr1", "chrUn_KI270302v1"],
            "sample1.H3K4me3": ["1", "x", "M", "MT"],
        },
    )
    assert rows(table) == [
        ("sample1.methylation", "chr1", "chr1", "kept", "same name in the reference"),
        ("sample1.methylation", "chrX", "chrX", "kept", "same name in the reference"),
        ("sample1.methylation", "chrUn_KI270302v1", None, "dropped", "not in the reference"),
        ("sample1.H3K4me3", "1", "chr1", "renamed", "'chr' prefix added"),
        ("sample1.H3K4me3", "x", "chrX", "renamed", "'chr' prefix added, letter case"),
        ("sample1.H3K4me3", "M", None, "dropped", "ambiguous: could be any of chrM, MT in the reference"),
        ("sample1.H3K4me3", "MT", "MT", "kept", "same name in the reference"),
    ]
    assert rows(harmonisation_table(["1", "MT"], {"bed": ["chr1", "chrM"]})) == [
        ("bed", "chr1", "1", "renamed", "'chr' prefix removed"),
        ("bed", "chrM", "MT", "renamed", "'chr' prefix removed, mitochondrion M -> MT"),
    ]
    empty = harmonisation_table(reference, {})
    assert list(empty.columns) == COLUMNS and empty.empty


def test_text_names_skip_headers_and_read_the_bin_column(tmp_path):
    bed = write_lines(
        tmp_path / "a.bed.gz",
        [
            "track name=x",
            "browser position chr1:1-10",
            "# comment",
            "chr2\t1\t2",
            "chr1\t1\t2",
            "",
            "chr2\t3\t4",
        ],
        gz=True,
    )
    assert text_sequence_names(bed) == ["chr2", "chr1"]
    ucsc = write_lines(
        tmp_path / "cgi.txt",
        ["#bin\tchrom\tchromStart\tchromEnd\tname", "585\tchr1\t1\t9\tCpG: 2", "9\tchr5\t1\t9\tx"],
    )
    assert text_sequence_names(ucsc) == ["chr1", "chr5"]
    dump = write_lines(tmp_path / "dump.txt", ["585\tchr1\t1\t9\tCpG: 2", "9\tchrY\t1\t9\tx"])
    assert text_sequence_names(dump) == ["chr1", "chrY"]
    ensembl = write_lines(tmp_path / "e.bed", ["1\t10\t20\t30", "2\t5\t6"])  # integer names, no bin column
    assert text_sequence_names(ensembl) == ["1", "2"]
    modkit = write_lines(tmp_path / "m.bed", ["chr1 10 11 m 6 . 10 11 255,0,0 6 83.33 5 1 0 0 0 0 0"])
    assert text_sequence_names(modkit) == ["chr1"]
    assert text_sequence_names(write_lines(tmp_path / "empty.bed", [])) == []
    assert text_sequence_names(write_lines(tmp_path / "only_header.bed", ["track name=x"])) == []


def test_text_names_across_block_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(harmonise_report, "_BLOCK", 7)  # shorter than a line: every line spans blocks
    lines = ["#bin\tchrom\tchromStart\tchromEnd", *(f"{i}\tchr{i % 3}\t{i}\t{i + 1}" for i in range(40))]
    path = write_lines(tmp_path / "t.txt", lines)
    assert text_sequence_names(path) == ["chr0", "chr1", "chr2"]
    unterminated = tmp_path / "u.bed"
    unterminated.write_bytes(b"chrA\t1\t2\nchrB\t1\t2")
    assert text_sequence_names(unterminated) == ["chrA", "chrB"]


def test_real_files():
    assert sequence_names(GENCODE) == ["chr1"]
    assert sequence_names(os.path.join(DATA, "encode_cpg_10e5.bed.gz")) == ["chr1"]


@pytest.mark.parametrize(
    ("name", "chroms"),
    [
        ("methylkit_test1.myCpG.txt.gz", ["chr21"]),  # chrBase chr base ...: the chromosome second
        ("pigx_methyldackel_PEsample_rrbs_CpG.methylKit", ["chr1"]),
        ("encode_wgbs_ENCSR750CPN_gembs_mextr_head5000.bed.gz", ["chr1"]),  # Contig Pos0 ...
        ("f5c_meth_freq.tsv", ["tig00000001", "tig00000118"]),  # chromosome start end ...
        ("methylpy_allc_P0_FB_1_head10000.tsv.gz", ["1"]),
    ],
)
def test_methylation_tables_with_a_line_of_column_names_give_their_chromosomes(name, chroms):
    path = os.path.join(DATA, "real_formats", name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        rows = [line.split() for line in fh if not line.startswith("#")]
    header = not any(field.replace(".", "").isdigit() for field in rows[0][1:])
    column = 1 if header and rows[0][1] == "chr" else 0
    assert sequence_names(path) == chroms == list(dict.fromkeys(row[column] for row in rows[header:]))


def write_bigwig(path, chroms):
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(chroms)
    bw.addEntries([chroms[0][0]], [0], ends=[5], values=[1.0])
    bw.close()
    return path


def test_bigwig_names_and_the_cohort_table(tmp_path):
    bigwig = write_bigwig(tmp_path / "s1.H3K4me3.bw", [("1", 100), ("MT", 50), ("KI270728.1", 40)])
    assert sequence_names(bigwig) == sequence_names(bigwig, "bigwig") == ["1", "MT", "KI270728.1"]
    with pytest.raises(InputError, match="bigWig/bigBed file, not bed"):
        sequence_names(bigwig, "bed")
    with pytest.raises(InputError, match="cannot open as bigWig"):
        sequence_names(write_lines(tmp_path / "a.bed", ["chr1\t1\t2"]), "bigwig")

    calls = write_lines(
        tmp_path / "s1.methylC.gz", ["chr1\t10\t11\tCG\t0.8\t+\t5", "chrM\t3\t4\tCG\t0.5\t-\t2"], gz=True
    )
    table = cohort_harmonisation(
        ["chr1", "chrM"],
        {"s1.methylation": calls, "s1.H3K4me3": bigwig},
        known={"gtf": ["chr1"]},
    )
    assert [(r[0], r[1], r[3]) for r in rows(table)] == [
        ("gtf", "chr1", "kept"),
        ("s1.methylation", "chr1", "kept"),
        ("s1.methylation", "chrM", "kept"),
        ("s1.H3K4me3", "1", "renamed"),
        ("s1.H3K4me3", "MT", "renamed"),
        ("s1.H3K4me3", "KI270728.1", "dropped"),
    ]
    out = tmp_path / "reference" / "chrom_names.tsv"
    write_harmonisation_table(table, out)
    text = out.read_text().splitlines()
    assert text[0] == "\t".join(COLUMNS)
    # what needs a look first: dropped, then renamed, then kept names, each in the table's order
    assert text[1] == "s1.H3K4me3\tKI270728.1\t\tdropped\tnot in the reference"
    assert [line.split("\t")[1] for line in text[2:]] == ["1", "MT", "chr1", "chr1", "chrM"]
    back = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert back.shape == table.shape and os.listdir(out.parent) == ["chrom_names.tsv"]
    with pytest.raises(ValueError, match="given twice"):
        cohort_harmonisation(["chr1"], {"gtf": calls}, known={"gtf": ["chr1"]})
    # an unreadable file: raised, or (given on_unreadable) reported and left out of the table
    broken = tmp_path / "s2.methylC.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not a whole gzip stream")
    with pytest.raises(InputError):
        cohort_harmonisation(["chr1"], {"s2.methylation": broken})
    reported = []
    table = cohort_harmonisation(
        ["chr1"],
        {"s1.methylation": calls, "s2.methylation": broken},
        on_unreadable=lambda label, error: reported.append((label, type(error))),
    )
    assert reported == [("s2.methylation", InputError)]
    assert set(table["input"]) == {"s1.methylation"}


def test_each_samples_table_merged_lists_every_dropped_name_first(tmp_path, capsys):
    """The workflow writes a table per sample (rule sample_chrom_names) and merges them: every row
    of each, the dropped names of all samples first, then renamed, then kept."""
    from epibench.cli import main

    fasta = write_lines(tmp_path / "genome.fa", [">chr1", "ACGT" * 30, ">chrM", "ACGT" * 10])
    write_reference_index(fasta, tmp_path / "ref")
    first = write_lines(tmp_path / "a.bedGraph", ["chr1	1	2	0.5", "chrUn_x	1	2	0.5"])
    second = write_lines(tmp_path / "b.bedGraph", ["1	1	2	0.5", "MT	1	2	0.5", "chrY	1	2	0.5"])
    tables = []
    for label, path in (("a.methylation", first), ("b.methylation", second)):
        tables.append(tmp_path / f"{label}.tsv")
        args = ["chrom-names", "--reference", str(tmp_path / "ref/genome.fa"), "--input", f"{label}={path}"]
        assert main([*args, "--out", str(tables[-1])]) == 0
    merged = tmp_path / "merged.tsv"
    assert main(["chrom-names", "--tables", *map(str, tables), "--out", str(merged)]) == 0
    table = pd.read_csv(merged, sep="\t", keep_default_na=False)
    assert list(zip(table["name_in_file"], table["action"])) == [
        ("chrUn_x", "dropped"),
        ("chrY", "dropped"),
        ("1", "renamed"),
        ("MT", "renamed"),
        ("chr1", "kept"),
    ]
    capsys.readouterr()
    assert main(["chrom-names", "--input", f"a={first}", "--out", str(merged)]) != 0
    assert "--input needs --reference" in capsys.readouterr().err


def test_a_refseq_accession_is_reported_as_renamed_with_its_reason():
    table = harmonisation_table(["chr1", "chrM"], {"gff3": ["NC_000001.11", "NC_012920.1", "NW_1"]})
    assert table["action"].tolist() == ["renamed", "renamed", "dropped"]
    assert table["reason"].iloc[0] == "RefSeq accession NC_000001.11 -> chr1"


def test_a_name_renamed_to_an_accession_is_not_called_an_accession():
    """A track's Ensembl names against an NCBI FASTA: the accession is the reference's name."""
    table = harmonisation_table(["NC_000001.11", "CM000664.2"], {"bw": ["1", "chr2"]})
    assert table["name_in_reference"].tolist() == ["NC_000001.11", "CM000664.2"]
    assert table["reason"].tolist() == [
        "1 -> RefSeq accession NC_000001.11",
        "chr2 -> GenBank accession CM000664.2",
    ]


def test_a_genbank_accession_is_reported_as_renamed_with_its_reason():
    table = harmonisation_table(["chr1", "chrM"], {"fasta": ["CM000663.2", "J01415.2", "KI270728.1"]})
    assert table["action"].tolist() == ["renamed", "renamed", "dropped"]
    assert table["reason"].tolist()[:2] == [
        "GenBank accession CM000663.2 -> chr1",
        "GenBank accession J01415.2 -> chrM",
    ]


def test_mark_tracks_of_every_kind_report_their_sequence_names():
    """A wiggle names its sequences in its fixedStep/variableStep lines, not in a first column;
    bedGraph and peak files in their first column, a bigBed in its header."""
    real = os.path.join(DATA, "real_formats")
    assert sequence_names(os.path.join(real, "rtracklayer_step.wig")) == ["chr19", "chr18"]
    assert sequence_names(os.path.join(real, "rtracklayer_variableStep.wig")) == ["chr19", "chr5", "chr1"]
    assert sequence_names(os.path.join(real, "rtracklayer_bed.wig")) == ["chr1", "chr5", "chr19"]
    assert sequence_names(os.path.join(real, "macs3_ctcf_chr22_narrow0_peaks.narrowPeak")) == ["chr22"]
    assert set(sequence_names(os.path.join(real, "pybigwig_test.bigBed"))) == {
        "chr1",
        "chr2",
        "chr4",
        "chr7",
        "chr11",
        "chr15",
    }
