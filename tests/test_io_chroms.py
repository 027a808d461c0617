"""Chromosome-name harmonisation (epibench.io.chroms)."""

from epibench.io.chroms import harmonisation_table, harmonise, listed, organelles, renamed_and_dropped


def test_ucsc_and_ensembl_spellings_meet():
    ref = ["chr1", "chr2", "chrX", "chrM"]
    got = harmonise(["1", "chr2", "X", "MT", "GL000220.1"], ref)
    assert got == {"1": "chr1", "chr2": "chr2", "X": "chrX", "MT": "chrM", "GL000220.1": None}


def test_ensembl_reference_from_ucsc_file():
    got = harmonise(["chr1", "chrM", "chrY"], ["1", "MT", "X"])
    assert got == {"chr1": "1", "chrM": "MT", "chrY": None}


def test_ensembl_yeast_mitochondrion_meets_ucsc_sacCer3():
    # Ensembl R64 names it Mito, UCSC sacCer3 chrM; chromosomes are roman numerals in both (I / chrI)
    assert harmonise(["Mito", "XVI", "chrIV"], ["chrM", "chrXVI", "IV"]) == {
        "Mito": "chrM",
        "XVI": "chrXVI",
        "chrIV": "IV",
    }


def test_tair_and_ensembl_plants_arabidopsis_names_meet():
    # TAIR10: Chr1..Chr5, ChrC, ChrM; Ensembl Plants: 1..5, Pt, Mt
    tair = ["Chr1", "Chr5", "ChrC", "ChrM"]
    assert harmonise(["1", "5", "Pt", "Mt"], tair) == {"1": "Chr1", "5": "Chr5", "Pt": "ChrC", "Mt": "ChrM"}
    table = harmonisation_table(tair, {"calls": ["Pt", "Mt"]})
    assert table["reason"].tolist() == [
        "'chr' prefix added, chloroplast Pt -> C",
        "'chr' prefix added, mitochondrion Mt -> M",
    ]


def test_rice_names_with_leading_zeros_meet_msu_and_ensembl_plants_names():
    # IRGSP-1.0 (RAP-DB): chr01..chr12; MSU7 (the same sequence): Chr1..Chr12; Ensembl Plants: 1..12
    irgsp = ["chr01", "chr02", "chr10", "chr12", "ChrC", "ChrM"]
    assert harmonise(["Chr1", "Chr10", "2", "12", "chr12"], irgsp) == {
        "Chr1": "chr01",
        "Chr10": "chr10",
        "2": "chr02",
        "12": "chr12",
        "chr12": "chr12",
    }
    assert harmonise(["chr01", "Chr01"], ["1", "10"]) == {"chr01": "1", "Chr01": "1"}
    assert harmonise(["chr10", "100"], ["chr1", "chr01", "chr010"]) == {"chr10": "chr010", "100": None}
    table = harmonisation_table(irgsp, {"calls": ["Chr1", "2"]})
    assert table["reason"].tolist() == ["leading zeros 1 -> 01", "'chr' prefix added, leading zeros 2 -> 02"]


def test_listed_names_the_first_and_counts_the_rest():
    names = [f"scaffold_{i}" for i in range(25)]
    assert listed(names) == ", ".join(names[:10]) + ", ... (25 in all)"
    assert listed(names[:3]) == "scaffold_0, scaffold_1, scaffold_2" and listed([]) == "none"
    assert listed({"chrUn_x": 7, "chrUn_y": 2}, 1) == "chrUn_x: 7, ... (2 in all)"


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


def test_genbank_accessions_meet_ucsc_ensembl_and_refseq_names():
    """NCBI's GCA_ downloads (GRCh38 GCA_000001405, GRCm39 GCA_000001635) name chromosomes by GenBank
    accession: CM000663.2 is human chr1, CM000684.2 chr22, CM000685.2/CM000686.2 X/Y, J01415.2
    the mitochondrion; CM000994.3 is mouse chr1, CM001012 chr19, CM001013/CM001014 X/Y,
    AY172335.1 the mitochondrion (accessions as listed in NCBI's assembly reports)."""
    human = ["CM000663.2", "CM000684.2", "CM000685.2", "CM000686.2", "J01415.2"]
    assert harmonise(human, ["chr1", "chr22", "chrX", "chrY", "chrM"]) == dict(
        zip(human, ["chr1", "chr22", "chrX", "chrY", "chrM"])
    )
    assert harmonise(human, ["NC_000001.11", "22", "NC_000023.11", "Y", "NC_012920.1"]) == dict(
        zip(human, ["NC_000001.11", "22", "NC_000023.11", "Y", "NC_012920.1"])
    )
    mouse = ["CM000994.3", "CM001012.3", "CM001013.3", "CM001014.3", "AY172335.1"]
    assert harmonise(mouse, ["1", "19", "X", "Y", "MT"]) == dict(zip(mouse, ["1", "19", "X", "Y", "MT"]))
    # unplaced scaffolds and other organisms' accessions meet nothing
    assert harmonise(["KI270728.1", "CM000687.1", "CM116119.1"], ["chr1", "chrY"]) == dict.fromkeys(
        ["KI270728.1", "CM000687.1", "CM116119.1"]
    )


