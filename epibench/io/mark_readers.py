"""Reading a mark track that is not a bigWig: its kind, and its intervals a bounded chunk at a time.

Text tracks (bedGraph, wiggle, narrowPeak/broadPeak/gappedPeak, BED, HOMER ``findPeaks`` peaks,
SEACR's CUT&RUN/CUT&Tag peaks; plain or compressed) and bigBed peaks. ``interval_chunks`` gives the intervals in file order as
frames of at most ``ROWS_PER_CHUNK`` rows, so memory follows one chunk, not the file (a genome-wide
bedGraph of 10-bp bins has ~300 M lines). A bedGraph and a wiggle go through pandas' C parser (a wiggle's
declaration lines read in Python, its data lines as arrays); peak files, and the rest of a
bedGraph or wiggle from a chunk that parser refuses, line by line (``line_records``), which names
the first line that does not fit.
"""

from __future__ import annotations

import itertools
import os
import re
from array import array
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from epibench.errors import InputError, excerpt
from epibench.io.textfile import (
    COMPRESSED_SUFFIX,
    COORDINATE,
    alignment_format,
    is_number,
    iter_lines,
    open_binary,
    scientific_hint,
)
from epibench.io.tracks import autosql_fields, bigbed_entries, is_bigbed, open_bigbed

PEAK_KINDS = ("narrowpeak", "broadpeak", "gappedpeak", "bed", "bigbed", "homer", "seacr")
KINDS = ("bedgraph", "wig", *PEAK_KINDS, "reads")  # reads: epibench.io.read_coverage
# kind of a text track by its number of columns, and the 0-based column of its value
_BY_COLUMNS = {
    4: "bedgraph",
    9: "broadpeak",
    10: "narrowpeak",
    15: "gappedpeak",
    3: "bed",
    5: "bed",
    6: "bed",
    12: "bed",
}
VALUE_COLUMN = {"bedgraph": 3, "broadpeak": 6, "narrowpeak": 6, "gappedpeak": 12, "bed": None}
# HOMER findPeaks (peaks.txt, regions.txt): PeakID, chr, start, end (1-based, inclusive), strand,
# Normalized Tag Count (tags in the peak per 10 M), then columns that differ with -style and -i
HOMER_COLUMNS = {"chrom": 1, "start": 2, "end": 3, "value": 5}
# SEACR (CUT&RUN / CUT&Tag peaks, .stringent.bed / .relaxed.bed): chr, start, end, total signal (the
# signal summed over the peak's bases), max signal, the region of the max (chr:start-end)
_SEACR_MAX_REGION = re.compile(r"\S+:\d+-\d+")
NOT_GIVEN = -1.0  # the signalValue of a peak without one (narrowPeak's convention)
ROWS_PER_CHUNK = 1 << 20
CHUNK_COLUMNS = ("chrom", "start", "end", "value")
_WIG_DECLARATIONS = ("fixedStep", "variableStep")
_WIG_FIELDS = 6  # the most a wiggle line has: fixedStep chrom= start= step= span=
_HEADER = re.compile(r"(track|browser)\b|#")
_BEDGRAPH_TRACK = re.compile(r"track\b.*\btype=bedGraph\b", re.IGNORECASE)
_TAGALIGN_NAME = re.compile(rf"\.tagAlign{COMPRESSED_SUFFIX}$", re.IGNORECASE)
_HOMER_HEADER = re.compile(r"#\s*PeakID\tchr\tstart\tend\tstrand\b")  # findPeaks' column names
_MACS_XLS_HEADER = ["chr", "start", "end", "length", "abs_summit"]  # MACS2/3 callpeak's _peaks.xls
# HOMER annotatePeaks.pl's first line: PeakID (cmd=annotatePeaks.pl <peak file> <genome> ...)\tChr\t...
_ANNOTATE_PEAKS_HEADER = re.compile(r"PeakID \(cmd=annotatePeaks\.pl\s+(\S+)")

# (line number, chrom, start, end, value): one interval of a track, 0-based half-open; the line
# is None in a bigBed
Record = tuple[int | None, str, int, int, float]


