"""Gene models of non-model organisms (epibench.io.gene_models): AUGUSTUS and BRAKER GTFs, whose
transcript rows carry a bare id, and files without exon rows, read on real files
(tests/data/README.md: BRAKER's test outputs, GENCODE's GFF3); the expected spans are computed
here from the files' own rows with plain Python."""

from __future__ import annotations

import gzip
import logging
import re
from collections import defaultdict
from pathlib import Path

import pytest

from epibench.errors import InputError
from epibench.io.gene_models import transcripts_from_gtf
from text_files import write_lines

REAL = Path(__file__).parent / "data" / "real_formats"
AUGUSTUS = REAL / "braker_test1_augustus.hints.gtf.gz"
BRAKER_2021 = REAL / "braker_2021_test1_braker.gtf.gz"
GENCODE_GFF3 = REAL / "gencode_v28_chr1_excerpt.gff3"
FLYBASE_GFF3 = REAL / "braker_flybase_pseudo.gff3"


def rows_of(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if line.strip() and not line.startswith("#")]


def spans_by_id(rows: list[list[str]], features: set[str]) -> dict[str, tuple]:
    """transcript_id -> (chrom, 0-based start, end, strand) spanned by its rows of ``features``."""
    parts = defaultdict(list)
    for f in rows:
        found = re.search(r'transcript_id "([^"]*)"', f[8])
        if f[2] in features and found:
            parts[found.group(1)].append((f[0], int(f[3]) - 1, int(f[4]), f[6]))
    return {
        tid: (p[0][0], min(s for _, s, _, _ in p), max(e for _, _, e, _ in p), p[0][3])
        for tid, p in parts.items()
    }


def got_spans(path: Path) -> dict[str, tuple]:
    table = transcripts_from_gtf(path)
    assert not table["transcript_id"].duplicated().any()
    return {r.transcript_id: (r.chrom, r.start, r.end, r.strand) for r in table.itertuples()}


def test_an_augustus_gtf_gives_its_transcripts_as_their_bare_rows_span_them():
    """AUGUSTUS writes 'X4 AUGUSTUS transcript 852 1314 0.95 + . g1.t1': the row is skipped, the
    exons of transcript_id "g1.t1" span the transcript, as the bare row does, except for genes
    cut by a contig's end (no start or stop codon), whose bare row reaches the cut."""
    rows = rows_of(AUGUSTUS)
    bare = {f[8]: (f[0], int(f[3]) - 1, int(f[4]), f[6]) for f in rows if f[2] == "transcript"}
    assert len(bare) == 269 and all(" " not in name for name in bare)
    got = got_spans(AUGUSTUS)
    assert got == spans_by_id(rows, {"exon"}) and set(got) == set(bare)
    codons = defaultdict(set)
    for f in rows:
        if f[2] in ("start_codon", "stop_codon"):
            codons[re.search(r'transcript_id "([^"]*)"', f[8]).group(1)].add(f[2])
    differing = [tid for tid in got if got[tid] != bare[tid]]
    assert 0 < len(differing) < 5 and all(len(codons[tid]) < 2 for tid in differing)


def test_a_merged_braker_gtf_with_other_ids_on_its_exons_is_spanned_by_its_exons():
    """BRAKER 2021's braker.gtf: bare rows 'g148.t1', exons of 'file_1_file_1_g148.t1', and more
    transcript ids than transcript rows: every exon transcript id is one transcript."""
    rows = rows_of(BRAKER_2021)
    want = spans_by_id(rows, {"exon"})
    assert len(want) == 296 > sum(f[2] == "transcript" for f in rows)
    assert got_spans(BRAKER_2021) == want


def test_without_exon_rows_cds_and_codon_rows_span_the_transcripts(tmp_path):
    """The AUGUSTUS file with its exon rows taken out: its CDS, intron and start/stop codon rows
    span each transcript."""
    rows = rows_of(AUGUSTUS)
    path = tmp_path / "no_exons.gtf"
    path.write_text("".join("\t".join(f) + "\n" for f in rows if f[2] != "exon"))
    want = spans_by_id(rows, {"CDS", "intron", "start_codon", "stop_codon"})
    assert len(want) == 269 and got_spans(path) == want


