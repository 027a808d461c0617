"""Real data (resources/real/h1hesc_rrbs_hg19/, the H1 cohort of `make real-h1hesc`): ENCODE HAIB's
bedRrbs of H1 hESC as the ProcessHTS package ships it, a ``track`` line whose fields are split by tabs,
both strands, rows in no order. Its chr22 rows are read against a stand-in chr22 (a CG at each call,
as the cohort's own reference is) and recounted with pandas: each CpG's reads are the coverage of its
two strands' rows, its methylated reads percent / 100 x coverage summed."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.demo.standin import write_standin
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest
from epibench.io.reference import Reference, write_reference_index

CALLS = Path(__file__).parents[1] / "resources" / "real" / "h1hesc_rrbs_hg19" / "rrbsH1hESC.bed.gz"
CHR22_BP = 51_304_566  # hg19


def test_the_real_rrbs_file_reads_as_encode_bedmethyl_and_its_cpgs_recount(tmp_path):
    lines = gzip.decompress(CALLS.read_bytes()).decode().splitlines(keepends=True)
    assert lines[0].startswith("track\t")
    chr22 = tmp_path / "h1_chr22.bed"
    chr22.write_text(lines[0] + "".join(line for line in lines[1:] if line.startswith("chr22\t")))
    assert detect_source(chr22).fmt == "bedmethyl"
    write_standin([chr22], {"chr22": CHR22_BP}, seed=0, out=tmp_path / "standin.fa")
    reference = Reference(write_reference_index(tmp_path / "standin.fa", tmp_path / "ref"))
    table, qc = ingest(chr22, reference, min_coverage=1)

    rows = pd.read_csv(chr22, sep="\t", skiprows=1, header=None, usecols=[1, 5, 9, 10])
    rows.columns = ["start", "strand", "coverage", "percent"]
    rows["cpg"] = rows["start"] - (rows["strand"] == "-")  # a - row sits on the G of its CpG
    rows["meth"] = rows["percent"] / 100 * rows["coverage"]
    expected = rows.groupby("cpg").agg(n_total=("coverage", "sum"), n_meth=("meth", "sum")).reset_index()
    assert len(rows) == 1650 and qc["cg_share"] == 1.0
    assert len(table) == len(expected) == rows["cpg"].nunique()
    np.testing.assert_array_equal(table["pos"], expected["cpg"])
    np.testing.assert_array_equal(table["n_total"], expected["n_total"])
    np.testing.assert_allclose(table["n_meth"], expected["n_meth"], rtol=1e-6)
