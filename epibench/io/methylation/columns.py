"""Fast typed column reading for the methylation formats, and errors that name the line.

Reading is vectorised: pyarrow's CSV reader, with only the needed columns and explicit
types, straight from a tab-separated file, and a block at a time (``text_blocks``) from a
whitespace-separated one (modkit), each block made tab-separated first (a byte translation;
a regex only where a run of spaces and tabs or one at a line's end shows). So every format is
held to the same strict parsing: a row with a field too many or too few, an integer that is
not decimal or not an int64, a malformed number, text that is not UTF-8 all fail. When the
fast reader rejects a file, or a vectorised check finds a bad value, the file is scanned
once more, line by line, only to name the first offending line in the error.

Data rows are numbered 0.. in file order after the ``n_header`` top lines, blank lines
(empty, or only spaces and tabs) not counted: the reader and the line scan both skip them;
``Calls.row`` and the ``bad`` masks use that index.

A file can also be read a piece at a time: ``text_blocks`` cuts its data lines into blocks
of about ``BLOCK_BYTES`` (whole lines, one pass over the file), and a reader given a
``Block`` instead of the file's ``Source`` parses that block's text alone. A ``Block``
knows the index of its first data row, so the checks still name the file's line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from epibench.errors import InputError, excerpt
from epibench.io.textfile import (
    DECOMPRESSION_ERRORS,
    arrow_stream,
    iter_lines,
    scientific_hint,
    stream_problem,
)
from epibench.io.tracks import bigbed_lines

INT, FLOAT, STR = "int", "float", "str"
_PA_TYPES = {INT: pa.int64(), FLOAT: pa.float64(), STR: pa.dictionary(pa.int32(), pa.string())}
BLOCK_BYTES = 1 << 23  # text per block of ``text_blocks`` (8 MiB: ~0.1-0.25 M rows of the text formats)
# What the CSV reader takes as a number (it trims spaces); the line scan holds values to the same
# (but for hexadecimal integers such as 0x1F: the reader takes them, the scan does not).
_INT_TEXT = re.compile(r" *-?[0-9]+ *")
_FLOAT_TEXT = re.compile(
    r" *[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity) *", re.IGNORECASE
)
_INT64 = range(-(1 << 63), 1 << 63)
_BLANK = " \t\r"  # a line (its end stripped) of only these, or of nothing, is blank
_FIELD_GAP = re.compile(r"[ \t]+")  # what separates the fields of a whitespace-separated line
_BLANK_LINE = re.compile(rb"\n[ \t\r]+(?=\n|\Z)")  # a blank line's text, after the line end before it
_SPACE_TO_TAB = bytes.maketrans(b" ", b"\t")
_TAB_RUN = re.compile(rb"\t+")
_EDGE_TAB = re.compile(rb"^\t|\t(?=\r?$)", re.MULTILINE)  # a tab at a line's start or end


@dataclass(frozen=True)
class Source:
    """A methylation file and how its rows are laid out (found by ``detect.detect_source``).

    n_header: lines before the first data line (``track``/``browser``/``#`` lines and
    blank lines); n_columns: fields per data row; whitespace: fields split on any run of
    spaces and tabs (else on each tab); sample: the first data rows, split, for format-specific sniffing;
    entries: the rows are a bigBed's entries (read through ``Block``s only), numbered as the lines
    ``bigBedToBed`` writes.
    """

    path: Path
    fmt: str
    n_header: int
    n_columns: int
    whitespace: bool
    sample: tuple[tuple[str, ...], ...]
    entries: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class Block(Source):
    """Data rows ``first_row``.. of the text file ``path``: ``text``, whole lines (from ``text_blocks``).

    ``read_columns`` parses ``text`` instead of the file; row indices it returns and the
    checks take (``bad`` masks, ``fail_at_row``) count from the block's first row.
    """

    first_row: int
    text: bytes = field(repr=False)


class Labels(NamedTuple):
    """A string column as (N,) int32 codes into ``names``."""

    codes: np.ndarray
    names: np.ndarray  # (K,) object array of str

    def isin(self, values: set[str]) -> np.ndarray:
        """(N,) bool: the row's label is one of ``values``."""
        return np.array([name in values for name in self.names], dtype=bool)[self.codes]


Columns = dict[int, tuple[str, str]]  # 0-based column index -> (name for messages, INT | FLOAT | STR)


