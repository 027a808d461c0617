"""Which coordinate shift puts a sample's calls on the reference's CpGs, and what a misfit means.

A file read with the right coordinate base on the right reference has nearly every call
on a cytosine of its strand: on a CG for a file of CpG calls, on a C in any context for a file
of all contexts (``modkit pileup`` without ``--cpg``, Bismark ``--CX``); on another assembly or
off by one base about a fifth (a C of the strand) to two fifths (a C or G) of them are. When
too few are, the calls are tried moved by -1, 0 and +1 base, and (for files
with a strand column) with their - strand calls taken as the C of the CpG rather than
its G. What fits says what is wrong, but one sample alone cannot tell a zero-based file
on the right reference from a one-based file on a reference shifted by one base: only
the file's own structure (a Bismark coverage row with start == end is one-based) and the
other samples of the cohort (all needing the same shift blame the reference) can.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from epibench import columns_format
from epibench.io.methylation import cytosine_tables, methylkit
from epibench.io.methylation.calls import ON_G, Calls
from epibench.codes import N_CODE
from epibench.io.methylation.cpg_sites import called_bases, cytosine_of_strand, locate_cpgs
from epibench.io.methylation.columns import Source
from epibench.io.reference import Reference

SHIFTS = (-1, 0, +1)
MINUS_ON_C = "minus_on_c"
# a file that no shift puts on CpGs but whose calls sit this often on a cytosine as read fits as read,
# with calls off a cytosine besides (chance puts about half of the calls of another assembly on one)
MOSTLY_ON_CYTOSINE = 0.8
# calls on an N of the reference that name a hard-masked FASTA (repeats written as N) when the rest fit:
# fewer are a gap's or an IUPAC code's few, no masking (a masked human FASTA puts ~40 % of calls on N)
MASKED_MIN_CALLS = 20
# six-column count files: the formats that read them, by coordinate base
_SIX_COLUMN = {1: "bismark_cov", 0: "bismark_zero_cov"}
_SIX_COLUMN_FORMATS = {"bismark_cov", "bismark_zero_cov", "methyldackel"}
# Bismark cytosine reports, by coordinate base (coverage2cytosine --zero_based)
_CYTOSINE_REPORT = {1: "bismark_cpg_report", 0: "bismark_zero_cpg_report"}

# the formats whose reader takes positions as 1-based
ONE_BASED = {"bismark_cov", "bismark_cpg_report", "count_table", methylkit.FORMAT, *cytosine_tables.N_COLUMNS}


@dataclass(frozen=True)
class OffsetFit:
    """How many of a sample's calls sit on a CG of the reference, as read and moved.

    n_calls: calls judged (in CG context, on a reference sequence, with reads).
    on_cg: shift in bases (-1, 0, +1) -> calls on a CG with every position moved by it.
    n_minus: - strand calls (0 for formats without a strand column).
    minus_on_c: calls on a CG when each - strand call is taken to give the C of its CpG
        (another strand convention) instead of its G; ``on_cg[0]`` without - strand calls (fits
        of a sample's groups add up: a group of + strand calls only counts its calls as read).
    on_cytosine: calls (as read) on a cytosine of their strand, CG or not (``cpg_sites.on_cytosine``).
    on_n: calls (as read) on an N of the reference: a gap, or a hard-masked FASTA's repeats.
    """

    n_calls: int
    on_cg: dict[int, int]
    n_minus: int = 0
    minus_on_c: int = 0
    on_cytosine: int = 0
    on_n: int = 0

    def __add__(self, other: OffsetFit) -> OffsetFit:
        return OffsetFit(
            self.n_calls + other.n_calls,
            {s: self.on_cg[s] + other.on_cg[s] for s in SHIFTS},
            self.n_minus + other.n_minus,
            self.minus_on_c + other.minus_on_c,
            self.on_cytosine + other.on_cytosine,
            self.on_n + other.on_n,
        )

    def cytosine_share(self) -> float:
        """Share of calls on a cytosine of their strand as read, in any context: what the check
        judges (a call on a CG is on a cytosine, so this is at least the CG share as read)."""
        return self.on_cytosine / max(self.n_calls, 1)

    def fits_off_n(self, min_cg_share: float) -> bool:
        """Whether the calls would pass but for those on an N of the reference: a hard-masked FASTA
        (Ensembl's ``dna_rm``, UCSC's ``.fa.masked``), not another assembly."""
        judged = self.n_calls - self.on_n
        return self.on_n >= MASKED_MIN_CALLS and judged > 0 and self.on_cytosine / judged >= min_cg_share

    def shares(self) -> dict[int | str, float]:
        """Share of calls on a CG per fit: each shift, and ``MINUS_ON_C`` where there are - strand calls."""
        total = max(self.n_calls, 1)
        shares: dict[int | str, float] = {s: self.on_cg[s] / total for s in SHIFTS}
        if self.n_minus:
            shares[MINUS_ON_C] = self.minus_on_c / total
        return shares

    def best(self) -> int | str:
        """The fit with the largest share (0, as read, on a tie)."""
        shares = self.shares()
        return max(shares, key=lambda fit: (shares[fit], fit == 0))

    def to_dict(self) -> dict:
        shares = self.shares()
        return {
            "n_calls": self.n_calls,
            "cg_share": shares[0],
            "cg_share_shift_minus1": shares[-1],
            "cg_share_shift_plus1": shares[+1],
            "cg_share_minus_on_c": shares.get(MINUS_ON_C),
            "cytosine_share": self.cytosine_share(),
        }


def measure_fit(calls: Calls, ref_chrom: np.ndarray, reference: Reference) -> OffsetFit:
    """The ``OffsetFit`` of ``calls`` (already on the reference; ``ref_chrom``: (N,) index into its chroms)."""
    on_cg = {s: int(locate_cpgs(calls, ref_chrom, reference, s)[1].sum()) for s in SHIFTS if s}
    off_cg = ~locate_cpgs(calls, ref_chrom, reference)[1]
    on_cg[0] = len(calls) - int(off_cg.sum())
    off = calls.subset(off_cg)
    bases = called_bases(off, ref_chrom[off_cg], reference)
    cytosines = on_cg[0] + int(cytosine_of_strand(off, bases).sum())
    on_n = 0
    if (bases == N_CODE).any():  # an N within its sequence (past the end is the length check's case)
        lengths = np.array([reference.length(name) for name in reference.chroms], dtype=np.int64)
        on_n = int(((bases == N_CODE) & (off.pos < lengths[ref_chrom[off_cg]])).sum())
    minus = calls.strand == ON_G
    n_minus = int(minus.sum())
    minus_on_c = on_cg[0]  # no - strand call to move: as read (a group's part of a sample's sum)
    if n_minus:
        moved = replace(calls, pos=calls.pos + minus)
        minus_on_c = int(locate_cpgs(moved, ref_chrom, reference)[1].sum())
    return OffsetFit(len(calls), on_cg, n_minus, minus_on_c, cytosines, on_n)


def format_options(source: Source) -> dict[int, str]:
    """Coordinate base -> the format that reads ``source`` with it, as far as the file's structure allows.

    Formats defined with one base (methylC, bedMethyl, modkit, bigWigs) have one option. A
    column spec (``columns:...``) has both, its ``base=`` set either way. A cytosine report has
    both (Bismark writes 0-based ones when asked). A six-column count file has both (``bismark_cov`` 1-based, ``bismark_zero_cov`` 0-based) unless every sampled row has
    start == end, which only a 1-based file can have.
    """
    if source.fmt in _CYTOSINE_REPORT.values():
        return dict(_CYTOSINE_REPORT)
    if columns_format.is_spec(source.fmt):  # the user's columns: the base is the user's word
        spec = columns_format.parse(source.fmt)
        return {base: spec.with_base(base).text for base in (0, 1)}
    if source.fmt not in _SIX_COLUMN_FORMATS:
        return {base_of(source.fmt): source.fmt}
    spans = [fields[1:3] for fields in source.sample if len(fields) >= 3]
    if spans and all(start == end for start, end in spans):
        return {1: _SIX_COLUMN[1]}
    return dict(_SIX_COLUMN)


def base_of(fmt: str) -> int:
    """The coordinate base (0 or 1) a format's reader uses (a column spec's ``base=``)."""
    if columns_format.is_spec(fmt):
        return columns_format.parse(fmt).base
    return 1 if fmt in ONE_BASED else 0


def structure_text(source: Source, base: int, shift: int) -> str:
    """Why no format reads the file moved by ``shift`` from ``base``: its rows, or its format's definition."""
    if source.fmt in _CYTOSINE_REPORT.values():
        return f"no format reads a cytosine report {base - shift}-based"
    if source.fmt not in _SIX_COLUMN_FORMATS:
        return f"{source.fmt} is {'zero' if base == 0 else 'one'}-based by definition"
    if len(format_options(source)) == 1:
        return "every row has start == end, which only a one-based file has"
    return f"no format reads a six-column file {base - shift}-based"