def test_a_gtf_with_transcript_rows_for_some_transcripts_only_keeps_the_others_from_their_exons(tmp_path):
    """A transcript row's own span wins; a transcript with exons and no row of its own is not lost."""
    rows = rows_of(AUGUSTUS)
    exons = [f for f in rows if f[2] == "exon"]
    first, second = exons[0], next(f for f in exons if f[8] != exons[0][8])
    tid = re.search(r'transcript_id "([^"]*)"', first[8]).group(1)
    own_row = [first[0], "test", "transcript", "100", "90000", ".", first[6], ".", first[8]]
    path = tmp_path / "mixed.gtf"
    path.write_text("".join("\t".join(f) + "\n" for f in [own_row, first, second]))
    got = got_spans(path)
    assert got[tid] == (first[0], 99, 90000, first[6])
    other = re.search(r'transcript_id "([^"]*)"', second[8]).group(1)
    assert got[other] == (second[0], int(second[3]) - 1, int(second[4]), second[6])


def test_a_gff3_without_exon_rows_takes_the_transcripts_its_cds_and_utr_rows_name(tmp_path):
    """GENCODE's GFF3 with its exons taken out: the coding transcripts (Parent of CDS, UTR and
    codon rows) keep the spans of their own rows; the non-coding ones, with exons only, are gone."""
    text = GENCODE_GFF3.read_text().splitlines()
    path = tmp_path / "no_exons.gff3"
    path.write_text("\n".join(line for line in text if line.split("\t")[2:3] != ["exon"]) + "\n")
    rows = rows_of(GENCODE_GFF3)
    parts = {"CDS", "five_prime_UTR", "three_prime_UTR", "start_codon", "stop_codon", "UTR"}
    coding = {re.search(r"Parent=([^;]*)", f[8]).group(1) for f in rows if f[2] in parts}
    transcripts = {
        re.search(r"ID=([^;]*)", f[8]).group(1): (f[0], int(f[3]) - 1, int(f[4]), f[6])
        for f in rows
        if f[2] == "transcript"
    }
    assert coding and coding < set(transcripts)
    assert got_spans(path) == {tid: transcripts[tid] for tid in coding}


def test_a_gene_level_annotation_has_its_gene_rows_stand_in_for_transcripts(tmp_path, caplog):
    """AUGUSTUS's gene rows alone (bare ids: g1) and GENCODE's GFF3 gene rows alone: one transcript
    per gene, its row's span (a promoter at each gene's start), with a warning; a file with none of
    these rows either is refused by name."""
    augustus = [f for f in rows_of(AUGUSTUS) if f[2] == "gene"]
    gencode = [f for f in rows_of(GENCODE_GFF3) if f[2] == "gene"]
    for name, rows, key in (("genes.gtf", augustus, None), ("genes.gff3", gencode, "ID")):
        path = tmp_path / name
        path.write_text("".join("\t".join(f) + "\n" for f in rows))
        want = {
            (f[8].strip() if key is None else re.search(r"ID=([^;]*)", f[8]).group(1)): (
                f[0],
                int(f[3]) - 1,
                int(f[4]),
                f[6],
            )
            for f in rows
        }
        with caplog.at_level(logging.WARNING, logger="epibench.io.gene_models"):
            assert got_spans(path) == want and len(want) >= 10
        assert f"its {len(rows)} gene rows stand in for transcripts" in caplog.text
    path = tmp_path / "sources.gtf"
    path.write_text("".join("\t".join([*f[:2], "source", *f[3:]]) + "\n" for f in augustus))
    with pytest.raises(InputError, match="no transcript or exon rows"):
        transcripts_from_gtf(path)


def test_a_flybase_gff3_of_pseudogenes_gives_the_pseudogene_rows_its_exons_name():
    """FlyBase writes these transcripts as 'pseudogene' rows (no ##gff-version line; attributes
    key=value; exons shared by several transcripts): whatever the feature, the rows exons name as
    Parent are the transcripts, each with its own span and its own Parent as gene."""
    rows = rows_of(FLYBASE_GFF3)
    named = {  # an exon shared by transcripts names them all: Parent=FBtr0334741,FBtr0302396
        parent
        for f in rows
        if f[2] == "exon"
        for parent in re.search(r"Parent=([^;]*)", f[8]).group(1).split(",")
    }
    want = {
        re.search(r"ID=([^;]*)", f[8]).group(1): (f[0], int(f[3]) - 1, int(f[4]), f[6])
        for f in rows
        if f[2] == "pseudogene"
    }
    assert len(want) == 51 and set(want) == named
    assert got_spans(FLYBASE_GFF3) == want
    genes = {
        re.search(r"ID=([^;]*)", f[8]).group(1): re.search(r"Parent=([^;]*)", f[8]).group(1)
        for f in rows
        if f[2] == "pseudogene"
    }
    table = transcripts_from_gtf(FLYBASE_GFF3)
    assert dict(zip(table["transcript_id"], table["gene_id"])) == genes


