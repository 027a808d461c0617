"""PacBio HiFi CpG pileups: pb-CpG-tools (``pbcpg``) and MethBat ``pileup`` (``methbat``).

The layouts are the tools' own: pb-CpG-tools' README (v3 header, columns of both pileup modes) and
its writer (``src/write_tracks.rs`` @cb0917b: begin, begin + 1, ``{:.1}`` scores, type, cov, counts).
The rows are HG002 over the SNURF DMR (chr15:24,954,888, the C of a CpG of GRCh38) as pb-CpG-tools
3.0.0 (model mode) and MethBat 1.1.0 wrote them, and a pb-CpG-tools 2.3.2 row (no header) at
chr1:10,468, as quoted in a public write-up of PacBio's HG002 outputs found by code search (its
repository was not recorded; no pileup file small enough to keep was found published). Expected
values are read off the text here.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from epibench.errors import InputError
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest, read_calls
from small_reference import make_reference

PBCPG_V3_HEADER = (
    "##pb-cpg-tools-version=3.0.0\n"
    "##cmdline=aligned_bam_to_cpg_scores --threads 16 --bam HG002.GRCh38.haplotagged.bam --ref "
    "human_GRCh38_no_alt_analysis_set.fasta --output-prefix HG002.GRCh38 --min-mapq 1 --min-coverage 4\n"
    "##pileup-mode=model\n"
    "##modsites-mode=denovo\n"
    "##min-coverage=4\n"
    "##min-mapq=1\n"
    "##basemod-source=jasmine\t26.1.3 (commit v26.1.3)\n"
    "#chrom\tbegin\tend\tmod_score\ttype\tcov\test_mod_count\test_unmod_count\tdiscretized_mod_score\n"
)
PBCPG_ROWS = {  # type -> the site's row in that type's file
    "Total": "chr15\t24954888\t24954889\t46.2\tTotal\t63\t30\t33\t47.6\n",
    "hap1": "chr15\t24954888\t24954889\t86.7\thap1\t32\t28\t4\t87.5\n",
    "hap2": "chr15\t24954888\t24954889\t4.1\thap2\t31\t1\t30\t3.2\n",
}
PBCPG_V2_ROW = "chr1\t10468\t10469\t63.1\tTotal\t14\t8\t6\t57.1\n"
METHBAT_HEADER = (
    "##methbat_version=1.1.0-fbf4686\n"
    "##base_modification=5mC\n"
    "#chrom\tstart\tend\tname\tscore\tstrand\tmod_score\ttype\tcov\tmod_count\tunmod_count\t"
    "inferred_unmod_count\tdiff_base_count\tavg_mod_score\tavg_unmod_score\n"
)
METHBAT_5MC = (
    "chr15\t24954888\t24954889\tm\t476\t.\t47.6\tTotal\t63\t30\t33\t0\t0\t0.897\t0.114\n"
    "chr15\t24954888\t24954889\tm\t781\t.\t78.1\thap1\t32\t25\t7\t0\t0\t0.929\t0.158\n"
    "chr15\t24954888\t24954889\tm\t161\t.\t16.1\thap2\t31\t5\t26\t0\t0\t0.736\t0.102\n"
)
METHBAT_5HMC_ROW = "chr15\t24954888\t24954889\th\t0\t+\t0.0\tTotal\t63\t0\t63\t63\t0\t0.000\t0.000\n"


def _fields(row: str) -> list[str]:
    return row.rstrip("\n").split("\t")


def _write(path, text: str):
    with gzip.open(path, "wt") as fh:  # both tools bgzip their BEDs
        fh.write(text)
    return path


@pytest.mark.parametrize("kind", ["Total", "hap1", "hap2"])
def test_a_pb_cpg_tools_v3_file_reads_its_modified_count_of_cov_on_the_c(kind, tmp_path):
    path = _write(tmp_path / f"HG002.GRCh38.{kind.lower()}.bed.gz", PBCPG_V3_HEADER + PBCPG_ROWS[kind])
    source = detect_source(path)
    assert (source.fmt, source.n_columns, source.n_header) == ("pbcpg", 9, 8)
    calls = read_calls(path)
    fields = _fields(PBCPG_ROWS[kind])
    assert calls.pos.tolist() == [int(fields[1])] and calls.strand.tolist() == [1]  # on the C
    assert calls.n_meth.tolist() == [int(fields[6])] and calls.n_total.tolist() == [int(fields[5])]


def test_a_headerless_v2_file_and_a_count_mode_file_read_alike(tmp_path):
    """v2 wrote no header; ``--pileup-mode count`` writes mod_count, unmod_count and two average
    scores (10 columns): the count-mode row here holds the counts MethBat's pileup, which is
    pb-CpG-tools' count mode, gives the same site."""
    v2 = _write(tmp_path / "HG002.combined.bed.gz", PBCPG_V2_ROW + PBCPG_ROWS["Total"])
    count = _write(
        tmp_path / "HG002.count.combined.bed.gz",
        "chr15\t24954888\t24954889\t47.6\tTotal\t63\t30\t33\t89.7\t11.4\n",
    )
    assert detect_source(v2).fmt == detect_source(count).fmt == "pbcpg"
    assert read_calls(v2).n_meth.tolist() == [8, 30] and read_calls(v2).n_total.tolist() == [14, 63]
    assert detect_source(count).n_columns == 10
    assert read_calls(count).n_meth.tolist() == [30] and read_calls(count).n_total.tolist() == [63]


