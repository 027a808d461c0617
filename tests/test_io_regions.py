"""Region annotation (epibench.io.regions, GTF reading in epibench.io.gene_models): transcripts from GTF, CpG classes by priority."""

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.reference import Reference, write_reference_index
from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.regions import (
    annotate_regions,
    annotate_regions_with_report,
    read_bed_intervals,
    write_regions,
)
from epibench.codes import REGION_CLASSES
from text_files import write_lines

GENCODE = os.path.join(os.path.dirname(__file__), "data", "gencode_human.gtf.gz")
P, E, B, I = (REGION_CLASSES.index(c) for c in ("promoter", "enhancer", "gene_body", "intergenic"))

# chr1: all A except a CG at each of these 0-based positions; chr2: one CG at 3
CPGS = [5, 20, 34, 36, 40, 60, 80, 100, 120, 150, 160, 166, 175, 180]

# GTF in Ensembl spelling ("1") against a UCSC FASTA ("chr1"); 1-based inclusive.
# t1 (+): 31-110 -> 0-based [30, 110), TSS 30; t2 (-): 121-170 -> [120, 170), TSS 169.
# chrZ is not in the FASTA and is ignored.
GTF_LINES = [
    '1\tt\tgene\t31\t110\t.\t+\t.\tgene_id "g1"; gene_name "A";',
    '1\tt\ttranscript\t31\t110\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    '1\tt\texon\t31\t50\t.\t+\t.\tgene_id "g1"; transcript_id "t1"; exon_number 1;',
    '1\tt\texon\t91\t110\t.\t+\t.\tgene_id "g1"; transcript_id "t1"; exon_number 2;',
    '1\tt\ttranscript\t121\t170\t.\t-\t.\tgene_id "g2"; transcript_id "t2";',
    '1\tt\texon\t161\t170\t.\t-\t.\tgene_id "g2"; transcript_id "t2"; exon_number 1;',
    '1\tt\texon\t121\t140\t.\t-\t.\tgene_id "g2"; transcript_id "t2"; exon_number 2;',
    'chrZ\tt\ttranscript\t1\t100\t.\t+\t.\tgene_id "g3"; transcript_id "t3";',
    'chrZ\tt\texon\t1\t100\t.\t+\t.\tgene_id "g3"; transcript_id "t3";',
]
TRANSCRIPTS = [  # by hand from GTF_LINES
    ("1", 30, 110, "+", "g1", "t1"),
    ("1", 120, 170, "-", "g2", "t2"),
    ("chrZ", 0, 100, "+", "g3", "t3"),
]
ENHANCERS = [
    "track name=enh",
    "chr1\t15\t45\tpELS",
    "chr1\t95\t105\tdELS",
    "1\t170\t185\tdELS",
    "chrQ\t0\t10\tx",
]

# promoter up=10, down=5: t1 (+, TSS 30): [20, 35); t2 (-, TSS 169): [165, 180)
# enhancers [15, 45), [95, 105), [170, 185); gene bodies [30, 110), [120, 170)
EXPECTED = {
    5: I,
    20: P,  # promoter and enhancer: promoter wins
    34: P,  # last promoter base of t1
    36: E,  # past the promoter; enhancer beats gene body
    40: E,
    60: B,
    80: B,
    100: E,
    120: B,
    150: B,
    160: B,  # a + strand window around 169 would call it promoter; t2 is on -
    166: P,
    175: P,  # upstream of the - strand TSS; also enhancer
    180: E,  # just past the - strand promoter
}


@pytest.fixture
def ref(tmp_path):
    chr1 = bytearray(b"A" * 200)
    for c in CPGS:
        chr1[c : c + 2] = b"CG"
    fasta = tmp_path / "g.fa"
    fasta.write_text(f">chr1\n{chr1.decode()}\n>chr2\nAAACGAAA\n")
    return Reference(write_reference_index(fasta, tmp_path / "ref"))


def test_transcripts_from_transcript_rows(tmp_path):
    got = transcripts_from_gtf(write_lines(tmp_path / "a.gtf.gz", ["#!genome-build x", *GTF_LINES], gz=True))
    assert list(got.columns) == ["chrom", "start", "end", "strand", "gene_id", "transcript_id"]
    assert list(got.itertuples(index=False, name=None)) == TRANSCRIPTS


def test_transcripts_from_exon_rows_only(tmp_path):
    exons_only = [line for line in GTF_LINES if "\texon\t" in line]
    got = transcripts_from_gtf(write_lines(tmp_path / "refGene.gtf", exons_only))
    assert sorted(got.itertuples(index=False, name=None)) == sorted(TRANSCRIPTS)


