"""Bad-input suite, gene annotation and BEDs (generated cases): ``epibench.io.regions``.

Random GTFs (transcript and exon rows, or exon rows only as UCSC refGene writes them) and
enhancer BEDs, chromosome names in both spellings (``chr1`` and ``1`` in one file against a
reference that uses one), plain or gzip, then damaged: cut at a random byte, a field added or
removed, text or a huge number as a coordinate, end before start, a bad strand, no
transcript_id, a row given twice, or nothing at all. The expected transcripts, intervals and
region classes are derived here by parsing the text by the documented rules (GTF: 9
tab-separated columns, empty ones after them dropped, a row of 8 ending in a frame without
attributes, rows without a transcript_id skipped, 1-based inclusive; BED: 0-based half-open, a UCSC ``bin`` column
recognised) and by a brute-force region call per CpG; otherwise an InputError names the file
and the line.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import (
    STYLES,
    references_in_both_styles,
    Bad,
    check_error,
    coordinate,
    damaged,
    expected_intervals,
    outcome,
    text_of,
)
from conftest import count_case
from epibench.io.gene_models import transcripts_from_gtf
from epibench.io.regions import annotate_regions, read_bed_intervals
from epibench.codes import REGION_CLASSES

LENGTHS = {"1": 700, "2": 300}
UP, DOWN = 60, 25  # promoter: TSS - UP .. TSS + DOWN
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _sequences() -> dict[str, str]:
    """Bare names -> random bases with a CpG every 13 bp."""
    rng = random.Random(7)
    seqs = {}
    for bare, length in LENGTHS.items():
        bases = [rng.choice("ACGT") for _ in range(length)]
        for at in range(2, length - 2, 13):
            bases[at : at + 2] = "CG"
        seqs[bare] = "".join(bases)
    return seqs


SEQS = _sequences()


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict:
    """The reference in both naming styles (chr1.. and 1..), prepared like the reference stage."""
    return references_in_both_styles(tmp_path_factory.mktemp("regions_reference"), SEQS)


def reference_name(name: str, style: str) -> str | None:
    """The reference sequence a name in a file stands for (chr1 and 1 alike), None for none."""
    bare = name[3:] if name.lower().startswith("chr") else name
    return STYLES[style](bare) if bare in SEQS else None


# --- writing and damaging --------------------------------------------------------------------


@st.composite
def gtf_lines(draw) -> list[str]:
    """A GTF: comment lines, gene rows, transcript and exon rows (or exon rows only)."""
    lines = ["#!genome-build test", "#!genome-version 1"]
    exon_only = draw(st.booleans())
    for number in range(draw(st.integers(1, 5))):
        bare = draw(st.sampled_from([*LENGTHS, "3"]))  # 3: a sequence the FASTA lacks
        name = draw(st.sampled_from([f"chr{bare}", bare]))
        start = draw(st.integers(1, LENGTHS.get(bare, 100)))
        end = draw(st.integers(start, start + 250))
        strand = draw(st.sampled_from("+-."))
        ids = f'gene_id "G{number}"; transcript_id "T{number}"; gene_name "g{number}";'
        row = [name, "test", "", str(start), str(end), ".", strand, "."]
        lines.append("\t".join(row[:2] + ["gene"] + row[3:] + [f'gene_id "G{number}";']))
        if not exon_only:
            lines.append("\t".join(row[:2] + ["transcript"] + row[3:] + [ids]))
        cut = draw(st.integers(start, end))
        for lo, hi in ((start, cut), (cut, end)):
            lines.append("\t".join(row[:2] + ["exon"] + [str(lo), str(hi)] + row[5:] + [ids]))
    return lines


@st.composite
def bed_lines(draw) -> list[str]:
    """An enhancer BED: an optional track line, BED3 to BED6 rows, or a UCSC table with the bin first."""
    with_bin = draw(st.booleans())
    lines = (
        [draw(st.sampled_from(['track name="enhancers"', "#bin\tchrom\tchromStart\tchromEnd\tname"]))]
        if draw(st.booleans())
        else []
    )
    with_bin = with_bin or bool(lines and lines[0].startswith("#bin"))
    n_extra = draw(st.integers(0, 3))
    for number in range(draw(st.integers(1, 6))):
        bare = draw(st.sampled_from([*LENGTHS, "3"]))
        start = draw(st.integers(0, LENGTHS.get(bare, 100)))
        row = [
            draw(st.sampled_from([f"chr{bare}", bare])),
            str(start),
            str(draw(st.integers(start, start + 120))),
        ]
        row += ["dELS", "0", "."][:n_extra]
        lines.append("\t".join(([str(585 + number)] if with_bin else []) + row))
    return lines


# --- the documented rules ----------------------------------------------------------------------


def _span(number: int, f: list[str]) -> tuple[int, int]:
    """A row's 0-based start and end; Bad for bad coordinates or strand."""
    try:
        start, end = coordinate(f[3], 1), coordinate(f[4], 1)
    except ValueError:
        raise Bad("start/end must be integers", number) from None
    if end < start:
        raise Bad("start/end must be integers", number)
    if f[6] not in ("+", "-", "."):
        raise Bad("strand must be", number)
    return start - 1, end


