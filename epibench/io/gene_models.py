"""Gene models -> transcript spans: GTF and GFF3 here, BED12 and UCSC tables in ``gene_tables``.

What the region classes need of a gene model is each transcript's span and strand (the promoter
lies at its TSS, the gene body under the span). Read from:

- GTF: the ``transcript`` rows, and the transcripts of exon rows (by ``transcript_id``) that
  have no transcript row (all of them in UCSC refGene's exon-only GTFs), spanned by their exons.
  Values may be unquoted as GFF2 writes them (``transcript_id 335995``); JGI Mycocosm's GFF2 names
  them ``transcriptId`` and its genes ``name "..."``. The UCSC Table Browser writes each
  transcript's rows as one block (source ``<database>_<table>``, e.g. ``danRer11_refGene``), and
  one id in several blocks where the transcript aligns at several places: each block of a
  chromosome is a transcript of its own (``<id>_dup1``, ...), never one span across the loci.
  AUGUSTUS and BRAKER write transcript rows with a bare id (``g1.t1``, no ``transcript_id
  "..."``): those rows are skipped, their exons span them. NCBI's GTFs give every feature without
  a transcript of its own the one id ``unknown_transcript_1``: its rows make one transcript per
  ``gene_id`` (per feature, from its ``exon_number "1"``, where the gene_id is empty).
- GFF3 (a ``##gff-version 3`` line, or ``key=value`` attributes: GENCODE, Ensembl, RefSeq,
  AUGUSTUS): the transcripts are the rows that exons name as their ``Parent`` (``transcript``,
  ``mRNA``, ``lnc_RNA``, ...: whatever the feature; TAIR's ``pseudogenic_exon`` rows are exons of
  its ``pseudogenic_transcript`` rows), each with its own span and its own
  ``Parent`` as gene; an exon's parent without a row of its own is spanned by its exons; a
  ``##FASTA`` section ends the features; strand ``?`` (unknown) reads as ``.``.

NCBI's GTFs give a gene without an mRNA (the mitochondrion's ND1, COX1, ...) CDS and codon rows
of ``unknown_transcript_1`` and no exon row: those rows span a transcript of that gene even in a
file with exon rows. A file without any exon row (AUGUSTUS's default output) has its CDS, UTR and
codon rows stand in for exons (the transcript rows they name, or their spans); one without any of those nor transcript
rows (a gene-level annotation) has its ``gene`` rows stand in for transcripts, one per gene, with a
warning (each named by its gene_id, else its bare id as AUGUSTUS writes one, else its line). Exons of one transcript id on several
chromosomes or strands (UCSC's copies on chrX and chrY's PAR, alt contigs) make one transcript
per chromosome and strand. Coordinates are 1-based inclusive in the file, 0-based half-open in
the table.

Gene and transcript types: a transcript is left out when its own type or its gene's is among
``skip_types`` (by default transposable-element genes: TAIR's ``transposable_element_gene``,
Ensembl Plants' ``transposable_element`` biotype, whose 5' ends are no promoters and whose bodies
are silenced), or, where ``keep_types`` is given, when neither is among those (``protein_coding``
alone, say). A GTF row's types are its ``gene_type``/``transcript_type`` (GENCODE) or
``gene_biotype``/``transcript_biotype`` (Ensembl) values; a GFF3 row's its feature
(``transposable_element_gene``, ``mRNA``) and its ``biotype`` (Ensembl) or ``gene_type``/``transcript_type``
(GENCODE) values. Compared in lower case. BED and genePred tables have no types.

Rows have 9 tab-separated columns; empty columns after the 9th (a tab after the attributes, as MITOS
writes) are dropped, and a row of 8 whose last is a frame (``.``, 0-2) has no attributes (exonerate
writes some). Exon and transcript rows that name no transcript (no ``transcript_id``, a GFF3 exon
without ``Parent``) are skipped with a warning giving their count and first line; a file of which
nothing else is left is an error at that line.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from urllib.parse import unquote

import pandas as pd

from epibench.errors import InputError
from epibench.io.chroms import listed
from epibench.io.gene_tables import TRANSCRIPT_COLUMNS, gene_table_layout, read_gene_table
from epibench.io.textfile import COORDINATE, iter_lines, scientific_hint

log = logging.getLogger(__name__)


def _gtf_key(key: str) -> re.Pattern:
    """A GTF attribute's value: ``key "value"``, or unquoted as GFF2 writes it (``key value``)."""
    return re.compile(rf'(?<![\w.-]){key}\s+(?:"([^"]*)"|([^\s;"]+))')