def test_t2t_chm13_accessions_meet_ucsc_names():
    """T2T-CHM13v2.0 (UCSC hs1 names its sequences chr1..chrM; NCBI's GCF_009914755.1 RefSeq
    annotation and GCA_009914755.4 FASTA name them by accession): RefSeq NC_060925.1 is chr1,
    NC_060946.1 chr22, NC_060947.1/NC_060948.1 X/Y, the mitochondrion NC_012920.1 (rCRS);
    GenBank CP068277.2 is chr1, counting down to CP068256.2 chr22, CP068255.2 X, CP086569.2 Y,
    CP068254.1 the mitochondrion (NCBI's assembly report of T2T-CHM13v2.0)."""
    ucsc = ["chr1", "chr2", "chr21", "chr22", "chrX", "chrY", "chrM"]
    refseq = [
        "NC_060925.1",
        "NC_060926.1",
        "NC_060945.1",
        "NC_060946.1",
        "NC_060947.1",
        "NC_060948.1",
        "NC_012920.1",
    ]
    genbank = [
        "CP068277.2",
        "CP068276.2",
        "CP068257.2",
        "CP068256.2",
        "CP068255.2",
        "CP086569.2",
        "CP068254.1",
    ]
    assert harmonise(refseq, ucsc) == dict(zip(refseq, ucsc))
    assert harmonise(genbank, ucsc) == dict(zip(genbank, ucsc))
    assert harmonise(ucsc, genbank) == dict(zip(ucsc, genbank))
    # the accessions around T2T's are not chromosomes of it
    assert harmonise(["NC_060949.1", "CP068278.2", "CP068253.1"], ucsc) == dict.fromkeys(
        ["NC_060949.1", "CP068278.2", "CP068253.1"]
    )


def test_scaffold_names_of_ucsc_meet_their_genbank_accessions():
    """UCSC spells the unplaced, unlocalised and alternative scaffolds after their GenBank accession
    (hg38 chrUn_KI270302v1, chr1_KI270706v1_random, chr1_KI270762v1_alt; hg19 chr1_gl000191_random;
    mm10 chr1_GL456210_random, chrUn_JH584304), Ensembl and GENCODE by the accession itself
    (KI270302.1, GL000191.1)."""
    hg38 = ["chr1", "chrUn_KI270302v1", "chr1_KI270706v1_random", "chr1_KI270762v1_alt", "chrM"]
    ensembl = ["1", "KI270302.1", "KI270706.1", "KI270762.1", "MT"]
    assert harmonise(ensembl, hg38) == dict(zip(ensembl, hg38))
    assert harmonise(hg38, ensembl) == dict(zip(hg38, ensembl))
    older = ["chr1_gl000191_random", "chr1_GL456210_random", "chrUn_JH584304"]
    assert harmonise(["GL000191.1", "GL456210.1", "JH584304.1"], older) == dict(
        zip(["GL000191.1", "GL456210.1", "JH584304.1"], older)
    )
    # another scaffold, or a decoy, meets nothing
    assert harmonise(["KI270303.1", "chrUn_JTFH01000001v1_decoy"], hg38) == dict.fromkeys(
        ["KI270303.1", "chrUn_JTFH01000001v1_decoy"]
    )
    table = harmonisation_table(hg38, {"gtf": ["KI270302.1"]})
    assert table.loc[0, "action"] == "renamed" and table.loc[0, "reason"].startswith("scaffold KI270302.1")


def test_flybase_and_wormbase_mitochondria_meet_ucsc_chrm():
    # FlyBase's (and Ensembl's BDGP6) mitochondrion_genome is dm6's chrM; WormBase's MtDNA is ce11's
    assert harmonise(["chrM", "chr2L", "chrX"], ["2L", "X", "mitochondrion_genome"]) == {
        "chrM": "mitochondrion_genome",
        "chr2L": "2L",
        "chrX": "X",
    }
    assert harmonise(["MtDNA", "I"], ["chrI", "chrM"]) == {"MtDNA": "chrM", "I": "chrI"}


def test_organelles_of_other_genomes_are_known_by_their_names():
    """FlyBase, WormBase, SGD and PlasmoDB name their organelles otherwise than UCSC and Ensembl; a
    nuclear PlasmoDB chromosome (Pf3D7_01_v3) or a one-letter name is none."""
    names = ["2L", "mitochondrion_genome", "MtDNA", "chrmt", "Pf3D7_01_v3", "Pf3D7_MIT_v3", "Pf3D7_API_v3"]
    assert organelles([*names, "M", "C", "chloroplast"]) == {
        "mitochondrion_genome": "mitochondrion",
        "MtDNA": "mitochondrion",
        "chrmt": "mitochondrion",
        "Pf3D7_MIT_v3": "mitochondrion",
        "Pf3D7_API_v3": "plastid",
        "chloroplast": "plastid",
    }