def track_kind(path: str | os.PathLike) -> str:
    """The kind of a mark file that is not a bigWig: ``bigbed`` by its magic number, ``reads`` for a
    BAM, CRAM or SAM, ``wig`` by a first data line ``fixedStep``/``variableStep``, else from the first
    data line's columns (a ``track type=bedGraph`` line makes it a bedGraph, HOMER's ``#PeakID chr
    start end strand`` column names a ``homer`` peak file; a tagAlign's reads,
    6 columns with ``N`` and ``1000`` in columns 4-5 or in a file named ``.tagAlign[.gz]``, are
    ``reads``)."""
    if is_bigbed(path):
        return "bigbed"
    if alignment_format(path) is not None:
        return "reads"
    declared_bedgraph = False  # a header line says track type=bedGraph
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        if _HEADER.match(text):
            if _HOMER_HEADER.match(text):
                return "homer"
            declared_bedgraph |= bool(_BEDGRAPH_TRACK.match(text))
            continue
        annotated = _ANNOTATE_PEAKS_HEADER.match(text)
        if annotated:
            raise InputError(
                "a HOMER annotatePeaks.pl table (peaks with their nearest genes): give the peak file it "
                f"annotates, {annotated.group(1)}, or findPeaks' peaks.txt",
                path=path,
                line=number,
            )
        fields = _fields(text)
        if fields[:5] == _MACS_XLS_HEADER:
            raise InputError(
                "a MACS peaks table (_peaks.xls: 1-based starts, fold enrichment in column 8): give the "
                "_peaks.narrowPeak (or _peaks.broadPeak) MACS wrote beside it, or its _treat_pileup.bdg",
                path=path,
                line=number,
            )
        if fields[0] in _WIG_DECLARATIONS:
            return "wig"
        if declared_bedgraph:
            return "bedgraph"
        kind = _BY_COLUMNS.get(len(fields))
        if kind == "bedgraph" and not is_number(fields[3]):
            kind = "bed"  # BED4: a name in column 4
        if len(fields) == 6 and (fields[3:5] == ["N", "1000"] or _TAGALIGN_NAME.search(str(path))):
            return "reads"  # a tagAlign (ENCODE's and Roadmap's N 1000, or so named): BED6 of reads
        if (
            len(fields) == 6
            and is_number(fields[3])
            and is_number(fields[4])
            and _SEACR_MAX_REGION.fullmatch(fields[5])
        ):
            return "seacr"
        if kind is None:
            raise InputError(
                f"{len(fields)} columns: a mark track is a bigWig, a bedGraph (4 columns), a wiggle "
                "(fixedStep/variableStep), a narrowPeak (10), broadPeak (9) or gappedPeak (15) file, "
                "a BED of peaks (3-6 or 12), a HOMER peak file (with its '#PeakID' line) or a bigBed",
                path=path,
                line=number,
            )
        return kind
    raise InputError("no data line: an empty mark track", path=path)


def interval_chunks(path: str | os.PathLike, kind: str) -> Iterator[pd.DataFrame]:
    """The intervals of a track of ``kind`` in file order, as frames of at most ``ROWS_PER_CHUNK``
    rows: chrom (str or category, as in the file), start, end (int64, 0-based half-open) and value
    (float64; ``NOT_GIVEN`` for peaks without one). A line that is not of ``kind`` is an
    InputError naming it (after the chunks before it)."""
    if kind == "bedgraph":
        yield from _bedgraph_chunks(path)
    elif kind == "wig":
        yield from _wig_chunks(path)
    else:
        yield from _batched(_bigbed_records(path) if kind == "bigbed" else line_records(path, kind))


def line_records(path: str | os.PathLike, kind: str) -> Iterator[Record]:
    """Every interval of a text track of ``kind`` with its line, read line by line in Python."""
    return _wig_records(path) if kind == "wig" else _text_records(path, kind)


def _bedgraph_chunks(path: str | os.PathLike) -> Iterator[pd.DataFrame]:
    """``interval_chunks`` of a bedGraph: pandas' C parser chunk by chunk (a chunk with a negative
    start or an end before its start counts as not parsed); from the first chunk it cannot parse,
    ``_text_records`` from that chunk's first row on, to name the line."""
    n_done = 0
    dtype = {"chrom": "category", "start": np.int64, "end": np.int64, "value": np.float64}
    try:
        for frame in _parsed_chunks(path, list(CHUNK_COLUMNS), dtype):
            if (frame["start"] < 0).any() or (frame["end"] < frame["start"]).any():
                break
            yield frame
            n_done += len(frame)
        else:
            return
    except (ValueError, pd.errors.ParserError):
        pass
    yield from _batched(itertools.islice(_text_records(path, "bedgraph"), n_done, None))