# Each id's keys, in order of preference; JGI Mycocosm's GFF2 writes name "fgenesh1_pg.1_#_1";
# transcriptId 1234 (the gene's name, the transcript's number)
_ATTRIBUTE = {
    "gene_id": (_gtf_key("gene_id"), _gtf_key("name")),
    "transcript_id": (_gtf_key("transcript_id"), _gtf_key("transcriptId")),
}
# a GTF row's types: GENCODE's gene_type and transcript_type, Ensembl's gene_biotype and transcript_biotype
_GTF_TYPES = re.compile(r'(?<![\w.-])(?:gene|transcript)_(?:bio)?type\s+"?([^";\s]+)')
_GFF3_TYPE_KEYS = ("biotype", "gene_biotype", "transcript_biotype", "gene_type", "transcript_type")
# types whose transcripts are left out unless told otherwise (regions.skip_gene_types)
SKIPPED_GENE_TYPES = ("transposable_element_gene", "transposable_element")
# GFF3 exon features: TAIR's and VEuPathDB's pseudogenic transcripts have pseudogenic_exon rows
_GFF3_EXONS = ("exon", "pseudogenic_exon")
# a UCSC Table Browser GTF's source: <database>_<table> (hg38_knownGene, danRer11_refGene, mm10_ncbiRefSeq)
_UCSC_TABLE_SOURCE = re.compile(r"[a-z]+(?:[A-Z][a-z]*)?\d+_[A-Za-z]\w*")
_FRAMES = {".", "0", "1", "2"}  # a GTF frame: an 8-column row ending in one has no attributes

# NCBI's GTF gives every feature without a transcript of its own (a tRNA, an Ig gene segment, a
# CDS of a gene without an mRNA) the same transcript_id "unknown_transcript_1"; "" as some converters
_UNNAMED_ID = r"unknown_transcript_\d+"
_UNNAMED_TRANSCRIPT = re.compile(rf"{_UNNAMED_ID}|")
# a row whose transcript_id may be NCBI's shared one (a cheap test before reading its attributes)
_NAMES_NO_TRANSCRIPT = re.compile(rf'transcript_id (?:"(?:{_UNNAMED_ID})?"|{_UNNAMED_ID}\b)')
_EXON_NUMBER = re.compile(r'exon_number "?(\d+)')
_BARE_ID = re.compile(r"\s*([^\s;\"=]+)\s*;?\s*")  # AUGUSTUS's gene and transcript rows: g1.t1
_GTF_KEY = re.compile(r'\s*\w+ "')  # GTF attributes: key "value";
_GFF3_KEY = re.compile(r"\s*[^\s=;]+=")  # GFF3 attributes: key=value;
# GFF3 features that are parts of a transcript, never a transcript themselves (compared in lower
# case: AUGUSTUS writes five_prime_utr, GENCODE five_prime_UTR)
_TRANSCRIPT_PARTS = {
    "cds",
    "utr",
    "five_prime_utr",
    "three_prime_utr",
    "start_codon",
    "stop_codon",
    "stop_codon_redefined_as_selenocysteine",
    "intron",
    "transcription_start_site",
    "transcription_end_site",
}