def _direction(shift: int) -> str:
    return "one base to the right (+1)" if shift > 0 else "one base to the left (-1)"


def evidence_text(fit: OffsetFit, min_cg_share: float) -> str:
    """The shares behind a verdict, e.g. 'calls on a CpG: 47.0 % as read, 3.1 % moved -1, 98.9 % moved +1'."""
    shares = fit.shares()
    text = f"calls on a CpG: {shares[0]:.1%} as read, {shares[-1]:.1%} moved -1, {shares[+1]:.1%} moved +1"
    if MINUS_ON_C in shares:
        text += f", {shares[MINUS_ON_C]:.1%} with - strand calls on the C"
    text += f"; on a cytosine of any context as read: {fit.cytosine_share():.1%}"
    return text + f" (of {fit.n_calls:,} calls; at least {min_cg_share:.0%} required)"


def reference_cause(reference_path: object, assembly_summary: str = "") -> str:
    """What to check when the reference is the likely cause (``assembly_summary``: what it matches, if known)."""
    matched = (
        f" (it {assembly_summary})"
        if assembly_summary
        else " (reference/assembly.json says which it matches)"
    )
    return (
        f"the reference is offset or another assembly: check that {reference_path} is the assembly the calls "
        f"were made on{matched} and that its first bases are that assembly's"
    )


