"""What a file's calls count as methylated (epibench.io.methylation.modifications): modkit's codes,
a modkit --bedgraph file's name, and the formats of conversion-based tools."""

from __future__ import annotations

import pytest

from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.modifications import counted_as_methylated
from text_files import write_lines

# modkit pileup --bedgraph rows: chrom, start, end, fraction modified, valid coverage (src/writers.rs)
BEDGRAPH_ROWS = ["chr1\t2\t3\t0.75\t4", "chr1\t7\t8\t0.5\t2"]


@pytest.mark.parametrize(
    "name, counted",
    [
        ("m_CG0_positive.bedgraph", "5mC"),  # modkit's 5mC file: its name says so
        ("C_CG0_negative.bedgraph", "5mC+5hmC"),  # --combine-mods
        ("levels.bed", "5mC+5hmC"),  # the same rows under any other name: BISCUIT's (bisulfite) layout
    ],
)
def test_a_bedgraph_counts_what_its_modkit_name_says_else_what_its_format_does(tmp_path, name, counted):
    source = detect_source(write_lines(tmp_path / name, BEDGRAPH_ROWS))
    # the same reader for all three, named for modkit where modkit's file names say so
    assert source.fmt == ("biscuit" if name == "levels.bed" else "modkit_bedgraph")
    assert counted_as_methylated(source, {}) == counted


def test_the_rows_read_decide_before_the_format_and_a_count_table_says_nothing(tmp_path):
    # chrom, 1-based position, total, methylated (MethylSeekR / DSS): any technology's counts
    table = detect_source(
        write_lines(tmp_path / "counts.txt", ["chr1\t3\t10\t4", "chr1\t8\t6\t6"]), "count_table"
    )
    assert counted_as_methylated(table, {}) == ""
    assert counted_as_methylated(table, {"5mC": 3, "5mC+5hmC": 0}) == "5mC"
    assert counted_as_methylated(table, {"5mC": 3, "5mC+5hmC": 2}) == "5mC and 5mC+5hmC"