# NCBI RefSeq GTF rows as NCBI's GCF_ downloads write them, quoted in public notes on those files:
# HHV-8's (NC_009333.1, in CCBR's notes on fixing RefSeq GTFs for RSEM) and the eastern oyster's
# mitochondrion (NC_007175.2, GCF_002022765.2, in the Roberts lab's nf-core/rnaseq notes).
NCBI_UNNAMED_EXONS = [
    'NC_009333.1\tRefSeq\texon\t118075\t118097\t.\t-\t.\tgene_id ""; transcript_id "unknown_transcript_1"; '
    'gbkey "misc_RNA"; product "miR-K10"; exon_number "1";',
    'NC_009333.1\tRefSeq\texon\t127997\t129368\t.\t+\t.\tgene_id ""; transcript_id "unknown_transcript_1"; '
    'gbkey "mRNA"; note "K14, ORF74; polyA_site not reported"; exon_number "1";',
    'NC_009333.1\tRefSeq\texon\t129517\t130671\t.\t+\t.\tgene_id ""; transcript_id "unknown_transcript_1"; '
    'gbkey "mRNA"; note "K14, ORF74; polyA_site not reported"; exon_number "2";',
    'NC_007175.2\tRefSeq\texon\t3430\t3495\t.\t+\t.\tgene_id ""; transcript_id "unknown_transcript_1"; '
    'anticodon "(pos:3461..3463)"; gbkey "tRNA"; product "tRNA-Ile"; exon_number "1";',
    'NC_007175.2\tRefSeq\texon\t15892\t15957\t.\t+\t.\tgene_id ""; transcript_id "unknown_transcript_1"; '
    'anticodon "(pos:15923..15925)"; gbkey "tRNA"; product "tRNA-Ala"; exon_number "1";',
]


def spans(table) -> list[tuple]:
    return sorted(table[["chrom", "start", "end", "strand"]].itertuples(index=False, name=None))


def test_ncbi_features_sharing_unknown_transcript_1_stay_apart(tmp_path):
    """Two tRNAs 12 kb apart are two transcripts (one span over both before), a two-exon RNA one."""
    gtf = tmp_path / "GCF_genomic.gtf"
    gtf.write_text("#gtf-version 2.2\n" + "\n".join(NCBI_UNNAMED_EXONS) + "\n")
    assert spans(transcripts_from_gtf(gtf)) == [
        ("NC_007175.2", 3429, 3495, "+"),
        ("NC_007175.2", 15891, 15957, "+"),
        ("NC_009333.1", 118074, 118097, "-"),
        ("NC_009333.1", 127996, 130671, "+"),
    ]


def test_the_log_counts_the_unknown_transcript_1_rows_used_not_the_cds_rows_dropped(tmp_path, caplog):
    """A CDS row read before the first exon row waits in case the file has none; once exons come it
    is dropped, and the count of unknown_transcript_1 rows logged is the exons' (5), not 6."""
    cds = NCBI_UNNAMED_EXONS[1].replace("\texon\t", "\tCDS\t").replace("\t.\tgene_id", "\t0\tgene_id")
    gtf = tmp_path / "GCF_genomic.gtf"
    gtf.write_text("\n".join([cds, *NCBI_UNNAMED_EXONS]) + "\n")
    with caplog.at_level(logging.INFO, logger="epibench.io.gene_models"):
        transcripts_from_gtf(gtf)
    assert "5 rows with NCBI's shared transcript_id unknown_transcript_1" in caplog.text


