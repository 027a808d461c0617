"""From per-strand calls to the canonical CpG table (CONTRACT item 1), checked against the reference.

Order of work, each step counted in the QC dict:

1. drop rows whose context column says non-CG (``n_non_cg_context_dropped``);
2. harmonise chromosome names to the FASTA; drop (and count) calls on sequences the
   FASTA lacks (``renamed_chroms``, ``dropped_chroms``);
3. drop calls with no reads (``n_zero_depth_dropped``; Bismark reports list uncovered CpGs);
   a call beyond the end of its sequence stops the run (``lengths``: another assembly; or, where
   the calls within the sequences sit on its cytosines, a reference cut short: ``past_end``);
4. CG check: the share of calls that sit on a CG of the reference (+ calls on its C,
   - calls on its G, unstranded calls on either: ``cg_share``) and the share that sit on a
   cytosine of their strand in any context (``cytosine_share``, at least the CG share: calls off
   a CG but on a C are ``n_off_cg_on_cytosine``). When the cytosine share is below
   ``min_cg_share`` the run stops with a diagnosis (``offsets``: which shift fits, and whether
   the file or the reference is the likely cause). Otherwise calls off a CG are dropped
   (``n_off_cg_dropped``); when the CG share alone is below ``min_cg_share`` the file holds
   calls of every context (``modkit pileup`` without ``--cpg``, Bismark ``--CX``; formats
   without a context column), and a warning says how many were dropped as not CpGs;
5. merge strands onto the + strand C (a - call on the G at g goes to g - 1): counts are
   summed (``n_cpgs_merged`` CpGs had calls on both strands); one strand called twice is
   an error naming both lines; a sample given as several files (lanes, replicates, a file per
   chromosome) has each file checked and merged on its own, then the files' reads of a CpG
   summed (``pooled_cpgs``);
6. keep CpGs with n_total >= min_coverage (``n_below_min_coverage``, ``n_kept``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.chroms import harmonise, listed, non_primary, renamed_and_dropped, string_column
from epibench.io.lengths import check_calls_within, largest_ends
from epibench.io.methylation.calls import Calls
from epibench.io.methylation.cpg_sites import locate_cpgs, on_cytosine
from epibench.io.methylation.offsets import fit_diagnosis, measure_fit
from epibench.io.methylation.past_end import PastEnd
from epibench.io.methylation.columns import fail_at_row, locate
from epibench.io.reference import Reference

# the defaults of the filters (config ingest.min_coverage, ingest.min_cg_share)
MIN_COVERAGE = 5  # reads a CpG needs (both strands merged) to be kept
MIN_CG_SHARE = 0.95  # share of a sample's calls that must sit on a reference CG
# what to do about calls on sequence names the reference lacks
UNKNOWN_NAMES_ADVICE = (
    "if the file names the reference's sequences otherwise, give a table of the other names as "
    "reference.chrom_aliases (UCSC chromAlias.txt, NCBI assembly report, or name<TAB>other name rows)"
)
DROPPED_SHARE_WARNED = 0.01  # share of a file's calls on sequences the reference lacks that is warned of
LOW_COVERAGE_SHARE_WARNED = 0.5  # share of a sample's CpGs below ingest.min_coverage that is warned of
_POS_BITS = 34  # merge key = reference chromosome index << 34 | position (chromosomes < 17 Gb)


def to_canonical(
    calls: Calls, reference: Reference, min_coverage: int, min_cg_share: float
) -> tuple[pd.DataFrame, dict]:
    """Return the canonical table (chrom, pos, n_meth, n_total, level; FASTA order) and the QC dict."""
    calls, ref_chrom, qc = on_reference(calls, reference)
    past = PastEnd.start(reference)
    within = ~past.add(calls, ref_chrom)
    length_warnings = check_calls_within(
        largest_ends(ref_chrom, calls.pos, reference),
        reference,
        calls.source.path,
        lambda: past.cause(
            calls.source,
            reference,
            lambda: measure_fit(calls.subset(within), ref_chrom[within], reference),
            min_cg_share,
        ),
    )
    table, cpg_qc = canonical_cpgs(calls, ref_chrom, reference, min_coverage, min_cg_share)
    check_kept(cpg_qc, calls.source.path, reference, min_coverage)
    cpg_qc["warnings"] = (
        dropped_warnings(qc, len(calls))
        + length_warnings
        + context_warnings(cpg_qc, min_cg_share)
        + coverage_warnings(cpg_qc, min_coverage)
        + cpg_qc["warnings"]
    )
    return table, qc | cpg_qc


def on_reference(calls: Calls, reference: Reference) -> tuple[Calls, np.ndarray, dict]:
    """Steps 1-3: the calls in CG context, on a FASTA sequence, with reads.

    Returns those calls, their (N,) int32 index into ``reference.chroms`` and the QC dict
    (format, n_records, the reader's counts, n_non_cg_context_dropped, renamed_chroms,
    dropped_chroms, n_zero_depth_dropped). Raises InputError when no call is left.
    """
    calls, ref_chrom, qc = keep_on_reference(calls, reference)
    check_on_reference(qc, len(calls), calls.source.path, reference)
    return calls, ref_chrom, qc


def keep_on_reference(calls: Calls, reference: Reference) -> tuple[Calls, np.ndarray, dict]:
    """``on_reference`` without its checks, for a part of a file (QC dicts add up: ``calls.add_qc``)."""
    qc: dict = {"format": calls.source.fmt, "n_records": calls.n_rows, **calls.qc}

    qc["n_non_cg_context_dropped"] = 0
    if calls.cg_context is not None:
        qc["n_non_cg_context_dropped"] = int((~calls.cg_context).sum())
        calls = calls.subset(calls.cg_context)

    ref_chrom, qc["renamed_chroms"], qc["dropped_chroms"] = _reference_chroms(calls, reference)
    kept = ref_chrom >= 0
    calls, ref_chrom = calls.subset(kept), _subset(ref_chrom, kept)

    covered = calls.n_total > 0
    qc["n_zero_depth_dropped"] = int((~covered).sum())
    calls, ref_chrom = calls.subset(covered), _subset(ref_chrom, covered)
    return calls, ref_chrom, qc


def check_on_reference(qc: dict, n_calls: int, path: object, reference: Reference) -> None:
    """Raise InputError when none of a file's calls is left after steps 1-3 (``n_calls`` left; ``qc``
    of ``keep_on_reference``, or the sum over the file's parts)."""
    if qc["n_records"] and qc.get("n_other_modification_rows") == qc["n_records"]:
        raise InputError(
            "no 5mC calls: every row is of another modification (modkit's or MethBat's codes other "
            "than m, 27551 or C, such as h for 5hmC; see the file's column 4)",
            path=path,
        )
    if qc["n_records"] and qc.get("n_non_cg_context_dropped") == qc["n_records"]:
        raise InputError(
            f"no CG calls on a sequence of {reference.shown}: the context column of every one of its "
            f"{qc['n_records']:,} rows names another context than CG, so all were dropped (a file of CHG or "
            f"CHH calls, or a context written otherwise than format {qc['format']} writes it, such as a "
            "trinucleotide CGG?): give the file of CpG calls, or name its columns (format columns:..., "
            "README 'Your own cohort')",
            path=path,
        )
    if not n_calls + qc["n_zero_depth_dropped"]:
        raise InputError(
            f"no CG calls on a sequence of {reference.shown} "
            f"(calls per chromosome not in the FASTA: {listed(qc['dropped_chroms'])}; "
            f"FASTA sequences: {listed(reference.chroms)}): {UNKNOWN_NAMES_ADVICE}; otherwise the file is of "
            "another genome",
            path=path,
        )
    if not n_calls:
        raise InputError("no call has any reads", path=path)


