"""Reading a text methylation file in blocks (epibench.io.methylation.columns): text_blocks and Block."""

import gzip

import numpy as np
import pytest

from epibench.errors import InputError
from epibench.io.methylation import detect_source
from epibench.io.methylation.columns import INT, STR, Block, check, read_columns, text_blocks

COLUMNS = {0: ("chrom", STR), 1: ("start", INT)}


def bismark(tmp_path, text, gz=False):
    path = tmp_path / ("s.bismark.cov.gz" if gz else "s.bismark.cov")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return detect_source(path)


def rows(n):
    return [f"chr1\t{i + 1}\t{i + 1}\t50\t1\t1" for i in range(n)]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("block_bytes", [1, 7, 64, 10_000])
def test_blocks_are_the_data_lines_in_order(tmp_path, gz, block_bytes):
    header = "# a comment line longer than a small block: " + "x" * 80
    lines = [header, "", *rows(30)]
    lines.insert(12, "")  # a blank line among the data
    source = bismark(tmp_path, "\n".join(lines), gz)  # no line end after the last row
    assert source.n_header == 2
    blocks = list(text_blocks(source, block_bytes))
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    data = [line for line in b"".join(blocks).decode().split("\n") if line]  # a blank block may be left out
    assert data == rows(30)
    if block_bytes < 64:
        assert len(blocks) > 5


def test_a_block_reads_its_rows_and_names_the_file_line(tmp_path):
    source = bismark(tmp_path, "\n".join(["# header", *rows(20), ""]))
    blocks = list(text_blocks(source, 100))
    first_row, starts = 0, []
    for text in blocks:
        block = Block(**vars(source), first_row=first_row, text=text)
        cols = read_columns(block, COLUMNS)
        starts.append(cols[1])
        if first_row <= 15 < first_row + len(cols[1]):
            with pytest.raises(InputError, match="start 16") as info:
                check(block, cols[1] == 16, "start 16")
            assert info.value.line == 17  # data row 15 (0-based) after one header line
        first_row += len(cols[1])
    assert np.concatenate(starts).tolist() == list(range(1, 21))
    assert len(blocks) > 2
