"""Tables read by the columns the user names (``columns:chrom=1,pos=2,...``; epibench.io.methylation.column_spec).

The expected calls are built here from the rows written: the position less the base, the
methylated count from the count, the level or the percent, the strand from +/- or F/R.
"""

from __future__ import annotations

import numpy as np
import pytest

from epibench import config as cohort_config
from epibench.config import ConfigError
from epibench.errors import InputError
from epibench.io.methylation import detect_source, ingest
from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED
from epibench.io.methylation.ingest import read_calls
from epibench.io.methylation.offsets import format_options
from small_reference import make_reference
from text_files import write_lines

ROWS = [
    ("chr1", 101, 0.25, 8, "+"),
    ("chr1", 102, 1.0, 3, "-"),
    ("chr2", 7, 0.0, 12, "+"),
    ("chr2", 30, 0.5, 4, "."),
]


def test_a_geo_table_of_levels_and_depths_by_its_columns(tmp_path):
    """An author's own layout (id, chrom, position, beta, coverage), space-separated under a line of
    column names: level x depth methylated reads, the reference to decide each row's strand."""
    lines = ["id chrom position beta coverage"] + [
        f"r{i} {c} {p} {b} {n}" for i, (c, p, b, n, _) in enumerate(ROWS)
    ]
    path = write_lines(tmp_path / "GSM1_calls.txt", lines)
    calls = read_calls(path, "columns:chrom=2,pos=3,level=4,total=5")
    assert calls.chrom.names[calls.chrom.codes].tolist() == [r[0] for r in ROWS]
    assert calls.pos.tolist() == [p - 1 for _, p, *_ in ROWS]  # base=1, the default
    assert calls.n_meth.tolist() == [b * n for _, _, b, n, _ in ROWS]
    assert calls.n_total.tolist() == [n for *_, n, _ in ROWS]
    assert (calls.strand == UNSTRANDED).all() and calls.base == 1


@pytest.mark.parametrize("strands", [("+", "-"), ("F", "R")])
def test_counts_with_a_strand_column_zero_based(tmp_path, strands):
    """methylated and unmethylated counts, 0-based positions, + / - (or methylKit's F / R) strands;
    a '.' row unstranded (the reference decides)."""
    to_file = {**dict(zip(("+", "-"), strands)), ".": "."}
    path = write_lines(
        tmp_path / "calls.tsv",
        [f"{c}\t{p}\t{to_file[s]}\t{round(b * n)}\t{n - round(b * n)}" for c, p, b, n, s in ROWS],
    )
    calls = read_calls(path, "columns:chrom=1,pos=2,strand=3,meth=4,unmeth=5,base=0")
    assert calls.pos.tolist() == [p for _, p, *_ in ROWS]
    assert calls.strand.tolist() == [{"+": ON_C, "-": ON_G, ".": UNSTRANDED}[s] for *_, s in ROWS]
    assert calls.n_meth.tolist() == [round(b * n) for _, _, b, n, _ in ROWS]
    assert calls.n_total.tolist() == [n for *_, n, _ in ROWS]


def test_percent_levels_and_the_base_offered_both_ways(tmp_path):
    path = write_lines(tmp_path / "calls.tsv", [f"{c}\t{p}\t{100 * b}\t{n}" for c, p, b, n, _ in ROWS])
    spec = "columns:chrom=1,pos=2,percent=3,total=4,base=0"
    assert read_calls(path, spec).n_meth.tolist() == [b * n for _, _, b, n, _ in ROWS]
    source = detect_source(path, spec)
    assert source.fmt == spec
    assert format_options(source) == {
        0: "columns:chrom=1,pos=2,percent=3,total=4,base=0",
        1: "columns:chrom=1,pos=2,percent=3,total=4,base=1",
    }


