"""Chromosome lengths of common genome assemblies, and which of them a reference FASTA is.

``assemblies.tsv`` beside this module holds, for each assembly, the length (bp) of every
primary chromosome and the mitochondrion, spelled the UCSC way (``chr1``, ``chrX``,
``chrM``; worm and yeast ``chrI``..; fly ``chr2L``..). The lengths were copied once from
the files below (bioframe's in ``bioframe/io/data/``; all MIT unless said) and compared
with every other source at hand:

- hg18: pybedtools 0.12.1, ``pybedtools/genome_registry.py`` (``hg18``); same as negspy 0.3.2
  ``negspy/data/hg18/chromInfo.txt`` and, chrM aside (absent there), bioutils 0.6.2 NCBI36.
- hg19: bioframe 0.8.0, ``bioframe/io/data/hg19.seqinfo.tsv`` (chrM 16,571, the UCSC one); same
  as pybedtools 0.12.1, negspy 0.3.2, pyranges 0.1.7 ``pyranges/example_data/chromsizes.bed``.
- GRCh37: bioutils 0.6.2 (Apache-2.0), ``bioutils/_data/assemblies/GRCh37.p13.json.gz``; hg19's
  lengths but MT (rCRS) 16,569, the ``chrMT`` row of bioframe's hg19 file.
- hg38 (GRCh38): bioframe 0.8.0 ``hg38.seqinfo.tsv``; same as pybedtools 0.12.1, negspy 0.3.2
  and bioutils 0.6.2 ``GRCh38.p14.json.gz``.
- hs1 (T2T-CHM13 v2.0): bioframe 0.8.0 ``hs1.seqinfo.tsv``; same as bioutils 0.6.2
  ``T2T-CHM13v2.0.json.gz``.
- mm9, mm10: bioframe 0.8.0 ``mm9.seqinfo.tsv``, ``mm10.seqinfo.tsv``; same as pybedtools 0.12.1
  and negspy 0.3.2.
- mm39: bioframe 0.8.0 ``mm39.seqinfo.tsv`` (no second source on PyPI).
- rn6: negspy 0.3.2 ``negspy/data/rn6/chromInfo.txt`` (no second source on PyPI).
- danRer11: bioframe 0.8.0 ``danRer11.seqinfo.tsv`` (no second source on PyPI; bioframe's own
  ``_assemblies.yml`` points danRer11 at the danRer10 file, not used here).
- dm6: bioframe 0.8.0 ``dm6.seqinfo.tsv``; same as pybedtools 0.12.1 and negspy 0.3.2.
- ce11, sacCer3: bioframe 0.8.0 ``ce11.seqinfo.tsv``, ``sacCer3.seqinfo.tsv``; same as negspy 0.3.2.
- TAIR10 (Arabidopsis thaliana; chloroplast ``chrC``, TAIR's ``ChrC``, Ensembl's ``Pt``): the five
  chromosomes as TAIR gives them and stdpopsim's A. thaliana genome definition quotes them; the
  organelles (ChrC 154,478, ChrM 366,924) as several public TAIR10 chrom.sizes files give them.

``accessions.tsv`` holds the versioned NCBI accessions of these chromosomes where a source gives
them: RefSeq (``NC_000001.11``) and GenBank (``CM000663.2``) of hg18 (NCBI36, RefSeq only), GRCh37,
hg38 and hs1, copied from bioutils 0.6.2 (Apache-2.0) ``NCBI36.json.gz``, ``GRCh37.p13.json.gz``,
``GRCh38.p14.json.gz`` and ``T2T-CHM13v2.0.json.gz`` (the assembled molecules' ``refseq_ac`` and
``genbank_ac``); RefSeq of mm10 and mm39 as UCSC's ``mm10.p6.chromAlias.txt`` and
``mm39.chromAlias.txt`` give them (quoted alike by several public pipelines). A chromosome's number
stays from build to build, its version does not (chr1 is NC_000001.10 in GRCh37, .11 in GRCh38), so a
file named by accessions says which assembly it was made on (:func:`assembly_of_accessions`).

:func:`match_assembly` says which assemblies a reference's sequence lengths (from its
``.fai``) are. Names meet through :func:`epibench.io.chroms.harmonise` (``22``/``chr22``,
``MT``/``chrM``). A reference matches an assembly when it shares at least one sequence with
it and every shared sequence has the assembly's exact length; sequences the assembly does not
list (contigs, decoys, spike-ins) are ignored. The mitochondrion decides only when no
nuclear sequence is shared: UCSC hg19's chrM (16,571 bp) is not GRCh37's MT (rCRS, 16,569
bp), and a GRCh37 FASTA is hg19 all the same; such a mismatch is reported in ``notes``.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from epibench.io.chroms import harmonise

MITO = "chrM"  # the mitochondrion's name in the table
NEAREST_LINES = 3  # differing sequences named when nothing matches
# the nearest assembly is named when its lengths differ by at most this share of them in all (a patch,
# an older build: hg18's chr22 is 1 bp off hg19's); a genome further off is no known assembly's
NEAREST_MAX_DIFFERENCE = 0.1


@functools.cache
def _table() -> dict[str, dict[str, int]]:
    """assembly -> chrom -> length (bp), in the file's order; read once."""
    table: dict[str, dict[str, int]] = {}
    with importlib.resources.files("epibench.io").joinpath("assemblies.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            table.setdefault(row["assembly"], {})[row["chrom"]] = int(row["length"])
    return table


def _table_names(reference_names: list[str], known: list[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """Reference name -> the table's spelling of its sequence: its own name's match, else an alias's."""
    mapping = harmonise([*reference_names, *aliases], known)
    found = {name: mapping[name] for name in reference_names if mapping[name] is not None}
    for alias, name in aliases.items():
        if name in reference_names and name not in found and mapping[alias] is not None:
            found[name] = mapping[alias]
    return found


def known_assemblies() -> dict[str, dict[str, int]]:
    """assembly -> UCSC chromosome name -> length (bp): a copy of the bundled table."""
    return {assembly: dict(lengths) for assembly, lengths in _table().items()}


@dataclass(frozen=True)
class AssemblyMatch:
    """Which known assemblies a reference is.

    matched: assemblies the reference matches, best first (most sequences of equal length,
    then the table's order). compared: sequences shared with the first of them, or with the
    nearest when none matches (0 when no name is known). nearest: when nothing matches, the
    first three differing sequences of the nearest assembly (most shared names, then the
    smallest total length difference; named in nearest_assembly), one line each such as
    ``chr22 is 49,691,433 bp; hg18 chr22 is 49,691,432``, then ``and N more differ`` if more
    do; none (and no nearest_assembly) when its lengths differ from the reference's by more than
    ``NEAREST_MAX_DIFFERENCE`` of them in all. notes: mitochondrial lengths that differ from a matched assembly's.
    """

    matched: list[str]
    compared: int
    nearest: list[str] = field(default_factory=list)
    nearest_assembly: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for a log or report."""
        if self.matched:
            plural = "" if self.compared == 1 else "s"
            return f"matches {', '.join(self.matched)} ({self.compared} sequence{plural} compared)"
        if self.nearest_assembly is None and self.compared:
            return (
                "matches no known assembly (its sequences' lengths are far from every known assembly's: a "
                "synthetic genome, or an unlisted one)"
            )
        if self.nearest_assembly is None:
            return "no sequence name of a known assembly (synthetic or unlisted genome)"
        return f"matches no known assembly (nearest: {self.nearest_assembly}: {'; '.join(self.nearest)})"

    def to_dict(self) -> dict:
        """JSON-ready fields plus ``summary``."""
        return {**asdict(self), "summary": self.summary}


def match_assembly(
    reference_lengths: dict[str, int], aliases: Mapping[str, str] | None = None
) -> AssemblyMatch:
    """Which known assemblies a reference is, from its sequence name -> length (bp), e.g. its ``.fai``,
    and its aliases (other name -> sequence name: an NCBI FASTA's ``chromosome 1``).

    A synthetic genome whose names are known (``chr1``) matches nothing and gets a nearest
    assembly; one with no known name gets none.

    >>> match_assembly({"21": 46_709_983, "22": 50_818_468}).summary
    'matches hg38 (2 sequences compared)'
    """
    table = _table()
    known = list(dict.fromkeys(chrom for lengths in table.values() for chrom in lengths))
    by_chrom: dict[str, list[str]] = {}  # table spelling -> the reference's names for it
    for name, chrom in _table_names(list(reference_lengths), known, aliases or {}).items():
        by_chrom.setdefault(chrom, []).append(name)
    # assembly -> (reference name, table name) pairs it shares, in the assembly's order
    shared = {
        assembly: [(name, chrom) for chrom in lengths for name in by_chrom.get(chrom, [])]
        for assembly, lengths in table.items()
    }
    shared = {assembly: pairs for assembly, pairs in shared.items() if pairs}
    if not shared:
        return AssemblyMatch(matched=[], compared=0)
    differing = {
        assembly: [
            (name, chrom) for name, chrom in pairs if reference_lengths[name] != table[assembly][chrom]
        ]
        for assembly, pairs in shared.items()
    }

    def line(assembly: str, name: str, chrom: str) -> str:
        return f"{name} is {reference_lengths[name]:,} bp; {assembly} {chrom} is {table[assembly][chrom]:,}"

    matched = [
        assembly
        for assembly, pairs in shared.items()
        # only the mitochondrion may differ, and only when a nuclear sequence is shared
        if all(chrom == MITO for _, chrom in differing[assembly])
        and (not differing[assembly] or any(chrom != MITO for _, chrom in pairs))
    ]
    if matched:
        matched.sort(
            key=lambda assembly: len(differing[assembly]) - len(shared[assembly])
        )  # most equal first
        notes = [
            f"{line(assembly, name, chrom)} (the mitochondrion does not decide the match)"
            for assembly in matched
            for name, chrom in differing[assembly]
        ]
        return AssemblyMatch(matched=matched, compared=len(shared[matched[0]]), notes=notes)
    nearest = min(
        shared,
        key=lambda assembly: (
            -len(shared[assembly]),
            sum(abs(reference_lengths[name] - table[assembly][chrom]) for name, chrom in shared[assembly]),
        ),
    )
    length_of = {name: reference_lengths[name] for name, _ in shared[nearest]}
    theirs = sum(table[nearest][chrom] for _, chrom in shared[nearest])
    off = sum(abs(length_of[name] - table[nearest][chrom]) for name, chrom in shared[nearest])
    if off > NEAREST_MAX_DIFFERENCE * theirs:  # a synthetic genome, or one not in the table
        return AssemblyMatch(matched=[], compared=len(shared[nearest]))
    lines = [line(nearest, name, chrom) for name, chrom in differing[nearest]]
    if len(lines) > NEAREST_LINES:
        lines = [*lines[:NEAREST_LINES], f"and {len(lines) - NEAREST_LINES} more differ"]
    return AssemblyMatch(matched=[], compared=len(shared[nearest]), nearest=lines, nearest_assembly=nearest)


# a build's name as annotations and data portals write it (lower case, its patch level ".p14" cut) ->
# the assemblies table's name; the table's own names (hg38, mm10, TAIR10, ...) name themselves
_ASSEMBLY_OF_BUILD = {
    "grch38": "hg38",
    "grch37": "GRCh37",
    "ncbi36": "hg18",
    "t2t-chm13v2.0": "hs1",
    "chm13v2.0": "hs1",
    "grcm39": "mm39",
    "grcm38": "mm10",
    "ncbim37": "mm9",
    "rnor_6.0": "rn6",
    "grcz11": "danRer11",
    "bdgp6": "dm6",
    "wbcel235": "ce11",
    "r64": "sacCer3",
}


def assembly_of(build: str) -> str | None:
    """The assemblies table's name of ``build`` (``GRCh38.p14``, ``R64-1-1``, ``mm10``), None where unknown."""
    table = {name.casefold(): name for name in known_assemblies()} | _ASSEMBLY_OF_BUILD
    whole = build.casefold()
    return table.get(re.sub(r"[._-]p\d+$|\.\d+$|(-\d+)+$", "", whole)) or table.get(whole)


@functools.cache
def _assemblies_of_accession() -> dict[str, frozenset[str]]:
    """versioned accession -> the assemblies whose chromosome it is (NC_012920.1, the rCRS
    mitochondrion, is GRCh37's and hg38's); read once."""
    found: dict[str, set[str]] = {}
    with importlib.resources.files("epibench.io").joinpath("accessions.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            found.setdefault(row["accession"], set()).add(row["assembly"])
    return {accession: frozenset(assemblies) for accession, assemblies in found.items()}


def assembly_of_accessions(names: Iterable[str]) -> str | None:
    """The one assembly of the table whose chromosome accessions (with their version: GRCh37's chr1 is
    ``NC_000001.10``, hg38's ``NC_000001.11``) hold every known accession among ``names``; None where
    no name is one, or where they fit several assemblies (the mitochondrion alone) or none together.

    >>> assembly_of_accessions(["NC_000001.10", "NC_000002.11", "lambda"])
    'GRCh37'
    """
    known = _assemblies_of_accession()
    candidates = [known[name] for name in names if name in known]
    if not candidates:
        return None
    common = frozenset.intersection(*candidates)
    return next(iter(common)) if len(common) == 1 else None


# the UCSC name of an assembly of the table that UCSC's liftOver chains use (GRCh37 is hg19's)
UCSC_NAME = {"GRCh37": "hg19"}


def liftover_hint(input_assembly: str | None, reference_assemblies: list[str]) -> str:
    """What to do with inputs made on ``input_assembly`` (a name of the table, None when unknown) when
    the reference is ``reference_assemblies`` (its ``AssemblyMatch.matched``, maybe empty): lift them
    over with UCSC's chain between the two (GRCh37 inputs to an hg38 reference:
    ``hg19ToHg38.over.chain.gz``), or give their assembly's FASTA.
    """
    source = UCSC_NAME.get(input_assembly, input_assembly) if input_assembly else "<theirs>"
    where = f" from hgdownload.soe.ucsc.edu/goldenPath/{source}/liftOver/" if input_assembly else ""
    theirs = f"{input_assembly}'s" if input_assembly else "their assembly's"
    if not reference_assemblies:
        return (
            "lift them over to the reference's assembly (UCSC liftOver, or CrossMap for bigWigs, with the "
            f"{source}To<reference>.over.chain.gz chain{where}), or give {theirs} FASTA as reference.fasta"
        )
    target = UCSC_NAME.get(reference_assemblies[0], reference_assemblies[0])
    chain = f"{source}To{target[0].upper()}{target[1:]}.over.chain.gz"
    return (
        f"lift them over to {target} (UCSC liftOver, or CrossMap for bigWigs, with {chain}{where}), or "
        f"give {theirs} FASTA as reference.fasta"
    )