def cohort_shift_diagnosis(
    shift: int, n_samples: int, formats: list[str], reference_path: object, assembly_summary: str
) -> str:
    """All ``n_samples`` samples (of ``formats``) fit ``reference_path`` moved by the same ``shift``."""
    return (
        f"all {n_samples} samples fit {reference_path} {_direction(shift)}, whatever their formats "
        f"({', '.join(sorted(set(formats)))}): the reference is the likely cause, not the samples' formats: "
        + reference_cause(reference_path, assembly_summary).split(": ", 1)[1]
    )


def fit_diagnosis(
    fit: OffsetFit,
    source: Source,
    base: int,
    reference_path: object,
    min_cg_share: float,
    agreeing: tuple[int, int] | None = None,
) -> str:
    """Why too few calls sit on a CG, from what fits instead, naming the reference and the evidence.

    source, base: the file and the coordinate base it was read with; agreeing: (samples that
    need this sample's best fit, samples checked), when known.
    """
    best = fit.best()
    evidence = evidence_text(fit, min_cg_share)
    share = fit.shares()[best]
    if share < min_cg_share and fit.fits_off_n(min_cg_share):
        return (
            f"{fit.on_n:,} of the {fit.n_calls:,} calls ({fit.on_n / max(fit.n_calls, 1):.1%}) sit on an N of "
            f"{reference_path}, and the others fit it as read ({evidence}): a hard-masked FASTA (Ensembl's "
            "dna_rm, UCSC's .fa.masked: repeats written as N)? Give the unmasked or soft-masked one (Ensembl's "
            "dna or dna_sm, UCSC's <assembly>.fa: lower-case repeats are read as upper case); the calls are "
            "of this assembly, nothing to lift over"
        )
    if share < min_cg_share and fit.cytosine_share() >= MOSTLY_ON_CYTOSINE:
        return (
            f"the calls fit {reference_path} as read, but too few sit on a cytosine ({evidence}): a pileup "
            "of every base with its read errors (modkit pileup without --ref, say)? Make the calls against "
            "the reference (modkit pileup --ref <fasta> --cpg), or, where the calls off a cytosine are of a "
            "read or two, lower ingest.min_cg_share"
        )
    if share < min_cg_share:
        return (
            f"wrong assembly? too few calls fall on a CpG of {reference_path} at any shift ({evidence}): "
            f"check that the reference is the assembly the calls were made on"
        )
    if best == MINUS_ON_C:
        return (
            f"the - strand calls sit on the C of their CpG, not on its G as {source.fmt} has them: "
            f"the file uses another strand convention than its format ({evidence})"
        )
    if best == 0:
        return f"the calls fit {reference_path} as read ({evidence})"
    alternative = format_options(source).get(base - best)
    if alternative is not None and alternative != source.fmt:
        cause = (
            f"either the file is {'zero' if base - best == 0 else 'one'}-based (format {alternative}) "
            f"or {reference_cause(reference_path)}"
        )
    else:
        cause = f"{structure_text(source, base, best)}, so {reference_cause(reference_path)}"
    counted = f"; {agreeing[0]} of {agreeing[1]} samples fit so" if agreeing is not None else ""
    return f"positions fit {reference_path} {_direction(best)}: {cause} ({evidence}{counted})"
