"""From per-strand calls to the canonical CpG table (CONTRACT item 1), checked against the reference.

Order of work, each step counted in the QC dict:

1. drop rows whose context column says non-CG (``n_non_cg_context_dropped``);
2. harmonise chromosome names to the FASTA; drop (and count) calls on sequences the
   FASTA lacks (``renamed_chroms``, ``dropped_chroms``);
3. drop calls with no reads (``n_zero_depth_dropped``; Bismark reports list uncovered CpGs);
4. CG check: the share of calls that sit on a CG of the reference (+ calls on its C,
   - calls on its G, unstranded calls on either). Below ``min_cg_share`` the run stops
   with a diagnosis (off-by-one if a one-base shift fixes it, else a wrong assembly);
   otherwise calls off a CG are dropped (``n_off_cg_dropped``);
5. merge strands onto the + strand C (a - call on the G at g goes to g - 1): counts are
   summed (``n_cpgs_merged`` CpGs had calls on both strands); one strand called twice is
   an error naming both lines;
6. keep CpGs with n_total >= min_coverage (``n_below_min_coverage``, ``n_kept``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.chroms import harmonise, renamed_and_dropped, string_column
from epibench.io.methylation.calls import ON_C, ON_G, UNSTRANDED, Calls
from epibench.io.methylation.table import fail_at_row, locate
from epibench.io.reference import Reference, cg_mask

_POS_BITS = 34  # merge key = reference chromosome index << 34 | position (chromosomes < 17 Gb)


def to_canonical(
    calls: Calls, reference: Reference, min_coverage: int, min_cg_share: float
) -> tuple[pd.DataFrame, dict]:
    """Return the canonical table (chrom, pos, n_meth, n_total, level; FASTA order) and the QC dict."""
    path = calls.source.path
    qc: dict = {"format": calls.source.fmt, "n_records": calls.n_rows, **calls.qc}

    qc["n_non_cg_context_dropped"] = 0
    if calls.cg_context is not None:
        qc["n_non_cg_context_dropped"] = int((~calls.cg_context).sum())
        calls = calls.subset(calls.cg_context)

    ref_chrom, qc["renamed_chroms"], qc["dropped_chroms"] = _reference_chroms(calls, reference)
    kept = ref_chrom >= 0
    calls, ref_chrom = calls.subset(kept), ref_chrom[kept]
    if not len(calls):
        raise InputError(
            f"no CG calls on a sequence of {reference.fasta_path} "
            f"(calls per chromosome not in the FASTA: {qc['dropped_chroms']}; "
            f"FASTA sequences: {', '.join(reference.chroms[:10])}...)",
            path=path,
        )

    covered = calls.n_total > 0
    qc["n_zero_depth_dropped"] = int((~covered).sum())
    calls, ref_chrom = calls.subset(covered), ref_chrom[covered]
    if not len(calls):
        raise InputError("no call has any reads", path=path)

    cpg_pos, on_cg = _locate_cpgs(calls, ref_chrom, reference)
    qc["cg_share"] = float(on_cg.mean())
    if qc["cg_share"] < min_cg_share:
        raise InputError(_diagnosis(calls, ref_chrom, reference, qc["cg_share"], min_cg_share), path=path)
    qc["n_off_cg_dropped"] = int((~on_cg).sum())
    calls, ref_chrom, cpg_pos = calls.subset(on_cg), ref_chrom[on_cg], cpg_pos[on_cg]
    if not len(calls):
        raise InputError(f"no call falls on a CpG of {reference.fasta_path}", path=path)

    key, n_meth, n_total, qc["n_cpgs_merged"] = _merge_strands(calls, ref_chrom, cpg_pos, reference)
    enough = n_total >= min_coverage
    qc["n_below_min_coverage"] = int((~enough).sum())
    qc["n_kept"] = int(enough.sum())
    if not qc["n_kept"]:
        raise InputError(f"no CpG has at least {min_coverage} reads (min_coverage)", path=path)
    key, n_meth, n_total = key[enough], n_meth[enough], n_total[enough]
    level = (n_meth / n_total).astype(np.float32)
    qc["mean_coverage"] = float(n_total.mean())
    qc["mean_level"] = float(level.mean())
    table = pd.DataFrame(
        {
            "chrom": string_column(key >> _POS_BITS, reference.chroms),
            "pos": key & ((1 << _POS_BITS) - 1),
            "n_meth": n_meth,
            "n_total": n_total,
            "level": level,
        }
    )
    return table, qc


def _reference_chroms(calls: Calls, reference: Reference) -> tuple[np.ndarray, dict, dict]:
    """(N,) int32 index into reference.chroms per call (-1: not in the FASTA), renamed, dropped counts."""
    names = calls.chrom.names
    counts = np.bincount(calls.chrom.codes, minlength=len(names))
    present = {str(name): int(n) for name, n in zip(names, counts) if n}
    mapping = harmonise(present, reference.chroms)
    renamed, dropped = renamed_and_dropped(mapping, present)
    index = {name: i for i, name in enumerate(reference.chroms)}
    lookup = np.array([index.get(mapping.get(str(name)) or "", -1) for name in names], dtype=np.int32)
    return lookup[calls.chrom.codes], renamed, dropped


def _cpg_of(codes: np.ndarray, pos: np.ndarray, strand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of the + strand C of each call's CpG, and whether the call sits on a CG at all."""
    on_c = cg_mask(codes, pos)  # the called base is the C of a CG
    on_g = cg_mask(codes, pos - 1)  # ... the G of a CG
    on_cg = np.where(strand == ON_C, on_c, np.where(strand == ON_G, on_g, on_c | on_g))
    to_g = (strand == ON_G) | ((strand == UNSTRANDED) & ~on_c)
    return np.where(to_g, pos - 1, pos), on_cg


