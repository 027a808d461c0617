"""Which transcripts of the gene models count, by gene and transcript type
(epibench.io.gene_models: ``keep_types``, ``skip_types``; config regions.gene_types,
regions.skip_gene_types): transposable-element genes left out by default, a chosen type kept.

Real files: GENCODE's GTF excerpt (tests/data/gencode_human.gtf.gz) and GFF3 excerpt
(tests/data/real_formats/gencode_v28_chr1_excerpt.gff3); the expected transcripts are picked
here from the files' own attributes with plain Python. Rows quoted from TAIR9's GFF3
(TAIR9_GFF3_genes_transposons.gff, The Arabidopsis Information Resource) and Ensembl's
Drosophila GTF (FlyBase's transposon insertions as genes of biotype transposable_element).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pandas as pd
import pytest

from epibench.cli import main
from epibench.codes import REGION_CLASSES
from epibench.errors import InputError
from epibench.io.gene_models import transcripts_from_gtf
from text_files import write_lines

DATA = Path(__file__).parent / "data"
GENCODE_GTF = DATA / "gencode_human.gtf.gz"
GENCODE_GFF3 = DATA / "real_formats" / "gencode_v28_chr1_excerpt.gff3"

TAIR9_ROWS = [
    "Chr1\tTAIR9\tgene\t33666\t37780\t.\t-\t.\tID=AT1G01060;Note=protein_coding_gene;Name=AT1G01060",
    "Chr1\tTAIR9\tmRNA\t33666\t37780\t.\t-\t.\tID=AT1G01060.4;Parent=AT1G01060;Name=AT1G01060.4;Index=1",
    "Chr1\tTAIR9\texon\t37569\t37780\t.\t-\t.\tParent=AT1G01060.4",
    "Chr1\tTAIR9\tCDS\t33992\t34327\t.\t-\t0\tParent=AT1G01060.4,AT1G01060.4-Protein;",
    "Chr1\tTAIR9\texon\t33666\t34327\t.\t-\t.\tParent=AT1G01060.4",
    "Chr1\tTAIR9\ttransposable_element_gene\t846664\t847739\t.\t+\t.\tID=AT1G03420;Note=transposable_element_gene;"
    "Name=AT1G03420;Derives_from=AT1TE02770",
    "Chr1\tTAIR9\tmRNA_TE_gene\t846664\t847739\t.\t+\t.\tID=AT1G03420.1;Parent=AT1G03420;Name=AT1G03420.1;Index=1",
    "Chr1\tTAIR9\texon\t846664\t847739\t.\t+\t.\tParent=AT1G03420.1",
    "Chr1\tTAIR9\tpseudogene\t402693\t402961\t.\t-\t.\tID=AT1G02136;Note=pseudogene;Name=AT1G02136",
    "Chr1\tTAIR9\tpseudogenic_transcript\t402693\t402961\t.\t-\t.\tID=AT1G02136.1;Parent=AT1G02136;"
    "Name=AT1G02136.1;Index=1",
    "Chr1\tTAIR9\tpseudogenic_exon\t402886\t402961\t.\t-\t.\tParent=AT1G02136.1",
    "Chr1\tTAIR9\tpseudogenic_exon\t402693\t402808\t.\t-\t.\tParent=AT1G02136.1",
    "Chr1\tTAIR9\tgene\t2538076\t2538237\t.\t-\t.\tID=AT1G08115;Note=snRNA;Name=AT1G08115",
    "Chr1\tTAIR9\tsnRNA\t2538076\t2538237\t.\t-\t.\tID=AT1G08115.1;Parent=AT1G08115;Name=AT1G08115.1;Index=1",
    "Chr1\tTAIR9\texon\t2538076\t2538237\t.\t-\t.\tParent=AT1G08115.1",
]

# an exon-only Ensembl GTF: the TE insertion's row as Ensembl writes it, a gene of biotype protein_coding
ENSEMBL_FLY_ROWS = [
    '4\tFlyBase\texon\t213385\t213449\t.\t+\t.\tgene_id "FBti0063548"; transcript_id "FBti0063548-RA"; '
    'exon_number "1"; gene_source "FlyBase"; gene_biotype "transposable_element"; transcript_source '
    '"FlyBase"; transcript_biotype "transposable_element"; exon_id "FBti0063548-RA-E1"; tag "Ensembl_canonical";',
    '4\tFlyBase\texon\t69326\t70494\t.\t+\t.\tgene_id "FBgn0266617"; transcript_id "FBtr0344900"; '
    'exon_number "1"; gene_source "FlyBase"; gene_biotype "protein_coding"; transcript_biotype "protein_coding";',
]


def ids(table) -> set[str]:
    return set(table["transcript_id"])


def test_a_tair_transposable_element_gene_is_left_out_by_default(tmp_path):
    path = write_lines(tmp_path / "tair9.gff", TAIR9_ROWS)
    assert ids(transcripts_from_gtf(path)) == {"AT1G01060.4", "AT1G08115.1", "AT1G02136.1"}
    every = transcripts_from_gtf(path, skip_types=())
    assert ids(every) == {"AT1G01060.4", "AT1G08115.1", "AT1G03420.1", "AT1G02136.1"}
    te = every[every["transcript_id"] == "AT1G03420.1"].iloc[0]
    assert (te.chrom, te.start, te.end, te.strand, te.gene_id) == ("Chr1", 846663, 847739, "+", "AT1G03420")


def test_a_tair_pseudogene_is_read_from_its_pseudogenic_exons_and_can_be_skipped(tmp_path):
    path = write_lines(tmp_path / "tair9.gff", TAIR9_ROWS)
    pseudo = transcripts_from_gtf(path).set_index("transcript_id").loc["AT1G02136.1"]
    assert (pseudo.chrom, pseudo.start, pseudo.end, pseudo.strand) == ("Chr1", 402692, 402961, "-")
    skipped = transcripts_from_gtf(path, skip_types=["pseudogene", "transposable_element_gene"])
    assert ids(skipped) == {"AT1G01060.4", "AT1G08115.1"}


def test_an_ensembl_transposable_element_biotype_is_left_out_in_an_exon_only_gtf(tmp_path):
    path = write_lines(tmp_path / "fly.gtf", ENSEMBL_FLY_ROWS)
    assert ids(transcripts_from_gtf(path)) == {"FBtr0344900"}
    assert ids(transcripts_from_gtf(path, keep_types=["transposable_element"], skip_types=())) == {
        "FBti0063548-RA"
    }


def gencode_types(path: Path) -> dict[str, set[str]]:
    """transcript_id -> its gene_type and transcript_type, from the file's transcript rows."""
    opener = gzip.open if path.suffix == ".gz" else open
    found = {}
    with opener(path, "rt") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 9 and fields[2] == "transcript":
                tid = re.search(r'transcript_id[ =]"?([^";]+)', fields[8]).group(1)
                found[tid] = set(re.findall(r'(?:gene|transcript)_type[ =]"?([^";]+)', fields[8]))
    return found


