"""Fast typed column reading for the methylation formats, and errors that name the line.

Reading is vectorised: pyarrow's CSV reader for tab-separated files, pandas' C parser for
whitespace-separated ones (modkit), both with only the needed columns and explicit types.
When the fast reader rejects a file, or a vectorised check finds a bad value, the file
is scanned once more, line by line, only to name the first offending line in the error.

Data rows are numbered 0.. in file order after the ``n_header`` top lines, blank lines
not counted (both readers skip them); ``Calls.row`` and the ``bad`` masks use that index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from epibench.errors import InputError
from epibench.io.textfile import GZIP_ERRORS, is_gzip, iter_lines

INT, FLOAT, STR = "int", "float", "str"
_INT_TEXT = re.compile(r"-?[0-9]+")
_PA_TYPES = {INT: pa.int64(), FLOAT: pa.float64(), STR: pa.dictionary(pa.int32(), pa.string())}


@dataclass(frozen=True)
class Source:
    """A methylation file and how its rows are laid out (found by ``detect.detect_source``).

    n_header: lines before the first data line (``track``/``browser``/``#`` lines and
    blank lines); n_columns: fields per data row; whitespace: fields split on any run of
    whitespace (else on tabs); sample: the first data rows, split, for format-specific sniffing.
    """

    path: Path
    fmt: str
    n_header: int
    n_columns: int
    whitespace: bool
    sample: tuple[tuple[str, ...], ...]


class Labels(NamedTuple):
    """A string column as (N,) int32 codes into ``names``."""

    codes: np.ndarray
    names: np.ndarray  # (K,) object array of str

    def isin(self, values: set[str]) -> np.ndarray:
        """(N,) bool: the row's label is one of ``values``."""
        return np.array([name in values for name in self.names], dtype=bool)[self.codes]


Columns = dict[int, tuple[str, str]]  # 0-based column index -> (name for messages, INT | FLOAT | STR)


def read_columns(source: Source, columns: Columns) -> dict[int, np.ndarray | Labels]:
    """Read the requested columns of every data row: int64 / float64 arrays, Labels for strings."""
    try:
        if source.whitespace:
            return _read_pandas(source, columns)
        return _read_arrow(source, columns)
    except (pa.ArrowInvalid, pd.errors.ParserError, ValueError) as exc:
        line, what = _first_bad_line(source, columns)
        if line is None:
            raise InputError(f"cannot parse as {source.fmt}: {exc}", path=source.path) from exc
        raise InputError(f"{what} (reading as {source.fmt})", path=source.path, line=line) from exc
    except (OSError, *GZIP_ERRORS) as exc:
        what = "damaged or truncated gzip stream" if is_gzip(source.path) else "cannot read"
        raise InputError(f"{what} ({exc})", path=source.path) from exc


def _read_arrow(source: Source, columns: Columns) -> dict[int, np.ndarray | Labels]:
    names = [f"c{i}" for i in range(source.n_columns)]
    stream = pa.input_stream(str(source.path), compression="gzip" if is_gzip(source.path) else None)
    table = pacsv.read_csv(
        stream,
        read_options=pacsv.ReadOptions(
            skip_rows=source.n_header, column_names=names, use_threads=False, block_size=1 << 20
        ),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=[names[i] for i in columns],
            column_types={names[i]: _PA_TYPES[kind] for i, (_, kind) in columns.items()},
            null_values=[],
            strings_can_be_null=False,
        ),
    ).unify_dictionaries()
    out: dict[int, np.ndarray | Labels] = {}
    for i, (_, kind) in columns.items():
        column = table.column(names[i])
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


def _read_pandas(source: Source, columns: Columns) -> dict[int, np.ndarray | Labels]:
    dtypes = {INT: np.int64, FLOAT: np.float64, STR: "category"}
    last = source.n_columns - 1  # read too: pandas pads a short row with '' instead of failing
    frame = pd.read_csv(
        source.path,
        sep=r"\s+",
        header=None,
        skiprows=source.n_header,
        names=range(source.n_columns),
        usecols=sorted({*columns, last}),
        dtype={last: "category"} | {i: dtypes[kind] for i, (_, kind) in columns.items()},
        compression="gzip" if is_gzip(source.path) else None,
        na_filter=False,
        quoting=3,  # csv.QUOTE_NONE
        engine="c",
    )
    if isinstance(frame[last].dtype, pd.CategoricalDtype) and "" in frame[last].cat.categories:
        raise ValueError("a row has too few columns")
    out: dict[int, np.ndarray | Labels] = {}
    for i, (_, kind) in columns.items():
        values = frame[i]
        if kind == STR:
            out[i] = Labels(
                values.cat.codes.to_numpy(np.int32), np.array(list(values.cat.categories), dtype=object)
            )
        else:
            out[i] = values.to_numpy()
    return out


def _data_lines(source: Source):
    """Yield ``(row index, line number, fields, text)`` for every data row."""
    row = 0
    for number, text in iter_lines(source.path):
        if number <= source.n_header or not text.strip():
            continue
        yield row, number, text.split() if source.whitespace else text.split("\t"), text
        row += 1


def _first_bad_line(source: Source, columns: Columns) -> tuple[int | None, str]:
    """Line number and description of the first row with a wrong column count or a non-number."""
    for _, number, fields, text in _data_lines(source):
        if len(fields) != source.n_columns:
            return number, f"expected {source.n_columns} columns, found {len(fields)}: {text!r}"
        for i, (name, kind) in columns.items():
            value = fields[i]
            if kind == INT and not _INT_TEXT.fullmatch(value):
                return number, f"column {i + 1} ({name}) is not an integer: {value!r}"
            if kind == FLOAT and not _is_float(value):
                return number, f"column {i + 1} ({name}) is not a number: {value!r}"
    return None, ""


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def locate(source: Source, row: int) -> tuple[int | None, str]:
    """(line number, text) of data row ``row`` (0-based data-row index); (None, "") past the end."""
    for index, number, _, text in _data_lines(source):
        if index == row:
            return number, text
    return None, ""


def fail_at_row(source: Source, row: int, what: str) -> None:
    """Raise an InputError for data row ``row``, naming its line and text."""
    number, text = locate(source, row)
    raise InputError(f"{what}: {text!r}", path=source.path, line=number)


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