def _gene_id(number: int, f: list[str]) -> str:
    """A gene row's id: its gene_id, else a bare id (AUGUSTUS: g1), else its line."""
    named, bare = re.search(r'gene_id "([^"]*)"', f[8]), re.fullmatch(r'\s*([^\s;"=]+)\s*;?\s*', f[8])
    return named.group(1) if named else bare.group(1) if bare else f"line {number}"


def expected_transcripts(lines: list[str]) -> list[tuple]:
    """(chrom, start 0-based, end, strand, gene_id, transcript_id) per transcript; Bad for a bad GTF.
    Gene rows are read only in a file without transcript and exon rows: one transcript each. Rows
    without a transcript_id are skipped, unless nothing else is left: then Bad at the first."""
    rows = {"transcript": [], "exon": []}
    genes, nameless = [], []
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.startswith("#"):
            continue
        f = text.split("\t")
        while len(f) > 9 and f[-1] == "":  # a tab after the attributes
            f.pop()
        if len(f) == 8 and f[7] in (".", "0", "1", "2"):  # no attributes column
            f.append("")
        if len(f) != 9:
            raise Bad("9 tab-separated columns", number)
        if f[2] == "gene":
            genes.append((number, f))
        if f[2] not in rows:
            continue
        start, end = _span(number, f)
        tid, gid = re.search(r'transcript_id "([^"]*)"', f[8]), re.search(r'gene_id "([^"]*)"', f[8])
        if tid is None and f[2] == "transcript" and re.fullmatch(r'\s*[^\s;"=]+\s*;?\s*', f[8]):
            continue  # a bare id, as AUGUSTUS writes transcript rows: skipped, its exons span it
        if tid is None:
            nameless.append(number)
            continue
        rows[f[2]].append((f[0], start, end, f[6], gid.group(1) if gid else "", tid.group(1), number))
    if not rows["transcript"] and not rows["exon"]:
        if nameless:
            raise Bad("without a transcript_id", nameless[0])
        if not genes:
            raise Bad("no transcript or exon rows", None)
        return [(f[0], *_span(n, f), f[6], _gene_id(n, f), _gene_id(n, f)) for n, f in genes]
    with_row = {row[5] for row in rows["transcript"]}
    spans: dict[tuple, list] = {}  # one transcript per id, chromosome and strand, of exons without a row
    for chrom, start, end, strand, gid, tid, number in rows["exon"]:
        if tid not in with_row:
            spans.setdefault((tid, chrom, strand), []).append((start, end, gid))
    return [row[:6] for row in rows["transcript"]] + [
        (chrom, min(e[0] for e in exons), max(e[1] for e in exons), strand, exons[0][2], tid)
        for (tid, chrom, strand), exons in spans.items()
    ]


