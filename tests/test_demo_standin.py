"""The stand-in reference for real calls without their sequence: a CG at every called CpG and nowhere else.

Real data (tests/data/imr90_hg38_chr22/): the IMR90 CpGs of chr22:32,000,001-32,300,000, moved to
window coordinates; every planted CpG must be one of the real window's CpGs, and ingest against
the stand-in must find every call on a CG.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.cli import main
from epibench.demo.standin import cpg_starts, standin_codes
from epibench.io.methylation.ingest import ingest
from epibench.io.reference import Reference, write_reference_index

DATA = Path(__file__).parent / "data" / "imr90_hg38_chr22"
WINDOW_START = 32_000_000


def _cpgs_of(text: str) -> set[int]:
    return {i for i in range(len(text) - 1) if text[i : i + 2] == "CG"}


def test_adjacent_unstranded_calls_are_one_cpgs_two_strands():
    assert cpg_starts(np.array([10, 11, 20, 30, 31, 32, 33, 50])).tolist() == [10, 20, 30, 32, 50]


def test_the_stand_in_has_a_cg_at_every_start_and_nowhere_else():
    starts = np.array([0, 5, 7, 100, 998])
    codes = standin_codes(1000, starts, seed=3)
    text = "".join("ACGTN"[c] for c in codes)
    assert _cpgs_of(text) == set(starts.tolist())
    gc = sum(base in "GC" for base in text) / len(text)
    assert 0.3 < gc < 0.5


def test_real_calls_plant_real_cpgs_and_ingest_finds_them_all(tmp_path):
    with gzip.open(DATA / "hg38_chr22_32000000_32300000.fa.gz", "rt") as fh:
        window = "".join(line.strip() for line in fh if not line.startswith(">"))
    rows = pd.read_csv(
        DATA / "Lister2009_imr90_chr22_32000000_32300000.tab.gz",
        sep="\t",
        names=["chrom", "pos1", "total", "meth"],
    )
    rows["pos1"] -= WINDOW_START
    calls = tmp_path / "imr90.tab"
    rows.to_csv(calls, sep="\t", header=False, index=False)
    sizes = tmp_path / "sizes.tsv"
    sizes.write_text(f"chr22\t{len(window)}\n")
    fasta = tmp_path / "standin.fa"
    main(["standin-genome", "--calls", str(calls), "--chrom-sizes", str(sizes), "--out", str(fasta)])
    standin = "".join(line.strip() for line in fasta.read_text().splitlines() if not line.startswith(">"))
    assert len(standin) == len(window)
    planted = _cpgs_of(standin)
    assert planted == set((rows["pos1"] - 1).tolist())
    assert planted <= _cpgs_of(window), "every measured CpG is a CpG of the real sequence"
    reference = Reference(write_reference_index(fasta, tmp_path / "reference"))
    table, qc = ingest(calls, reference, min_coverage=1)
    assert qc["cg_share"] == 1.0 and len(table) == len(rows)


def test_calls_beyond_the_sizes_are_another_assembly(tmp_path, capsys):
    calls = tmp_path / "calls.tab"
    calls.write_text("chr1\t500\t4\t2\n")
    sizes = tmp_path / "sizes.tsv"
    out = tmp_path / "o.fa"
    args = ["standin-genome", "--calls", str(calls), "--chrom-sizes", str(sizes), "--out", str(out)]
    for sizes_text, phrase in (("chr1\t300\n", "beyond its 300 bp"), ("chr2\t3000\n", "do not list")):
        sizes.write_text(sizes_text)
        assert main(args) == 2
        assert phrase in capsys.readouterr().err
    assert not out.exists()


def test_a_stand_in_reference_is_marked_and_the_report_says_so(tmp_path, caplog):
    import json
    import logging

    from epibench.report.cohort import cohort_report

    calls = tmp_path / "calls.tab"
    calls.write_text("chr22\t101\t4\t2\n")
    sizes = tmp_path / "sizes.tsv"
    sizes.write_text("chr22\t50818468\n")  # hg38's chr22
    fasta = tmp_path / "standin.fa"
    assert (
        main(["standin-genome", "--calls", str(calls), "--chrom-sizes", str(sizes), "--out", str(fasta)]) == 0
    )
    assert fasta.open().readline().startswith(">chr22 epibench-standin ")
    results = tmp_path / "results"
    with caplog.at_level(logging.WARNING):
        assert main(["reference", "--fasta", str(fasta), "--out-dir", str(results / "reference")]) == 0
    record = json.loads((results / "reference" / "assembly.json").read_text())
    assert record["standin"] is True and record["matched"] == ["hg38"]
    assert record["summary"].startswith(
        "a stand-in sequence (epibench standin-genome), its lengths: matches hg38"
    )
    assert "is a stand-in sequence" in caplog.text
    page = cohort_report(results, "t", ["hybrid"], tmp_path / "report" / "index.html").read_text()
    assert page.count("the reference is a stand-in sequence") == 2  # evaluation and interpretation

    real = tmp_path / "real.fa"
    with gzip.open(DATA / "hg38_chr22_32000000_32300000.fa.gz", "rt") as fh:
        real.write_text(fh.read())
    assert main(["reference", "--fasta", str(real), "--out-dir", str(tmp_path / "real_ref")]) == 0
    assert json.loads((tmp_path / "real_ref" / "assembly.json").read_text())["standin"] is False
