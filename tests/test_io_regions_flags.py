"""Region annotation with CpG islands, shores and a blacklist; FASTA sequences without transcripts."""

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.reference import Reference, write_reference_index
from epibench.io.regions import (
    annotate_regions,
    annotate_regions_with_report,
    enhancer_like,
    read_bed_intervals,
    region_summary,
    write_regions,
)
from epibench.codes import REGION_CLASSES
from text_files import write_lines

P, E, B, I = (REGION_CLASSES.index(c) for c in ("promoter", "enhancer", "gene_body", "intergenic"))

# chr1 (7 kb): island [3000, 3500); with 2-kb shores the C must lie in [1000, 5500)
CHR1_CPGS = [10, 998, 1000, 2497, 2500, 2999, 3001, 3499, 3501, 3999, 4001, 5499, 5501, 6900]
# chr2 (1 kb): island [900, 950), its shores clipped to the chromosome
CHR2_CPGS = [100, 920, 990]
CHRM_CPGS = [5]
ISLAND_CPGS = {("chr1", 3001), ("chr1", 3499), ("chr2", 920)}  # the C inside (3499: its G is not)
SHORE_CPGS = {  # distance to the nearest island base <= 2000 bp, not in an island
    ("chr1", 1000),  # 2000 bp before the island
    ("chr1", 2497),
    ("chr1", 2500),
    ("chr1", 2999),  # next to it
    ("chr1", 3501),
    ("chr1", 3999),
    ("chr1", 4001),
    ("chr1", 5499),  # 2000 bp after its last base (3499)
    ("chr2", 100),
    ("chr2", 990),
}
SHORE_500 = {("chr1", 2500), ("chr1", 2999), ("chr1", 3501), ("chr1", 3999), ("chr2", 990)}  # shore_bp=500

# GTF in Ensembl spelling; transcripts only on chromosome 1 (and on a contig the FASTA lacks)
GTF_LINES = [
    "#!genome-build test",
    '1\tt\tgene\t3001\t4000\t.\t+\t.\tgene_id "g1";',
    '1\tt\ttranscript\t3001\t4000\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    '1\tt\texon\t3001\t4000\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    'GL000220.1\tt\ttranscript\t1\t50\t.\t+\t.\tgene_id "g2"; transcript_id "t2";',
    'MT\tt\tgene\t1\t16\t.\t+\t.\tgene_id "g3";',
]

# the same islands in the three shapes users bring
ISLANDS_UCSC_HEADER = [  # UCSC table browser download of cpgIslandExt
    "#bin\tchrom\tchromStart\tchromEnd\tname\tlength\tcpgNum\tgcNum\tperCpg\tperGc\tobsExp",
    "585\tchr1\t3000\t3500\tCpG: 40\t500\t40\t350\t16\t70\t0.9",
    "585\tchr2\t900\t950\tCpG: 5\t50\t5\t35\t20\t70\t0.9",
    "586\tchrUn_KI270302v1\t10\t90\tCpG: 8\t80\t8\t60\t20\t75\t0.9",
]
ISLANDS_UCSC_DUMP = [line for line in ISLANDS_UCSC_HEADER if not line.startswith("#")]  # cpgIslandExt.txt.gz
ISLANDS_BED = ["track name=cgi", "chr1\t3000\t3500\tCGI", "chr2\t900\t950\tCGI"]

# ENCODE blacklist v2 shape (reason in column 4), here in Ensembl spelling
BLACKLIST = [
    "1\t990\t1001\tHigh Signal Region",
    "1\t6000\t7000\tLow Mappability",
    "Y\t0\t10\tLow Mappability",
]
BLACKLISTED = {("chr1", 998), ("chr1", 1000), ("chr1", 6900)}


def sequence(length, cpgs):
    seq = bytearray(b"A" * length)
    for c in cpgs:
        seq[c : c + 2] = b"CG"
    return seq.decode()