def transcripts_from_gtf(
    gtf_path: str | os.PathLike,
    keep_types: Sequence[str] = (),
    skip_types: Sequence[str] = SKIPPED_GENE_TYPES,
) -> pd.DataFrame:
    """Transcripts of a GTF or GFF3 (plain or compressed; module docstring) as 0-based half-open spans; a
    BED12 or UCSC genePred/refFlat table (epibench.io.gene_tables) gives one transcript per row.
    Returns a DataFrame (chrom, start, end, strand, gene_id, transcript_id), one row per transcript,
    of the types chosen by ``keep_types`` and ``skip_types`` (module docstring).
    """
    return read_gene_models(gtf_path, keep_types, skip_types)[0]


def read_gene_models(
    gtf_path: str | os.PathLike,
    keep_types: Sequence[str] = (),
    skip_types: Sequence[str] = SKIPPED_GENE_TYPES,
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`transcripts_from_gtf`'s table, and the distinct sequence names of all rows (file order)."""
    layout = gene_table_layout(gtf_path)
    if layout is not None:  # BED12 or a UCSC genePred table (epibench.io.gene_tables)
        if keep_types:
            raise InputError(
                f"gene types to keep are given ({', '.join(keep_types)}), but a {layout} table names no "
                "types: give a GTF or GFF3, or no regions.gene_types",
                path=gtf_path,
            )
        return read_gene_table(gtf_path, layout)
    rows = _Rows()
    seqnames: dict[str, None] = {}
    gff3 = None  # decided by a ##gff-version line or the first row's attributes
    for number, text in iter_lines(gtf_path):
        if text.startswith("##FASTA"):  # GFF3: sequences follow, no more features
            break
        if not text.strip() or text.startswith("#"):
            if gff3 is None and text.startswith("##gff-version 3"):
                gff3 = True
            continue
        fields = _columns(gtf_path, number, text)
        seqnames[fields[0]] = None
        if gff3 is None and fields[8].strip():
            gff3 = bool(_GFF3_KEY.match(fields[8])) and not _GTF_KEY.match(fields[8])
        if gff3 and fields[6] == "?":  # GFF3's strand "relevant but unknown"
            fields[6] = "."
        (rows.add_gff3 if gff3 else rows.add_gtf)(gtf_path, number, fields)
    table = rows.gff3_table(gtf_path) if gff3 else rows.gtf_table(gtf_path)
    table = _of_types(table, rows.types, keep_types, skip_types, gtf_path)
    return table[list(TRANSCRIPT_COLUMNS)].reset_index(drop=True), list(seqnames)


def _of_types(
    table: pd.DataFrame,
    types: dict[str, set[str]],
    keep_types: Sequence[str],
    skip_types: Sequence[str],
    gtf_path: str | os.PathLike,
) -> pd.DataFrame:
    """The transcripts of ``table`` whose types (``types`` of its transcript_id and of its gene_id)
    pass ``keep_types`` and ``skip_types`` (module docstring); the skipped counted in the log.
    InputError when ``keep_types`` matches no transcript (naming the types the file has)."""
    of_row = [
        types.get(transcript, set()) | types.get(gene, set())
        for transcript, gene in zip(table["transcript_id"], table["gene_id"])
    ]
    keep, skip = {t.lower() for t in keep_types}, {t.lower() for t in skip_types}
    kept = [(not keep or bool(row & keep)) and not row & skip for row in of_row]
    if keep and not any(kept):
        counts = pd.Series([t for row in of_row for t in sorted(row)], dtype=object).value_counts()
        raise InputError(
            f"no transcript is of the gene types to keep ({', '.join(keep_types)}; regions.gene_types): "
            f"the types of the gene models (a GFF3's feature names among them), with their transcripts: "
            f"{listed(counts.to_dict())}",
            path=gtf_path,
        )
    n_left_out = len(kept) - sum(kept)
    if n_left_out:
        left_out = pd.Series([t for row, k in zip(of_row, kept) if not k for t in sorted(row)], dtype=object)
        log.info(
            "%s: %d of %d transcripts left out by their gene types (regions.gene_types, "
            "regions.skip_gene_types; their types: %s)",
            gtf_path,
            n_left_out,
            len(kept),
            listed(left_out.value_counts().to_dict()),
        )
    return table[kept]


def _columns(gtf_path, number: int, text: str) -> list[str]:
    """A row's 9 tab-separated columns: empty ones after the 9th dropped (a tab after the attributes),
    empty attributes added to a row of 8 whose last is a frame (exonerate's rows without any)."""
    fields = text.split("\t")
    while len(fields) > 9 and not fields[-1]:
        fields.pop()
    if len(fields) == 8 and fields[7] in _FRAMES:
        fields.append("")
    if len(fields) != 9:
        raise InputError(
            f"a GTF row has 9 tab-separated columns, found {len(fields)} (gene models are read from a "
            "GTF, a GFF3, a BED6-12 or a UCSC genePred/refFlat table)",
            gtf_path,
            number,
        )
    return fields


class _Rows:
    """What ``read_gene_models`` keeps of the rows, each as (chrom, start, end, strand, gene_id,
    transcript_id, line): transcripts (GTF transcript rows), exons, and, until the first exon
    row, the parts of transcripts (CDS, UTR, codon rows) that stand in for exons in a file without
    any; GFF3: every row with an ID other than a transcript part waits in ``parents`` for exons
    naming it as Parent; exon and transcript rows naming no transcript wait in ``nameless``."""

    def __init__(self):
        self.transcripts: list[tuple] = []
        self.exons: list[tuple] = []
        self.parts: list[tuple] = []
        self.parents: dict[str, tuple] = {}
        self.genes: list[tuple] = (
            []
        )  # (line, fields, gene id) of gene rows: read in a file without transcripts
        self.n_bare = 0  # GTF transcript rows with a bare id (AUGUSTUS), skipped
        self.unnamed_ids: set[str] = set()  # own ids given to rows of NCBI's shared "unknown_transcript_1"
        self.nameless: list[tuple[int, str]] = []  # (line, what) of exon and transcript rows naming none
        self.any_exon_row = False
        self.types: dict[str, set[str]] = {}  # gene or transcript id -> its types, lower case
        # CDS and codon rows of NCBI's unknown_transcript_1 with a gene_id (a mitochondrial protein's
        # gene has no mRNA, so no exon rows), and GFF3 CDS rows whose Parent is a gene row (NCBI's
        # GFF3 of the same genes): read even in a file with exon rows
        self.gene_parts: list[tuple] = []
        self._unnamed_run: tuple[str, str, str] | None = None  # (chrom, strand, id) of the last such run
        # UCSC Table Browser GTFs: transcript id -> (chromosome, strand) -> its blocks of rows there so
        # far, less one; the last row's (id, chromosome, strand)
        self.ucsc_blocks: dict[str, dict[tuple[str, str], int]] = {}
        self._ucsc_last: tuple[str, str, str] | None = None

    def add_exons(self, exons: list[tuple], number: int, what: str) -> None:
        """The exons of one exon row; none (the row kept in ``nameless`` as ``what``) where it names
        no transcript. Either way the file has exon rows: its parts are not read."""
        self.exons += exons
        if not exons:
            self.nameless.append((number, what))
        self.any_exon_row = True
        self.parts.clear()

    def add_parts(self, parts: list[tuple]) -> None:
        if not self.any_exon_row:
            self.parts += parts

    def add_gene(self, number: int, fields: list[str], gene_id: str) -> None:
        """Keep a gene row, unread: it becomes a transcript of its own only in a file without any."""
        self.genes.append((number, fields, gene_id))

    def exons_or_parts(self) -> list[tuple]:
        """The exons, or in a file without any the parts (logged); and the parts of NCBI's genes
        without an mRNA (``gene_parts``) whose transcript has no exon."""
        if not self.exons and self.parts:
            log.info(
                "no exon rows: %d CDS, UTR and codon rows span their transcripts instead", len(self.parts)
            )
        rows = self.exons or self.parts
        spanned = {row[5] for row in rows}
        return rows + [part for part in self.gene_parts if part[5] not in spanned]

    def table(self, gtf_path, transcripts: list[tuple], ids: set[str], exons: list[tuple]) -> pd.DataFrame:
        """``transcripts`` (rows of their own, ``ids`` their ids), and the transcripts of ``exons``
        (``exons_or_parts``) whose id is not among ``ids``, spanned by those."""
        if self.nameless and (transcripts or exons):
            log.warning(
                "%s: %d exon or transcript rows name no transcript and are skipped, the first at line %d: %s",
                gtf_path,
                len(self.nameless),
                *self.nameless[0],
            )
        elif self.nameless:
            raise InputError(self.nameless[0][1], gtf_path, self.nameless[0][0])
        if not transcripts and not exons:
            if not self.genes:
                raise InputError(
                    "no transcript or exon rows in the gene models (nor CDS, UTR or gene rows to span them)",
                    path=gtf_path,
                )
            log.warning(
                "%s: no transcript, exon, CDS or UTR rows: its %d gene rows stand in for transcripts (a "
                "promoter at each gene's start)",
                gtf_path,
                len(self.genes),
            )
            return _frame([(*_span(gtf_path, n, fields), gid, gid, n) for n, fields, gid in self.genes])
        orphans = [exon for exon in exons if exon[5] not in ids]
        frames = [_frame(transcripts)] if transcripts else []
        return pd.concat(frames + ([_spans_from_exons(_frame(orphans))] if orphans else []))

    # --- GTF ---------------------------------------------------------------------------------

    def _own_transcript(self, row: tuple, fields: list[str]) -> tuple:
        """A GTF exon or part row with its transcript's own id: for NCBI's shared
        ``unknown_transcript_1`` (or an empty id), its gene's (one transcript per gene_id), or without
        a gene_id the run of rows from its ``exon_number "1"`` on (a tRNA, a two-exon RNA), so that
        features far apart never make one transcript."""
        chrom, start, end, strand, gene_id, transcript_id, number = row
        if not _UNNAMED_TRANSCRIPT.fullmatch(transcript_id):
            return row
        label = transcript_id or "no transcript_id"
        if gene_id:
            own = f"{label} of {gene_id}"
        else:
            exon_number = _EXON_NUMBER.search(fields[8])
            run = self._unnamed_run
            if not (exon_number and exon_number.group(1) != "1" and run and run[:2] == (chrom, strand)):
                run = self._unnamed_run = (chrom, strand, f"{label} at line {number}")
            own = run[2]
        self.unnamed_ids.add(own)
        return chrom, start, end, strand, gene_id, own, number

    def _ucsc_copy(self, fields: list[str]) -> list[str]:
        """A UCSC Table Browser GTF row (source ``<database>_<table>``) with the id of its copy: each
        transcript's rows come there as one block, and the same transcript aligned at several places
        (refGene's NM ids at several loci) comes as several blocks of one id; a second block on the
        same chromosome and strand is named ``<id>_dup1`` (a third ``<id>_dup2``, ...) so that no
        transcript spans two loci (copies on other chromosomes, the PAR's, keep the id: their spans
        are apart already)."""
        transcript_id = _gtf_id(fields[8], "transcript_id")
        if transcript_id is None:
            return fields
        place = (fields[0], fields[6])
        if (transcript_id, *place) != self._ucsc_last:  # a new block
            self._ucsc_last = (transcript_id, *place)
            blocks = self.ucsc_blocks.setdefault(transcript_id, {})
            blocks[place] = blocks.get(place, -1) + 1
        copy = self.ucsc_blocks[transcript_id][place]
        if not copy:
            return fields
        attributes = _ATTRIBUTE["transcript_id"][0].sub(
            f'transcript_id "{transcript_id}_dup{copy}"', fields[8], count=1
        )
        return [*fields[:8], attributes]

    def add_gtf(self, gtf_path, number: int, fields: list[str]) -> None:
        if _UCSC_TABLE_SOURCE.fullmatch(fields[1]):
            fields = self._ucsc_copy(fields)
        feature = fields[2]
        if feature == "exon":
            row = _gtf_row(gtf_path, number, fields)
            exons = [] if row[5] is None else [self._own_transcript(row, fields)]
            if exons and exons[0][5] not in self.types:  # an exon-only GTF's types: its first exon's
                self.types[exons[0][5]] = _gtf_types(fields)
            self.add_exons(exons, number, "exon row without a transcript_id attribute")
        elif feature == "gene":
            gene_id = _gtf_id(fields[8], "gene_id")
            if gene_id is None:
                bare = _BARE_ID.fullmatch(fields[8])
                gene_id = bare.group(1) if bare else f"line {number}"
            self.types[gene_id] = _gtf_types(fields)
            self.add_gene(number, fields, gene_id)
        elif feature == "transcript":
            row = _gtf_row(gtf_path, number, fields)
            if row[5] is not None:
                self.types[row[5]] = _gtf_types(fields)
                self.transcripts.append(row)
            elif _BARE_ID.fullmatch(fields[8]):
                self.n_bare += 1  # AUGUSTUS: its exons or parts carry the transcript_id
            else:
                self.nameless.append((number, "transcript row without a transcript_id attribute"))
        elif (not self.any_exon_row or _NAMES_NO_TRANSCRIPT.search(fields[8])) and _gtf_id(
            fields[8], "transcript_id"
        ) is not None:
            row = _gtf_row(gtf_path, number, fields)
            if row[4] and _UNNAMED_TRANSCRIPT.fullmatch(row[5]):  # NCBI: a gene without an mRNA
                self.gene_parts.append(self._own_transcript(row, fields))
            elif not self.any_exon_row:
                self.add_parts([self._own_transcript(row, fields)])

    def gtf_table(self, gtf_path) -> pd.DataFrame:
        copied = [tid for tid, blocks in self.ucsc_blocks.items() if any(blocks.values())]
        if copied:
            log.info(
                "%d transcript ids of the UCSC Table Browser's GTF come in several blocks of rows on one chromosome (one "
                "transcript aligned at several places): each block a transcript of its own, <id>_dup1 ..., e.g. %s",
                len(copied),
                copied[0],
            )
        exons = self.exons_or_parts()
        n_unnamed = sum(row[5] in self.unnamed_ids for row in exons)
        if n_unnamed:
            log.info(
                "%d rows with NCBI's shared transcript_id unknown_transcript_1 (or none): one transcript per "
                "gene_id, or per feature (its exon_number 1 on) where the gene_id is empty",
                n_unnamed,
            )
        if self.n_bare:
            log.info(
                "%d transcript rows without a transcript_id (a bare id, as AUGUSTUS writes them) skipped: "
                "their exon rows (or CDS rows) span those transcripts",
                self.n_bare,
            )
        ids = {row[5] for row in self.transcripts}
        return self.table(gtf_path, self.transcripts, ids, exons)

    # --- GFF3 --------------------------------------------------------------------------------

    def add_gff3(self, gtf_path, number: int, fields: list[str]) -> None:
        """A GFF3 row: an exon (or pseudogenic_exon) gives one exon per transcript of its ``Parent`` (comma-separated,
        %-escaped); a row of another feature with an ID, other than a part of a transcript (CDS,
        UTR, codon), is kept in ``parents`` in case exons name it."""
        feature = fields[2]
        if feature in _GFF3_EXONS:
            self.add_exons(
                _gff3_parts(gtf_path, number, fields), number, "GFF3 exon row without a Parent attribute"
            )
        elif feature.lower() in _TRANSCRIPT_PARTS:
            if "Parent=" not in fields[8]:
                return
            parts = _gff3_parts(gtf_path, number, fields)
            # NCBI RefSeq: a mitochondrial protein's gene has no mRNA, its CDS names the gene as Parent
            self.gene_parts += [part for part in parts if "gene" in self.types.get(part[5], ())]
            if not self.any_exon_row:  # beside exon rows, the CDS rows of an mRNA add nothing
                self.add_parts(parts)
        else:
            attributes = _gff3_attributes(fields)
            if "ID" in attributes:
                row_id = unquote(attributes["ID"])
                parent = _gff3_parents(attributes)
                span = _span(gtf_path, number, fields)
                self.parents[row_id] = (*span, parent[0] if parent else "", row_id, number)
                self.types[row_id] = {feature.lower()} | {
                    unquote(attributes[key]).lower() for key in _GFF3_TYPE_KEYS if key in attributes
                }
                if feature.lower() == "gene":
                    self.add_gene(number, fields, row_id)

    def gff3_table(self, gtf_path) -> pd.DataFrame:
        exons = self.exons_or_parts()
        named = dict.fromkeys(exon[5] for exon in exons)
        transcripts = [self.parents[name] for name in named if name in self.parents]
        return self.table(gtf_path, transcripts, set(named) & set(self.parents), exons)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*TRANSCRIPT_COLUMNS, "line"])


