"""What a methylation file's calls count as methylated, where its format or name says: 5mC alone, or
5mC and 5hmC together.

Bisulfite sequencing, enzymatic conversion (EM-seq) and TAPS read 5hmC as they read 5mC, so the
calls of their tools count both ("5mC+5hmC"); a nanopore pileup of modkit counts what its code says
(``bedmethyl.MODIFIED_AS``: ``m`` 5mC alone, 5hmC reads in the denominator; ``C`` from
``--combine-mods`` both; the format ``modkit_5mc_5hmc`` both). The two differ by the 5hmC share (a few
% of CpGs in most tissues, tens of % in brain), so the cohort's CG check warns of a cohort that mixes
them (``cohort_check.warn_of_mixed_modifications``). Oxidative bisulfite (oxBS) and TAB-seq files
in these formats measure 5mC or 5hmC alone: no format can tell, hence the warning's wording.
Formats whose calls may come from either kind (count tables, column specs, nanopolish, PacBio) say
nothing ("").
"""

from __future__ import annotations

from epibench.io.methylation import (
    bedmethyl,
    bigbed_bedmethyl,
    bigwig,
    biscuit,
    cytosine_tables,
    gembs,
    methylkit,
    rastair,
)
from epibench.io.methylation.columns import Source
from epibench.io.methylation.detect import modkit_bedgraph_code

# formats written by tools for converted reads (bisulfite, EM-seq, TAPS): 5mC and 5hmC read alike
CONVERSION_FORMATS = frozenset(
    {
        "methylc",
        "bedmethyl",
        bigbed_bedmethyl.FORMAT,
        bigwig.FORMAT,
        "bismark_cov",
        "bismark_zero_cov",
        "bismark_cpg_report",
        "bismark_zero_cpg_report",
        "methyldackel",
        methylkit.FORMAT,
        *cytosine_tables.N_COLUMNS,  # allc, cgmap, methratio, batmeth2, methylkit_tabix
        biscuit.FORMAT,
        gembs.FORMAT,
        rastair.FORMAT,
    }
)


def counted_as_methylated(source: Source, modified_rows: dict[str, int]) -> str:
    """ "5mC", "5mC+5hmC" (or both joined by " and "), or "" where neither the file nor its format says.

    ``modified_rows``: the reader's count of rows by what they count (modkit's QC ``modified_rows``);
    a modkit ``--bedgraph`` file counts what the code in its name says (it reads as a bedGraph of
    levels, whose format would say otherwise); other formats by ``CONVERSION_FORMATS``.
    """
    counted = " and ".join(what for what, n in modified_rows.items() if n)
    if counted:
        return counted
    code = modkit_bedgraph_code(source.path)
    if code is not None:
        return bedmethyl.MODIFIED_AS.get(code, "")
    return bedmethyl.WITH_5HMC if source.fmt in CONVERSION_FORMATS else ""


def other_modification_note(qc: dict) -> str | None:
    """The log's sentence for the rows of another modification a file (or a sample's files) held and
    that were not read as methylation (modkit's ``h`` rows, 5hmC, or ``a``, 6mA; MethBat's other
    modifications), else None. ``qc``: a reader's or ``split_sample``'s QC (``n_records``,
    ``n_other_modification_rows``, ``modified_rows``)."""
    n_other = qc.get("n_other_modification_rows") or 0
    if not n_other:
        return None
    counted = " and ".join(what for what, n in (qc.get("modified_rows") or {}).items() if n)
    note = (
        f"{n_other:,} of the {qc['n_records']:,} rows are of another modification (modkit code h: 5hmC,"
        f" a: 6mA, ...) and were not read as methylation"
    )
    if counted:
        note += f"; the {qc['n_records'] - n_other:,} others count {counted} as methylated"
    if counted == "5mC":
        note += (
            f" (format {bedmethyl.MODKIT_5MC_5HMC} counts the 5hmC of a 5mC row's cytosine as methylated,"
            " as bisulfite sequencing does)"
        )
    return note
