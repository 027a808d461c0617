"""A gene annotation whose header names another assembly than the reference FASTA's is refused
(epibench.io.annotation_build): GRCh38's coordinates fit inside hg19's chromosomes, so nothing else
would notice. Real header: GENCODE v29's GTF excerpt (tests/data/gencode_human.gtf.gz, pyranges'
example data), whose first line names GRCh38."""

import gzip
import json
from pathlib import Path

import pytest

from epibench.errors import InputError
from epibench.io.annotation_build import check_annotation_build, declared_build

GENCODE = Path(__file__).parent / "data" / "gencode_human.gtf.gz"
ROW = 'chr1\tENSEMBL\texon\t11869\t12227\t.\t+\t.\tgene_id "g1"; transcript_id "t1";\n'


def _reference(tmp_path: Path, matched: list[str]) -> Path:
    """A genome.fa with the reference stage's assembly.json beside it, matching ``matched``."""
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">chr1\nACGT\n")
    (tmp_path / "assembly.json").write_text(json.dumps({"fasta": "/data/hg19.fa", "matched": matched}))
    return fasta


def test_gencode_grch38_on_an_hg19_fasta_is_refused_at_its_header_line(tmp_path):
    with pytest.raises(InputError) as error:
        check_annotation_build(GENCODE, _reference(tmp_path, ["hg19", "GRCh37"]))
    message = str(error.value)
    assert f"{GENCODE}, line 1:" in message
    assert (
        "names the build GRCh38 (hg38), but the FASTA" in message and "the copy of /data/hg19.fa" in message
    )
    assert "Give the annotation of hg19 as reference.gtf" in message


@pytest.mark.parametrize("matched", [["hg38"], []])
def test_gencode_grch38_on_an_hg38_or_unknown_fasta_passes(tmp_path, matched):
    check_annotation_build(GENCODE, _reference(tmp_path, matched))


@pytest.mark.parametrize(
    "header, matched, refused",
    [
        ("#!genome-build GRCh37.p13\n", ["hg19"], False),  # Ensembl GRCh37 on UCSC hg19: one build
        ("#!genome-build GRCh37.p13\n", ["GRCh37"], False),
        ("#!genome-build GRCm39\n#!genome-version GRCm39\n", ["mm10"], True),
        ("##gff-version 3\n##genome-build NCBI GRCz11\n", ["danRer11"], False),
        ("#!genome-build R64-1-1\n", ["sacCer3"], False),
        ("#!genome-build-accession NCBI_Assembly:GCF_000001405.40\n", ["hg19"], False),  # no build named
        ("#!genome-build SomeLab_v2\n", ["hg19"], False),  # a build not known: not judged
        ("", ["hg19"], False),  # UCSC's Table Browser GTF: no header
    ],
)
def test_each_kind_of_header_is_read_for_its_build(tmp_path, header, matched, refused):
    gtf = tmp_path / "genes.gtf.gz"
    with gzip.open(gtf, "wt") as fh:
        fh.write(header + ROW + "#!genome-build GRCh38\n")  # a line after the first feature is no header
    fasta = _reference(tmp_path, matched)
    if refused:
        with pytest.raises(
            InputError, match=r"line 1: the gene annotation's header names the build GRCm39 \(mm39\)"
        ):
            check_annotation_build(gtf, fasta)
    else:
        check_annotation_build(gtf, fasta)


def test_a_fasta_read_ad_hoc_without_a_record_is_not_judged(tmp_path):
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">chr1\nACGT\n")
    assert declared_build(GENCODE) == (1, "GRCh38", "hg38")
    check_annotation_build(GENCODE, fasta)


def test_a_known_build_beside_a_fasta_of_no_known_assembly_is_warned_of(tmp_path, caplog):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(
        "##description: evidence-based annotation of the mouse genome (GRCm39), version M27\n" + ROW
    )
    with caplog.at_level("WARNING"):
        check_annotation_build(gtf, _reference(tmp_path, []))
    assert "header names the build GRCm39 (mm39) at line 1" in caplog.text
    assert "matches no known assembly" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        check_annotation_build(gtf, _reference(tmp_path, ["mm39"]))
    assert caplog.text == ""


# an NCBI RefSeq GTF's row (GCF_000001405.25, GRCh37.p13) with its header lines cut, as `grep -v '^#'` leaves it
NCBI_GRCH37_ROW = (
    'NC_000001.10\tBestRefSeq\tgene\t11874\t14409\t.\t+\t.\tgene_id "DDX11L1"; transcript_id ""; '
    'db_xref "GeneID:100287102"; gbkey "Gene"; gene "DDX11L1"; gene_biotype "transcribed_pseudogene";\n'
)


@pytest.mark.parametrize(
    "matched, refused",
    [(["hg38"], True), (["hs1"], True), (["hg19", "GRCh37"], False), (["GRCh37"], False)],
)
def test_an_annotation_without_a_build_line_is_judged_by_its_accessions(tmp_path, matched, refused):
    """No header, but the first feature's NC_000001.10 is GRCh37's chr1: refused beside an hg38 or T2T
    FASTA at that feature's line (no header line to delete), passed beside GRCh37's or hg19's."""
    gtf = tmp_path / "GCF_000001405.25_GRCh37.p13_genomic.gtf"
    gtf.write_text("\n" + NCBI_GRCH37_ROW)
    fasta = _reference(tmp_path, matched)
    if not refused:
        check_annotation_build(gtf, fasta)
        return
    with pytest.raises(InputError) as error:
        check_annotation_build(gtf, fasta)
    message = str(error.value)
    assert f"{gtf}, line 2:" in message
    assert "sequences are GRCh37's NCBI accessions (the first: NC_000001.10)" in message
    assert f"the copy of /data/hg19.fa) is {matched[0]}:" in message
    assert "or the FASTA of hg19" in message and "delete" not in message


def test_a_build_line_outweighs_the_accessions(tmp_path):
    """The header's build is the one judged: GRCh38 named above GRCh37 accessions passes beside hg38."""
    gtf = tmp_path / "genes.gtf"
    gtf.write_text("#!genome-build GRCh38.p14\n" + NCBI_GRCH37_ROW)
    check_annotation_build(gtf, _reference(tmp_path, ["hg38"]))


@pytest.mark.parametrize("first", ["NC_051336.1", "chr1", "1"])
def test_names_of_no_known_build_are_not_judged(tmp_path, first):
    """A rat accession (not in the table), a UCSC or an Ensembl name says no build: nothing is checked."""
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(first + NCBI_GRCH37_ROW[len("NC_000001.10") :])
    check_annotation_build(gtf, _reference(tmp_path, ["hg38"]))


def test_accessions_beside_a_fasta_of_no_known_assembly_are_warned_of(tmp_path, caplog):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(NCBI_GRCH37_ROW)
    with caplog.at_level("WARNING"):
        check_annotation_build(gtf, _reference(tmp_path, []))
    assert "sequences are GRCh37's NCBI accessions (the first: NC_000001.10) at line 1" in caplog.text
    assert "make sure the FASTA is hg19's" in caplog.text