def test_region_priority_and_strand(tmp_path, ref):
    gtf = write_lines(tmp_path / "a.gtf", GTF_LINES)
    bed = write_lines(tmp_path / "enh.bed.gz", ENHANCERS, gz=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    got = annotate_regions(ref, gtf, bed, promoter_upstream=10, promoter_downstream=5, tmp_dir=scratch)
    assert list(got.columns) == ["chrom", "pos", "region"]
    assert got.pos.dtype == np.int64 and got.region.dtype == np.int8
    want = [("chr1", c, EXPECTED[c]) for c in CPGS] + [("chr2", 3, I)]
    assert list(got.itertuples(index=False, name=None)) == want
    assert os.listdir(scratch) == []  # pybedtools' temporary files are gone


def test_exon_only_gtf_gives_the_same_regions(tmp_path, ref):
    exons_only = write_lines(tmp_path / "refGene.gtf", [line for line in GTF_LINES if "\texon\t" in line])
    full = write_lines(tmp_path / "a.gtf", GTF_LINES)
    kwargs = dict(promoter_upstream=10, promoter_downstream=5, tmp_dir=tmp_path)
    pd.testing.assert_frame_equal(
        annotate_regions(ref, exons_only, **kwargs), annotate_regions(ref, full, **kwargs)
    )


def test_without_enhancers(tmp_path, ref, caplog):
    with caplog.at_level("WARNING", logger="epibench.io.regions"):
        got = annotate_regions(
            ref, write_lines(tmp_path / "a.gtf", GTF_LINES), promoter_upstream=10, promoter_downstream=5
        )
    # the enhancer CpGs fall back to what lies beneath: gene body or intergenic
    fallback = {36: B, 40: B, 100: B, 180: I}
    assert got.region.tolist() == [fallback.get(c, EXPECTED[c]) for c in CPGS] + [I]
    # a user who deleted the demo's enhancers is told why the class is empty, and what gives it
    assert "no enhancer BED (reference.enhancers): no CpG is an enhancer" in caplog.text
    assert "mnemonics.bed" in caplog.text


def test_a_draft_assemblys_sequences_without_transcripts_are_counted_not_all_listed(tmp_path, caplog):
    """500 scaffolds, one with a transcript: the warning names ten of the 499 others and their
    number, as the log of a 10^5-scaffold assembly must (it listed every name before)."""
    fasta = tmp_path / "draft.fa"
    fasta.write_text("".join(f">scaffold_{i}\nAACGTTACGA\n" for i in range(500)))
    reference = Reference(write_reference_index(fasta, tmp_path / "ref"))
    gtf = write_lines(
        tmp_path / "a.gtf", ['scaffold_0\tx\texon\t2\t9\t.\t+\t.\tgene_id "g"; transcript_id "t";']
    )
    with caplog.at_level("WARNING"):
        annotation = annotate_regions_with_report(reference, gtf, tmp_dir=tmp_path)
    assert len(annotation.chroms_without_transcripts) == 499
    (warning,) = [r.getMessage() for r in caplog.records if "no transcript on" in r.getMessage()]
    assert "no transcript on 499 of 500" in warning and "(499 in all)" in warning
    assert "scaffold_10," in warning and "scaffold_499" not in warning


def _transcript(chrom: str, start: int, end: int, strand: str, tid: str) -> str:
    """A GTF transcript row (1-based inclusive ``start``-``end``) of gene ``g_<tid>``."""
    return (
        f'{chrom}\tt\ttranscript\t{start}\t{end}\t.\t{strand}\t.\tgene_id "g_{tid}"; transcript_id "{tid}";'
    )


def test_an_annotation_wholly_past_the_sequences_end_is_an_error(tmp_path, ref):
    """Every transcript on a FASTA sequence starts past its end (chr1 is 200 bp; chrZ is not in the
    FASTA): the error names the file, the count, the first transcript's span and the sequence's
    length, the transcripts elsewhere and the two likely causes."""
    gtf = write_lines(
        tmp_path / "other.gtf",
        [_transcript("1", 301, 400, "+", "far1"), _transcript("1", 251, 260, "-", "far2"), *GTF_LINES[-2:]],
    )
    with pytest.raises(InputError) as info:
        annotate_regions(ref, gtf, tmp_dir=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{gtf}: no transcript of the GTF lies on the FASTA: all 2 on its sequences")
    assert (
        "start past the end of their sequence (the first: far1 at chr1:301-400, on a sequence of 200 bp)"
        in (message)
    )
    assert "the other 1 lie on sequences the FASTA lacks" in message
    assert "another assembly" in message and "excerpt of the genome" in message


def test_an_annotation_partly_past_the_sequences_end_only_warns(tmp_path, ref, caplog):
    """A FASTA that is part of a chromosome with the whole chromosome's annotation: t4 reaches past
    chr1's end (200 bp), t5 lies wholly beyond it. A warning counts them (2 of 4 on the FASTA's
    sequences, 1 wholly past) with the first; the classes are those of the annotation without them
    (t4's promoter and body hold no CpG; nothing is made past the end)."""
    extra = [_transcript("1", 196, 260, "+", "t4"), _transcript("chr1", 301, 400, "+", "t5")]
    kwargs = dict(promoter_upstream=10, promoter_downstream=5, tmp_dir=tmp_path)
    with caplog.at_level("WARNING"):
        got = annotate_regions(ref, write_lines(tmp_path / "whole.gtf", [*GTF_LINES, *extra]), **kwargs)
    (warning,) = [r.getMessage() for r in caplog.records if "past the end" in r.getMessage()]
    assert warning.startswith(f"{tmp_path / 'whole.gtf'}: 2 of 4 transcripts on the FASTA's sequences")
    assert "(1 of them start past it; the first: t4 at chr1:196-260, on a sequence of 200 bp)" in warning
    assert "excerpt of the genome" in warning
    pd.testing.assert_frame_equal(
        got, annotate_regions(ref, write_lines(tmp_path / "a.gtf", GTF_LINES), **kwargs)
    )


def test_a_class_without_cpgs_is_warned_of(tmp_path, ref, caplog):
    """Transcripts without a strand make no promoter: the warning names the class and the
    transcripts' count; the gene body, which has CpGs, is not warned of."""
    gtf = write_lines(tmp_path / "unstranded.gtf", [_transcript("1", 31, 110, ".", "u1")])
    with caplog.at_level("WARNING"):
        annotate_regions(ref, gtf, tmp_dir=tmp_path)
    (warning,) = [
        r.getMessage()
        for r in caplog.records
        if "no CpG is promoter" in r.getMessage() or "no CpG is gene_body" in r.getMessage()
    ]
    assert warning.startswith(
        f"{gtf}: no CpG is promoter although 1 transcripts lie on the FASTA's sequences"
    )


def test_write_regions(tmp_path, ref):
    got = annotate_regions(ref, write_lines(tmp_path / "a.gtf", GTF_LINES))
    write_regions(got, tmp_path / "out" / "regions.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "regions.parquet"), got)
    assert os.listdir(tmp_path / "out") == ["regions.parquet"]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (
            '1\tt\ttranscript\t31\t110\t.\t+\tgene_id "g1"; transcript_id "t9";',
            "9 tab-separated columns, found 8",
        ),
        (
            '1\tt\ttranscript\tx\t110\t.\t+\t.\tgene_id "g1"; transcript_id "t9";',
            "start/end must be integers",
        ),
        ('1\tt\ttranscript\t31\t110\t.\t?\t.\tgene_id "g1"; transcript_id "t9";', "strand must be"),
        (  # as R's write.table writes a round position
            '1\tt\ttranscript\t31\t1e+02\t.\t+\t.\tgene_id "g1"; transcript_id "t9";',
            "'31', '1e\\+02' \\(scientific notation, as R's write.table writes round numbers",
        ),
    ],
)
def test_bad_gtf_names_the_line(tmp_path, line, what):
    path = write_lines(tmp_path / "bad.gtf", [*GTF_LINES[:3], line])
    with pytest.raises(InputError, match=what) as info:
        transcripts_from_gtf(path)
    assert info.value.line == 4 and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("end", "what"), [("end", "'95', 'end'$"), ("1.2E2", "'95', '1.2E2' \\(scientific notation, as R's")]
)
def test_bad_enhancer_bed_names_the_line(tmp_path, ref, end, what):
    bed = write_lines(tmp_path / "enh.bed", ["chr1\t15\t45", f"chr1\t95\t{end}"])
    with pytest.raises(InputError, match="start/end must be integers") as info:
        annotate_regions(ref, write_lines(tmp_path / "a.gtf", GTF_LINES), bed)
    assert info.value.line == 2 and re.search(what, str(info.value))


