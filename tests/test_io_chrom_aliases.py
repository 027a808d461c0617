"""Other names of the reference's sequences (epibench.io.chrom_aliases): NCBI definition lines, UCSC
chromAlias.txt, NCBI assembly reports, and every stage matching through them.

The definition lines are NCBI's as its FASTA downloads write them (RefSeq mRatBN7.2, GenBank
GRCh38, R64 yeast, TAIR10); the assembly-report rows are dog CanFam6's (GCF_000002285.5) as
quoted in public code (gencube's tests), the chromAlias.txt rows hg38's as on UCSC's genomewiki
page "Chrom Alias". The end-to-end test reads the real IMR90 calls of GRCh38
chr22:32,000,001-32,300,000 (tests/data/imr90_hg38_chr22/) on that window named as NCBI names
rat chromosome 1: only the names matter there, and no built-in rule knows that accession.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from epibench.cli import main
from epibench.errors import InputError
from epibench.io.chrom_aliases import (
    ALIAS_COLUMNS,
    alias_table,
    description_name,
    file_aliases,
    read_alias_table,
)
from epibench.codes import REGION_CLASSES
from epibench.io.assemblies import match_assembly
from epibench.io.chroms import harmonisation_table, harmonise
from epibench.io.lengths import check_lengths, length_mismatches
from epibench.io.reference import Reference, write_reference_index
from epibench.io.tracks import Track
from text_files import write_lines

DATA = Path(__file__).parent / "data" / "imr90_hg38_chr22"
WINDOW_START = 32_000_000
RAT_1 = (
    "NC_051336.1 Rattus norvegicus strain BN/NHsdMcwi chromosome 1, mRatBN7.2, whole genome shotgun sequence"
)
RAT_2 = (
    "NC_051337.1 Rattus norvegicus strain BN/NHsdMcwi chromosome 2, mRatBN7.2, whole genome shotgun sequence"
)
RAT_MT = "NC_001665.2 Rattus norvegicus strain Wistar mitochondrion, complete genome"
RAT_SCAFFOLD = (
    "NW_023637768.1 Rattus norvegicus strain BN/NHsdMcwi chromosome 1 unlocalized genomic scaffold, "
    "mRatBN7.2 chr1_unloc_1, whole genome shotgun sequence"
)
DOG_REPORT = [
    "# Assembly name:  UU_Cfam_GSD_1.0",
    "# Organism name:  Canis lupus familiaris (dog)",
    "# Sequence-Name\tSequence-Role\tAssigned-Molecule\tAssigned-Molecule-Location/Type\tGenBank-Accn"
    "\tRelationship\tRefSeq-Accn\tAssembly-Unit\tSequence-Length\tUCSC-style-name",
    "1\tassembled-molecule\t1\tChromosome\tCM000001.4\t=\tNC_006583.4\tPrimary Assembly\t122014068\tchr1",
    "2\tassembled-molecule\t2\tChromosome\tCM000002.4\t=\tNC_006584.4\tPrimary Assembly\t82037489\tchr2",
    "chrUn6\tunplaced-scaffold\tna\tna\tAAEX04000039.1\t=\tNW_023329752.1\tPrimary Assembly\t551\tchrUn_NW_023329752v1",
    "MT\tassembled-molecule\tMT\tMitochondrion\tCM023446.1\t<>\tna\tnon-nuclear\t16735\tna",
    "MT\tassembled-molecule\tMT\tMitochondrion\tna\t<>\tNC_002008.4\tnon-nuclear\t16727\tchrM",
]
HG38_CHROMALIAS = [
    "# ucsc\tassembly\tgenbank\tncbi\trefseq",
    "chr1\t1\tCM000663.2\t1\tNC_000001.11",
    "chr10\t10\tCM000672.2\t10\tNC_000010.11",
    "chrX\tX\tCM000685.2\tX\tNC_000023.11",
    "chrM\tMT\tJ01415.2\tMT\tNC_012920.1",
]


def fasta(path: Path, records: dict[str, str]) -> Path:
    """A FASTA of ``definition line -> bases``."""
    return write_lines(path, [line for header, seq in records.items() for line in (f">{header}", seq)])


@pytest.mark.parametrize(
    "line, name",
    [
        (RAT_1.split(" ", 1)[1], "1"),
        ("Homo sapiens chromosome 1, GRCh38 reference primary assembly", "1"),
        ("Saccharomyces cerevisiae S288C chromosome XVI, complete sequence", "XVI"),
        ("Arabidopsis thaliana chromosome 5 sequence", "5"),
        ("Drosophila melanogaster chromosome 2L", "2L"),
        ("Gallus gallus isolate bGalGal1 chromosome Z, bGalGal1.mat.broiler.GRCg7b", "Z"),
        (RAT_MT.split(" ", 1)[1], "MT"),
        ("Arabidopsis thaliana chloroplast, complete genome", "Pt"),
        (RAT_SCAFFOLD.split(" ", 1)[1], None),
        ("Homo sapiens chromosome 1 genomic patch of type FIX, GRCh38.p14 PATCHES HG986_PATCH", None),
        ("Homo sapiens unplaced genomic scaffold, GRCh38.p14 Primary Assembly HSCHR1_CTG1", None),
        ("dna:chromosome chromosome:GRCh38:1:1:248956422:1 REF", None),  # Ensembl: its name is "1" already
        ("", None),
    ],
)
def test_definition_lines_name_chromosomes_and_not_scaffolds(line, name):
    assert description_name(line) == name


def test_the_reference_stage_reads_ncbi_definition_lines_into_aliases(tmp_path):
    source = fasta(
        tmp_path / "rat.fa",
        {RAT_1: "ACGTACGTCG", RAT_2: "TTCGA", RAT_MT: "GATC", RAT_SCAFFOLD: "CCGG"},
    )
    out = tmp_path / "ref"
    reference = Reference(write_reference_index(source, out))
    assert reference.chroms == ["NC_051336.1", "NC_051337.1", "NC_001665.2", "NW_023637768.1"]
    table = pd.read_csv(out / "chrom_aliases.tsv", sep="\t", dtype=str)
    assert list(table.columns) == list(ALIAS_COLUMNS)
    assert reference.aliases == {"1": "NC_051336.1", "2": "NC_051337.1", "MT": "NC_001665.2"}
    assert set(table["source"]) == {"FASTA definition line"}
    # UCSC's rn7 and Ensembl's spellings meet the accessions; an unknown name stays unmatched
    names = ["chr1", "1", "CHR2", "chrM", "MT", "chr3", "NW_023637768.1"]
    assert harmonise(names, reference.chroms, reference.aliases) == {
        "chr1": "NC_051336.1",
        "1": "NC_051336.1",
        "CHR2": "NC_051337.1",
        "chrM": "NC_001665.2",
        "MT": "NC_001665.2",
        "chr3": None,
        "NW_023637768.1": "NW_023637768.1",
    }
    assert harmonise(["chr1"], reference.chroms) == {"chr1": None}  # without the aliases: no match
    reasons = harmonisation_table(reference.chroms, {"calls": ["chr1"]}, reference.aliases)["reason"]
    assert reasons.tolist() == ["alias: chr1 names NC_051336.1 in the reference's chrom_aliases.tsv"]


def test_a_ucsc_fasta_without_definition_lines_writes_an_empty_table(tmp_path):
    source = fasta(tmp_path / "g.fa", {"chr1": "ACGT", "chr2": "CCGG"})
    reference = Reference(write_reference_index(source, tmp_path / "ref"))
    assert reference.aliases == {}
    assert (tmp_path / "ref" / "chrom_aliases.tsv").read_text().split("\n")[0] == "\t".join(ALIAS_COLUMNS)


def test_an_ncbi_assembly_report_names_a_refseq_fasta_in_every_spelling(tmp_path):
    report = write_lines(tmp_path / "GCF_000002285.5_assembly_report.txt", DOG_REPORT, gz=True)
    names = ["NC_006583.4", "NC_006584.4", "NW_023329752.1", "NC_002008.4"]
    pairs = file_aliases(report, names)
    aliases = dict(pairs)
    assert aliases["chr1"] == aliases["1"] == aliases["CM000001.4"] == "NC_006583.4"
    assert (
        aliases["chrUn_NW_023329752v1"] == aliases["AAEX04000039.1"] == aliases["chrUn6"] == "NW_023329752.1"
    )
    # two rows call themselves MT: the GenBank one names no sequence of this FASTA, the RefSeq one does
    assert aliases["MT"] == aliases["chrM"] == "NC_002008.4"
    assert "CM023446.1" not in aliases and "na" not in aliases
    assert "Primary Assembly" not in aliases and "122014068" not in aliases  # not name columns


def test_a_ucsc_chromalias_table_and_a_ucsc_named_fasta(tmp_path):
    aliases_path = write_lines(tmp_path / "hg38.chromAlias.txt", HG38_CHROMALIAS)
    table = alias_table(["chr1", "chrX", "chrM"], {}, aliases_path)
    got = dict(zip(table["alias"], table["name_in_reference"]))
    assert got == {
        "1": "chr1",
        "CM000663.2": "chr1",
        "NC_000001.11": "chr1",
        "X": "chrX",
        "CM000685.2": "chrX",
        "NC_000023.11": "chrX",
        "MT": "chrM",
        "J01415.2": "chrM",
        "NC_012920.1": "chrM",
    }
    assert table["name_in_reference"].tolist()[0] == "chr1"  # reference order
    assert set(table["source"]) == {"alias table hg38.chromAlias.txt"}


def test_conflicting_and_shadowing_aliases_are_dropped_with_a_warning(tmp_path, caplog):
    table_path = write_lines(
        tmp_path / "aliases.tsv",
        ["scaf_a\tfirst", "scaf_a\tsecond", "second\tthird", "1\tsecond", "scaf_b\tsecond"],
    )
    descriptions = {"first": "Homo sapiens chromosome 1", "third": "Homo sapiens chromosome 2"}
    with caplog.at_level(logging.WARNING, logger="epibench"):
        table = alias_table(["first", "second", "third", "2"], descriptions, table_path)
    # scaf_a: two sequences; 1: first's definition line and the file disagree; 2: a reference name;
    # the row "second third" names two reference sequences
    assert table[["alias", "name_in_reference"]].values.tolist() == [["scaf_b", "second"]]
    assert "alias scaf_a given to first and second: dropped" in caplog.text
    assert "alias 1 given to first and second: dropped" in caplog.text
    assert "alias 2 of third is another reference sequence's name: dropped" in caplog.text
    assert "1 rows name two sequences of the reference, not used" in caplog.text


def test_an_alias_table_of_another_assembly_is_an_error_naming_it(tmp_path):
    path = write_lines(
        tmp_path / "mm39.chromAlias.txt", ["# ucsc\trefseq", "chr1\tNC_000067.7", "chr2\tNC_000068.8"]
    )
    with pytest.raises(
        InputError, match=r"mm39\.chromAlias\.txt.*none of its 2 rows.*chr1, chr2.*NC_051336\.1"
    ):
        file_aliases(path, ["NC_051336.1"])


@pytest.mark.parametrize(
    "lines, where, message",
    [
        (["chr1\tNC_051336.1", "chr2"], 2, "one name"),
        ([DOG_REPORT[2], "1\tassembled-molecule\t1\tChromosome\tCM000001.4"], 2, "needs 10 tab-separated"),
    ],
)
def test_a_damaged_alias_table_names_its_line(tmp_path, lines, where, message):
    path = write_lines(tmp_path / "aliases.txt", lines)
    with pytest.raises(InputError, match=message) as error:
        file_aliases(path, ["NC_051336.1"])
    assert f"aliases.txt, line {where}" in str(error.value)


def test_a_written_table_without_its_columns_is_refused(tmp_path):
    path = write_lines(tmp_path / "chrom_aliases.tsv", ["a\tb", "x\ty"])
    with pytest.raises(InputError, match="not a chromosome-alias table"):
        read_alias_table(path)


def window_bases() -> str:
    with gzip.open(DATA / "hg38_chr22_32000000_32300000.fa.gz", "rt") as fh:
        return "".join(line.strip() for line in fh if not line.startswith(">"))


RAT_3 = (
    "NC_051338.1 Rattus norvegicus strain BN/NHsdMcwi chromosome 3, mRatBN7.2, whole genome shotgun sequence"
)


def run(*args: str) -> int:
    return main([str(a) for a in args])


def test_every_stage_meets_ucsc_named_inputs_on_an_ncbi_named_reference(tmp_path):
    """Calls, a mark bedGraph and the held-out chromosomes say chr1 (UCSC's rn7) or 1 (Ensembl's), the
    FASTA NC_051336.1: ingest, mark-bigwig, shard-plan and chrom-names all meet them; the plan leaves
    out the mitochondrion its definition line names."""
    source = fasta(
        tmp_path / "GCF_rat.fna",
        {RAT_1: window_bases(), RAT_2: "ACGT" * 500, RAT_3: "TTCG" * 500, RAT_MT: "CGAT" * 300},
    )
    ref = tmp_path / "ref"
    assert run("reference", "--fasta", source, "--out-dir", ref) == 0
    genome = ref / "genome.fa"
    calls = pd.read_csv(
        DATA / "Lister2009_imr90_chr22_32000000_32300000.tab.gz",
        sep="\t",
        names=["chrom", "pos1", "total", "meth"],
    )
    cov = tmp_path / "s.cov"
    cov.write_text(
        "".join(
            f"chr1\t{p - WINDOW_START}\t{p - WINDOW_START}\t{100 * m / t:.2f}\t{m}\t{t - m}\n"
            for p, t, m in zip(calls["pos1"], calls["total"], calls["meth"])
        )
    )
    out = tmp_path / "s.parquet"
    assert (
        run(
            "ingest",
            "--input",
            cov,
            "--sample",
            "s",
            "--reference",
            genome,
            "--format",
            "bismark_cov",
            "--min-coverage",
            1,
            "--out",
            out,
            "--qc",
            tmp_path / "s.json",
        )
        == 0
    )
    table = pd.read_parquet(out)
    assert set(table["chrom"]) == {"NC_051336.1"} and len(table) == len(calls)

    bedgraph = write_lines(tmp_path / "mark.bedGraph", ["1\t0\t1000\t2.5", "chr2\t0\t100\t1.0"])
    bigwig = tmp_path / "mark.bw"
    assert run("mark-bigwig", "--input", bedgraph, "--reference", genome, "--out", bigwig) == 0
    handle = pyBigWig.open(str(bigwig))
    assert handle.stats("NC_051336.1", 0, 1000)[0] == pytest.approx(2.5)
    assert handle.stats("NC_051337.1", 0, 100)[0] == pytest.approx(1.0)
    handle.close()

    plan = tmp_path / "plan"
    assert (
        run(
            "shard-plan",
            "--chrom-sizes",
            ref / "chrom_sizes.tsv",
            "--chrom-aliases",
            ref / "chrom_aliases.tsv",
            "--mode",
            "chroms",
            "--val-chroms",
            "chr2",
            "--test-chroms",
            "3",
            "--out-dir",
            plan,
        )
        == 0
    )
    splits = pd.read_csv(plan / "splits.bed", sep="\t", header=None, comment="#").iloc[:, [0, 3]]
    assert dict(splits.drop_duplicates().values.tolist()) == {
        "NC_051336.1": "train",
        "NC_051337.1": "val",
        "NC_051338.1": "test",
        "NC_001665.2": "left_out",
    }

    gtf = write_lines(  # Ensembl's spelling; a transcript on the window's first 2 kb (+ strand)
        tmp_path / "genes.gtf",
        [
            '1\tensembl\ttranscript\t1001\t3000\t.\t+\t.\tgene_id "G1"; transcript_id "T1";',
            '1\tensembl\texon\t1001\t3000\t.\t+\t.\tgene_id "G1"; transcript_id "T1";',
        ],
    )
    regions = tmp_path / "regions.parquet"
    assert (
        run(
            "regions",
            "--reference",
            genome,
            "--gtf",
            gtf,
            "--tmp-dir",
            tmp_path,
            "--out",
            regions,
            "--summary",
            tmp_path / "summary.tsv",
            "--chrom-names",
            tmp_path / "gtf_names.tsv",
        )
        == 0
    )
    annotated = pd.read_parquet(regions)
    promoters = annotated[annotated["region"] == REGION_CLASSES.index("promoter")]
    assert set(promoters["chrom"].astype(str)) == {"NC_051336.1"}
    assert promoters["pos"].between(0, 1500).all() and len(promoters) > 0

    track_path = tmp_path / "mark_ucsc.bw"
    handle = pyBigWig.open(str(track_path), "w")
    handle.addHeader([("chr1", len(window_bases()))])
    handle.addEntries(["chr1"], [100], ends=[200], values=[4.0])
    handle.close()
    reference = Reference(genome)
    signal = Track(track_path, reference.chroms, reference.aliases).values("NC_051336.1", 300)
    assert (signal[100:200] == 4.0).all() and np.isnan(signal[:100]).all()

    names = tmp_path / "chrom_names.tsv"
    assert run("chrom-names", "--reference", genome, "--input", f"calls={cov}", "--out", names) == 0
    assert pd.read_csv(names, sep="\t")[["name_in_file", "name_in_reference", "action"]].values.tolist() == [
        ["chr1", "NC_051336.1", "renamed"]
    ]


def test_an_ncbi_fasta_of_a_known_assembly_is_recognised_through_its_definition_lines():
    """rn6 (Rnor_6.0) as NCBI names it: NC_005100.4 is chromosome 1 (282,763,074 bp), NC_005101.4 is 2."""
    lengths = {"NC_005100.4": 282_763_074, "NC_005101.4": 266_435_125}
    assert match_assembly(lengths).matched == []
    match = match_assembly(lengths, {"1": "NC_005100.4", "2": "NC_005101.4"})
    assert match.matched == ["rn6"] and match.compared == 2


RICE_REPORT = (
    Path(__file__).parent / "data" / "real_formats" / "ncbi_GCF_001433935.1_IRGSP-1.0_assembly_report.txt"
)
RICE_REFSEQ = {  # the report's chromosome rows: Sequence-Name -> RefSeq-Accn
    **{str(n): f"NC_0{29255 + n}.1" for n in range(1, 13)},
    "Pltd": "NC_001320.1",
    "MT": "NC_011033.1",
}


def test_the_real_rice_assembly_report_ties_every_spelling_to_a_refseq_fasta(tmp_path):
    """NCBI's IRGSP-1.0 report against a FASTA of its RefSeq accessions (as NCBI's GCF_ download names
    them, here with no definition line): MSU's Chr1, Ensembl Plants' 1 and Mt, GenBank's AP014957.1 and
    the report's own scaffold names all meet it, and Ensembl's Pt and MSU's ChrC the chloroplast the
    report calls Pltd."""
    source = fasta(tmp_path / "rice.fna", {accession: "ACGT" for accession in RICE_REFSEQ.values()})
    reference = Reference(write_reference_index(source, tmp_path / "ref", RICE_REPORT))
    names = ["Chr1", "12", "chr5", "AP014968.1", "Mt", "chrM", "Pltd", "Pt", "ChrC", "Syng_TIGR_002", "ChrSy"]
    assert harmonise(names, reference.chroms, reference.aliases) == {
        "Chr1": RICE_REFSEQ["1"],
        "12": RICE_REFSEQ["12"],
        "chr5": RICE_REFSEQ["5"],
        "AP014968.1": RICE_REFSEQ["12"],
        "Mt": RICE_REFSEQ["MT"],
        "chrM": RICE_REFSEQ["MT"],
        "Pltd": RICE_REFSEQ["Pltd"],
        "Pt": RICE_REFSEQ["Pltd"],
        "ChrC": RICE_REFSEQ["Pltd"],
        "Syng_TIGR_002": None,  # an unplaced scaffold the FASTA leaves out
        "ChrSy": None,
    }
    table = pd.read_csv(tmp_path / "ref" / "chrom_aliases.tsv", sep="\t", dtype=str)
    assert set(table["source"]) == {f"alias table {RICE_REPORT.name}"}
    assert "na" not in set(table["alias"])


def test_the_rice_report_names_an_ensembl_named_fasta_for_refseq_inputs(tmp_path):
    """The other way round: a FASTA of the report's Sequence-Names (Ensembl Plants' 1..12, MT, but Pltd)
    meets a RefSeq-named GTF or calls."""
    source = fasta(tmp_path / "rice.fa", {name: "ACGT" for name in RICE_REFSEQ})
    reference = Reference(write_reference_index(source, tmp_path / "ref", RICE_REPORT))
    inputs = list(RICE_REFSEQ.values())
    assert harmonise(inputs, reference.chroms, reference.aliases) == {v: k for k, v in RICE_REFSEQ.items()}


def test_a_mitochondrion_known_only_by_an_alias_differing_in_length_only_warns():
    """rat's RefSeq mitochondrion NC_001665.2 (16,313 bp) against a bigWig's chrM of another length:
    the mitochondrion warns, as chrM/MT do; a nuclear chromosome stops the run."""
    reference, aliases = {"NC_001665.2": 16_313, "NC_051336.1": 1_000}, {
        "MT": "NC_001665.2",
        "1": "NC_051336.1",
    }
    mismatches = length_mismatches(reference, {"mark.bw": {"chrM": 16_299, "chr1": 1_000}}, aliases=aliases)
    assert mismatches[["chromosome", "reference_chromosome"]].values.tolist() == [["chrM", "NC_001665.2"]]
    (warning,) = check_lengths(mismatches, "rat.fa")
    assert "chrM is 16,299 bp, the reference's NC_001665.2 16,313" in warning
    nuclear = length_mismatches(reference, {"mark.bw": {"chr1": 999}}, aliases=aliases)
    with pytest.raises(InputError, match="sequence lengths differ"):
        check_lengths(nuclear, "rat.fa")


def test_a_draft_assembly_of_other_lengths_shows_the_first_mismatches_and_counts_them():
    """A bigWig of another draft's 5,000 scaffolds: the error counts every mismatch, shows 20 rows."""
    reference = {f"scaffold_{i}": 1_000 + i for i in range(5_000)}
    other = {name: length + 7 for name, length in reference.items()}
    with pytest.raises(InputError, match=r"\(5,000 mismatches, the first 20 shown\)") as info:
        check_lengths(length_mismatches(reference, {"mark.bw": other}), "draft.fa")
    table = str(info.value).split("\n")[1:]
    assert len(table) == 21 and "scaffold_19 " in table[-1]  # the header and 20 rows
