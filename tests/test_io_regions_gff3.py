"""Gene annotations beyond GENCODE GTF: GFF3 (GENCODE's own, tests/data/real_formats/, kept as
published) and exon-only GTFs whose transcript ids recur on several chromosomes (UCSC refGene's
copies on chrX and chrY's PAR)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.regions import annotate_regions
from small_reference import make_reference

GFF3 = Path(__file__).parent / "data" / "real_formats" / "gencode_v28_chr1_excerpt.gff3"


def _gff3_rows(feature: str) -> pd.DataFrame:
    """The GFF3's rows of one feature, attributes parsed here with a regex, not by epibench."""
    rows = pd.read_csv(GFF3, sep="\t", comment="#", header=None)
    rows = rows[rows[2] == feature]
    attribute = {key: rows[8].str.extract(rf"(?:^|;){key}=([^;]*)")[0] for key in ("ID", "Parent")}
    return pd.DataFrame(
        {
            "chrom": rows[0],
            "start": rows[3] - 1,
            "end": rows[4],
            "strand": rows[6],
            "gene_id": attribute["Parent"],
            "transcript_id": attribute["ID"],
        }
    ).reset_index(drop=True)


def test_gff3_transcripts_are_spanned_by_their_exons():
    want = _gff3_rows("transcript")
    got = transcripts_from_gtf(GFF3)
    assert len(want) > 10
    key = ["transcript_id"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    )


def test_gff3_annotates_like_the_gtf_of_its_transcript_rows(tmp_path):
    """The same transcripts written as GTF transcript rows give every CpG the same class."""
    spans = _gff3_rows("transcript")
    gtf = tmp_path / "same.gtf"
    gtf.write_text(
        "".join(
            f'{r.chrom}\tt\ttranscript\t{r.start + 1}\t{r.end}\t.\t{r.strand}\t.\tgene_id "{r.gene_id}"; '
            f'transcript_id "{r.transcript_id}";\n'
            for r in spans.itertuples()
        )
    )
    rng = np.random.default_rng(1)
    length = int(spans["end"].max()) + 5_000
    seq = "".join(rng.choice(list("ACGT"), length))
    reference = make_reference(tmp_path, {"chr1": seq})
    from_gff3 = annotate_regions(reference, GFF3)
    from_gtf = annotate_regions(reference, gtf)
    pd.testing.assert_frame_equal(from_gff3, from_gtf)
    assert set(from_gff3["region"]) >= {0, 2, 3}  # promoters, gene bodies and intergenic CpGs all occur


def _without_parent(text: str, exon_lines: set[int]) -> str:
    """``text`` with the Parent of the exons at ``exon_lines`` (1-based) taken away."""
    return (
        "\n".join(
            re.sub(r"Parent=[^;]*;?", "", line) if number in exon_lines else line
            for number, line in enumerate(text.splitlines(), 1)
        )
        + "\n"
    )


def test_a_gff3_exon_without_parent_is_skipped_with_its_line(tmp_path, caplog):
    """As in a manual EBV annotation (AGAT's issue389.gff): the file reads as it would without the row."""
    text = GFF3.read_text()
    first_exon = next(i for i, line in enumerate(text.splitlines(), 1) if "\texon\t" in line)
    broken, without = tmp_path / "broken.gff3", tmp_path / "without.gff3"
    broken.write_text(_without_parent(text, {first_exon}))
    without.write_text("".join(line for i, line in enumerate(text.splitlines(True), 1) if i != first_exon))
    with caplog.at_level(logging.WARNING):
        got = transcripts_from_gtf(broken)
    pd.testing.assert_frame_equal(got, transcripts_from_gtf(without))
    assert f"the first at line {first_exon}" in caplog.text


def test_a_gff3_whose_exons_all_lack_a_parent_is_an_error_at_the_first(tmp_path):
    text = GFF3.read_text()
    exon_lines = {i for i, line in enumerate(text.splitlines(), 1) if "\texon\t" in line}
    broken = tmp_path / "broken.gff3"
    broken.write_text(_without_parent(text, exon_lines))
    with pytest.raises(InputError, match=rf"line {min(exon_lines)}: GFF3 exon row without a Parent"):
        transcripts_from_gtf(broken)


def test_a_refgene_transcript_on_both_sex_chromosomes_is_two_transcripts(tmp_path):
    """UCSC refGene lists the PAR genes' exons under one transcript id on chrX and on chrY."""
    exon = 'chr{c}\thg38_refGene\texon\t{s}\t{e}\t0.000000\t+\t.\tgene_id "NM_1"; transcript_id "NM_1"; \n'
    gtf = tmp_path / "refGene.gtf"
    gtf.write_text(
        exon.format(c="X", s=101, e=150)
        + exon.format(c="X", s=201, e=260)
        + exon.format(c="Y", s=11, e=40)
        + exon.format(c="Y", s=91, e=120)
    )
    got = transcripts_from_gtf(gtf).sort_values("chrom").reset_index(drop=True)
    assert got[["chrom", "start", "end", "transcript_id"]].values.tolist() == [
        ["chrX", 100, 260, "NM_1"],
        ["chrY", 10, 120, "NM_1"],
    ]


def test_a_gff3_parent_without_a_row_of_its_own_is_spanned_by_its_exons(tmp_path):
    exons = _gff3_rows("exon").assign(parent=lambda t: t["gene_id"])  # an exon's Parent: its transcript
    first = exons["parent"].iloc[0]
    lines = GFF3.read_text().splitlines()
    without = tmp_path / "without_row.gff3"
    without.write_text("\n".join(line for line in lines if f"\tID={first};" not in line) + "\n")
    got = transcripts_from_gtf(without).set_index("transcript_id")
    mine = exons[exons["parent"] == first]
    assert got.loc[first, ["start", "end", "gene_id"]].tolist() == [
        mine["start"].min(),
        mine["end"].max(),
        "",
    ]
    assert len(got) == len(transcripts_from_gtf(GFF3))


def test_a_gff3_with_its_sequences_appended_reads_its_features_only(tmp_path):
    """GFF3 may end with a ##FASTA section (Prokka and other annotators write one)."""
    with_fasta = tmp_path / "with_fasta.gff3"
    with_fasta.write_text(GFF3.read_text() + "##FASTA\n>chr1\nACGTACGT\nNNNN\n")
    pd.testing.assert_frame_equal(transcripts_from_gtf(with_fasta), transcripts_from_gtf(GFF3))


def test_a_gff3_strand_of_unknown_reads_as_no_strand(tmp_path):
    """GFF3 allows ``?`` (strand relevant but unknown), as ``.``: a gene body, no promoter; a GTF does not."""
    rows = [
        "##gff-version 3",
        "ctg1\tx\tmRNA\t101\t400\t.\t?\t.\tID=t1;Parent=g1",
        "ctg1\tx\texon\t101\t400\t.\t?\t.\tParent=t1",
    ]
    path = tmp_path / "unknown_strand.gff3"
    path.write_text("\n".join(rows) + "\n")
    assert transcripts_from_gtf(path).values.tolist() == [["ctg1", 100, 400, ".", "g1", "t1"]]
    gtf = tmp_path / "unknown_strand.gtf"
    gtf.write_text('ctg1\tx\texon\t101\t400\t.\t?\t.\tgene_id "g1"; transcript_id "t1";\n')
    with pytest.raises(InputError, match="strand must be"):
        transcripts_from_gtf(gtf)