# --- the real GENCODE subset ----------------------------------------------------------


def gencode_transcripts():
    """Transcript rows parsed here with plain Python, independently of the module."""
    rows = []
    with gzip.open(GENCODE, "rt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) == 9 and f[2] == "transcript":
                tid = re.search(r'transcript_id "([^"]+)"', f[8]).group(1)
                rows.append((f[0], int(f[3]) - 1, int(f[4]), f[6], tid))
    return rows


def test_gencode_transcripts_and_exon_derived_spans(tmp_path):
    want = gencode_transcripts()
    got = transcripts_from_gtf(GENCODE)
    assert len(got) == len(want) == 470
    assert (
        list(got[["chrom", "start", "end", "strand", "transcript_id"]].itertuples(index=False, name=None))
        == want
    )
    # the same file without transcript rows: each span is its exons' min start .. max end,
    # computed here in plain Python (the subset lacks a few exons, so these can differ from
    # GENCODE's own transcript rows)
    with gzip.open(GENCODE, "rt") as fh:
        exon_lines = [line.rstrip("\n") for line in fh if "\texon\t" in line]
    spans = {}
    for line in exon_lines:
        f = line.split("\t")
        tid = re.search(r'transcript_id "([^"]+)"', f[8]).group(1)
        start, end = spans.get(tid, (int(f[3]) - 1, int(f[4])))
        spans[tid] = (min(start, int(f[3]) - 1), max(end, int(f[4])))
    derived = transcripts_from_gtf(write_lines(tmp_path / "exons.gtf", exon_lines))
    assert len(derived) == len(spans) == 470
    assert {
        t: (s, e) for t, s, e in derived[["transcript_id", "start", "end"]].itertuples(index=False)
    } == spans


def test_gencode_regions_match_brute_force(tmp_path):
    # Synthetic chr1 (no FASTA ships with the GTF): random bases over the GTF's span.
    rng = np.random.default_rng(5)
    length = 1_540_000
    seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, length)]
    fasta = tmp_path / "chr1.fa"
    fasta.write_bytes(b">chr1\n" + seq.tobytes() + b"\n")
    ref = Reference(write_reference_index(fasta, tmp_path / "ref"))
    got = annotate_regions(ref, GENCODE, tmp_dir=tmp_path)
    assert len(got) == int(((seq[:-1] == ord("C")) & (seq[1:] == ord("G"))).sum())

    transcripts = gencode_transcripts()

    def brute(pos):  # promoter TSS -1000/+500 strand-aware > gene body > intergenic
        for _, start, end, strand, _ in transcripts:
            tss = start if strand == "+" else end - 1
            offset = (pos - tss) if strand == "+" else (tss - pos)  # + downstream, - upstream
            if -1000 <= offset < 500:
                return P
        return B if any(start <= pos < end for _, start, end, _, _ in transcripts) else I

    sample = got.iloc[rng.choice(len(got), size=400, replace=False)]
    assert [brute(p) for p in sample.pos] == sample.region.tolist()
    assert set(got.region.unique()) == {P, B, I}