@pytest.mark.parametrize("path", [GENCODE_GTF, GENCODE_GFF3], ids=["gtf", "gff3"])
def test_gencode_transcripts_of_a_chosen_gene_type(path):
    types = gencode_types(path)
    coding = {tid for tid, of in types.items() if "protein_coding" in of}
    assert 0 < len(coding) < len(types)
    assert ids(transcripts_from_gtf(path, keep_types=["protein_coding"])) == coding
    assert ids(transcripts_from_gtf(path)) == set(types)  # no transposable elements: all kept
    pseudo = {tid for tid, of in types.items() if "unprocessed_pseudogene" in of}
    left = ids(transcripts_from_gtf(path, skip_types=["unprocessed_pseudogene"]))
    assert pseudo and left == set(types) - pseudo


def test_a_type_to_keep_that_no_transcript_has_names_the_types_there_are():
    with pytest.raises(InputError) as info:
        transcripts_from_gtf(GENCODE_GFF3, keep_types=["protein-coding"])
    message = str(info.value)
    assert "regions.gene_types" in message and "protein_coding: " in message and "lincrna: " in message


def test_types_to_keep_need_a_file_that_names_types(tmp_path):
    bed = write_lines(tmp_path / "genes.bed", ["chr1\t100\t900\tNM_1\t0\t+"])
    assert len(transcripts_from_gtf(bed)) == 1
    with pytest.raises(InputError, match="names no types"):
        transcripts_from_gtf(bed, keep_types=["protein_coding"])


def test_the_regions_command_leaves_transposable_element_genes_out_of_promoters(tmp_path):
    """Through ``epibench regions``: the TE gene's CpGs are intergenic by default, promoter and
    gene body with ``--skip-gene-types`` given no types."""
    te_start = 846663  # 0-based start of AT1G03420: a CpG at its TSS, one inside its body
    seq = ["A"] * 848_000
    for pos in (te_start, te_start + 600):
        seq[pos : pos + 2] = "CG"
    fasta = tmp_path / "chr1.fa"
    text = "".join(seq)
    fasta.write_text(">Chr1\n" + "\n".join(text[i : i + 60] for i in range(0, len(text), 60)) + "\n")
    ref = tmp_path / "ref"
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(ref)]) == 0
    gff = write_lines(tmp_path / "tair9.gff", TAIR9_ROWS)

    def regions(*extra: str) -> dict[int, str]:
        out = tmp_path / f"regions{len(extra)}.parquet"
        args = ["regions", "--reference", str(ref / "genome.fa"), "--gtf", str(gff), *extra]
        assert main([*args, "--out", str(out), "--summary", str(tmp_path / "summary.tsv")]) == 0
        table = pd.read_parquet(out)
        return {int(p): REGION_CLASSES[r] for p, r in zip(table["pos"], table["region"])}

    assert regions() == {te_start: "intergenic", te_start + 600: "intergenic"}
    assert regions("--skip-gene-types") == {te_start: "promoter", te_start + 600: "gene_body"}
