"""Chromosome-name harmonisation (epibench.io.chroms)."""

from epibench.io.chroms import harmonise, renamed_and_dropped


def test_ucsc_and_ensembl_spellings_meet():
    ref = ["chr1", "chr2", "chrX", "chrM"]
    got = harmonise(["1", "chr2", "X", "MT", "GL000220.1"], ref)
    assert got == {"1": "chr1", "chr2": "chr2", "X": "chrX", "MT": "chrM", "GL000220.1": None}


def test_ensembl_reference_from_ucsc_file():
    got = harmonise(["chr1", "chrM", "chrY"], ["1", "MT", "X"])
    assert got == {"chr1": "1", "chrM": "MT", "chrY": None}


def test_exact_match_wins():
    # the reference holds both spellings (odd, but seen): each name keeps its own
    assert harmonise(["1", "chr1"], ["chr1", "1"]) == {"1": "1", "chr1": "chr1"}
    assert harmonise(["1", "chr1"], ["chr1"]) == {"1": "chr1", "chr1": "chr1"}


def test_ambiguous_reference_spellings_match_nothing():
    # the reference holds chrM and MT: a file's "M" could be either
    assert harmonise(["M", "MT"], ["chrM", "MT"]) == {"M": None, "MT": "MT"}


def test_renamed_and_dropped_report():
    mapping = {"1": "chr1", "chr2": "chr2", "Un": None}
    renamed, dropped = renamed_and_dropped(mapping, {"1": 5, "chr2": 3, "Un": 7})
    assert renamed == {"1": "chr1"}
    assert dropped == {"Un": 7}


def test_refseq_accessions_meet_ucsc_and_ensembl_names():
    """NCBI's FASTA and GFF3 name chromosomes by RefSeq accession (GRCh38: NC_000001.11 is chr1,
    NC_000023.11 X, NC_012920.1 the mitochondrion; GRCm39: NC_000067.7 is mouse chr1)."""
    ucsc = ["chr1", "chr22", "chrX", "chrY", "chrM"]
    names = ["NC_000001.11", "NC_000022.11", "NC_000023.11", "NC_000024.10", "NC_012920.1", "NT_187361.1"]
    assert harmonise(names, ucsc) == dict(zip(names, [*ucsc, None]))
    assert harmonise(["1", "chr22", "MT"], names) == {"1": names[0], "chr22": names[1], "MT": names[4]}
    assert harmonise(["NC_000067.7", "NC_000086.8"], ["chr1", "chrX"]) == {
        "NC_000067.7": "chr1",
        "NC_000086.8": "chrX",
    }
    assert harmonise(["NC_999999.1"], ["chr1"]) == {"NC_999999.1": None}  # not a known chromosome