def test_ncbi_cds_rows_of_unknown_transcript_1_make_one_transcript_per_gene(tmp_path):
    """HHV-8's ORF6 rows as NCBI writes them (CDS and codons, no exon row), and ORF11's with their
    transcript_id replaced by unknown_transcript_1 as NCBI writes it for genes without an mRNA:
    one transcript each, not one span from ORF6 to ORF11."""
    orf6 = 'gene_id "HHV8GK18_gp03"; transcript_id "unknown_transcript_1"; gbkey "CDS"; gene "ORF6";'
    orf11 = 'gene_id "HHV8GK18_gp08"; transcript_id "unknown_transcript_1"; gbkey "CDS"; gene "ORF11";'
    rows = [
        ("gene", 3179, 17026, "0", 'gene_id "HHV8GK18_gp03"; gbkey "Gene"; gene "ORF6";'),
        ("CDS", 3179, 6574, "0", orf6),
        ("start_codon", 3179, 3181, "0", orf6),
        ("stop_codon", 6575, 6577, "0", orf6),
        ("CDS", 15756, 16976, "0", orf11),
        ("start_codon", 15756, 15758, "0", orf11),
        ("stop_codon", 16977, 16979, "0", orf11),
    ]
    gtf = tmp_path / "hhv8.gtf"
    gtf.write_text("".join(f"NC_009333.1\tRefSeq\t{f}\t{s}\t{e}\t.\t+\t{p}\t{a}\n" for f, s, e, p, a in rows))
    table = transcripts_from_gtf(gtf)
    assert spans(table) == [("NC_009333.1", 3178, 6577, "+"), ("NC_009333.1", 15755, 16979, "+")]
    assert sorted(table["gene_id"]) == ["HHV8GK18_gp03", "HHV8GK18_gp08"]


def test_ncbi_genes_without_an_mrna_count_in_a_file_with_exon_rows(tmp_path):
    """A gene NCBI gives only CDS and codon rows of unknown_transcript_1 (a mitochondrial protein's,
    or HHV-8's ORF6 here) is a transcript even where other genes have exon rows; the exons' own
    transcripts are as without it."""
    orf6 = 'gene_id "HHV8GK18_gp03"; transcript_id "unknown_transcript_1"; gbkey "CDS"; gene "ORF6";'
    rows = [
        f"NC_009333.1\tRefSeq\t{feature}\t{start}\t{end}\t.\t+\t0\t{orf6}"
        for feature, start, end in (
            ("CDS", 3179, 6574),
            ("start_codon", 3179, 3181),
            ("stop_codon", 6575, 6577),
        )
    ]
    gtf = tmp_path / "GCF_genomic.gtf"
    gtf.write_text("\n".join([*NCBI_UNNAMED_EXONS, *rows]) + "\n")
    table = transcripts_from_gtf(gtf)
    assert ("NC_009333.1", 3178, 6577, "+") in spans(table)
    assert len(table) == 5 and "HHV8GK18_gp03" in set(table["gene_id"])
    exons_only = tmp_path / "exons.gtf"
    exons_only.write_text("\n".join(NCBI_UNNAMED_EXONS) + "\n")
    assert sorted(set(spans(table)) - {("NC_009333.1", 3178, 6577, "+")}) == spans(
        transcripts_from_gtf(exons_only)
    )


# NCBI RefSeq GFF3 (GCF_000002035.6_GRCz11_genomic.gff layout): a nuclear gene -> mRNA -> exon/CDS
# chain, and the mitochondrion's protein genes as NCBI writes them, a CDS whose Parent is the gene
NCBI_GFF3 = [
    "##gff-version 3",
    "##sequence-region NC_007112.7 1 240000",
    "NC_007112.7\tRefSeq\tregion\t1\t240000\t.\t+\t.\tID=NC_007112.7:1..240000;Dbxref=taxon:7955;"
    "Name=1;chromosome=1;gbkey=Src;genome=chromosome;mol_type=genomic DNA",
    "NC_007112.7\tGnomon\tgene\t1617\t7783\t.\t+\t.\tID=gene-zgc:1;Dbxref=GeneID:1;Name=zgc:1;"
    "description=zinc finger protein%2C like;gbkey=Gene;gene=zgc:1;gene_biotype=protein_coding",
    "NC_007112.7\tGnomon\tmRNA\t1617\t7783\t.\t+\t.\tID=rna-XM_1.1;Parent=gene-zgc:1;gbkey=mRNA",
    "NC_007112.7\tGnomon\texon\t1617\t1802\t.\t+\t.\tID=exon-XM_1.1-1;Parent=rna-XM_1.1;gbkey=mRNA",
    "NC_007112.7\tGnomon\texon\t7124\t7783\t.\t+\t.\tID=exon-XM_1.1-2;Parent=rna-XM_1.1;gbkey=mRNA",
    "NC_007112.7\tGnomon\tCDS\t1677\t1802\t.\t+\t0\tID=cds-XP_1.1;Parent=rna-XM_1.1;gbkey=CDS",
    "NC_002333.2\tRefSeq\tgene\t2780\t3754\t.\t+\t.\tID=gene-mt-nd1;Dbxref=GeneID:140539;Name=mt-nd1;"
    "gbkey=Gene;gene=mt-nd1;gene_biotype=protein_coding",
    "NC_002333.2\tRefSeq\tCDS\t2780\t3754\t.\t+\t0\tID=cds-NP_059331.1;Parent=gene-mt-nd1;"
    "gbkey=CDS;gene=mt-nd1;product=NADH dehydrogenase subunit 1;transl_table=2",
    "NC_002333.2\tRefSeq\tgene\t13749\t14270\t.\t-\t.\tID=gene-mt-nd6;Dbxref=GeneID:140541;"
    "Name=mt-nd6;gbkey=Gene;gene=mt-nd6;gene_biotype=protein_coding",
    "NC_002333.2\tRefSeq\tCDS\t13749\t14270\t.\t-\t0\tID=cds-NP_059333.1;Parent=gene-mt-nd6;"
    "gbkey=CDS;gene=mt-nd6;transl_table=2",
]


