"""bedMethyl: ENCODE (BED9 + coverage + percent [+ 3 context columns]) and modkit (18 columns).

ENCODE: col 10 coverage, col 11 percent 0-100, col 12 (14-column files) the reference
context; stranded, ``+`` rows on the C and ``-`` rows on the G; an optional ``track``
line. n_meth = percent / 100 x coverage (float).

modkit: whitespace-separated; col 4 the modification code (``m``, or ``m,CG,0`` with a
motif), col 6 the strand (``.`` after ``--combine-strands``: the row sits on the C),
col 10 N_valid_cov (the depth), col 12 N_mod (the methylated count). Rows of 5mC are kept:
code ``m`` (or its ChEBI number 27551), or ``C``, any modification of C, which ``pileup
--combine-mods`` writes (5mC + 5hmC, as bisulfite sequencing measures them); other codes (``h``,
``a``, 4mC's ``21839``) are counted and dropped. A motif other than CG marks the row non-CG
context. A first line naming the columns (``--with-header``) is skipped by detection.

modkit read as 5mC + 5hmC (format ``modkit_5mc_5hmc``, given, never detected): the same rows, with
n_meth = N_mod + N_other_mod (col 14): on a 5mC row the other modification called at its C is 5hmC,
so the level counts both, as bisulfite and enzymatic conversion do, from a pileup made without
``--combine-mods``.
"""

from __future__ import annotations

import numpy as np

from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED, Calls
from epibench.io.methylation.columns import (
    FLOAT,
    INT,
    STR,
    Source,
    check,
    check_count,
    check_fraction,
    check_start,
    decode,
    read_columns,
)

BASE = 0
# modkit codes of the rows read as methylation (5mC, its ChEBI number, any modification of C) and
# what each counts as methylated of all reads valid at the C: 5mC alone (5hmC reads in the
# denominator), or 5mC and 5hmC together (--combine-mods, as bisulfite sequencing reads them)
MODIFIED_AS = {"m": "5mC", "27551": "5mC", "C": "5mC+5hmC"}
FIVE_MC_CODES = set(MODIFIED_AS)
WITH_5HMC = "5mC+5hmC"
# the format that reads a modkit pileup's 5mC rows with the other modification of their C (5hmC)
MODKIT_5MC_5HMC = "modkit_5mc_5hmc"
# modkit pileup --bedgraph (chrom, start, end, fraction modified, valid coverage): BISCUIT's five
# columns, read by its reader, named for the tool that wrote it (known by modkit's file names)
MODKIT_BEDGRAPH = "modkit_bedgraph"


def read_encode(source: Source) -> Calls:
    columns = {
        0: ("chrom", STR),
        1: ("start", INT),
        5: ("strand", STR),
        9: ("coverage", INT),
        10: ("percent", FLOAT),
    }
    if source.n_columns == 14:
        columns[11] = ("reference context", STR)
    cols = read_columns(source, columns)
    start, coverage, percent = cols[1], cols[9], cols[10]
    check_start(source, start, BASE)
    check_count(source, coverage, "coverage")
    check_fraction(source, percent, "percent", 100)
    n_meth = percent / 100
    n_meth *= coverage  # percent / 100 * coverage, one (N,) array instead of two
    return Calls(
        source=source,
        chrom=cols[0],
        pos=start if BASE == 0 else start - BASE,
        strand=decode(source, cols[5], {"+": ON_C, "-": ON_G, ".": UNSTRANDED}, "strand"),
        n_meth=n_meth,
        n_total=coverage,
        cg_context=cols[11].isin({"CG"}) if 11 in cols else None,
        row=None,  # call i is data row i
        base=BASE,
    )


def read_modkit(source: Source) -> Calls:
    """modkit's 5mC rows: N_mod of N_valid_cov (what each code counts: ``MODIFIED_AS``)."""
    return _read_modkit(source, with_other_mods=False)


def read_modkit_5mc_5hmc(source: Source) -> Calls:
    """modkit's 5mC rows counted as bisulfite counts them: N_mod + N_other_mod (5hmC) of N_valid_cov."""
    return _read_modkit(source, with_other_mods=True)


def _read_modkit(source: Source, with_other_mods: bool) -> Calls:
    columns = {
        0: ("chrom", STR),
        1: ("start", INT),
        3: ("modification code", STR),
        5: ("strand", STR),
        9: ("N_valid_cov", INT),
        11: ("N_mod", INT),
    }
    if with_other_mods:
        columns[13] = ("N_other_mod", INT)
    cols = read_columns(source, columns)
    start, valid, n_mod = cols[1], cols[9], cols[11]
    check_start(source, start, BASE)
    check_count(source, valid, "N_valid_cov")
    check_count(source, n_mod, "N_mod")
    check(source, n_mod > valid, "N_mod (column 12) exceeds N_valid_cov (column 10)")
    if with_other_mods:
        check_count(source, cols[13], "N_other_mod")
        n_mod = n_mod + cols[13]
        check(source, n_mod > valid, "N_mod + N_other_mod (columns 12 and 14) exceed N_valid_cov (column 10)")
    strand = decode(source, cols[5], {"+": ON_C, "-": ON_G, ".": ON_C}, "strand")
    codes = cols[3]
    parts = [name.split(",") for name in codes.names]
    is_5mc = codes.isin({name for name, p in zip(codes.names, parts) if p[0] in FIVE_MC_CODES})
    off_motif = codes.isin({name for name, p in zip(codes.names, parts) if len(p) > 1 and p[1] != "CG"})
    counted_as = dict.fromkeys(MODIFIED_AS, WITH_5HMC) if with_other_mods else MODIFIED_AS
    calls = Calls(
        source=source,
        chrom=cols[0],
        pos=start - BASE,
        strand=strand,
        n_meth=n_mod.astype(np.float64),
        n_total=valid,
        cg_context=~off_motif,
        row=None,  # call i is data row i
        base=BASE,
        qc={
            "n_other_modification_rows": int((~is_5mc).sum()),
            "modified_rows": {  # the rows read, by what they count as methylated (MODIFIED_AS)
                what: int(
                    codes.isin({n for n, p in zip(codes.names, parts) if counted_as.get(p[0]) == what}).sum()
                )
                for what in sorted(set(MODIFIED_AS.values()))
            },
        },
    )
    return calls.subset(is_5mc)
