"""Gene models as BED12 or UCSC genePred tables -> transcript spans (what ``regions`` reads of a GTF).

Besides GTF and GFF3 (epibench.io.gene_models), labs keep gene models as

- BED12 (RSeQC's ``hg38_RefSeq.bed``, a UCSC gene track saved as BED; BED6 of genes too):
  chrom, start, end, name, score, strand, ...;
- UCSC genePred tables as the Table Browser or the download server give them (``refGene.txt``,
  ``ncbiRefSeq.txt``, ``knownGene.txt``): [bin,] name, chrom, strand, txStart, txEnd, cdsStart,
  cdsEnd, exonCount, exonStarts, exonEnds[, score, name2, ...];
- Picard's refFlat: geneName, name, chrom, strand, txStart, ... (a genePred behind a gene name).

All are 0-based half-open. Each row is one transcript: its span, strand, name (the
transcript_id) and gene (refFlat's geneName, genePred's name2, else the name). The layout is
told by the first data line (``#``, ``track`` and ``browser`` lines are skipped); every row must
fit it.
"""

from __future__ import annotations

import os
import re

import pandas as pd

from epibench.errors import InputError
from epibench.io.textfile import iter_lines

TRANSCRIPT_COLUMNS = ("chrom", "start", "end", "strand", "gene_id", "transcript_id")
_HEADER = re.compile(r"(track|browser)\b|#")
_INTEGER = re.compile(r"[0-9]{1,18}")
_INTEGERS = re.compile(r"(?:[0-9]{1,18},?)*")  # a comma-separated list, UCSC's with a trailing comma
# genePred columns after its name: chrom, strand, txStart, txEnd, cdsStart, cdsEnd, exonCount,
# exonStarts, exonEnds
_GENEPRED_FIELDS = 9


def gene_table_layout(path: str | os.PathLike) -> str | None:
    """``genepred`` (name first), ``genepred_bin`` (refGene.txt's bin first), ``refflat`` (gene name
    first), ``bed`` (BED6 to BED12), or None for a file whose first data line is none of these
    (a GTF or GFF3 row: 9 columns)."""
    for _, text in iter_lines(path):
        if text.strip() and not _HEADER.match(text):
            return _layout(text.split("\t"))
    return None


def _layout(fields: list[str]) -> str | None:
    for first in (0, 1):  # the name's column
        if _is_genepred(fields[first:]):
            if first == 0:
                return "genepred"
            return "genepred_bin" if _INTEGER.fullmatch(fields[0]) else "refflat"
    if len(fields) != 9 and _is_bed(fields):
        return "bed"
    return None


def _is_genepred(fields: list[str]) -> bool:
    """Whether ``fields`` (from the name on) read as a genePred row."""
    return (
        len(fields) >= 1 + _GENEPRED_FIELDS
        and fields[2] in ("+", "-")
        and all(_INTEGER.fullmatch(f) for f in fields[3:8])
        and all(_INTEGERS.fullmatch(f) for f in fields[8:10])
    )


def _is_bed(fields: list[str]) -> bool:
    return (
        len(fields) >= 6
        and fields[5] in ("+", "-", ".")
        and bool(_INTEGER.fullmatch(fields[1]) and _INTEGER.fullmatch(fields[2]))
    )


def read_gene_table(path: str | os.PathLike, layout: str) -> tuple[pd.DataFrame, list[str]]:
    """The transcripts of a gene table of ``layout`` (``gene_table_layout``) as a DataFrame of
    ``TRANSCRIPT_COLUMNS`` (0-based half-open spans), and the distinct sequence names in file order."""
    first = 0 if layout in ("genepred", "bed") else 1
    rows = []
    for number, text in iter_lines(path):
        if not text.strip() or _HEADER.match(text):
            continue
        fields = text.split("\t")
        if _layout(fields) != layout:
            raise InputError(
                f"not a {layout} row like the file's first ({len(fields)} tab-separated columns)",
                path,
                number,
            )
        if layout == "bed":
            chrom, start, end, name, strand = fields[0], fields[1], fields[2], fields[3], fields[5]
            gene = name
        else:
            name, chrom, strand, start, end = fields[first : first + 5]
            gene_column = first + 1 + _GENEPRED_FIELDS + 1  # name2, after the score
            gene = (
                fields[0]
                if layout == "refflat"
                else (fields[gene_column] if len(fields) > gene_column else name)
            )
        if int(end) < int(start):
            raise InputError(f"end {end} before start {start}", path, number)
        rows.append((chrom, int(start), int(end), strand, gene or name, name))
    if not rows:
        raise InputError(f"no transcript rows in the {layout} table", path=path)
    table = pd.DataFrame(rows, columns=list(TRANSCRIPT_COLUMNS))
    return table, list(dict.fromkeys(table["chrom"]))