@dataclass(frozen=True)
class MergedCpgs:
    """A sample's CpGs with their strands merged, before the coverage filter.

    key: (K,) int64, sorted, one per CpG: reference chromosome index << ``_POS_BITS`` | 0-based
    position of the CpG's C; n_meth: (K,) methylated reads (float: some formats give a level
    times the depth); n_total: (K,) int64 reads.
    """

    key: np.ndarray
    n_meth: np.ndarray
    n_total: np.ndarray


def canonical_cpgs(
    calls: Calls,
    ref_chrom: np.ndarray,
    reference: Reference,
    min_coverage: int,
    min_cg_share: float,
    min_calls_to_judge: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Steps 4-6 on calls that passed ``on_reference`` (all of a sample's, or one shard group's):
    ``merged_cpgs`` then ``kept_cpgs``. Returns the canonical table (empty when no CpG is kept)
    and the QC dict of both."""
    merged, qc = merged_cpgs(calls, ref_chrom, reference, min_cg_share, min_calls_to_judge)
    return kept_cpgs(merged, reference, min_coverage, qc), qc


def merged_cpgs(
    calls: Calls,
    ref_chrom: np.ndarray,
    reference: Reference,
    min_cg_share: float,
    min_calls_to_judge: int = 0,
) -> tuple[MergedCpgs, dict]:
    """Steps 4-5 on calls that passed ``on_reference``: the CG check, then strands merged.

    The cytosine share (step 4) is judged (below ``min_cg_share``: InputError with the
    diagnosis) when there are at least ``min_calls_to_judge`` calls; with fewer, a low share
    only adds a message to QC ``warnings`` (a short sequence such as chrM can hold few,
    unrepresentative calls). Returns the merged CpGs and the QC dict: n_calls, cg_share and
    cytosine_share (None without calls), n_off_cg_dropped, n_off_cg_on_cytosine,
    n_cpgs_merged, warnings.
    """
    qc: dict = {"n_calls": len(calls), "cg_share": None, "cytosine_share": None, "warnings": []}
    cpg_pos, on_cg = locate_cpgs(calls, ref_chrom, reference)
    off_cg = ~on_cg
    qc["n_off_cg_dropped"] = int(off_cg.sum())
    qc["n_off_cg_on_cytosine"] = (
        int(on_cytosine(calls.subset(off_cg), ref_chrom[off_cg], reference).sum()) if off_cg.any() else 0
    )
    if len(calls):
        qc["cg_share"] = float(on_cg.mean())
        qc["cytosine_share"] = cytosine_share(qc)
    if qc["cytosine_share"] is not None and qc["cytosine_share"] < min_cg_share:
        fit = measure_fit(calls, ref_chrom, reference)
        message = fit_diagnosis(fit, calls.source, calls.base, reference.shown, min_cg_share)
        if len(calls) >= min_calls_to_judge:
            raise InputError(message, path=calls.source.path)
        qc["warnings"].append(f"{calls.source.path}: only {len(calls)} calls here, not judged: {message}")
    calls, ref_chrom, cpg_pos = calls.subset(on_cg), _subset(ref_chrom, on_cg), _subset(cpg_pos, on_cg)
    key, n_meth, n_total, qc["n_cpgs_merged"] = _merge_strands(calls, ref_chrom, cpg_pos, reference)
    return MergedCpgs(key, n_meth, n_total), qc


def pooled_cpgs(parts: list[MergedCpgs]) -> tuple[MergedCpgs, int]:
    """The CpGs of several files of one sample (lanes, replicates, a file per chromosome) as one:
    the reads of a CpG called in more than one file summed. Returns the pooled CpGs and the number
    of CpGs called in more than one file."""
    if len(parts) == 1:
        return parts[0], 0
    key = np.concatenate([part.key for part in parts])
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = _run_starts(key)
    n_in_several = int(np.count_nonzero(np.diff(np.append(starts, len(key))) > 1))
    n_meth = np.add.reduceat(np.concatenate([part.n_meth for part in parts])[order], starts)
    n_total = np.add.reduceat(np.concatenate([part.n_total for part in parts])[order], starts)
    return MergedCpgs(key[starts], n_meth, n_total), n_in_several


def kept_cpgs(merged: MergedCpgs, reference: Reference, min_coverage: int, qc: dict) -> pd.DataFrame:
    """Step 6: the canonical table (chrom, pos, n_meth, n_total, level; FASTA order) of the CpGs
    with at least ``min_coverage`` reads; adds n_below_min_coverage, n_kept, mean_coverage and
    mean_level (None when nothing is kept) to ``qc``."""
    enough = merged.n_total >= min_coverage
    qc["n_below_min_coverage"] = int((~enough).sum())
    qc["n_kept"] = int(enough.sum())
    key = merged.key[enough]  # a copy: the position is taken from it in place below
    n_meth, n_total = _subset(merged.n_meth, enough), _subset(merged.n_total, enough)
    level = (n_meth / n_total).astype(np.float32)
    qc["mean_coverage"] = float(n_total.mean()) if len(key) else None
    qc["mean_level"] = float(level.mean()) if len(key) else None
    chrom = np.right_shift(key, _POS_BITS, out=np.empty(len(key), np.int32), casting="unsafe")
    key &= (1 << _POS_BITS) - 1  # in place: now the position
    return pd.DataFrame(
        {
            "chrom": string_column(chrom, reference.chroms),
            "pos": key,
            "n_meth": n_meth,
            "n_total": n_total,
            "level": level,
        },
        copy=False,  # the arrays are this function's own
    )


def cytosine_share(qc: dict) -> float | None:
    """Share of calls on a cytosine of their strand, CG or not (``qc``: a ``canonical_cpgs`` QC dict,
    or the sum of several); None without calls."""
    if not qc["n_calls"]:
        return None
    return (qc["n_calls"] - qc["n_off_cg_dropped"] + qc["n_off_cg_on_cytosine"]) / qc["n_calls"]


def context_warnings(qc: dict, min_cg_share: float) -> list[str]:
    """The warning for a sample whose calls sit on cytosines but too few on CpGs (``qc``: its
    ``canonical_cpgs`` QC dict, or the sum of several, with ``cg_share``): a file of every context."""
    if qc["cg_share"] is None or qc["cg_share"] >= min_cg_share:
        return []
    return [
        f"only {qc['cg_share']:.1%} of the calls sit on a CpG of the reference, but "
        f"{cytosine_share(qc):.1%} on a cytosine: the file holds calls of every context (modkit "
        f"pileup without --cpg, Bismark --CX); {qc['n_off_cg_on_cytosine']:,} calls outside CpGs "
        f"(CHG/CHH by the reference) were dropped{_off_cytosine_text(qc)}"
    ]


def _off_cytosine_text(qc: dict) -> str:
    """ ", and N off any cytosine (read errors?)" where some of the dropped calls are on no cytosine."""
    off = qc["n_off_cg_dropped"] - qc["n_off_cg_on_cytosine"]
    return (
        f", and {off:,} on no cytosine at all (read errors of a pileup made without the reference?)"
        if off
        else ""
    )


def coverage_warnings(qc: dict, min_coverage: int) -> list[str]:
    """The warning for a sample with at least ``LOW_COVERAGE_SHARE_WARNED`` of its CpGs dropped for
    fewer reads than ``min_coverage`` (``qc``: with ``n_below_min_coverage`` and ``n_kept``): its
    labels are few, and those kept are noisy."""
    below, kept = qc["n_below_min_coverage"], qc["n_kept"]
    share = below / max(below + kept, 1)
    if share < LOW_COVERAGE_SHARE_WARNED:
        return []
    return [
        f"{share:.0%} of its CpGs ({below:,} of {below + kept:,}) have fewer than {min_coverage} reads "
        "(ingest.min_coverage) and were dropped: a shallow sample; lower ingest.min_coverage, or give its "
        "other lanes or replicates (a sheet row each, under its name) to pool their reads"
    ]


def dropped_warnings(qc: dict, n_on_reference: int) -> list[str]:
    """The warning for a file with at least ``DROPPED_SHARE_WARNED`` of its calls on sequences the
    reference lacks (``qc``: ``keep_on_reference``'s, or the sum over the file's parts; ``n_on_reference``:
    the calls it kept): whole chromosomes of the file left out, not only spike-in controls or
    unplaced contigs."""
    dropped = qc["dropped_chroms"]
    n_dropped = sum(dropped.values())
    share = n_dropped / max(n_dropped + n_on_reference + qc["n_zero_depth_dropped"], 1)
    if share < DROPPED_SHARE_WARNED:
        return []
    largest = dict(sorted(dropped.items(), key=lambda item: -item[1]))
    beside_primary = non_primary(dropped)
    advice = UNKNOWN_NAMES_ADVICE
    if len(beside_primary) == len(dropped):  # a primary-only FASTA, by choice: nothing to fix
        kinds = ", ".join(sorted(set(beside_primary.values())))
        advice = f"all are sequences beside a primary assembly ({kinds}), which the reference leaves out"
    return [
        f"{n_dropped:,} call{'' if n_dropped == 1 else 's'} ({share:.1%}) on sequences the reference lacks "
        "dropped "
        f"(calls per sequence: {listed(largest)}): {advice}"
    ]


def check_kept(qc: dict, path: object, reference: Reference, min_coverage: int) -> None:
    """Raise InputError when a sample kept no CpG (``qc``: a ``canonical_cpgs`` QC dict, or the sum of several)."""
    if qc["n_calls"] and qc["n_calls"] == qc["n_off_cg_dropped"]:
        every_cytosine = qc["n_off_cg_on_cytosine"] == qc["n_calls"]
        raise InputError(
            f"no call falls on a CpG of {reference.shown}"
            + (
                ": every call sits on a cytosine outside CpGs, so the file holds CHG/CHH calls only "
                "(e.g. MethylDackel's _CHH.bedGraph or _CHG.bedGraph): give the CpG file"
                if every_cytosine
                else ""
            ),
            path=path,
        )
    if not qc["n_kept"]:
        raise InputError(f"no CpG has at least {min_coverage} reads (min_coverage)", path=path)


def _subset(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values[keep]``; ``values`` itself (no copy) when ``keep`` is True everywhere, as in ``Calls.subset``."""
    return values if keep.all() else values[keep]


def _reference_chroms(calls: Calls, reference: Reference) -> tuple[np.ndarray, dict, dict]:
    """(N,) int32 index into reference.chroms per call (-1: not in the FASTA), renamed, dropped counts."""
    names = calls.chrom.names
    counts = np.bincount(calls.chrom.codes, minlength=len(names))
    present = {str(name): int(n) for name, n in zip(names, counts) if n}
    mapping = harmonise(present, reference.chroms, reference.aliases)
    renamed, dropped = renamed_and_dropped(mapping, present)
    index = {name: i for i, name in enumerate(reference.chroms)}
    lookup = np.array([index.get(mapping.get(str(name)) or "", -1) for name in names], dtype=np.int32)
    return lookup[calls.chrom.codes], renamed, dropped


def _merge_strands(
    calls: Calls, ref_chrom: np.ndarray, cpg_pos: np.ndarray, reference: Reference
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sum the calls of each CpG.

    Returns sorted merge keys (K,), n_meth (K,), n_total (K,) and the number of CpGs with two calls.
    """
    # per_strand = (ref_chrom << _POS_BITS | cpg_pos) << 1 | on_g, built in place
    on_g = calls.pos != cpg_pos
    per_strand = ref_chrom.astype(np.int64)
    per_strand <<= _POS_BITS
    per_strand |= cpg_pos
    per_strand <<= 1
    per_strand |= on_g
    if len(per_strand) < 2 or bool(np.all(per_strand[1:] >= per_strand[:-1])):
        order = None  # already in order (a file sorted by position, chromosomes in FASTA order): no sort
    else:
        order = np.argsort(per_strand, kind="stable")
        per_strand = per_strand[order]
    twice = np.flatnonzero(per_strand[1:] == per_strand[:-1])
    if len(twice):
        at = int(twice[0]) if order is None else int(order[twice[0]])
        then = int(twice[0]) + 1 if order is None else int(order[twice[0] + 1])
        first, second = calls.data_row(at), calls.data_row(then)
        chrom = reference.chroms[ref_chrom[at]]
        strand = "-" if on_g[at] else "+"
        fail_at_row(
            calls.source,
            int(second),
            f"a second call for the {strand} strand of the CpG at {chrom}:{cpg_pos[at]} "
            f"(0-based; the first is on line {locate(calls.source, int(first))[0]})",
        )
    key = per_strand
    key >>= 1  # in place: per_strand is not needed any more
    starts = _run_starts(key)
    n_meth = np.add.reduceat(calls.n_meth if order is None else calls.n_meth[order], starts)
    n_total = np.add.reduceat(calls.n_total if order is None else calls.n_total[order], starts)
    # no strand is called twice, so a CpG has one or two calls: those with two are the calls less the CpGs
    n_merged = len(key) - len(starts)
    return key[starts], n_meth, n_total, n_merged


def _run_starts(key: np.ndarray) -> np.ndarray:
    """(R,) int64: the index of the first element of each run of equal values in sorted ``key`` (N,)."""
    first_of_run = np.empty(len(key), dtype=bool)
    first_of_run[:1] = True
    np.not_equal(key[1:], key[:-1], out=first_of_run[1:])
    return np.flatnonzero(first_of_run)