def _parsed_chunks(path: str | os.PathLike, names: list, dtype) -> Iterator[pd.DataFrame]:
    """The data lines of a text track (after its header lines), ``ROWS_PER_CHUNK`` at a time, by
    pandas' C parser: fields split at white space into the columns ``names`` of ``dtype``, no value
    read as missing (a line with fewer fields has "" in an object column). ValueError or ParserError
    for a line it cannot parse so."""
    n_header = next((number - 1 for number, fields in _data_lines(path)), 0)
    with open_binary(path) as stream:
        yield from pd.read_csv(
            stream,
            sep=r"\s+",
            header=None,
            names=names,
            skiprows=n_header,
            dtype=dtype,
            na_filter=False,
            engine="c",
            chunksize=ROWS_PER_CHUNK,
        )


def _wig_chunks(path: str | os.PathLike) -> Iterator[pd.DataFrame]:
    """``interval_chunks`` of a wiggle: pandas' C parser reads ``ROWS_PER_CHUNK`` lines at a time as
    text fields (``_WIG_FIELDS`` at most); from the first chunk ``_wig_chunk`` cannot read,
    ``_wig_records`` from that chunk's first interval on, to name the line."""
    n_done, section = 0, None
    try:
        for frame in _parsed_chunks(path, list(range(_WIG_FIELDS)), object):
            chunk, section = _wig_chunk(frame, section)
            yield chunk
            n_done += len(chunk)
        return
    except (ValueError, pd.errors.ParserError):
        pass
    yield from _batched(itertools.islice(_wig_records(path), n_done, None))


def _wig_chunk(frame: pd.DataFrame, section: dict | None) -> tuple[pd.DataFrame, dict | None]:
    """The intervals of a chunk of wiggle lines (``frame``: one text field per column, "" where a line
    has fewer) and the section open at its end (``section``: the one open at its start, as
    ``_wig_declaration`` gives it). Declaration lines are read in Python; each section's data lines
    as arrays: a fixedStep value's position from the section's start and step and its place in it, a
    variableStep's from its first field. ValueError for anything ``_wig_records`` would refuse."""
    fields = frame.to_numpy(dtype=object)
    n_fields = (fields != "").sum(axis=1)
    first = fields[:, 0]
    declarations = np.flatnonzero((first == "fixedStep") | (first == "variableStep"))
    names: list[str] = []
    codes, positions, spans, values = [], [], [], []
    for start, stop in zip([0, *(declarations + 1)], [*declarations, len(frame)]):
        if start > 0:  # a bad declaration's InputError is a ValueError: the line reader names its line
            section = _wig_declaration([f for f in fields[start - 1] if f], "", 0)
        if start == stop:
            continue
        if section is None:
            raise ValueError("data before the first declaration")
        fixed = section["kind"] == "fixedStep"
        if (n_fields[start:stop] != (1 if fixed else 2)).any():
            raise ValueError("a data line of the other shape")
        values.append(fields[start:stop, 0 if fixed else 1].astype(np.float64))
        if fixed:
            positions.append(section["next"] + section["step"] * np.arange(stop - start, dtype=np.int64))
            section["next"] += section["step"] * (stop - start)
        else:
            text = pd.Series(fields[start:stop, 0], dtype=object)
            if not text.str.fullmatch(COORDINATE.pattern).all():
                raise ValueError("a variableStep position that is not an integer")
            positions.append(text.to_numpy().astype(np.int64))
            if (positions[-1] < 1).any():
                raise ValueError("a variableStep position below 1")
        if section["chrom"] not in names:
            names.append(section["chrom"])
        codes.append(np.full(stop - start, names.index(section["chrom"]), dtype=np.int32))
        spans.append(np.full(stop - start, section["span"], dtype=np.int64))
    starts = np.concatenate(positions) - 1 if positions else np.zeros(0, np.int64)
    chunk = pd.DataFrame(
        {
            "chrom": pd.Categorical.from_codes(np.concatenate(codes) if codes else [], names),
            "start": starts,
            "end": starts + (np.concatenate(spans) if spans else 0),
            "value": np.concatenate(values) if values else np.zeros(0),
        }
    )
    return chunk, section


