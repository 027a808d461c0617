"""Bundled chromosome lengths of common assemblies, and matching a reference to them (epibench.io.assemblies)."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

import pytest

from epibench.io.assemblies import assembly_of_accessions, known_assemblies, match_assembly
from epibench.io.chroms import harmonise

# primary chromosomes + chrM per assembly
COUNTS = {
    "hg18": 25,
    "hg19": 25,
    "GRCh37": 25,
    "hg38": 25,
    "hs1": 25,
    "mm9": 22,
    "mm10": 22,
    "mm39": 22,
    "rn6": 23,
    "danRer11": 26,
    "dm6": 8,
    "ce11": 7,
    "sacCer3": 17,
    "TAIR10": 7,
}

# UCSC chrom.sizes values; the ones past the first five agree between two packages (see the module docstring)
UCSC = [
    ("hg19", "chr22", 51_304_566),
    ("hg38", "chr22", 50_818_468),
    ("hg18", "chr22", 49_691_432),
    ("hg38", "chr1", 248_956_422),
    ("mm10", "chr19", 61_431_566),
    ("hg19", "chrM", 16_571),
    ("GRCh37", "chrM", 16_569),
    ("hg38", "chrM", 16_569),
    ("hs1", "chr1", 248_387_328),
    ("hs1", "chrY", 62_460_029),
    ("mm9", "chrY", 15_902_555),
    ("mm10", "chrM", 16_299),
    ("dm6", "chr2L", 23_513_712),
    ("ce11", "chrI", 15_072_434),
    ("sacCer3", "chrI", 230_218),
]


def test_every_assembly_with_its_chromosome_count():
    table = known_assemblies()
    assert {assembly: len(lengths) for assembly, lengths in table.items()} == COUNTS
    for lengths in table.values():
        assert "chrM" in lengths
        assert not [chrom for chrom in lengths if "_" in chrom or chrom.startswith("chrUn")]
        assert all(isinstance(n, int) and n > 10_000 for n in lengths.values())


@pytest.mark.parametrize(("assembly", "chrom", "length"), UCSC)
def test_known_lengths(assembly, chrom, length):
    assert known_assemblies()[assembly][chrom] == length


def test_grch37_is_hg19_but_for_the_mitochondrion():
    table = known_assemblies()
    hg19, grch37 = table["hg19"], table["GRCh37"]
    assert {c: n for c, n in hg19.items() if n != grch37[c]} == {"chrM": 16_571}


def test_table_is_a_copy():
    known_assemblies()["hg38"]["chr1"] = 1
    assert known_assemblies()["hg38"]["chr1"] == 248_956_422


def test_tables_ship_in_a_wheel():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["epibench.io"]
    assert "assemblies.tsv" in shipped and "accessions.tsv" in shipped


def accession_rows() -> list[tuple[str, str, str]]:
    path = Path(__file__).resolve().parents[1] / "epibench" / "io" / "accessions.tsv"
    lines = path.read_text().splitlines()
    assert lines[0] == "assembly\tchrom\taccession"
    return [tuple(line.split("\t")) for line in lines[1:]]


def test_each_accession_is_its_rows_chromosome_of_a_known_assembly():
    """Every row's accession is, by the chromosome names' own table (epibench.io.chroms, written apart
    from accessions.tsv), the chromosome of its row, in an assembly the lengths table knows; each
    assembly gives one accession per chromosome of a kind (RefSeq, GenBank)."""
    table = known_assemblies()
    rows = accession_rows()
    assert {assembly for assembly, _, _ in rows} == {"hg18", "GRCh37", "hg38", "hs1", "mm10", "mm39"}
    for assembly, chrom, accession in rows:
        assert chrom in table[assembly], (assembly, chrom)
        assert harmonise([accession], [chrom]) == {accession: chrom}, (assembly, accession)
    kinds = [(assembly, chrom, accession.startswith("NC_")) for assembly, chrom, accession in rows]
    assert len(kinds) == len(set(kinds))
    nuclear = {(a, c) for a, c, _ in rows if c != "chrM"}
    assert nuclear == {
        (a, c) for a in ("hg18", "GRCh37", "hg38", "hs1", "mm10", "mm39") for c in table[a]
    } - {(a, "chrM") for a in table}


# as NCBI's assembly reports and UCSC's chromAlias files give them
NCBI = [
    ("GRCh37", "chr1", "NC_000001.10"),
    ("hg38", "chr1", "NC_000001.11"),
    ("hg38", "chr1", "CM000663.2"),
    ("hs1", "chr1", "NC_060925.1"),
    ("hg38", "chrX", "NC_000023.11"),
    ("mm10", "chr1", "NC_000067.6"),
    ("mm10", "chr2", "NC_000068.7"),
    ("mm39", "chr1", "NC_000067.7"),
    ("mm39", "chrX", "NC_000086.8"),
]


@pytest.mark.parametrize(("assembly", "chrom", "accession"), NCBI)
def test_known_accessions(assembly, chrom, accession):
    assert (assembly, chrom, accession) in accession_rows()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["NC_000001.10", "NC_000022.10", "lambda"], "GRCh37"),
        (["NC_000001.11", "CM000664.2"], "hg38"),  # RefSeq and GenBank of one build
        (["NC_060925.1"], "hs1"),
        (["NC_000067.6", "NC_000068.7"], "mm10"),
        (["NC_012920.1"], None),  # the rCRS mitochondrion is GRCh37's and hg38's
        (["NC_012920.1", "NC_000001.11"], "hg38"),
        (["NC_000001.10", "NC_000002.12"], None),  # GRCh37's chr1 beside hg38's chr2: no one build
        (["chr1", "1", "NC_051336.1"], None),  # no known accession
        ([], None),
    ],
)
def test_the_assembly_a_files_accessions_name(names, expected):
    assert assembly_of_accessions(names) == expected


def test_two_hg38_chromosomes_match_hg38_only():
    got = match_assembly({"chr21": 46_709_983, "chr22": 50_818_468})
    assert got.matched == ["hg38"]
    assert got.compared == 2
    assert got.nearest == [] and got.notes == []
    assert got.summary == "matches hg38 (2 sequences compared)"


def test_ensembl_names_match():
    assert match_assembly({"21": 46_709_983, "22": 50_818_468}).matched == ["hg38"]


def test_whole_hg38_with_extra_contigs():
    reference = {**known_assemblies()["hg38"], "chrUn_KI270302v1": 2_274, "chrEBV": 171_823, "lambda": 48_502}
    got = match_assembly(reference)
    assert got.matched == ["hg38"]
    assert got.summary == "matches hg38 (25 sequences compared)"


def test_one_base_off_matches_nothing_and_names_the_nearest():
    got = match_assembly({"chr22": 49_691_433})
    assert got.matched == []
    assert got.nearest_assembly == "hg18"
    assert got.nearest == ["chr22 is 49,691,433 bp; hg18 chr22 is 49,691,432"]
    assert (
        got.summary
        == "matches no known assembly (nearest: hg18: chr22 is 49,691,433 bp; hg18 chr22 is 49,691,432)"
    )


def test_nearest_lists_three_differences_then_a_count():
    reference = {chrom: n + 1 for chrom, n in known_assemblies()["mm10"].items()}
    got = match_assembly(reference)
    assert got.matched == [] and got.nearest_assembly == "mm10" and got.compared == 22
    assert got.nearest[0] == "chr1 is 195,471,972 bp; mm10 chr1 is 195,471,971"
    assert got.nearest[3] == "and 19 more differ"
    assert len(got.nearest) == 4


def test_synthetic_genome_with_a_known_name_gets_no_nearest():
    """chr1 is a name many assemblies know, but a 200-kb chr1 is none of them, nor near one: no
    assembly is named (a plant's Chr1 of a test genome was once told it was nearest zebrafish's)."""
    got = match_assembly({"chr1": 200_000, "chr2": 180_000})
    assert got.matched == [] and got.nearest_assembly is None and got.compared == 2
    assert got.summary.startswith("matches no known assembly (its sequences' lengths are far from every")


def test_no_known_name():
    got = match_assembly({"seq_a": 200_000, "contig_7": 5_000})
    assert got.matched == [] and got.compared == 0 and got.nearest_assembly is None
    assert got.summary == "no sequence name of a known assembly (synthetic or unlisted genome)"
    assert match_assembly({}).summary == got.summary


def test_grch37_style_reference_with_rcrs_mitochondrion_matches_hg19():
    reference = {chrom.removeprefix("chr"): n for chrom, n in known_assemblies()["hg19"].items()}
    reference["MT"] = reference.pop("M") - 2  # rCRS 16,569 bp
    got = match_assembly(reference)
    assert got.matched == ["GRCh37", "hg19"]  # GRCh37 first: its MT agrees too
    assert got.compared == 25
    assert got.notes == ["MT is 16,569 bp; hg19 chrM is 16,571 (the mitochondrion does not decide the match)"]


def test_ucsc_hg19_matches_hg19_first():
    got = match_assembly(known_assemblies()["hg19"])
    assert got.matched == ["hg19", "GRCh37"]
    assert got.summary == "matches hg19, GRCh37 (25 sequences compared)"


def test_nuclear_mismatch_is_not_excused_by_an_equal_mitochondrion():
    got = match_assembly({"chr22": 51_304_567, "chrM": 16_571})
    assert got.matched == []
    assert got.nearest_assembly == "hg19"
    assert got.nearest == ["chr22 is 51,304,567 bp; hg19 chr22 is 51,304,566"]


def test_mitochondrion_alone_decides():
    assert match_assembly({"chrM": 16_569}).matched == ["GRCh37", "hg38", "hs1"]
    assert match_assembly({"MT": 16_299}).matched == ["mm9", "mm10", "mm39"]
    assert match_assembly({"chrM": 16_570}).matched == []


def test_to_dict_is_json():
    got = json.loads(json.dumps(match_assembly({"chr22": 49_691_433}).to_dict()))
    assert got["matched"] == [] and got["nearest_assembly"] == "hg18" and got["compared"] == 1
    assert got["summary"].startswith("matches no known assembly (nearest: hg18")


def test_arabidopsis_matches_tair10_in_tair_and_ensembl_plants_names():
    """TAIR's Chr1..Chr5, ChrC, ChrM and Ensembl Plants' 1..5, Pt, Mt are one assembly; a
    chromosome one base short is not."""
    lengths = [30_427_671, 19_698_289, 23_459_830, 18_585_056, 26_975_502]
    tair = {f"Chr{i}": n for i, n in enumerate(lengths, 1)} | {"ChrC": 154_478, "ChrM": 366_924}
    ensembl = {str(i): n for i, n in enumerate(lengths, 1)} | {"Pt": 154_478, "Mt": 366_924}
    for names in (tair, ensembl):
        got = match_assembly(names)
        assert got.matched == ["TAIR10"] and got.compared == 7
    got = match_assembly(tair | {"Chr5": lengths[4] - 1})
    assert got.matched == [] and got.nearest_assembly == "TAIR10"


@pytest.mark.parametrize(
    ("lengths", "level"),
    [
        ({"chrM": 16_569}, logging.INFO),  # matches (GRCh37, hg38, hs1)
        ({"chrM": 16_570}, logging.WARNING),  # one base off hg18's: another release, or an edit
        ({"chr1": 3_000}, logging.INFO),  # far from every assembly: synthetic, or unlisted
        ({"contig_7": 3_000}, logging.INFO),  # no known name
    ],
)
def test_the_reference_step_warns_of_a_near_miss_only(tmp_path, caplog, lengths, level):
    from epibench.cli import main

    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{name}\n{'ACGT' * (n // 4)}{'A' * (n % 4)}\n" for name, n in lengths.items()))
    with caplog.at_level(logging.INFO, logger="epibench"):
        assert main(["reference", "--fasta", str(fasta), "--out-dir", str(tmp_path / "ref")]) == 0
    said = [record for record in caplog.records if record.getMessage().startswith(f"reference {fasta}: ")]
    assert [record.levelno for record in said] == [level]