def _span(gtf_path, number: int, fields: list[str]) -> tuple[str, int, int, str]:
    """A GTF/GFF3 row's chrom, 0-based start, end and strand, checked."""
    chrom, _, _, start, end, _, strand, _, _ = fields
    if (
        not (COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end))
        or int(start) < 1
        or int(end) < int(start)
    ):
        raise InputError(
            f"start/end must be integers (at most 18 digits) with 1 <= start <= end: {start!r}, {end!r}"
            f"{scientific_hint(start, end)}",
            gtf_path,
            number,
        )
    if strand not in {"+", "-", "."}:
        raise InputError(f"strand must be +, - or ., found {strand!r}", gtf_path, number)
    return chrom, int(start) - 1, int(end), strand


def _gtf_row(gtf_path, number: int, fields: list[str]) -> tuple:
    """(chrom, start, end, strand, gene_id, transcript_id, line) of a GTF transcript, exon or CDS row
    (transcript_id None without one, gene_id "")."""
    span = _span(gtf_path, number, fields)
    return *span, _gtf_id(fields[8], "gene_id") or "", _gtf_id(fields[8], "transcript_id"), number


def _gtf_id(attributes: str, key: str) -> str | None:
    """The ``gene_id`` or ``transcript_id`` (``key``) of a GTF row's attributes, None without one."""
    for pattern in _ATTRIBUTE[key]:
        found = pattern.search(attributes)
        if found:
            return found.group(1) if found.group(1) is not None else found.group(2)
    return None