def test_ncbi_gff3_mitochondrial_genes_of_cds_rows_under_the_gene_count_beside_exon_rows(tmp_path):
    """NCBI's GFF3 gives a mitochondrial protein gene no mRNA and no exon: its CDS names the gene as
    Parent. Such a gene is a transcript (the gene's span) even where other genes have exon rows; the
    mRNA's CDS rows add nothing beside its exons."""
    gff = tmp_path / "GCF_genomic.gff"
    gff.write_text("\n".join(NCBI_GFF3) + "\n")
    table = transcripts_from_gtf(gff, keep_types=["protein_coding"])
    got = zip(table["transcript_id"], table["chrom"], table["start"], table["end"], table["strand"])
    assert sorted((tid, tuple(span)) for tid, *span in got) == [
        ("gene-mt-nd1", ("NC_002333.2", 2779, 3754, "+")),
        ("gene-mt-nd6", ("NC_002333.2", 13748, 14270, "-")),
        ("rna-XM_1.1", ("NC_007112.7", 1616, 7783, "+")),
    ]
    without_exons = tmp_path / "no_exons.gff"
    without_exons.write_text("\n".join(line for line in NCBI_GFF3 if "\texon\t" not in line) + "\n")
    assert sorted(transcripts_from_gtf(without_exons)["transcript_id"]) == [
        "gene-mt-nd1",
        "gene-mt-nd6",
        "rna-XM_1.1",
    ], "without exon rows the CDS rows span their transcripts, each gene's once"


# JGI Mycocosm's GeneCatalog GFF2, as its converters read it (mycotools' gff2Comps: name "...",
# transcriptId N, proteinId N): two transcripts of one gene, a one-exon gene on the - strand
JGI_ROWS = [
    'scaffold_1\tJGI\texon\t1001\t1200\t.\t+\t.\tname "fgenesh1_pg.1_#_1"; transcriptId 5001',
    'scaffold_1\tJGI\tCDS\t1051\t1200\t.\t+\t0\tname "fgenesh1_pg.1_#_1"; proteinId 4001; exonNumber 1',
    'scaffold_1\tJGI\tstart_codon\t1051\t1053\t.\t+\t0\tname "fgenesh1_pg.1_#_1"',
    'scaffold_1\tJGI\texon\t1301\t1650\t.\t+\t.\tname "fgenesh1_pg.1_#_1"; transcriptId 5001',
    'scaffold_1\tJGI\texon\t1101\t1200\t.\t+\t.\tname "fgenesh1_pg.1_#_1"; transcriptId 5002',
    'scaffold_1\tJGI\texon\t1301\t1900\t.\t+\t.\tname "fgenesh1_pg.1_#_1"; transcriptId 5002',
    'scaffold_2\tJGI\texon\t501\t800\t.\t-\t.\tname "e_gw1.2.3.1"; transcriptId 5003',
    'scaffold_2\tJGI\tstop_codon\t501\t503\t.\t-\t0\tname "e_gw1.2.3.1"',
]


