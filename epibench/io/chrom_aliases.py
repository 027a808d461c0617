"""Other names of the reference's sequences, for assemblies whose spellings the built-in rules
(``epibench.io.chroms``: ``chr1``/``1``, human and mouse accessions) do not know.

Two sources, both read by the reference stage into ``chrom_aliases.tsv`` beside its ``genome.fa``
(columns ``alias``, ``name_in_reference``, ``source``), which every later stage reads with the FASTA:

- the FASTA's own definition lines: NCBI's (RefSeq ``NC_051336.1 Rattus norvegicus strain
  BN/NHsdMcwi chromosome 1, mRatBN7.2, whole genome shotgun sequence``, GenBank ``CM000663.2
  Homo sapiens chromosome 1, GRCh38 reference primary assembly``, ``... chromosome I, complete
  sequence``, ``... mitochondrion, complete genome``) name the chromosome, so ``1`` (and through
  the built-in rules ``chr1``) meets ``NC_051336.1`` for any organism. A scaffold's line
  (``chromosome 1 unlocalized genomic scaffold``, ``genomic patch``) names no chromosome;
- a table the user gives (config ``reference.chrom_aliases``): UCSC's ``chromAlias.txt`` (``#
  ucsc<TAB>assembly<TAB>genbank<TAB>ncbi<TAB>refseq`` header, one sequence per row, every column a
  name of it), NCBI's ``*_assembly_report.txt`` (its Sequence-Name, GenBank-Accn, RefSeq-Accn and
  UCSC-style-name, and a chromosome's Assigned-Molecule) or any table of one sequence's names per
  line (NCBI's ``chr2acc``, ``alias<TAB>name``; tab-separated, empty cells allowed, or one pair
  separated by spaces), plain or compressed. ``#`` lines are comments; a line of one name is an error.

A row is used when exactly one of its names is a reference sequence; the others become its aliases.
An alias that two sources or rows give to different sequences is dropped (and reported), and so
is one that is itself the name of a reference sequence (exact names always win).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from epibench.errors import InputError, excerpt
from epibench.io.atomic import write_tsv
from epibench.io.textfile import iter_lines

log = logging.getLogger("epibench")

ALIAS_TABLE = "chrom_aliases.tsv"
ALIAS_COLUMNS = ("alias", "name_in_reference", "source")
DESCRIPTION = "FASTA definition line"
# NCBI definition lines: the chromosome's name right after "chromosome", ending the line or
# followed by a comma or "sequence"/"complete" (a scaffold's "chromosome 1 unlocalized ..." is not)
_CHROMOSOME = re.compile(r"\bchromosome ([A-Za-z0-9]+)(?=,|\s*$|\s+sequence\b|\s+complete\b)")
_MITOCHONDRION = re.compile(r"\bmitochondri(?:on|al)\b", re.IGNORECASE)
_CHLOROPLAST = re.compile(r"\b(?:chloroplast|plastid)\b", re.IGNORECASE)
_REPORT_HEADER = "# Sequence-Name\t"
# NCBI assembly report columns holding names (0-based): Sequence-Name, GenBank-Accn, RefSeq-Accn,
# UCSC-style-name; Assigned-Molecule (2) only for a chromosome (role assembled-molecule)
_REPORT_NAME_COLUMNS = (0, 4, 6, 9)
_REPORT_MOLECULE, _REPORT_ROLE = 2, 1
_NO_NAME = {"", "na"}


def description_name(description: str) -> str | None:
    """The chromosome an NCBI-style FASTA definition line (after the sequence name) names:
    ``chromosome 1, mRatBN7.2 ...`` -> ``1``, ``... mitochondrion, complete genome`` -> ``MT``,
    ``... chloroplast, complete genome`` -> ``Pt``; None for a scaffold, a patch or a line that
    names no chromosome.

    >>> description_name("Homo sapiens chromosome 1 unlocalized genomic scaffold") is None
    True
    """
    chromosome = _CHROMOSOME.search(description)
    if chromosome:
        return chromosome.group(1)
    if _MITOCHONDRION.search(description):
        return "MT"
    return "Pt" if _CHLOROPLAST.search(description) else None


def _file_rows(path: str | os.PathLike) -> Iterable[tuple[int, list[str]]]:
    """(line number, the names of one sequence) per data line of an alias table (module docstring)."""
    report = False
    for number, text in iter_lines(path):
        if text.startswith("#"):
            report = report or text.startswith(_REPORT_HEADER)
            continue
        if not text.strip():
            continue
        if report:
            fields = [field.strip() for field in text.split("\t")]
            if len(fields) < max(_REPORT_NAME_COLUMNS) + 1:
                raise InputError(
                    f"an NCBI assembly report row needs {max(_REPORT_NAME_COLUMNS) + 1} tab-separated "
                    f"columns, found {len(fields)}",
                    path,
                    number,
                )
            names = [fields[i] for i in _REPORT_NAME_COLUMNS]
            if fields[_REPORT_ROLE] == "assembled-molecule":
                names.append(fields[_REPORT_MOLECULE])
        else:  # tab-separated (empty cells: no name in that scheme), or one space-separated pair
            names = [field.strip() for field in text.split("\t")] if "\t" in text else text.split()
            if len(names) < 2:
                raise InputError(
                    f"one name ({excerpt(text.strip())}): an alias table lists the names of one sequence per "
                    "line, tab-separated (UCSC chromAlias.txt, NCBI assembly report, alias<TAB>name)",
                    path,
                    number,
                )
        yield number, [name for name in dict.fromkeys(names) if name not in _NO_NAME]


def file_aliases(path: str | os.PathLike, reference_names: Sequence[str]) -> list[tuple[str, str]]:
    """(alias, reference name) pairs of an alias table's rows that name exactly one reference sequence.

    InputError when no row names one (a table of another assembly, or of other names than the
    FASTA's), naming the first names of both.
    """
    reference = set(reference_names)
    pairs, n_rows, n_ambiguous = [], 0, 0
    first_names: list[str] = []
    for _, names in _file_rows(path):
        n_rows += 1
        first_names.extend(names[:1] if len(first_names) < 5 else [])
        targets = [name for name in names if name in reference]
        if len(targets) > 1:
            n_ambiguous += 1
        elif targets:
            pairs.extend((name, targets[0]) for name in names if name != targets[0])
    if not pairs and not n_ambiguous:
        raise InputError(
            f"none of its {n_rows} rows names a sequence of the reference FASTA (its first names: "
            f"{', '.join(first_names) or 'none'}; the FASTA's: {', '.join(list(reference_names)[:5])}): "
            "an alias table of another assembly?",
            path=path,
        )
    if n_ambiguous:
        log.warning("%s: %d rows name two sequences of the reference, not used", path, n_ambiguous)
    return pairs


def alias_table(
    reference_names: Sequence[str],
    descriptions: Mapping[str, str],
    alias_file: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The aliases of the reference's sequences: DataFrame(ALIAS_COLUMNS), in reference order.

    reference_names: the FASTA's sequence names, in order. descriptions: name -> the rest of its
    definition line (``""`` for none). alias_file: the user's alias table, or None.
    """
    found = [
        (name, reference, DESCRIPTION)
        for reference in reference_names
        if (name := description_name(descriptions.get(reference, ""))) is not None
    ]
    if alias_file is not None:
        source = f"alias table {Path(alias_file).name}"
        found += [
            (alias, reference, source) for alias, reference in file_aliases(alias_file, reference_names)
        ]
    table = pd.DataFrame(found, columns=list(ALIAS_COLUMNS)).drop_duplicates(["alias", "name_in_reference"])
    own = table["alias"] == table["name_in_reference"]
    shadowed = table["alias"].isin(reference_names) & ~own
    targets = table.groupby("alias")["name_in_reference"].transform("nunique")
    ambiguous = targets > 1
    for alias, rows in table[ambiguous].groupby("alias"):
        log.warning("alias %s given to %s: dropped", alias, " and ".join(rows["name_in_reference"]))
    for row in table[shadowed].itertuples():
        log.warning(
            "alias %s of %s is another reference sequence's name: dropped", row.alias, row.name_in_reference
        )
    order = {name: i for i, name in enumerate(reference_names)}
    kept = table[~(own | shadowed | ambiguous)]
    return kept.sort_values(
        "name_in_reference", key=lambda names: names.map(order), kind="stable"
    ).reset_index(drop=True)


def write_alias_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the table as TSV atomically (header included, also when it is empty)."""
    write_tsv(table[list(ALIAS_COLUMNS)], path)


def read_alias_table(path: str | os.PathLike) -> dict[str, str]:
    """alias -> reference name, from a table :func:`write_alias_table` wrote."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = set(ALIAS_COLUMNS[:2]) - set(table.columns)
    if missing:
        raise InputError(f"not a chromosome-alias table: columns {sorted(missing)} missing", path=path)
    return dict(zip(table["alias"], table["name_in_reference"]))


def reference_aliases(fasta_path: str | os.PathLike) -> dict[str, str]:
    """The aliases the reference stage wrote beside its ``genome.fa`` (``chrom_aliases.tsv``), or {}
    for a FASTA without one (a FASTA prepared before aliases, or read ad hoc)."""
    path = Path(fasta_path).parent / ALIAS_TABLE
    return read_alias_table(path) if path.is_file() else {}