@pytest.fixture
def ref(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(
        f">chr1\n{sequence(7000, CHR1_CPGS)}\n>chr2\n{sequence(1000, CHR2_CPGS)}\n>chrM\n{sequence(16, CHRM_CPGS)}\n"
    )
    return Reference(write_reference_index(fasta, tmp_path / "ref"))


def keys(table, column):
    return set(table.loc[table[column], ["chrom", "pos"]].itertuples(index=False, name=None))


@pytest.mark.parametrize(
    "islands", [ISLANDS_UCSC_HEADER, ISLANDS_UCSC_DUMP, ISLANDS_BED], ids=["ucsc", "dump", "bed"]
)
def test_islands_shores_and_blacklist(tmp_path, ref, islands):
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    got = annotate_regions(
        ref,
        gtf,
        cpg_islands=write_lines(tmp_path / "cgi.bed.gz", islands, gz=True),
        blacklist=write_lines(tmp_path / "blacklist.bed", BLACKLIST),
        tmp_dir=tmp_path,
    )
    assert list(got.columns) == ["chrom", "pos", "region", "cgi", "shore", "blacklisted"]
    assert all(got[c].dtype == np.bool_ for c in ("cgi", "shore", "blacklisted"))
    assert keys(got, "cgi") == ISLAND_CPGS
    assert keys(got, "shore") == SHORE_CPGS
    assert keys(got, "blacklisted") == BLACKLISTED
    # the flags do not touch the region classes
    plain = annotate_regions(ref, gtf, tmp_dir=tmp_path)
    pd.testing.assert_frame_equal(got[["chrom", "pos", "region"]], plain)


def test_shore_width_is_configurable(tmp_path, ref):
    got = annotate_regions(
        ref,
        write_lines(tmp_path / "a.gtf", GTF_LINES),
        cpg_islands=write_lines(tmp_path / "cgi.bed", ISLANDS_BED),
        shore_bp=500,
    )
    assert keys(got, "shore") == SHORE_500
    assert keys(got, "cgi") == ISLAND_CPGS
    assert "blacklisted" not in got.columns
    with pytest.raises(ValueError, match="shore_bp"):
        annotate_regions(ref, write_lines(tmp_path / "a.gtf", GTF_LINES), shore_bp=-1)


def test_only_a_blacklist(tmp_path, ref):
    got = annotate_regions(
        ref, write_lines(tmp_path / "a.gtf", GTF_LINES), blacklist=write_lines(tmp_path / "b.bed", BLACKLIST)
    )
    assert list(got.columns) == ["chrom", "pos", "region", "blacklisted"]
    assert keys(got, "blacklisted") == BLACKLISTED


def test_ucsc_bin_column_is_recognised(tmp_path):
    want = [("chr1", 3000, 3500), ("chr2", 900, 950), ("chrUn_KI270302v1", 10, 90)]
    for lines in (ISLANDS_UCSC_HEADER, ISLANDS_UCSC_DUMP):
        got = read_bed_intervals(write_lines(tmp_path / "cgi.txt", lines))
        assert list(got.itertuples(index=False, name=None)) == want
    # a plain BED with Ensembl names ("1": an integer first) is not taken for a bin table
    got = read_bed_intervals(write_lines(tmp_path / "e.bed", ["1\t10\t20\t30", "2\t5\t6"]))
    assert list(got.itertuples(index=False, name=None)) == [("1", 10, 20), ("2", 5, 6)]


def test_bin_table_with_a_short_row_names_the_line(tmp_path):
    path = write_lines(tmp_path / "cgi.txt", [*ISLANDS_UCSC_HEADER[:2], "chr1\t5\t6"])
    with pytest.raises(InputError, match="bin, chrom, chromStart, chromEnd") as info:
        read_bed_intervals(path)
    assert info.value.line == 3


def test_write_regions_keeps_the_flag_columns(tmp_path, ref):
    got = annotate_regions(
        ref,
        write_lines(tmp_path / "a.gtf", GTF_LINES),
        cpg_islands=write_lines(tmp_path / "cgi.bed", ISLANDS_BED),
        blacklist=write_lines(tmp_path / "b.bed", BLACKLIST),
    )
    out = tmp_path / "out" / "regions.parquet"
    write_regions(got, out)
    pd.testing.assert_frame_equal(pd.read_parquet(out), got)
    summary = region_summary(got)
    assert list(summary.columns) == ["chrom", "region", "n_cpg", "share", "n_cgi", "n_shore", "n_blacklisted"]
    assert summary.n_cgi.sum() == len(ISLAND_CPGS)
    assert summary.n_shore.sum() == len(SHORE_CPGS)
    assert summary.n_blacklisted.sum() == len(BLACKLISTED)


# --- FASTA sequences without transcripts --------------------------------------------------


def test_fasta_sequence_without_transcripts_is_intergenic_and_reported(tmp_path, ref, caplog):
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    enhancers = write_lines(tmp_path / "enh.bed", ["chr2\t900\t1000\tdELS"])
    with caplog.at_level(logging.WARNING, logger="epibench.io.regions"):
        result = annotate_regions_with_report(ref, gtf, enhancer_bed=enhancers, tmp_dir=tmp_path)
    assert result.chroms_without_transcripts == ["chr2", "chrM"]
    assert "chr2, chrM" in caplog.text and "no transcript" in caplog.text
    table = result.table
    assert table[table.chrom == "chr2"].region.tolist() == [I, E, E]
    assert table[table.chrom == "chrM"].region.tolist() == [I]
    assert set(table[table.chrom == "chr1"].region) == {P, B, I}
    # names as spelled in each input, for the harmonisation report
    assert result.input_chroms == {"gtf": ["1", "GL000220.1", "MT"], "enhancers": ["chr2"]}


def test_gtf_on_no_fasta_sequence_is_an_error(tmp_path, ref):
    gtf = write_lines(
        tmp_path / "a.gtf", ['chrQ\tt\ttranscript\t1\t50\t.\t+\t.\tgene_id "g"; transcript_id "t";']
    )
    with pytest.raises(InputError, match="no transcript of the GTF lies on a sequence of the FASTA.*chrQ"):
        annotate_regions(ref, gtf)


# an ENCODE cCRE registry extract (V4 layout: chrom, start, end, two accessions, class), each element
# around one intergenic CpG of chr1: 10 and 998 (dELS), 4001 (PLS), 5499 (pELS,CTCF-bound), 6900 (CA-CTCF)
CCRE_REGISTRY = [
    "chr1\t9\t12\tEH38D0000001\tEH38E0000001\tdELS",
    "chr1\t997\t1000\tEH38D0000002\tEH38E0000002\tdELS",
    "chr1\t4000\t4003\tEH38D0000003\tEH38E0000003\tPLS",
    "chr1\t5498\t5501\tEH38D0000004\tEH38E0000004\tpELS,CTCF-bound",
    "chr1\t6899\t6902\tEH38D0000005\tEH38E0000005\tCA-CTCF",
]


def _enhancer_cpgs(table: pd.DataFrame) -> set[tuple[str, int]]:
    return set(table.loc[table["region"] == E, ["chrom", "pos"]].itertuples(index=False, name=None))


def test_an_encode_ccre_file_gives_its_enhancer_like_elements_only(tmp_path, ref, caplog):
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    with caplog.at_level(logging.INFO, logger="epibench.io.regions"):
        got = annotate_regions(ref, gtf, enhancer_bed=write_lines(tmp_path / "ccre.bed", CCRE_REGISTRY))
    assert _enhancer_cpgs(got) == {("chr1", 10), ("chr1", 998), ("chr1", 5499)}
    assert (
        "column 6: 3 enhancer-like elements (pELS, dELS) of 5 kept; dropped PLS 1, CA-CTCF 1" in caplog.text
    )


def test_a_bed_without_ccre_classes_in_every_row_keeps_every_row(tmp_path, ref):
    """A peak file whose names are not cCRE classes, or mix them with other names, is not a cCRE file."""
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    mixed = [*CCRE_REGISTRY[:-1], CCRE_REGISTRY[-1].replace("CA-CTCF", "peak_5")]
    got = annotate_regions(ref, gtf, enhancer_bed=write_lines(tmp_path / "peaks.bed", mixed))
    assert _enhancer_cpgs(got) == {
        ("chr1", 10),
        ("chr1", 998),
        ("chr1", 4001),
        ("chr1", 5499),
        ("chr1", 6900),
    }


CHROMHMM = (
    Path(__file__).parent / "data" / "real_formats" / "varshney2017_islets_chromatin_states_chr22.bed.gz"
)


def test_a_chromhmm_segmentation_gives_its_enhancer_states_only(caplog):
    """Islet chromatin states (18-state ChromHMM, chr22): the segments of 8_Genic_enhancer,
    9_Active_enhancer_1, 10_Active_enhancer_2 and 11_Weak_enhancer are the enhancers, the TSS,
    transcription, polycomb and quiescent states are not; names compared here by hand."""
    frame = read_bed_intervals(CHROMHMM, keep_fields=True)
    with gzip.open(CHROMHMM, "rt") as fh:
        rows = [line.split("\t") for line in fh]
    enhancer_states = {"8_Genic_enhancer", "9_Active_enhancer_1", "10_Active_enhancer_2", "11_Weak_enhancer"}
    want = [(r[0], int(r[1]), int(r[2])) for r in rows if r[3] in enhancer_states]
    with caplog.at_level(logging.INFO, logger="epibench.io.regions"):
        got = enhancer_like(frame, CHROMHMM)
    assert list(got.itertuples(index=False, name=None)) == want and len(want) == 39 + 169 + 1494 + 392
    assert "ChromHMM states in column 4: 2094 enhancer-like elements" in caplog.text
    assert "dropped 6_Weak_transcription 1730" in caplog.text


def test_roadmap_mnemonics_keep_their_enh_states_and_numbered_peaks_are_all_kept():
    """Roadmap's 15-state mnemonics (BED9): 7_Enh and 6_EnhG kept; names of the state form with no
    enhancer among them (numbered peaks) leave every row."""
    states = ["1_TssA", "6_EnhG", "7_Enh", "9_Het", "15_Quies", "7_Enh"]
    frame = pd.DataFrame(
        {
            "chrom": "chr1",
            "start": [i * 200 for i in range(6)],
            "end": [i * 200 + 200 for i in range(6)],
            "fields": [
                (s, "0", ".", str(i * 200), str(i * 200 + 200), "255,255,0") for i, s in enumerate(states)
            ],
        }
    )
    assert enhancer_like(frame, "roadmap.bed")["start"].tolist() == [200, 400, 1000]
    peaks = frame.assign(fields=[(f"{i}_peak", "0", ".") for i in range(6)])
    assert len(enhancer_like(peaks, "peaks.bed")) == 6


def _unnamed(path: Path, tmp_path: Path, numbered: bool = False) -> Path:
    """The islet segmentation as ChromHMM's own ``*_segments.bed`` writes it before its states are
    named: chrom, start, end, ``E<state number>`` (or the bare number of a dense browser file)."""
    out = tmp_path / ("dense.bed" if numbered else "islets_18_segments.bed")
    with gzip.open(path, "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    prefix = "" if numbered else "E"
    out.write_text("".join(f"{r[0]}\t{r[1]}\t{r[2]}\t{prefix}{r[3].split('_')[0]}\n" for r in rows))
    return out


@pytest.mark.parametrize("numbered", [False, True], ids=["E_labels", "bare_numbers"])
def test_a_segmentation_of_unnamed_states_is_refused_until_its_enhancer_states_are_named(numbered, tmp_path):
    """Unnamed states say nothing of enhancers: before, every segment (quiescent too) was one. Named
    with enhancer_states, the segments kept are those of the named file's enhancer states."""
    path = _unnamed(CHROMHMM, tmp_path, numbered)
    frame = read_bed_intervals(path, keep_fields=True)
    n_states = len({fields[0] for fields in frame["fields"]})  # 13 of the model's 18 on this chr22
    with pytest.raises(InputError, match=f"{n_states} unnamed states .*regions.enhancer_states") as error:
        enhancer_like(frame, path)
    assert str(path) in str(error.value)
    prefix = "" if numbered else "E"
    states = [f"{prefix}{n}" for n in (8, 9, 10, 11)]  # Genic, Active 1 and 2, Weak enhancer
    named = enhancer_like(read_bed_intervals(CHROMHMM, keep_fields=True), CHROMHMM)
    pd.testing.assert_frame_equal(
        enhancer_like(frame, path, states).reset_index(drop=True), named.reset_index(drop=True)
    )


def test_enhancer_states_the_file_lacks_are_named_with_the_labels_it_has(tmp_path):
    path = _unnamed(CHROMHMM, tmp_path)
    frame = read_bed_intervals(path, keep_fields=True)
    with pytest.raises(InputError, match=r"enhancer_states E19, Enh not in column 4.*E1, E2, E3, .*E18"):
        enhancer_like(frame, path, ["E8", "E19", "Enh"])


def test_numbered_peaks_that_do_not_tile_are_kept_whole_and_states_override_cre_classes(tmp_path, ref):
    """Peaks named 1, 2, 3 ... are not a segmentation (they leave gaps): every one is an enhancer.
    enhancer_states picks rows of any BED by column 4, a cCRE file's (its accession) included."""
    peaks = pd.DataFrame(
        {
            "chrom": "chr1",
            "start": [100 * i for i in range(8)],
            "end": [100 * i + 50 for i in range(8)],
            "fields": [(str(i % 4),) for i in range(8)],
        }
    )
    assert len(enhancer_like(peaks, "peaks.bed")) == 8
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    ccre = write_lines(tmp_path / "ccre.bed", [line.replace("\tEH38D", "\tD") for line in CCRE_REGISTRY])
    got = annotate_regions(ref, gtf, enhancer_bed=ccre, enhancer_states=["D0000003"])
    assert _enhancer_cpgs(got) == {("chr1", 4001)}
