"""Gene models as BED12 and UCSC genePred/refFlat tables (epibench.io.gene_tables, through
``transcripts_from_gtf`` as the regions stage reads ``reference.gtf``).

Real files (tests/data/real_formats, README there): genomation's RefSeq hg19 chr21 as BED12 and as
the UCSC Table Browser GTF of the same snapshot. The genePred and refFlat rows are UCSC hg19
refGene.txt rows and their refFlat form (the first transcripts of chr1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.gene_tables import gene_table_layout
from epibench.io.gene_models import transcripts_from_gtf

REAL = Path(__file__).parent / "data" / "real_formats"
BED12 = REAL / "genomation_chr21.refseq.hg19.bed"
GTF = REAL / "genomation_chr21.refseq.hg19.gtf.gz"
# UCSC hg19 refGene.txt: bin, name, chrom, strand, txStart, txEnd, cdsStart, cdsEnd, exonCount,
# exonStarts, exonEnds, score, name2, cdsStartStat, cdsEndStat, exonFrames
REFGENE_ROWS = [
    "585\tNR_026818\tchr1\t-\t34610\t36081\t36081\t36081\t3\t34610,35276,35720,\t35174,35481,36081,\t0\tFAM138A\tunk\tunk\t-1,-1,-1,",
    "585\tNM_001005484\tchr1\t+\t69090\t70008\t69090\t70008\t1\t69090,\t70008,\t0\tOR4F5\tcmpl\tcmpl\t0,",
    "587\tNR_028322\tchr1\t+\t323891\t328581\t328581\t328581\t3\t323891,324287,324438,\t324060,324345,328581,\t0\tLOC100132287\tunk\tunk\t-1,-1,-1,",
]
EXPECTED = pd.DataFrame(
    [
        ("chr1", 34610, 36081, "-", "FAM138A", "NR_026818"),
        ("chr1", 69090, 70008, "+", "OR4F5", "NM_001005484"),
        ("chr1", 323891, 328581, "+", "LOC100132287", "NR_028322"),
    ],
    columns=["chrom", "start", "end", "strand", "gene_id", "transcript_id"],
)


def test_a_bed12_of_refseq_gives_one_transcript_per_row():
    assert gene_table_layout(BED12) == "bed"
    got = transcripts_from_gtf(BED12)
    bed = pd.read_csv(BED12, sep="\t", header=None)
    assert len(got) == len(bed) == 571
    assert got["start"].tolist() == bed[1].tolist() and got["end"].tolist() == bed[2].tolist()
    assert got["strand"].tolist() == bed[5].tolist() and got["transcript_id"].tolist() == bed[3].tolist()


def test_the_bed12_and_the_gtf_of_one_refseq_snapshot_agree():
    """Every transcript of the BED12 is in the GTF, and all but two have the very same span."""
    merged = transcripts_from_gtf(BED12).merge(
        transcripts_from_gtf(GTF), on=["transcript_id", "chrom", "strand"], suffixes=("_bed", "_gtf")
    )
    assert len(merged) == 571
    same = (merged["start_bed"] == merged["start_gtf"]) & (merged["end_bed"] == merged["end_gtf"])
    assert same.sum() >= 569


@pytest.mark.parametrize(
    "lines, layout",
    [
        (REFGENE_ROWS, "genepred_bin"),
        ([row.split("\t", 1)[1] for row in REFGENE_ROWS], "genepred"),  # without the bin (genePredExt)
        (  # refFlat: geneName, name, chrom, strand, txStart, txEnd, cdsStart, cdsEnd, exonCount, ...
            ["\t".join([f[12], *f[1:11]]) for f in (row.split("\t") for row in REFGENE_ROWS)],
            "refflat",
        ),
    ],
)
def test_ucsc_genepred_tables_give_their_transcripts(tmp_path, lines, layout):
    path = tmp_path / "genes.txt"
    path.write_text("#bin\tname\tchrom\n" * (layout == "genepred_bin") + "\n".join(lines) + "\n")
    assert gene_table_layout(path) == layout
    got = transcripts_from_gtf(path)
    pd.testing.assert_frame_equal(got, EXPECTED)


def test_a_genepred_without_name2_names_the_gene_by_the_transcript(tmp_path):
    path = tmp_path / "genes.gp"
    path.write_text("\n".join("\t".join(row.split("\t")[1:11]) for row in REFGENE_ROWS) + "\n")
    got = transcripts_from_gtf(path)
    assert got["gene_id"].tolist() == got["transcript_id"].tolist() == EXPECTED["transcript_id"].tolist()


def test_a_row_that_breaks_the_layout_is_named(tmp_path):
    path = tmp_path / "genes.txt"
    path.write_text(REFGENE_ROWS[0] + "\n" + "chr1\t100\t200\tx\t0\t+\n")
    with pytest.raises(InputError, match="not a genepred_bin row") as info:
        transcripts_from_gtf(path)
    assert info.value.line == 2


def test_a_gtf_is_still_a_gtf():
    assert gene_table_layout(GTF) is None
