"""ENCODE's bedMethyl as a bigBed (the portal's "bigBed bedMethyl" files; gemBS mextr writes them).

The autoSql names the bedMethyl fields: BED9, ``readCount`` (coverage) and ``percentMeth``, and
in gemBS's ``BisulfiteSeq`` table also ``refContext``, ``calledContext`` and ``genotypeQual``
(14 fields, as ENCODE's text bedMethyl). Each chromosome's entries, in file order, are read as
the rows of the text bedMethyl (``bedmethyl.read_encode``: ``+`` rows on the C, ``-`` on the G);
a row's line is its line in ``bigBedToBed``'s output. A bigBed of other records is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from epibench.errors import InputError
from epibench.io.methylation import bedmethyl
from epibench.io.methylation.calls import Calls, concat
from epibench.io.methylation.columns import Block, Labels, Source
from epibench.io.tracks import autosql_fields, bigbed_entries, open_bigbed

FORMAT = "bedmethyl_bigbed"
FIELDS = ("readCount", "percentMeth")  # coverage, percent: the fields that make it bedMethyl
N_FIELDS = (11, 14)
WINDOW_BP = 10_000_000  # entries read at a time (about 0.5 M CpG rows of a WGBS bigBed, ~100 MB)


def source(path: str | os.PathLike) -> Source:
    """The ``Source`` of a bedMethyl bigBed; an InputError for a bigBed of other records."""
    handle = open_bigbed(path)
    try:
        fields = autosql_fields(handle)
    finally:
        handle.close()
    if len(fields) not in N_FIELDS or tuple(fields[9:11]) != FIELDS:
        raise InputError(
            f"a bigBed of {len(fields)} fields ({', '.join(fields) or 'no autoSql'}), not bedMethyl "
            f"(BED9, {', '.join(FIELDS)}[, refContext, calledContext, genotypeQual]): a bigBed "
            "methylation file must be ENCODE's bedMethyl; give other calls as text (the README lists "
            "them under 'Methylation formats')",
            path=path,
        )
    return Source(Path(path), FORMAT, 0, len(fields), False, (), entries=True)


def read(source: Source) -> Calls:
    """Every entry of the bigBed as one call (``read_parts`` concatenated)."""
    parts = list(read_parts(source))
    if not parts:
        raise InputError("the bigBed holds no entries", path=source.path)
    return concat(parts)


def read_parts(source: Source, window: int = WINDOW_BP) -> Iterator[Calls]:
    """The calls of ``window`` bp of one chromosome at a time, in file order: ``source`` the file's,
    chromosome codes into the file's chromosome list, ``row`` counted from the part's first entry."""
    handle = open_bigbed(source.path)
    try:
        names = np.array(list(handle.chroms()), dtype=object)
        codes = {name: code for code, name in enumerate(names)}
        first_row = 0
        for chrom, entries in bigbed_entries(handle, window):
            if not entries:
                continue
            code = codes[chrom]
            text = "".join(f"{chrom}\t{start}\t{end}\t{rest}\n" for start, end, rest in entries)
            calls = bedmethyl.read_encode(Block(**vars(source), first_row=first_row, text=text.encode()))
            yield replace(
                calls, source=source, chrom=Labels(np.full(len(calls), code, dtype=np.int32), names)
            )
            first_row += len(entries)
    finally:
        handle.close()