def test_methbat_5mc_reads_its_total_rows_and_drops_haplotypes_and_other_modifications(tmp_path):
    path = _write(tmp_path / "HG002.GRCh38.5mC.bed.gz", METHBAT_HEADER + METHBAT_5MC + METHBAT_5HMC_ROW)
    assert detect_source(path).fmt == "methbat"
    calls = read_calls(path)
    total = _fields(METHBAT_5MC.splitlines()[0])
    assert calls.pos.tolist() == [int(total[1])]
    assert calls.n_meth.tolist() == [int(total[9])] and calls.n_total.tolist() == [int(total[8])]
    assert calls.qc["n_haplotype_rows_dropped"] == 2 and calls.qc["n_other_modification_rows"] == 1


def test_a_methbat_5hmc_file_has_no_5mc_call_to_read(tmp_path):
    hap_rows = [METHBAT_5HMC_ROW.replace("\tTotal\t", f"\t{kind}\t") for kind in ("hap1", "hap2")]
    path = _write(
        tmp_path / "HG002.GRCh38.5hmC.bed.gz", METHBAT_HEADER + METHBAT_5HMC_ROW + "".join(hap_rows)
    )
    reference = make_reference(tmp_path, {"chr15": "NNCGNN"})
    assert len(read_calls(path).pos) == 0
    with pytest.raises(InputError, match="no 5mC calls: every row is of another modification"):
        ingest(path, reference, min_coverage=1)


def test_ingest_merges_pileup_rows_onto_their_cpgs(tmp_path):
    """The SNURF site moved to a small reference (begin 24,954,888 -> 8, on a CG there), the v2 row
    moved likewise (10,468 -> 12): both sit on the C of a CpG; ingest keeps their counts."""
    moved = [
        PBCPG_ROWS["Total"].replace("24954888\t24954889", "8\t9"),
        PBCPG_V2_ROW.replace("chr1\t10468\t10469", "chr15\t12\t13"),
    ]
    path = _write(tmp_path / "moved.combined.bed.gz", PBCPG_V3_HEADER + "".join(moved))
    reference = make_reference(tmp_path, {"chr15": "AAAAAAAACGAACGAAAA"})
    table, qc = ingest(path, reference, min_coverage=1)
    assert qc["format"] == "pbcpg" and qc["n_off_cg_dropped"] == 0
    assert table["pos"].tolist() == [8, 12]
    np.testing.assert_array_equal(table["n_meth"], [30, 8])
    np.testing.assert_array_equal(table["n_total"], [63, 14])


def test_a_type_outside_total_hap1_hap2_is_named_at_its_line(tmp_path):
    bad = (
        PBCPG_ROWS["Total"]
        .replace("chr15\t24954888\t24954889", "chr15\t24954890\t24954891")
        .replace("Total", "hap3")
    )
    path = _write(tmp_path / "bad.combined.bed.gz", PBCPG_V3_HEADER + PBCPG_ROWS["Total"] * 3 + bad)
    with pytest.raises(InputError, match="type must be one of") as error:
        read_calls(path)
    assert error.value.line == 12
