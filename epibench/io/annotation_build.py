"""The assembly a gene annotation's header names, checked against the reference FASTA's.

A GTF or GFF3 of another assembly than the FASTA's is read without complaint where its coordinates
fit inside the FASTA's sequences, as GRCh38's mostly do inside hg19's chromosomes: every promoter
then sits off by the two builds' offsets. Its sequences' lengths cannot tell (a GTF lists none), but
the header often names its build:

- Ensembl and NCBI: ``#!genome-build GRCh38.p14`` (also ``#!genome-version``);
- GFF3's own directive: ``##genome-build NCBI GRCh38`` (source, then build);
- GENCODE: ``##description: evidence-based annotation of the human genome (GRCh38), version 44``.

UCSC's Table Browser GTFs and most converters' files name none. A file without such a line whose
sequences are NCBI accessions says its build all the same: the first feature's ``NC_000001.10`` is
GRCh37's chr1, ``NC_000001.11`` GRCh38's (``assemblies.assembly_of_accessions``); with neither, nothing
is checked. Where the FASTA matches no known assembly (``epibench.io.assemblies``; its
``assembly.json``: an excerpt of a genome, a renamed copy) a known build is warned of as not checked.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from epibench.errors import InputError
from epibench.io.assemblies import UCSC_NAME, assembly_of, assembly_of_accessions
from epibench.io.reference import ASSEMBLY_RECORD, shown_reference
from epibench.io.textfile import iter_lines

log = logging.getLogger(__name__)

# the header lines that name a build, and the build's group in each
_BUILD_LINES = (
    re.compile(r"#!genome-(?:build|version)\s+(\S+)"),
    re.compile(r"##genome-build\s+\S+\s+(\S+)"),
    re.compile(r"##description:.*\((GRC\w+|NCBI\w+)\)"),
)


def declared_build(path: str | os.PathLike) -> tuple[int, str, str | None] | None:
    """The first header line of ``path`` (a GTF or GFF3, any compression) that names a build:
    (line number, the build as written, the assemblies table's name of it or None where unknown);
    None where the header (the ``#`` lines before the first feature) names none."""
    for number, text in iter_lines(path):
        if text.strip() and not text.startswith("#"):
            return None
        for pattern in _BUILD_LINES:
            found = pattern.match(text)
            if found:
                return number, found.group(1), assembly_of(found.group(1))
    return None


def accession_build(path: str | os.PathLike) -> tuple[int, str, str] | None:
    """(line number, sequence name, the assemblies table's name of its build) of ``path``'s first
    feature (a GTF or GFF3, any compression) where its sequence is a known NCBI chromosome accession
    (``NC_000001.10``: GRCh37); None otherwise."""
    for number, text in iter_lines(path):
        if text.strip() and not text.startswith("#"):
            name = text.split("\t", 1)[0]
            assembly = assembly_of_accessions([name])
            return (number, name, assembly) if assembly else None
    return None


def check_annotation_build(gtf: str | os.PathLike, fasta: str | os.PathLike) -> None:
    """An InputError where ``gtf``'s header names a build (``declared_build``), or else its first
    feature's sequence is an NCBI accession of one (``accession_build``), and the FASTA's
    ``assembly.json`` (the reference stage's, beside ``fasta``) matches known assemblies, none of
    them that build; a warning where the build is known but the FASTA matches no known assembly;
    nothing where the build is unknown."""
    declared = declared_build(gtf)
    from_header = declared is not None
    if declared is None:
        declared = accession_build(gtf)
    record = Path(fasta).parent / ASSEMBLY_RECORD
    if declared is None or declared[2] is None or not record.is_file():
        return
    number, build, assembly = declared
    assembly = UCSC_NAME.get(assembly, assembly)  # GRCh37 is hg19's coordinates
    said = (
        f"header names the build {build} ({assembly})"
        if from_header
        else f"sequences are {declared[2]}'s NCBI accessions (the first: {build})"
    )
    matched = [UCSC_NAME.get(name, name) for name in json.loads(record.read_text()).get("matched", [])]
    if not matched:
        log.warning(
            "the gene annotation %s: its %s at line %d, but the FASTA (%s) matches no known assembly, so the two "
            "cannot be compared: make sure the FASTA is %s's (an excerpt or renamed copy of another build "
            "would put every transcript off by the builds' offsets)",
            gtf,
            said,
            number,
            shown_reference(fasta),
            assembly,
        )
        return
    if assembly in matched:
        return
    mend = f"; if the header is wrong, delete its line {number}" if from_header else ""
    raise InputError(
        f"the gene annotation's {said}, but the FASTA ({shown_reference(fasta)}) is {' / '.join(matched)}: "
        f"its transcripts would sit at {assembly}'s coordinates on {matched[0]}'s sequences. Give the "
        f"annotation of {matched[0]} as reference.gtf (GENCODE, Ensembl and UCSC publish one per "
        f"assembly), or the FASTA of {assembly}{mend}",
        path=gtf,
        line=number,
    )
