"""Histone-mark tracks that are not bigWigs -> a bigWig on the reference's sequences.

Labs bring marks as bedGraph (deepTools ``bamCoverage --outFileFormat bedgraph``, MACS
``*_treat_pileup.bdg`` or ``bdgcmp`` fold enrichment), as wiggle (``fixedStep``/``variableStep``,
older GEO submissions), as peak calls (MACS/ENCODE narrowPeak,
broadPeak, gappedPeak, plain BED) or as bigBed peaks (ENCODE's bigBed narrowPeak). The shard
builder reads bigWigs (``epibench.io.tracks.Track``), so ``epibench mark-bigwig`` writes each
such file once as a bigWig whose header is the reference's sequences and lengths:

- bedGraph and wiggle: the value over each interval (a wiggle's positions are 1-based, each
  covering ``span`` bases); a base outside every interval is missing (NaN). Intervals of one
  sequence may come in any order but may not overlap. Columns are split at tabs, or at white
  space in a line without a tab (UCSC's own examples).
- peaks: the peak's ``signalValue`` (column 7 of narrowPeak and broadPeak, 13 of gappedPeak;
  of a bigBed the autoSql field ``signalValue``) inside it, the largest where peaks overlap, and
  0 between peaks (no peak was called there: a measurement, not missing) on every sequence with
  a peak; a sequence without any peak is missing (the file may be an excerpt). Where no
  signalValue is given (BED3-6 and BED12, -1 throughout, a bigBed without that field) a peak is 1.
- names meet the reference's as everywhere (``chroms.harmonise``: chr1/1/NC_000001.11,
  chrM/MT); intervals on sequences the reference lacks are dropped and counted. An interval
  that starts past the end of its sequence is an InputError (another assembly); one that only
  ends past it (MACS peaks at a chromosome's end) is clipped and counted.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pyBigWig

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.io.chroms import harmonise
from epibench.io.regions import COORDINATE
from epibench.io.textfile import alignment_format, is_number, iter_lines, open_binary
from epibench.io.tracks import autosql_fields, bigbed_entries, is_bigbed, is_bigwig, open_bigbed

PEAK_KINDS = ("narrowpeak", "broadpeak", "gappedpeak", "bed", "bigbed")
KINDS = ("bedgraph", "wig", *PEAK_KINDS)
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
NOT_GIVEN = "-1"  # the signalValue of a peak without one (narrowPeak's convention)
_WIG_DECLARATIONS = ("fixedStep", "variableStep")
_HEADER = re.compile(r"(track|browser)\b|#")
_BEDGRAPH_TRACK = re.compile(r"track\b.*\btype=bedGraph\b", re.IGNORECASE)
_ENTRIES_PER_CALL = 1 << 20  # intervals handed to pyBigWig at a time (as Python lists)


def needs_conversion(path: str | os.PathLike) -> bool:
    """True for a mark file that is no bigWig (by its magic number): ``write_mark_bigwig`` makes one."""
    return not is_bigwig(path)


def write_mark_bigwig(
    path: str | os.PathLike, lengths: Mapping[str, int], out: str | os.PathLike, kind: str = "auto"
) -> dict:
    """Write the mark track ``path`` (module docstring) as the bigWig ``out``, atomically.

    lengths: the reference's sequence name -> length in bp, in its order (the bigWig's header).
    kind: one of ``KINDS``, or ``auto`` (a bigBed by its magic number, a text file by its
    columns: 4 with a number last is a bedGraph, 9/10/15 are broad/narrow/gappedPeak, 3-6 and 12
    BED). Returns the QC: kind, value (what the bigWig holds), n_intervals (read), n_kept,
    renamed ({name in file: reference name}), dropped ({name: intervals}), n_clipped,
    n_empty (zero-length or NaN intervals dropped) and the sequences with data.
    """
    if is_bigwig(path):
        raise InputError("already a bigWig: give it as the mark as it is", path=path)
    kind = track_kind(path) if kind == "auto" else kind
    if kind not in KINDS:
        raise InputError(f"unknown mark track kind {kind!r}: one of {', '.join(KINDS)} or auto", path=path)
    frame = _read_bigbed(path) if kind == "bigbed" else _read_text(path, kind)
    mapping = harmonise(frame["chrom"].unique(), lengths)
    on_reference = frame["chrom"].map(mapping)
    dropped = frame.loc[on_reference.isna(), "chrom"].value_counts()
    frame = frame.assign(chrom=on_reference).dropna(subset=["chrom"])
    if frame.empty:
        names = ", ".join(map(str, dropped.index[:5]))
        raise InputError(
            f"no interval lies on a sequence of the reference (the file names {names}): another assembly or "
            "organism?",
            path=path,
        )
    empty = (frame["end"] <= frame["start"]) | ~np.isfinite(frame["value"])
    frame = frame[~empty]
    peaks = kind in PEAK_KINDS
    presence = peaks and not (frame["value"] >= 0).any()  # no signalValue given (-1 throughout)
    if presence:
        frame = frame.assign(value=1.0)
    entries, n_clipped = {}, 0
    for chrom, rows in frame.groupby("chrom", sort=False, observed=True):
        starts, ends, values = _on_sequence(rows, lengths[chrom], path, overlaps=peaks)
        n_clipped += int((rows["end"] > lengths[chrom]).sum())
        entries[chrom] = (
            _peak_segments(starts, ends, values, lengths[chrom]) if peaks else (starts, ends, values)
        )
    _write_bigwig(out, lengths, entries)
    return {
        "kind": kind,
        "value": (
            "1 inside a peak, 0 between peaks"
            if presence
            else (
                "signalValue inside a peak, 0 between peaks"
                if peaks
                else "the bedGraph value; missing elsewhere"
            )
        ),
        "n_intervals": int(len(on_reference)),
        "n_kept": int(len(frame)),
        "renamed": {name: ref for name, ref in mapping.items() if ref is not None and ref != name},
        "dropped": {str(name): int(count) for name, count in dropped.items()},
        "n_clipped": n_clipped,
        "n_empty": int(empty.sum()),
        "sequences_with_data": [chrom for chrom in lengths if chrom in entries],
    }


def track_kind(path: str | os.PathLike) -> str:
    """The kind of a mark file that is not a bigWig: ``bigbed`` by its magic number, ``wig`` by a
    first data line ``fixedStep``/``variableStep``, else from the first data line's columns (a
    ``track type=bedGraph`` line makes it a bedGraph)."""
    if is_bigbed(path):
        return "bigbed"
    reads = alignment_format(path)
    if reads is not None:
        raise InputError(
            f"a {reads} file of aligned reads, not a signal track: make a bigWig of its coverage first "
            "(deepTools bamCoverage) or call its peaks (MACS3 callpeak)",
            path=path,
        )
    declared_bedgraph = False  # a header line says track type=bedGraph
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        if _HEADER.match(text):
            declared_bedgraph |= bool(_BEDGRAPH_TRACK.match(text))
            continue
        fields = _fields(text)
        if fields[0] in _WIG_DECLARATIONS:
            return "wig"
        if declared_bedgraph:
            return "bedgraph"
        kind = _BY_COLUMNS.get(len(fields))
        if kind == "bedgraph" and not is_number(fields[3]):
            kind = "bed"  # BED4: a name in column 4
        if kind is None:
            raise InputError(
                f"{len(fields)} columns: a mark track is a bigWig, a bedGraph (4 columns), a wiggle "
                "(fixedStep/variableStep), a narrowPeak (10), broadPeak (9) or gappedPeak (15) file, "
                "a BED of peaks (3-6 or 12) or a bigBed",
                path=path,
                line=number,
            )
        return kind
    raise InputError("no data line: an empty mark track", path=path)


def _read_text(path: str | os.PathLike, kind: str) -> pd.DataFrame:
    """chrom, start, end, value (float64; ``NOT_GIVEN`` for BED peaks) and row (0-based data line) of a text
    track; a bedGraph through pandas' C parser, the line-by-line reader (``_read_lines``) naming
    the first bad line where that fails."""
    if kind == "wig":
        return _read_wig(path)
    if kind == "bedgraph":
        frame = _read_bedgraph_fast(path)
        if frame is not None:
            return frame
    return _read_lines(path, kind)


def _read_bedgraph_fast(path: str | os.PathLike) -> pd.DataFrame | None:
    """A bedGraph read whole by pandas (tens of millions of lines), or None where it does not parse
    as one (then ``_read_lines`` finds the line)."""
    n_header = next((number - 1 for number, fields in _data_lines(path)), 0)
    try:
        with open_binary(path) as stream:
            frame = pd.read_csv(
                stream,
                sep=r"\s+",
                header=None,
                names=["chrom", "start", "end", "value"],
                skiprows=n_header,
                dtype={"chrom": "category", "start": np.int64, "end": np.int64, "value": np.float64},
                na_filter=False,
                engine="c",
            )
    except (ValueError, pd.errors.ParserError):
        return None
    if (frame["start"] < 0).any() or (frame["end"] < frame["start"]).any():
        return None
    return frame.assign(row=np.arange(len(frame)))


def _read_lines(path: str | os.PathLike, kind: str) -> pd.DataFrame:
    """``_read_text``'s frame, line by line; a line that is not of ``kind`` is an InputError naming it."""
    n_columns = next((n for n, k in _BY_COLUMNS.items() if k == kind), None) if kind != "bed" else None
    value_column = VALUE_COLUMN[kind]
    rows = []
    for number, fields in _data_lines(path):
        if n_columns is not None and len(fields) != n_columns:
            raise InputError(f"a {kind} line has {n_columns} columns, found {len(fields)}", path, number)
        if len(fields) < 3:
            raise InputError(f"a BED line has at least 3 columns, found {len(fields)}", path, number)
        start, end = fields[1], fields[2]
        if not (COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end)) or int(end) < int(start):
            raise InputError(
                f"start and end must be integers with 0 <= start <= end: {start!r}, {end!r}", path, number
            )
        value = fields[value_column] if value_column is not None else NOT_GIVEN
        if not is_number(value):
            raise InputError(
                f"the value (column {value_column + 1}) is not a number: {value!r}", path, number
            )
        rows.append((fields[0], int(start), int(end), float(value), len(rows)))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "value", "row"]).astype(
        {"chrom": "str", "start": np.int64, "end": np.int64, "value": np.float64, "row": np.int64}
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


def _read_wig(path: str | os.PathLike) -> pd.DataFrame:
    """``_read_text``'s frame of a wiggle file: ``variableStep chrom= [span=]`` sections of
    ``position value`` lines and ``fixedStep chrom= start= step= [span=]`` sections of ``value``
    lines, positions 1-based (UCSC wiggle); row counts declaration lines too (``_line_of``)."""
    chroms, starts, spans, values, rows = [], array("q"), array("q"), array("d"), array("q")
    section: dict | None = None
    for row, (number, fields) in enumerate(_data_lines(path)):
        if fields[0] in _WIG_DECLARATIONS:
            section = _wig_declaration(fields, path, number)
            continue
        if section is None:
            raise InputError("a data line before the first fixedStep/variableStep line", path, number)
        fixed = section["kind"] == "fixedStep"
        if len(fields) != (1 if fixed else 2) or not all(map(is_number, fields)):
            expected = "a value" if fixed else "a position and a value"
            raise InputError(
                f"a {section['kind']} line holds {expected}, found {' '.join(fields)!r}", path, number
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
        chroms.append(section["chrom"])
        starts.append(position - 1)
        spans.append(section["span"])
        values.append(float(fields[-1]))
        rows.append(row)
    start = np.frombuffer(starts, dtype=np.int64) if starts else np.empty(0, np.int64)
    span = np.frombuffer(spans, dtype=np.int64) if spans else np.empty(0, np.int64)
    return pd.DataFrame(
        {
            "chrom": pd.Categorical(chroms),
            "start": start,
            "end": start + span,
            "value": np.frombuffer(values, dtype=np.float64) if values else np.empty(0),
            "row": np.frombuffer(rows, dtype=np.int64) if rows else np.empty(0, np.int64),
        }
    )


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
            f"{' '.join(fields)!r}",
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


def _line_of(path: str | os.PathLike, row: int) -> int | None:
    """The 1-based line of data row ``row`` of a text track (None for a bigBed: no lines)."""
    if is_bigbed(path):
        return None
    return next((number for i, (number, _) in enumerate(_data_lines(path)) if i == row), None)


def _read_bigbed(path: str | os.PathLike) -> pd.DataFrame:
    """chrom, start, end, value, row of every bigBed entry; the value is the autoSql field
    ``signalValue`` where the file has one, else ``NOT_GIVEN``."""
    handle = open_bigbed(path)
    try:
        fields = autosql_fields(handle)
        value_at = fields.index("signalValue") - 3 if "signalValue" in fields else None
        rows = []
        for chrom, entries in bigbed_entries(handle):
            for start, end, rest in entries:
                value = float(rest.split("\t")[value_at]) if value_at is not None else float(NOT_GIVEN)
                rows.append((chrom, start, end, value, len(rows)))
    finally:
        handle.close()
    frame = pd.DataFrame(rows, columns=["chrom", "start", "end", "value", "row"])
    return frame.astype({"chrom": "str", "start": np.int64, "end": np.int64, "value": np.float64})


def _on_sequence(
    rows: pd.DataFrame, length: int, path: str | os.PathLike, overlaps: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One reference sequence's intervals sorted by start, ends clipped to ``length``: (starts,
    ends, values). A start at or past ``length`` is an InputError, and so is an overlap unless
    ``overlaps`` (peaks)."""
    rows = rows.sort_values("start", kind="stable")
    starts, ends = rows["start"].to_numpy(), rows["end"].to_numpy()
    beyond = np.flatnonzero(starts >= length)
    if len(beyond):
        raise InputError(
            f"an interval starts at {starts[beyond[0]]:,}, past the end of {rows['chrom'].iloc[0]} in the "
            f"reference ({length:,} bp): the track is of another assembly",
            path,
            _line_of(path, int(rows["row"].iloc[beyond[0]])),
        )
    overlapping = np.flatnonzero(starts[1:] < ends[:-1]) + 1
    if not overlaps and len(overlapping):
        i = overlapping[0]
        raise InputError(
            f"the interval {rows['chrom'].iloc[i]}:{starts[i]:,}-{ends[i]:,} overlaps "
            f"{starts[i - 1]:,}-{ends[i - 1]:,}: a bedGraph's intervals may not overlap",
            path,
            _line_of(path, int(rows["row"].iloc[i])),
        )
    return starts, np.minimum(ends, length), rows["value"].to_numpy()


def _peak_segments(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peaks (sorted by start, possibly overlapping) -> non-overlapping segments covering
    [0, length): the largest value of the peaks over each, 0 where there is none."""
    bounds = np.unique(np.concatenate([[0, length], starts, ends]))
    segment_values = np.zeros(len(bounds) - 1)
    first, last = np.searchsorted(bounds, starts), np.searchsorted(bounds, ends)
    for i in np.argsort(values, kind="stable"):  # larger values painted last
        segment_values[first[i] : last[i]] = values[i]
    return bounds[:-1], bounds[1:], segment_values


def _write_bigwig(
    out: str | os.PathLike, lengths: Mapping[str, int], entries: dict[str, tuple[np.ndarray, ...]]
) -> None:
    """A bigWig with header ``lengths`` and each sequence's (starts, ends, values), atomically."""
    with atomic_path(out) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(lengths.items()))
            for chrom in lengths:
                if chrom in entries:
                    starts, ends, values = entries[chrom]
                    for lo in range(0, len(starts), _ENTRIES_PER_CALL):
                        part = slice(lo, lo + _ENTRIES_PER_CALL)
                        handle.addEntries(
                            [chrom] * len(starts[part]),
                            starts[part].tolist(),
                            ends=ends[part].tolist(),
                            values=values[part].tolist(),
                        )
        finally:
            handle.close()