def _by_chrom(ref_chrom: np.ndarray):
    """Yield (reference chromosome index, (n,) row indices) in FASTA order."""
    order = np.argsort(ref_chrom, kind="stable")
    chroms, starts = np.unique(ref_chrom[order], return_index=True)
    yield from zip(chroms, np.split(order, starts[1:]))


def _locate_cpgs(
    calls: Calls, ref_chrom: np.ndarray, reference: Reference, shift: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per call: position of its CpG's + strand C, and whether it sits on a CG (positions moved by ``shift``).

    One chromosome's sequence in memory at a time (FASTA order).
    """
    cpg_pos = np.empty(len(calls), dtype=np.int64)
    on_cg = np.zeros(len(calls), dtype=bool)
    for chrom, rows in _by_chrom(ref_chrom):
        codes = reference.codes(reference.chroms[chrom])
        cpg_pos[rows], on_cg[rows] = _cpg_of(codes, calls.pos[rows] + shift, calls.strand[rows])
    return cpg_pos, on_cg


def _diagnosis(
    calls: Calls, ref_chrom: np.ndarray, reference: Reference, share: float, min_cg_share: float
) -> str:
    """Why the CG share is low: a one-base shift that fixes it (off-by-one), else a wrong assembly."""
    fmt, read_as = calls.source.fmt, calls.base
    share_shifted = {s: float(_locate_cpgs(calls, ref_chrom, reference, s)[1].mean()) for s in (+1, -1)}
    shift = max(share_shifted, key=share_shifted.get)
    shifted = (
        f"{share_shifted[+1]:.1%} shifted by +1, {share_shifted[-1]:.1%} shifted by -1; "
        f"at least {min_cg_share:.0%} required"
    )
    if share_shifted[shift] >= min_cg_share:
        return (
            f"looks like an off-by-one: the file seems {read_as - shift}-based but was read as "
            f"{read_as}-based (format {fmt}): {share:.1%} of calls fall on a CpG of "
            f"{reference.fasta_path} as read, {shifted}; if the format was misdetected, pass it explicitly"
        )
    return (
        f"wrong assembly? only {share:.1%} of calls fall on a CpG of {reference.fasta_path} "
        f"(read as {fmt}, {read_as}-based; {shifted})"
    )


def _merge_strands(
    calls: Calls, ref_chrom: np.ndarray, cpg_pos: np.ndarray, reference: Reference
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sum the calls of each CpG.

    Returns sorted merge keys (K,), n_meth (K,), n_total (K,) and the number of CpGs with two calls.
    """
    key = (ref_chrom.astype(np.int64) << _POS_BITS) | cpg_pos
    on_g = calls.pos != cpg_pos
    per_strand = key * 2 + on_g
    order = np.argsort(per_strand, kind="stable")
    per_strand = per_strand[order]
    twice = np.flatnonzero(per_strand[1:] == per_strand[:-1])
    if len(twice):
        first, second = calls.row[order[twice[0]]], calls.row[order[twice[0] + 1]]
        chrom = reference.chroms[ref_chrom[order[twice[0]]]]
        strand = "-" if on_g[order[twice[0]]] else "+"
        fail_at_row(
            calls.source,
            int(second),
            f"a second call for the {strand} strand of the CpG at {chrom}:{cpg_pos[order[twice[0]]]} "
            f"(0-based; the first is on line {locate(calls.source, int(first))[0]})",
        )
    key = per_strand >> 1
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    n_meth = np.add.reduceat(calls.n_meth[order], starts)
    n_total = np.add.reduceat(calls.n_total[order], starts)
    n_merged = int((np.diff(np.r_[starts, len(key)]) > 1).sum())
    return key[starts], n_meth, n_total, n_merged
