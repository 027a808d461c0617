"""The plain count-table reader (chrom, 1-based position, total, methylated) on the real IMR90 file.

Real data (tests/data/imr90_hg38_chr22/): the MethylSeekR table's rows inside the GRCh38 window
chr22:32,000,001-32,300,000, read as published (chr22 coordinates, no header), against a chr22
made of 32,000,000 N followed by the window's real bases: the file's coordinates, not shifted ones.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epibench.errors import InputError
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import ingest
from small_reference import make_reference

DATA = Path(__file__).parent / "data" / "imr90_hg38_chr22"
TABLE = DATA / "Lister2009_imr90_chr22_32000000_32300000.tab.gz"
WINDOW_START = 32_000_000  # 0-based chr22 coordinate of the window's first base


@pytest.fixture(scope="module")
def chr22(tmp_path_factory):
    """chr22 up to the window's end: N before the window, the real bases in it."""
    with gzip.open(DATA / "hg38_chr22_32000000_32300000.fa.gz", "rt") as fh:
        window = "".join(line.strip() for line in fh if not line.startswith(">"))
    return make_reference(tmp_path_factory.mktemp("chr22"), {"chr22": "N" * WINDOW_START + window})


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return pd.read_csv(TABLE, sep="\t", names=["chrom", "pos1", "total", "meth"])


def test_the_real_table_is_detected_and_every_cpg_lands_on_its_cg(chr22, rows):
    assert detect_source(TABLE).fmt == "count_table"
    table, qc = ingest(TABLE, chr22, min_coverage=1)
    assert qc["format"] == "count_table"
    assert qc["cg_share"] == 1.0
    assert qc["n_off_cg_dropped"] == 0
    assert len(table) == len(rows) == 3277
    np.testing.assert_array_equal(table["pos"], rows["pos1"] - 1)  # 0-based, the + strand C
    np.testing.assert_array_equal(table["n_total"], rows["total"])
    np.testing.assert_array_equal(table["n_meth"], rows["meth"])
    np.testing.assert_allclose(table["level"], rows["meth"] / rows["total"], rtol=1e-6)


def test_a_dss_header_line_is_skipped_and_min_coverage_applies(chr22, rows, tmp_path):
    text = gzip.decompress(TABLE.read_bytes()).decode()
    path = tmp_path / "imr90.dss.txt"
    path.write_text("chr\tpos\tN\tX\n" + text)
    table, qc = ingest(path, chr22, min_coverage=5)
    assert qc["format"] == "count_table"
    assert len(table) == int((rows["total"] >= 5).sum())
    assert (table["n_total"] >= 5).all()


@pytest.mark.parametrize(
    "line, phrase",
    [
        ("chr22\t32000050\t3\t4", "more methylated reads"),
        ("chr22\t32000050\tthree\t1", "column 3 (total reads) is not an integer"),
        ("chr22\t0\t3\t1", "coordinate below 1"),
    ],
)
def test_a_bad_row_is_named_by_its_line(chr22, tmp_path, line, phrase):
    path = tmp_path / "bad.tab"
    path.write_text("chr22\t32000010\t5\t2\n" + line + "\n")
    with pytest.raises(InputError) as info:
        ingest(path, chr22, fmt="count_table")
    assert phrase in str(info.value)
    assert info.value.line == 2