def _gtf_types(fields: list[str]) -> set[str]:
    """A GTF row's gene and transcript types (``_GTF_TYPES``), lower case."""
    return {value.lower() for value in _GTF_TYPES.findall(fields[8])}


def _gff3_attributes(fields: list[str]) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in fields[8].split(";") if "=" in part)


def _gff3_parents(attributes: dict[str, str]) -> list[str]:
    """The ``Parent`` ids of a GFF3 row (comma-separated, %-escaped)."""
    return [unquote(p) for p in attributes.get("Parent", "").split(",") if p]


def _gff3_parts(gtf_path, number: int, fields: list[str]) -> list[tuple]:
    """A GFF3 exon (or CDS) row as (chrom, start, end, strand, "", transcript_id, line), one per
    transcript of its ``Parent`` (none without one)."""
    parent = _gff3_parents(_gff3_attributes(fields))
    span = _span(gtf_path, number, fields)
    return [(*span, "", transcript, number) for transcript in parent]


def _spans_from_exons(exons: pd.DataFrame) -> pd.DataFrame:
    """One span per transcript id, chromosome and strand, from its exons."""
    spans = exons.groupby(["transcript_id", "chrom", "strand"], sort=False).agg(
        start=("start", "min"), end=("end", "max"), gene_id=("gene_id", "first")
    )
    spans = spans.reset_index()
    split = spans["transcript_id"].duplicated(keep=False)
    if split.any():
        log.info(
            "%d transcript ids have exons on several chromosomes or strands (copies such as the PAR's): "
            "one transcript for each, e.g. %s",
            spans.loc[split, "transcript_id"].nunique(),
            spans.loc[split, "transcript_id"].iloc[0],
        )
    return spans