def test_region_summary_counts_each_class_per_chromosome():
    from epibench.io.regions import region_summary

    table = pd.DataFrame(
        {"chrom": ["c1"] * 4 + ["c2"], "pos": range(5), "region": np.array([0, 0, 3, 2, 3], np.int8)}
    )
    summary = region_summary(table).set_index(["chrom", "region"])
    assert summary.loc[("c1", "promoter"), "n_cpg"] == 2
    assert summary.loc[("c1", "promoter"), "share"] == 0.5
    assert summary.loc[("c2", "intergenic"), "n_cpg"] == 1
    assert summary["n_cpg"].sum() == 5


def test_a_bigbed_of_intervals_reads_as_its_bed(tmp_path):
    """ENCODE gives its cCREs (and labs their peaks) as bigBed too: the entries pyBigWig lists, with
    their further fields (pyBigWig's test bigBed: BED6+3, 19 entries on six mm9 chromosomes)."""
    import pyBigWig

    path = Path(__file__).parent / "data" / "real_formats" / "pybigwig_test.bigBed"
    with pyBigWig.open(str(path)) as bb:
        want = [
            (chrom, start, end, tuple(rest.split("\t")))
            for chrom in bb.chroms()
            for start, end, rest in (bb.entries(chrom, 0, bb.chroms(chrom)) or [])
        ]
    got = read_bed_intervals(path, keep_fields=True)
    assert list(got.itertuples(index=False, name=None)) == want and len(want) == 19