def expected_regions(gtf: list[str], bed: list[str], style: str) -> list[tuple[str, int, int]]:
    """(chrom, CpG, region class) for every CpG of the reference, by brute force, from the lines of
    a GTF and an enhancer BED. Bad, in the order annotate_regions reads them, for a bad file (its
    name in ``Bad.file``) or when no transcript lies on the reference."""
    on_ref = [
        (reference_name(t[0], style), *t[1:])
        for t in expected_transcripts(gtf)
        if reference_name(t[0], style)
    ]
    if not on_ref:
        raise Bad("no transcript of the GTF lies on a sequence of the FASTA", None)
    try:
        enhancers = expected_intervals(bed)
    except Bad as bad:
        bad.file = "enhancers.bed"
        raise
    boxes = {name: [] for name in REGION_CLASSES[:-1]}
    for chrom, start, end, strand, *_ in on_ref:
        length = LENGTHS[chrom.removeprefix("chr")]
        if strand == "+":
            boxes["promoter"].append((chrom, max(start - UP, 0), min(start + DOWN, length)))
        elif strand == "-":
            boxes["promoter"].append((chrom, max(end - DOWN, 0), min(end + UP, length)))
        boxes["gene_body"].append((chrom, start, end))
    boxes["enhancer"] = [
        (reference_name(c, style), s, e) for c, s, e in enhancers if reference_name(c, style)
    ]
    out = []
    for bare, seq in SEQS.items():
        chrom = STYLES[style](bare)
        for c in (i for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"):
            inside = [
                any(b[0] == chrom and b[1] <= c < b[2] for b in boxes[name]) for name in REGION_CLASSES[:-1]
            ]
            out.append((chrom, c, inside.index(True) if any(inside) else len(REGION_CLASSES) - 1))
    return out


# --- the tests ---------------------------------------------------------------------------------


# (lines strategy, coordinate columns to damage, file name, reader, expected rows from the lines)
DAMAGEABLE = {
    "gtf": (gtf_lines(), (3, 4), "genes.gtf", transcripts_from_gtf, expected_transcripts),
    "bed": (bed_lines(), (1, 2, 3), "enhancers.bed", read_bed_intervals, expected_intervals),
}


@pytest.mark.parametrize("kind", list(DAMAGEABLE))
def test_a_damaged_annotation_file(kind, tmp_path_factory):
    """transcripts_from_gtf / read_bed_intervals: the rows the GTF / BED rules give, or an InputError
    naming file and line."""
    lines_strategy, columns, name, reader, expected_rows = DAMAGEABLE[kind]

    @settings(max_examples=250, **SETTINGS)
    @given(case=lines_strategy.flatmap(lambda lines: damaged(lines, columns)))
    def check(case):
        count_case("regions")
        lines, data, cut_gzip = case
        path = tmp_path_factory.mktemp(kind, numbered=True) / name
        path.write_bytes(data)
        want = outcome(expected_rows, lines)
        if cut_gzip or isinstance(want, Bad):
            check_error(lambda: reader(path), path, want, cut_gzip)
            return
        got = reader(path)
        assert [tuple(row) for row in got.itertuples(index=False)] == want

    check()


@settings(max_examples=60, **SETTINGS)
@given(gtf=gtf_lines(), bed=bed_lines(), style=st.sampled_from(list(STYLES)))
def test_region_classes_with_mixed_chromosome_names(gtf, bed, style, references, tmp_path_factory):
    """GTF and enhancer BED with chr1 and 1 mixed: every CpG gets the class the brute force gives."""
    count_case("regions")
    folder = tmp_path_factory.mktemp("regions", numbered=True)
    (folder / "genes.gtf").write_bytes(text_of(gtf))
    (folder / "enhancers.bed").write_bytes(text_of(bed))
    try:
        want = expected_regions(gtf, bed, style)
    except Bad as bad:
        want = bad

    def run():
        return annotate_regions(
            references[style], folder / "genes.gtf", folder / "enhancers.bed", UP, DOWN, tmp_dir=folder
        )

    if isinstance(want, Bad):
        check_error(run, folder / want.file, want, False)
        return
    table = run()
    got = list(zip(table["chrom"].astype(str), table["pos"].tolist(), table["region"].tolist()))
    assert got == want
    assert pd.api.types.is_integer_dtype(table["region"]) and np.all(table["pos"].to_numpy() >= 0)
