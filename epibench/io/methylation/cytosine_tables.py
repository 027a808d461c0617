"""Tables of one row per cytosine with a strand, read counts and (most) a context, 1-based.

``allc`` (methylpy, ALLCools): chrom, position, strand (``+``/``-``), trinucleotide context
(``CGA``, ``CHH`` spelt out: ``CAG``; ``N`` where the base is unknown), methylated reads, reads,
a methylated flag (0/1, a binomial test's verdict: not read).

``cgmap`` (BS-Seeker2, CGmapTools): chrom, nucleotide (``C`` on the forward strand, ``G`` where
the cytosine is on the reverse strand), position, context (``CG``, ``CHG``, ``CHH``, ``--`` where
unknown), dinucleotide context, level, methylated reads, reads.

``methratio`` (BSMAP's and BSMAPz's ``methratio.py``): chrom, position, strand (``+``/``-``),
context (``CG``, ``CHG``, ``CHH``; with ``--full`` the non-CG ones spelt out: ``CAG``), ratio,
eff_CT_count (the depth corrected for C/T SNPs: a fraction of reads, not read), C_count
(methylated reads), CT_count (reads), rev_G_count, rev_GA_count (``NA`` without the SNP
correction), CI_lower, CI_upper; a first line naming the columns unless ``--no-header``.

``batmeth2`` (BatMeth2 ``calmeth``, source @107c960 ``src/calmeth.cpp``): ``<prefix>_loci.CG.txt``
(and ``.CHG``, ``.CHH``): chrom, position, strand, context (``CG``, ``CHG``, ``CHH``), C_count
(methylated reads), CT_count (reads); its ``.methratio.txt`` goes on with methRatio,
eff_CT_count (``null`` where no SNP correction applies), rev_G_count, rev_GA_count, MethContext
(a level category: ``M``, ``Mh``, ``H``, ``hU``, ``U``, ``NA``) and the 5-bp context, after a
``#chromsome loci ...`` header line.

``methylkit_tabix`` (methylKit's tabix files, ``methRead(dbtype="tabix")``, ``.txt.bgz``): chrom,
start, end (= start), strand (``+``/``-``), coverage, methylated reads (numCs), numTs. No context:
the reference keeps the CpGs.

In all, a reverse-strand row's position is that of its cytosine, which is the G of the forward
strand's CpG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import (
    INT,
    STR,
    Source,
    check,
    check_count,
    check_start,
    decode,
    read_columns,
)
from epibench.io.textfile import is_number

BASE = 1
N_COLUMNS = {"allc": (7,), "cgmap": (8,), "methratio": (12,), "batmeth2": (6, 12), "methylkit_tabix": (7,)}


@dataclass(frozen=True)
class Layout:
    """Where a table keeps each field (0-based columns) and how it spells strands and CG context."""

    strand: int
    strands: dict[str, int]
    position: int
    context: int | None  # None: no context column
    cg_contexts: frozenset[str]
    n_meth: int
    n_total: int


ALLC = Layout(
    strand=2,
    strands={"+": ON_C, "-": ON_G},
    position=1,
    context=3,
    cg_contexts=frozenset("CG" + base for base in "ACGTN"),
    n_meth=4,
    n_total=5,
)
CGMAP = Layout(
    strand=1,
    strands={"C": ON_C, "G": ON_G},
    position=2,
    context=3,
    cg_contexts=frozenset({"CG"}),
    n_meth=6,
    n_total=7,
)
METHRATIO = Layout(
    strand=2,
    strands={"+": ON_C, "-": ON_G},
    position=1,
    context=3,
    cg_contexts=frozenset({"CG"}),
    n_meth=6,
    n_total=7,
)
BATMETH2 = Layout(
    strand=2,
    strands={"+": ON_C, "-": ON_G},
    position=1,
    context=3,
    cg_contexts=frozenset({"CG"}),
    n_meth=4,
    n_total=5,
)
METHYLKIT_TABIX = Layout(
    strand=3,
    strands={"+": ON_C, "-": ON_G},
    position=1,
    context=None,
    cg_contexts=frozenset(),
    n_meth=5,
    n_total=4,
)
_ALLC_CONTEXT = re.compile(r"C[ACGTN]{2}")
_CGMAP_CONTEXT = {"CG", "CHG", "CHH", "--"}
_METHRATIO_CONTEXT = re.compile(r"CG|CHG|CHH|C[ACT][ACGTN]")
_METHRATIO_CI = (10, 11)  # its confidence interval: numbers where BatMeth2's methratio has text
_BATMETH2_CONTEXT = {"CG", "CHG", "CHH"}
_BATMETH2_LEVELS = {"M", "Mh", "H", "hU", "U", "NA"}  # its MethContext column


def read_allc(source: Source) -> Calls:
    return _read(source, ALLC)


def read_cgmap(source: Source) -> Calls:
    return _read(source, CGMAP)


def read_methratio(source: Source) -> Calls:
    return _read(source, METHRATIO)


def read_batmeth2(source: Source) -> Calls:
    return _read(source, BATMETH2)


def read_methylkit_tabix(source: Source) -> Calls:
    return _read(source, METHYLKIT_TABIX)


def _read(source: Source, layout: Layout) -> Calls:
    columns = {
        0: ("chrom", STR),
        layout.position: ("position", INT),
        layout.strand: ("strand", STR),
        layout.n_meth: ("methylated reads", INT),
        layout.n_total: ("reads", INT),
    }
    if layout.context is not None:
        columns[layout.context] = ("context", STR)
    cols = read_columns(source, columns)
    position, n_meth, n_total = cols[layout.position], cols[layout.n_meth], cols[layout.n_total]
    check_start(source, position, BASE)
    check_count(source, n_total, "read count")
    check_count(source, n_meth, "methylated read count")
    check(source, n_meth > n_total, "more methylated reads than reads")
    return Calls(
        source=source,
        chrom=cols[0],
        pos=position - BASE,
        strand=decode(source, cols[layout.strand], layout.strands, "strand"),
        n_meth=n_meth.astype(np.float64),
        n_total=n_total,
        cg_context=None if layout.context is None else cols[layout.context].isin(layout.cg_contexts),
        row=None,  # call i is data row i
        base=BASE,
    )


def table_format(fields: list[str]) -> str | None:
    """``allc``, ``cgmap``, ``methratio``, ``batmeth2`` or ``methylkit_tabix`` when tab-separated
    ``fields`` look like a row of one, else None."""
    n = len(fields)
    if n in N_COLUMNS["batmeth2"] and fields[2] in BATMETH2.strands and fields[3] in _BATMETH2_CONTEXT:
        counts = fields[4].isdigit() and fields[5].isdigit()
        if counts and (n == 6 or fields[10] in _BATMETH2_LEVELS):
            return "batmeth2"
    if n in N_COLUMNS["allc"] and fields[2] in ALLC.strands and _ALLC_CONTEXT.fullmatch(fields[3]):
        return "allc"
    if n in N_COLUMNS["cgmap"] and fields[1] in CGMAP.strands and fields[3] in _CGMAP_CONTEXT:
        return "cgmap"
    if n in N_COLUMNS["methratio"] and fields[2] in METHRATIO.strands:
        if _METHRATIO_CONTEXT.fullmatch(fields[3]) and all(is_number(fields[i]) for i in _METHRATIO_CI):
            return "methratio"
    if n in N_COLUMNS["methylkit_tabix"] and fields[3] in METHYLKIT_TABIX.strands:
        if fields[1].isdigit() and fields[1] == fields[2]:
            return "methylkit_tabix"
    return None