def read_columns(source: Source, columns: Columns) -> dict[int, np.ndarray | Labels]:
    """Read the requested columns of every data row (of the file, or of a ``Block`` of it):
    int64 / float64 arrays, Labels for strings."""
    try:
        table = _read_table(source, columns).unify_dictionaries()  # one dictionary for all chunks
    except pa.ArrowInvalid as exc:
        line, what = _first_bad_line(source, columns)
        if line is None:
            raise InputError(f"cannot parse as {source.fmt}: {exc}", path=source.path) from exc
        raise InputError(f"{what} (reading as {source.fmt})", path=source.path, line=line) from exc
    except DECOMPRESSION_ERRORS as exc:
        raise _unreadable(source, exc) from exc
    out: dict[int, np.ndarray | Labels] = {}
    for i, (_, kind) in columns.items():
        column = table.column(f"c{i}")
        if kind == STR:
            dictionary = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
            codes = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks]
            out[i] = Labels(
                np.concatenate(codes).astype(np.int32, copy=False) if codes else np.zeros(0, np.int32),
                np.array(dictionary.to_pylist(), dtype=object),
            )
        else:
            out[i] = column.to_numpy()
    return out


def text_blocks(source: Source, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The data lines of a text file (its ``n_header`` top lines dropped), in one pass, as
    consecutive blocks of whole lines of about ``block_bytes`` each (more where one line is longer);
    a block of blank lines only is left out."""
    with arrow_stream(source.path) as stream:
        rest, to_skip = b"", source.n_header
        while True:
            try:
                data = stream.read(block_bytes)
            except DECOMPRESSION_ERRORS as exc:
                raise _unreadable(source, exc) from exc
            if not data:
                break
            data = rest + data
            while to_skip and data:  # the header lines
                end = data.find(b"\n")
                if end < 0:
                    break
                data, to_skip = data[end + 1 :], to_skip - 1
            cut = data.rfind(b"\n") + 1
            if to_skip or not cut:  # no whole data line yet
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            if block.strip(b" \t\r\n"):
                yield block
        if rest and not to_skip and rest.strip(b" \t\r"):
            yield rest  # the last line, without a line end


def _unreadable(source: Source, exc: BaseException) -> InputError:
    return InputError(f"{stream_problem(source.path)} ({exc})", path=source.path)


def _read_table(source: Source, columns: Columns) -> pa.Table:
    """The requested columns (named ``c<index>``) of a Block's text or of the whole file.

    A tab-separated file is parsed straight from the file; only when that fails is it parsed
    again a block at a time (``_parse_block``: a line of only spaces and tabs is blank, not a
    bad row). A whitespace-separated file is parsed a block at a time, made tab-separated.
    """
    if isinstance(source, Block):
        return _parse_block(source, columns, source.text)
    if not source.whitespace:
        try:
            with arrow_stream(source.path) as stream:
                return _parse(source, columns, stream, source.n_header)
        except pa.ArrowInvalid:
            pass  # a bad row, or only a blank line the CSV reader takes for a row: see below
    tables = [_parse_block(source, columns, text) for text in text_blocks(source)]
    if not tables:  # no data rows
        return pa.table({f"c{i}": pa.array([], _PA_TYPES[kind]) for i, (_, kind) in columns.items()})
    return pa.concat_tables(tables)


def _parse_block(source: Source, columns: Columns, text: bytes) -> pa.Table:
    """The requested columns of whole data lines: a whitespace-separated file's made tab-separated
    (``_tab_separated``); a tab-separated file's as they are, or, where that fails, with every line
    of only spaces and tabs emptied (the CSV reader skips empty lines, not those)."""
    if source.whitespace:
        return _parse(source, columns, pa.BufferReader(_tab_separated(text)))
    try:
        return _parse(source, columns, pa.BufferReader(text))
    except pa.ArrowInvalid:
        emptied = _BLANK_LINE.sub(b"\n", b"\n" + text)[1:]
        if emptied == text:
            raise
        return _parse(source, columns, pa.BufferReader(emptied))


def _tab_separated(text: bytes) -> bytes:
    """Whitespace-separated lines as tab-separated ones: each run of spaces and tabs one tab, none
    at a line's start or end (so a line of only spaces and tabs is empty). A space made a tab
    suffices but where a tab then lies beside another or beside a line end (checked vectorised)."""
    text = text.translate(_SPACE_TO_TAB)
    chars = np.frombuffer(text, np.uint8)
    tab = chars == ord("\t")
    edge = tab | (chars == ord("\n")) | (chars == ord("\r"))
    if tab[:1].any() or tab[-1:].any() or (tab[:-1] & edge[1:]).any() or (edge[:-1] & tab[1:]).any():
        text = _EDGE_TAB.sub(b"", _TAB_RUN.sub(b"\t", text))
    return text


def _parse(source: Source, columns: Columns, data: pa.NativeFile, skip: int = 0) -> pa.Table:
    """The requested columns of tab-separated data lines, after ``skip`` top lines."""
    names = [f"c{i}" for i in range(source.n_columns)]
    return pacsv.read_csv(
        data,
        read_options=pacsv.ReadOptions(
            skip_rows=skip, column_names=names, use_threads=False, block_size=1 << 20
        ),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=[names[i] for i in columns],
            column_types={names[i]: _PA_TYPES[kind] for i, (_, kind) in columns.items()},
            null_values=[],
            strings_can_be_null=False,
        ),
    )


def _data_lines(source: Source):
    """Yield ``(row index, line number, fields, text)`` for every data row of the file (even for a Block),
    split and with blank lines skipped as the reader does."""
    row = 0
    for number, text in bigbed_lines(source.path) if source.entries else iter_lines(source.path):
        if number <= source.n_header or not text.strip(_BLANK):
            continue
        fields = _FIELD_GAP.split(text.strip(" \t")) if source.whitespace else text.split("\t")
        yield row, number, fields, text
        row += 1


def _first_bad_line(source: Source, columns: Columns) -> tuple[int | None, str]:
    """Line number and description of the first row (of a Block: from its first row on) the reader
    rejects: a wrong column count, a value that is no int64 or no number, text that is not UTF-8."""
    first = _first_row(source)
    for row, number, fields, text in _data_lines(source):
        if row < first:
            continue
        if len(fields) != source.n_columns:
            return number, f"expected {source.n_columns} columns, found {len(fields)}: {excerpt(text)}"
        for i, (name, kind) in columns.items():
            value = fields[i]
            if kind == INT and not _INT_TEXT.fullmatch(value):
                return (
                    number,
                    f"column {i + 1} ({name}) is not an integer: {excerpt(value)}{scientific_hint(value)}",
                )
            if kind == INT and int(value) not in _INT64:
                return number, f"column {i + 1} ({name}) is too large for a 64-bit integer: {excerpt(value)}"
            if kind == FLOAT and not _FLOAT_TEXT.fullmatch(value):
                return number, f"column {i + 1} ({name}) is not a number: {excerpt(value)}"
            if kind == STR and not _is_utf8(value):
                return number, f"column {i + 1} ({name}) is not UTF-8 text: {excerpt(value)}"
    return None, ""


def _is_utf8(text: str) -> bool:
    """Whether a field (as the line scan decodes it, latin-1) is valid UTF-8 in the file."""
    try:
        text.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first_row(source: Source) -> int:
    """Data-row index in the file of the source's first row."""
    return source.first_row if isinstance(source, Block) else 0


def locate(source: Source, row: int) -> tuple[int | None, str]:
    """(line number, text) of data row ``row`` (0-based data-row index; of a Block: counted from its
    first row); (None, "") past the end."""
    row += _first_row(source)
    for index, number, _, text in _data_lines(source):
        if index == row:
            return number, text
    return None, ""


def fail_at_row(source: Source, row: int, what: str) -> None:
    """Raise an InputError for data row ``row``, naming its line and text."""
    number, text = locate(source, row)
    raise InputError(f"{what}: {excerpt(text)}", path=source.path, line=number)


def check(source: Source, bad: np.ndarray, what: str) -> None:
    """Raise for the first data row where ``bad`` (N,) bool is True."""
    if bad.any():
        fail_at_row(source, int(np.argmax(bad)), what)


def decode(source: Source, labels: Labels, values: dict[str, int], what: str) -> np.ndarray:
    """Map a string column to int8 codes via ``values``; a label outside it is an error at its first row."""
    known = np.array([name in values for name in labels.names], dtype=bool)
    check(source, ~known[labels.codes], f"{what} must be one of {sorted(values)}")
    lookup = np.array([values.get(name, 0) for name in labels.names], dtype=np.int8)
    return lookup[labels.codes]


def check_count(source: Source, values: np.ndarray, name: str) -> None:
    """Counts and depths: non-negative."""
    check(source, values < 0, f"negative {name}")


def check_fraction(source: Source, values: np.ndarray, name: str, scale: float) -> None:
    """A methylation level on 0..scale (1 for a fraction, 100 for a percent)."""
    check(source, ~np.isfinite(values) | (values < 0), f"{name} is not a number in 0-{scale:g}")
    if scale == 1:
        hint = f"{name} > 1 in a fraction column (0-1); is this a percent column?"
    else:
        hint = f"{name} > 100 in a percent column (0-100)"
    check(source, values > scale, hint)


def check_start(source: Source, start: np.ndarray, base: int) -> None:
    """Coordinates: at least ``base`` (0 for 0-based formats, 1 for 1-based)."""
    check(source, start < base, f"coordinate below {base} in a {base}-based format")