def test_a_jgi_mycocosm_gff2_gives_transcripts_by_transcript_id_and_genes_by_name(tmp_path):
    path = tmp_path / "Aspni7_GeneCatalog_genes.gff"
    path.write_text("\n".join(JGI_ROWS) + "\n")
    got = transcripts_from_gtf(path).set_index("transcript_id")
    assert got.loc[:, ["chrom", "start", "end", "strand", "gene_id"]].to_dict("index") == {
        "5001": dict(chrom="scaffold_1", start=1000, end=1650, strand="+", gene_id="fgenesh1_pg.1_#_1"),
        "5002": dict(chrom="scaffold_1", start=1100, end=1900, strand="+", gene_id="fgenesh1_pg.1_#_1"),
        "5003": dict(chrom="scaffold_2", start=500, end=800, strand="-", gene_id="e_gw1.2.3.1"),
    }


@pytest.mark.parametrize("separator", [" ", "; ", " ; "])
def test_unquoted_gff2_transcript_ids_are_read_as_agat_test_files_write_them(tmp_path, separator):
    """AGAT's t/gff_version inputs (GFF1, GFF2, GFF2 with a space before the semicolon): the gene_id
    quoted, the transcript_id not; a gene_name key is not the JGI ``name``."""
    rows = [
        f'scaffold_5\tJGI\texon\t{s}\t{e}\t.\t+\t.\tgene_name "x"{separator}gene_id "e_gw1.5.2.1"{separator}'
        f"transcript_id 335995"
        for s, e in ((442603, 443344), (443530, 443531), (443569, 445653))
    ]
    rows.insert(
        1, f'scaffold_5\tJGI\tCDS\t442603\t443344\t.\t+\t0\tgene_id "e_gw1.5.2.1"{separator}protein_id 1'
    )
    path = write_lines(tmp_path / "gff2.gff", rows)
    got = transcripts_from_gtf(path)
    assert got.values.tolist() == [["scaffold_5", 442602, 445653, "+", "e_gw1.5.2.1", "335995"]]


def test_empty_columns_after_the_attributes_and_rows_without_attributes_are_read(tmp_path):
    """MITOS and TSEBRA end some rows with a tab (10 columns, the last empty); exonerate writes rows of
    8 (no attributes column). Both read as the 9-column rows they stand for."""
    rows = [
        'chrM\tmitos\tgene\t1\t70\t.\t+\t.\tgene_id "trnF";\t',
        'chrM\tmitos\texon\t1\t70\t.\t+\t.\tgene_id "trnF"; transcript_id "trnF.1";\t',
        "chrM\texonerate\tsimilarity\t100\t400\t.\t-\t.",
        'chrM\tmitos\texon\t501\t900\t.\t-\t.\tgene_id "nad1"; transcript_id "nad1.1"',
    ]
    path = write_lines(tmp_path / "mito.gtf", rows)
    got = transcripts_from_gtf(path)
    assert got.values.tolist() == [
        ["chrM", 0, 70, "+", "trnF", "trnF.1"],
        ["chrM", 500, 900, "-", "nad1", "nad1.1"],
    ]


@pytest.mark.parametrize(
    "row",
    [
        'chrM\tmitos\texon\t1\t70\t.\t+\t.\tgene_id "a"; transcript_id "a.1";\tx',  # text after the attributes
        'chrM\tmitos\texon\t1\t70\t.\t+\tgene_id "a"; transcript_id "a.1";',  # the frame missing
        "chrM\tmitos\texon\t1\t70\t.\t+",
    ],
)
def test_other_column_counts_are_still_an_error_at_the_line(tmp_path, row):
    path = tmp_path / "bad.gtf"
    path.write_text('chrM\tm\texon\t101\t170\t.\t+\t.\tgene_id "b"; transcript_id "b.1";\n' + row + "\n")
    with pytest.raises(InputError, match="9 tab-separated columns") as info:
        transcripts_from_gtf(path)
    assert info.value.line == 2


def test_exon_rows_naming_no_transcript_are_skipped_with_a_warning(tmp_path, caplog):
    """One exon without its transcript_id (or, in a GFF3, its Parent) no longer refuses the whole file:
    the file reads as it would without that row, and the warning gives the count and first line."""
    named = 'chr1\tt\texon\t{}\t{}\t.\t+\t.\tgene_id "g{}"; transcript_id "t{}";'
    rows = [
        named.format(1, 50, 1, 1),
        'chr1\tt\texon\t81\t90\t.\t+\t.\tgene_id "g1";',
        named.format(201, 260, 2, 2),
    ]
    with_it, without = tmp_path / "with.gtf", tmp_path / "without.gtf"
    write_lines(with_it, rows)
    write_lines(without, rows[::2])
    with caplog.at_level(logging.WARNING):
        got = transcripts_from_gtf(with_it)
    assert got.equals(transcripts_from_gtf(without))
    assert "1 exon or transcript rows name no transcript" in caplog.text and "line 2" in caplog.text