def test_a_table_read_one_base_off_is_told_the_other_base(tmp_path):
    """1-based calls of both cytosines of each CpG read with base=0: half land off their CpG; the
    CG check names the spec with base=1 as the likely fix. (A table of the C alone reads either way:
    one base on, an unstranded call sits on the CpG's G and merges into the same CpG.)"""
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGT"), size=20_000))
    reference = make_reference(tmp_path, {"chr1": seq})
    cpgs = [i for i in range(len(seq) - 1) if seq[i : i + 2] == "CG"]
    path = write_lines(tmp_path / "calls.tsv", [f"chr1\t{c + b}\t5\t10" for c in cpgs for b in (1, 2)])
    table, _ = ingest(path, reference, fmt="columns:chrom=1,pos=2,meth=3,total=4")
    assert table["pos"].tolist() == cpgs and (table["n_total"] == 20).all()
    with pytest.raises(
        InputError,
        match=r"either the file is one-based \(format columns:chrom=1,pos=2,meth=3,total=4,base=1\)",
    ):
        ingest(path, reference, fmt="columns:chrom=1,pos=2,meth=3,total=4,base=0")


@pytest.mark.parametrize(
    ("spec", "rows", "message", "line"),
    [
        ("columns:chrom=1,pos=2,meth=3,total=4", ["chr1\t5\t1\t4", "chr1\t9\t1.5\t4"], "meth", 2),
        ("columns:chrom=1,pos=2,meth=3,total=4", ["chr1\t5\t1\t4", "chr1\t9\t5\t4"], "more methylated", 2),
        ("columns:chrom=1,pos=2,level=3,total=4", ["chr1\t5\t0.5\t4", "chr1\t9\t1.2\t4"], "level", 2),
        ("columns:chrom=1,pos=2,meth=3,total=6", ["chr1\t5\t1\t4", "chr1\t9\t1\t4"], "names column 6", 1),
        (
            "columns:chrom=1,pos=2,strand=3,meth=4,total=5",
            ["chr1\t5\t+\t1\t4", "chr1\t9\t*\t1\t4"],
            "strand",
            2,
        ),
        ("columns:chrom=1,pos=2,meth=3,total=4", ["chr1\t0\t1\t4"], "below 1 in a 1-based", 1),
    ],
)
def test_a_bad_row_is_named_at_its_line(tmp_path, spec, rows, message, line):
    path = write_lines(tmp_path / "calls.tsv", rows)
    with pytest.raises(InputError, match=message) as info:
        read_calls(path, spec)
    assert info.value.line == line and info.value.path == path


def test_a_bad_spec_is_refused_naming_the_file(tmp_path):
    path = write_lines(tmp_path / "calls.tsv", ["chr1\t5\t1\t4"])
    with pytest.raises(InputError, match="unknown key 'chr'.*keys are chrom, pos"):
        read_calls(path, "columns:chr=1,pos=2,meth=3,total=4")
    with pytest.raises(InputError, match="the counts are one of"):
        read_calls(path, "columns:chrom=1,pos=2,meth=3")


def test_a_bad_spec_in_the_sheet_is_named_at_its_line(tmp_path):
    for name in ("genome.fa", "genes.gtf", "a.tsv", "b.tsv"):
        (tmp_path / name).write_text("x\n")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tmethylation\tformat\n"
        f"a\t{tmp_path / 'a.tsv'}\tcolumns:chrom=1,pos=2,meth=3,total=4\n"
        f"b\t{tmp_path / 'b.tsv'}\tcolumns:chrom=1,pos=2,meth=3,total=3\n"
    )
    cohort = {
        "cohort": "t",
        "samples": str(sheet),
        "reference": {"fasta": str(tmp_path / "genome.fa"), "gtf": str(tmp_path / "genes.gtf")},
        "marks": [],
    }
    with pytest.raises(
        ConfigError, match=r"samples\.tsv, line 3: sample 'b', column format .*column 3 is named for two"
    ):
        cohort_config.validate(cohort)
    sheet.write_text(sheet.read_text().replace("total=3", "total=5"))
    assert cohort_config.validate(cohort).loc["b", "format"] == ("columns:chrom=1,pos=2,meth=3,total=5",)