def _batched(records: Iterable[Record]) -> Iterator[pd.DataFrame]:
    """Records -> ``interval_chunks`` frames of at most ``ROWS_PER_CHUNK`` rows."""
    while True:
        chroms, starts, ends, values = [], array("q"), array("q"), array("d")
        for _, chrom, start, end, value in itertools.islice(records, ROWS_PER_CHUNK):
            chroms.append(chrom)
            starts.append(start)
            ends.append(end)
            values.append(value)
        if not chroms:
            return
        yield pd.DataFrame(
            {
                "chrom": pd.Categorical(chroms),
                "start": np.frombuffer(starts, dtype=np.int64),
                "end": np.frombuffer(ends, dtype=np.int64),
                "value": np.frombuffer(values, dtype=np.float64),
            }
        )


def _text_records(path: str | os.PathLike, kind: str) -> Iterator[Record]:
    """``line_records`` of a bedGraph or peak file; a line that is not of ``kind`` is an InputError."""
    if kind == "homer":
        yield from _homer_records(path)
        return
    if kind == "seacr":
        yield from _seacr_records(path)
        return
    n_columns = next((n for n, k in _BY_COLUMNS.items() if k == kind), None) if kind != "bed" else None
    value_column = VALUE_COLUMN[kind]
    for number, fields in _data_lines(path):
        if n_columns is not None and len(fields) != n_columns:
            raise InputError(f"a {kind} line has {n_columns} columns, found {len(fields)}", path, number)
        if len(fields) < 3:
            raise InputError(f"a BED line has at least 3 columns, found {len(fields)}", path, number)
        start, end = _interval(fields[1], fields[2], 0, path, number)
        if value_column is None:
            yield number, fields[0], start, end, NOT_GIVEN
        else:
            yield number, fields[0], start, end, _value(fields, value_column, path, number)


def _homer_records(path: str | os.PathLike) -> Iterator[Record]:
    """``line_records`` of a HOMER peak file (``HOMER_COLUMNS``): each peak 0-based half-open, as
    HOMER's ``pos2bed.pl`` makes it, its value the Normalized Tag Count."""
    n_needed = max(HOMER_COLUMNS.values()) + 1
    for number, fields in _data_lines(path):
        if len(fields) < n_needed:
            raise InputError(
                f"a HOMER peak line has at least {n_needed} columns (PeakID, chr, start, end, strand, "
                f"Normalized Tag Count), found {len(fields)}",
                path,
                number,
            )
        start, end = _interval(fields[HOMER_COLUMNS["start"]], fields[HOMER_COLUMNS["end"]], 1, path, number)
        yield number, fields[HOMER_COLUMNS["chrom"]], start, end, _value(
            fields, HOMER_COLUMNS["value"], path, number
        )


def _seacr_records(path: str | os.PathLike) -> Iterator[Record]:
    """``line_records`` of a SEACR peak file: each peak's value its mean signal (total signal over
    its length), on the scale of the bedGraph SEACR was given."""
    for number, fields in _data_lines(path):
        if len(fields) != 6:
            raise InputError(
                f"a SEACR peak line has 6 columns (chr, start, end, total signal, max signal, max region), "
                f"found {len(fields)}",
                path,
                number,
            )
        start, end = _interval(fields[1], fields[2], 0, path, number)
        yield number, fields[0], start, end, _value(fields, 3, path, number) / max(end - start, 1)


def _interval(start: str, end: str, base: int, path: str | os.PathLike, number: int) -> tuple[int, int]:
    """The 0-based half-open interval of a line's start and end fields: 0-based half-open
    (``base`` 0, BED: length end - start >= 0) or 1-based inclusive (``base`` 1, HOMER: length
    end - start + 1 >= 1). InputError unless both are integers with base <= start <= end."""
    valid = COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end)
    if not valid or int(start) < base or int(end) < int(start):
        shape = "1 <= start <= end (1-based)" if base else "0 <= start <= end"
        raise InputError(
            f"start and end must be integers with {shape}: {start!r}, {end!r}{scientific_hint(start, end)}",
            path,
            number,
        )
    return int(start) - base, int(end)