def test_a_gtf_whose_exons_all_name_no_transcript_is_an_error_at_the_first(tmp_path):
    rows = ['chr1\tt\tgene\t1\t90\t.\t+\t.\tgene_id "g1";'] + [
        f'chr1\tt\texon\t{s}\t{s + 9}\t.\t+\t.\tgene_id "g1";' for s in (1, 81)
    ]
    path = write_lines(tmp_path / "no_ids.gtf", rows)
    with pytest.raises(InputError, match="exon row without a transcript_id") as info:
        transcripts_from_gtf(path)
    assert info.value.line == 2


def test_cds_rows_do_not_stand_in_for_exons_in_a_file_with_exon_rows_that_name_no_transcript(tmp_path):
    """A CDS row read before the exons (kept in case the file has none) is dropped at the first exon
    row, a skipped one included; a gene_name is not JGI's gene ``name``."""
    rows = [
        'chr1\tt\tCDS\t11\t40\t.\t+\t0\tgene_id "g1"; transcript_id "t1";',
        'chr1\tt\texon\t1\t50\t.\t+\t.\tgene_id "g1";',
        'chr1\tt\ttranscript\t201\t260\t.\t-\t.\tgene_name "x"; transcript_id "t2";',
    ]
    path = write_lines(tmp_path / "cds_first.gtf", rows)
    assert transcripts_from_gtf(path).values.tolist() == [["chr1", 200, 260, "-", "", "t2"]]


def ucsc_rows(source: str, chrom: str, strand: str, tid: str, exons: list[tuple[int, int]]) -> list[str]:
    """A transcript as the UCSC Table Browser's GTF output writes it: its rows in one block, exons in
    transcription order, score 0.000000, ``gene_id`` and ``transcript_id`` both the accession."""
    attributes = f'gene_id "{tid}"; transcript_id "{tid}"; '
    ordered = sorted(exons, reverse=strand == "-")
    return [
        f"{chrom}\t{source}\texon\t{start}\t{end}\t0.000000\t{strand}\t.\t{attributes}"
        for start, end in ordered
    ]


@pytest.mark.parametrize("source", ["danRer11_refGene", "hg38_knownGene", "mm10_ncbiRefSeq"])
def test_a_ucsc_transcript_aligned_at_two_loci_of_one_chromosome_is_two_transcripts(tmp_path, source):
    lines = [
        *ucsc_rows(source, "chr1", "-", "NM_001000", [(36801, 37013), (39682, 40096), (42002, 42421)]),
        *ucsc_rows(source, "chr1", "+", "NM_002000", [(60001, 60500), (61001, 61500)]),
        *ucsc_rows(source, "chr1", "-", "NM_001000", [(139901, 140113), (145095, 145521)]),
        *ucsc_rows(source, "chrY", "-", "NM_001000", [(5001, 5213)]),
    ]
    table = transcripts_from_gtf(write_lines(tmp_path / "refGene.gtf", lines))
    spans = {(r.transcript_id, r.chrom, r.start, r.end) for r in table.itertuples()}
    assert spans == {
        ("NM_001000", "chr1", 36800, 42421),
        ("NM_002000", "chr1", 60000, 61500),
        ("NM_001000_dup1", "chr1", 139900, 145521),
        ("NM_001000", "chrY", 5000, 5213),  # another chromosome's copy keeps its id
    }


def test_a_gtf_of_another_source_keeps_one_transcript_per_id_and_chromosome(tmp_path):
    """Elsewhere a transcript's rows may be spread (a file sorted by position): blocks mean nothing."""
    lines = [
        *ucsc_rows("ensembl", "chr1", "+", "T1", [(100, 200)]),
        *ucsc_rows("ensembl", "chr1", "+", "T2", [(150, 400)]),
        *ucsc_rows("ensembl", "chr1", "+", "T1", [(300, 500)]),
    ]
    table = transcripts_from_gtf(write_lines(tmp_path / "sorted.gtf", lines))
    assert {(r.transcript_id, r.start, r.end) for r in table.itertuples()} == {
        ("T1", 99, 500),
        ("T2", 149, 400),
    }