def _value(fields: list[str], column: int, path: str | os.PathLike, number: int) -> float:
    """The number in the 0-based ``column`` of a line; InputError naming the column if it is none."""
    if is_number(fields[column]):
        return float(fields[column])
    raise InputError(
        f"the value (column {column + 1}) is not a number: {excerpt(fields[column])}", path, number
    )


def _data_lines(path: str | os.PathLike) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every data line (``_fields``: UCSC's examples separate bedGraph and
    wiggle columns by spaces); header lines before the data are skipped,
    a ``track`` line after it (a second track in one file) is an InputError."""
    seen_data = False
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        if _HEADER.match(text):
            if seen_data and text.startswith("track"):
                raise InputError("a second track line: give one track per file", path, number)
            continue
        seen_data = True
        yield number, _fields(text)


def _fields(text: str) -> list[str]:
    """A line's fields: split at tabs, or at any white space in a line without a tab."""
    return text.split("\t") if "\t" in text else text.split()


def _wig_records(path: str | os.PathLike) -> Iterator[Record]:
    """``line_records`` of a wiggle file: ``variableStep chrom= [span=]`` sections of ``position
    value`` lines and ``fixedStep chrom= start= step= [span=]`` sections of ``value`` lines,
    positions 1-based (UCSC wiggle)."""
    section: dict | None = None
    for number, fields in _data_lines(path):
        if fields[0] in _WIG_DECLARATIONS:
            section = _wig_declaration(fields, path, number)
            continue
        if section is None:
            raise InputError("a data line before the first fixedStep/variableStep line", path, number)
        fixed = section["kind"] == "fixedStep"
        if len(fields) != (1 if fixed else 2) or not all(map(is_number, fields)):
            expected = "a value" if fixed else "a position and a value"
            raise InputError(
                f"a {section['kind']} line holds {expected}, found {excerpt(' '.join(fields))}", path, number
            )
        if fixed:
            position = section["next"]
            section["next"] += section["step"]
        elif COORDINATE.fullmatch(fields[0]) and int(fields[0]) >= 1:
            position = int(fields[0])
        else:
            raise InputError(
                f"a variableStep position is an integer >= 1 (1-based), found {fields[0]!r}", path, number
            )
        yield number, section["chrom"], position - 1, position - 1 + section["span"], float(fields[-1])


def _wig_declaration(fields: list[str], path: str | os.PathLike, number: int) -> dict:
    """A wiggle declaration line's settings: kind, chrom, span (default 1) and, of a fixedStep, step and
    the next position (1-based)."""
    kind = fields[0]
    settings = dict(field.split("=", 1) for field in fields[1:] if "=" in field)
    needed = ("chrom", "start", "step") if kind == "fixedStep" else ("chrom",)
    missing = [key for key in needed if key not in settings]
    numbers = {key: settings.get(key, "1") for key in ("start", "step", "span")}
    if missing or not all(COORDINATE.fullmatch(v) and int(v) >= 1 for v in numbers.values()):
        raise InputError(
            f"a {kind} line needs {', '.join(f'{k}=' for k in needed)} (start, step and span integers >= 1): "
            f"{excerpt(' '.join(fields))}",
            path,
            number,
        )
    return {
        "kind": kind,
        "chrom": settings["chrom"],
        "span": int(numbers["span"]),
        "step": int(numbers["step"]),
        "next": int(numbers["start"]),
    }


def _bigbed_records(path: str | os.PathLike) -> Iterator[Record]:
    """Every bigBed entry, its value the autoSql field ``signalValue`` where the file has one, else
    ``NOT_GIVEN``."""
    handle = open_bigbed(path)
    try:
        fields = autosql_fields(handle)
        value_at = fields.index("signalValue") - 3 if "signalValue" in fields else None
        for chrom, entries in bigbed_entries(handle):
            for start, end, rest in entries:
                value = float(rest.split("\t")[value_at]) if value_at is not None else NOT_GIVEN
                yield None, chrom, start, end, value
    finally:
        handle.close()
