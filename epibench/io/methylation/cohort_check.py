"""The cohort's CG check, before ingest: which shift fits each sample, judged across samples.

Each sample's first ``SAMPLE_CALLS`` calls (in CG context, on a reference sequence, with
reads) are tried at the shifts of ``offsets``. The cohort then passes (every sample's calls sit
as read on cytosines of their strand: on CpGs, or in any context for a file of all contexts), or
stops with a table of every sample's fit and a verdict:

- all samples need the same shift: the reference is the likely cause, not the formats;
- samples need different shifts: each file's coordinates must be checked on its own;
- some samples sit on no CpGs at any shift: another assembly;
- every sample fits as read, but one only because its format was chosen against
  detection (a file detected one-based read zero-based, say) while the reference
  matches no known assembly: a zero-based file on this reference cannot be told from a
  one-based file on a reference offset by one base, so the run stops too.

The accepted fit (shift 0 and its CG share) of every sample is written to ``qc/cg_check.tsv``.
The workflow measures each sample's fit in a job of its own (``fit_record``, rule fit_calls) and
judges the cohort from those records, so that a sample added reads only its own files.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from epibench.errors import InputError
from epibench.io.assemblies import assembly_of_accessions, liftover_hint
from epibench.io.methylation.calls import add_qc
from epibench.io.methylation.canonical import check_on_reference, keep_on_reference
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import read_call_parts
from epibench.io.methylation.modifications import counted_as_methylated
from epibench.io.methylation.offsets import (
    SHIFTS,
    OffsetFit,
    base_of,
    cohort_shift_diagnosis,
    fit_diagnosis,
    measure_fit,
)
from epibench.io.methylation.columns import Source
from epibench.io.methylation.past_end import PastEnd
from epibench.io.reference import Reference

log = logging.getLogger(__name__)

SAMPLE_CALLS = 200_000
NO_FIT = "none"  # best_fit of a sample whose calls sit on CpGs at no shift
_SHARE_COLUMNS = (
    "cg_share",
    "cg_share_shift_minus1",
    "cg_share_shift_plus1",
    "cg_share_minus_on_c",
    "cytosine_share",
)


@dataclass(frozen=True)
class SampleFit:
    """One sample's fit: its file, how it was read, what detection alone reads it as, and the shares.

    base: the coordinate base it was read with; detected: the format detection chooses, None
    when detection cannot tell (the format was then given); digest: SHA-256 (hex) of the calls
    measured (sequence, position, reads), "" where unknown (a record of an older epibench): two
    samples with one digest carry the same data. modified: what the calls count as methylated where
    the file or its format says ("5mC", or "5mC+5hmC": modkit's codes, bisulfite's formats;
    epibench.io.methylation.modifications), "" where neither does. named_assembly: the assembly whose
    NCBI accessions its chromosome names are where they were renamed to the reference's
    (``NC_000001.10``, GRCh37's chr1; ``assemblies.assembly_of_accessions``), "" otherwise.
    """

    sample: str
    source: Source
    base: int
    detected: str | None
    fit: OffsetFit
    digest: str = ""
    modified: str = ""
    named_assembly: str = ""

    def best(self, min_cg_share: float) -> int | str:
        """0 (as read) when enough calls sit on a cytosine so (``OffsetFit.cytosine_share``), else the
        fit with the largest CG share where that share reaches ``min_cg_share``, else ``NO_FIT`` (no
        shift puts them on CpGs: another assembly; its largest share is chance)."""
        if self.fit.cytosine_share() >= min_cg_share:
            return 0
        best = self.fit.best()
        return best if self.fit.shares()[best] >= min_cg_share else NO_FIT

    @property
    def read_against_detection(self) -> bool:
        """Whether the file was read with another coordinate base than detection would read it with."""
        return self.detected is not None and base_of(self.detected) != self.base


def sample_fit(
    sample: str,
    path: str | os.PathLike,
    reference: Reference,
    fmt: str | None = None,
    coverage_path: str | os.PathLike | None = None,
    max_calls: int = SAMPLE_CALLS,
) -> SampleFit:
    """The fit of a sample's first ``max_calls`` usable calls (the whole file when it has fewer).

    Raises InputError (``canonical.check_on_reference``) when none of the calls read is on a
    sequence the reference has (by name, aliases included) or has reads: there is nothing to fit.
    """
    source = detect_source(path, fmt)
    try:
        detected = detect_source(path).fmt if fmt is not None else source.fmt
    except InputError:  # the given format reads what detection cannot classify
        detected = None
    fit = OffsetFit(0, dict.fromkeys(SHIFTS, 0))
    qc: dict = {}
    # one hash per column, so that the digest does not depend on how the file is cut into parts (a
    # text file's 8-MiB blocks, a bigBed's windows): the bed and the bigBed of one ENCODE file agree
    streams = [hashlib.sha256() for _ in range(4)]
    for calls in read_call_parts(source, coverage_path):
        on_reference, ref_chrom, part_qc = keep_on_reference(calls, reference)
        qc = add_qc(qc, part_qc)
        fit += measure_fit(on_reference, ref_chrom, reference)
        columns = (ref_chrom.astype(np.int64), on_reference.pos, on_reference.n_meth, on_reference.n_total)
        for stream, values in zip(streams, columns):
            stream.update(np.ascontiguousarray(values).tobytes())
        if fit.n_calls >= max_calls:
            break
    check_on_reference(qc, fit.n_calls, source.path, reference)  # no call on a FASTA sequence's name
    modified = counted_as_methylated(source, qc.get("modified_rows", {}))
    digest = hashlib.sha256("".join(stream.hexdigest() for stream in streams).encode()).hexdigest()
    named = assembly_of_accessions(qc.get("renamed_chroms", {})) or ""
    return SampleFit(sample, source, base_of(source.fmt), detected, fit, digest, modified, named)


def fit_within(
    source: Source,
    coverage_path: str | os.PathLike | None,
    reference: Reference,
    max_calls: int = SAMPLE_CALLS,
) -> OffsetFit:
    """The ``OffsetFit`` of a file's first ``max_calls`` calls (all, when it has fewer) that lie on a
    reference sequence, within its length (the CG check's measure, without calls past the end)."""
    fit, lengths = OffsetFit(0, dict.fromkeys(SHIFTS, 0)), PastEnd.start(reference).lengths
    for calls in read_call_parts(source, coverage_path):
        calls, ref_chrom, _ = keep_on_reference(calls, reference)
        within = calls.pos < lengths[ref_chrom]
        fit += measure_fit(calls.subset(within), ref_chrom[within], reference)
        if fit.n_calls >= max_calls:
            break
    return fit


def fit_record(fit: SampleFit) -> dict:
    """``fit`` as a JSON object (rule fit_calls writes a sample's; ``fit_from_record`` reads it back)."""
    counts = fit.fit
    return {
        "sample": fit.sample,
        "path": str(fit.source.path),
        "format": fit.source.fmt,
        "base": fit.base,
        "detected": fit.detected,
        "n_calls": counts.n_calls,
        "on_cg": {str(shift): n for shift, n in counts.on_cg.items()},
        "n_minus": counts.n_minus,
        "minus_on_c": counts.minus_on_c,
        "on_cytosine": counts.on_cytosine,
        "on_n": counts.on_n,
        "digest": fit.digest,
        "modified": fit.modified,
        "named_assembly": fit.named_assembly,
    }


def stopped_record(sample: str, path: str | os.PathLike, error: InputError) -> dict:
    """The record of a file whose CG check stopped on ``error`` (unreadable: a truncated download; or
    its calls on no sequence of the FASTA): rule fit_calls writes it in the sample's ``fit_record``'s
    place, so that the cohort's check names every such file at once (``fits_from_records``)."""
    return {"sample": sample, "path": str(path), "stopped": str(error)}


def fits_from_records(records: list[dict]) -> list[SampleFit]:
    """The ``SampleFit`` of each record (``fit_record``'s, ``fit_from_record``); an InputError naming
    every file of a ``stopped_record`` at once (a broken download among a hundred is one run, not one
    run each)."""
    stopped = [record for record in records if "stopped" in record]
    if stopped:
        raise InputError(
            f"the CG check stopped at {len(stopped)} of the {len(records)} methylation files: fix or download "
            "them again, or leave their samples out of the sample sheet:\n"
            + "\n".join(f"  {record['sample']} ({record['path']}): {record['stopped']}" for record in stopped)
        )
    return [fit_from_record(record) for record in records]


def fit_from_record(record: dict) -> SampleFit:
    """The ``SampleFit`` a ``fit_record`` holds (its file's layout found again from its first lines)."""
    counts = OffsetFit(
        record["n_calls"],
        {int(shift): n for shift, n in record["on_cg"].items()},
        record["n_minus"],
        record["minus_on_c"],
        record["on_cytosine"],
        record.get("on_n", 0),  # absent from the records of older versions
    )
    source = detect_source(record["path"], record["format"])
    return SampleFit(
        record["sample"],
        source,
        record["base"],
        record["detected"],
        counts,
        record.get("digest", ""),
        record.get("modified", ""),
        record.get("named_assembly", ""),
    )


def fit_table(fits: list[SampleFit], min_cg_share: float) -> pd.DataFrame:
    """One row per sample: sample, input, format, read_as (0/1), detected_format, n_calls, the
    CG shares (as read, moved -1, moved +1, - strand calls on the C: empty without them), the share on
    a cytosine of any context as read, counts_as_methylated (``5mC``,
    ``5mC+5hmC``, or empty where neither the file nor its format says: ``SampleFit.modified``; a cohort
    that mixes the two is warned of, ``warn_of_mixed_modifications``, and the report shows this table),
    best_fit (``SampleFit.best``)."""
    rows = [
        {
            "sample": f.sample,
            "input": str(f.source.path),
            "format": f.source.fmt,
            "read_as": f"{f.base}-based",
            "detected_format": f.detected or "",
            **f.fit.to_dict(),
            "counts_as_methylated": f.modified,
            "best_fit": str(f.best(min_cg_share)),
        }
        for f in fits
    ]
    return pd.DataFrame(rows)


def judge_cohort(fits: list[SampleFit], assembly: dict, min_cg_share: float) -> pd.DataFrame:
    """``fit_table`` with ``accepted`` (True for all) when the cohort passes; InputError with the table and a verdict otherwise.

    assembly: the reference's ``assembly.json`` (``epibench reference``): ``fasta`` (the user's
    FASTA, named in messages), ``matched`` and ``summary`` (``assemblies.AssemblyMatch``).
    """
    table = fit_table(fits, min_cg_share)
    reference = assembly["fasta"]
    misfits = [f for f in fits if f.fit.cytosine_share() < min_cg_share]
    if misfits:
        raise InputError(_misfit_message(fits, misfits, table, assembly, min_cg_share))
    against = [f for f in fits if f.read_against_detection]
    if against and not assembly["matched"]:
        names = ", ".join(f"{f.sample} ({f.source.fmt}, detected as {f.detected})" for f in against)
        raise InputError(
            f"CG check against {reference}: sample(s) {names} fit only read with another coordinate base "
            f"than their files are detected as, and the reference {assembly['summary']}: a zero-based file on "
            f"this reference cannot be told from a one-based file on a reference offset by one base. Check the "
            f"reference's assembly and first bases; if the files really are as given, name them so that "
            f"detection agrees (a zero-based Bismark coverage file ends in .zero.cov):\n" + _shown(table)
        )
    refuse_copies_within_a_sample(fits)
    warn_of_copies(fits)
    warn_of_mixed_modifications(fits)
    return table.assign(accepted=True)


def refuse_copies_within_a_sample(fits: list[SampleFit]) -> None:
    """An InputError where two files of one sample (``<sample>#<k>``, sample names hold no ``#``) carry
    the same calls (one digest): their reads would be pooled, every CpG counted twice (the text and the
    bigBed bedMethyl of one ENCODE file, or one file under two names)."""
    by_digest: dict[tuple[str, str], list[SampleFit]] = {}
    for fit in fits:
        if fit.digest and fit.fit.n_calls and "#" in fit.sample:
            by_digest.setdefault((fit.sample.split("#", 1)[0], fit.digest), []).append(fit)
    copies = [group for group in by_digest.values() if len(group) > 1]
    if copies:
        raise InputError(
            "; ".join(
                f"sample {sample}: its files {', '.join(f'{f.source.path} ({f.sample})' for f in group)} carry the "
                f"same calls (the first {group[0].fit.n_calls:,} measured: positions and reads alike), and "
                "pooling them would count every read twice"
                for (sample, _), group in by_digest.items()
                if len(group) > 1
            )
            + ": keep one row per file of different reads in the sample sheet (the text and the bigBed "
            "bedMethyl of one ENCODE file are the same file)"
        )


def warn_of_copies(fits: list[SampleFit]) -> list[list[str]]:
    """Log a warning for each set of samples whose measured calls are the same (one digest: a file
    listed twice in the sample sheet, or one sample's data under two names); return those sets."""
    by_digest: dict[str, list[SampleFit]] = {}
    for fit in fits:
        if fit.digest and fit.fit.n_calls:
            by_digest.setdefault(fit.digest, []).append(fit)
    copies = [group for group in by_digest.values() if len(group) > 1]
    for group in copies:
        log.warning(
            "samples %s carry the same calls (the first %s measured: positions and reads alike): the same "
            "data twice? Check the sample sheet (%s)",
            ", ".join(f.sample for f in group),
            f"{group[0].fit.n_calls:,}",
            "; ".join(f"{f.sample}: {f.source.path}" for f in group),
        )
    return [[f.sample for f in group] for group in copies]


def warn_of_mixed_modifications(fits: list[SampleFit]) -> dict[str, list[str]]:
    """Log a warning where the samples' calls count different things as methylated (modkit's 5mC
    alone against 5mC+5hmC from --combine-mods or from bisulfite sequencing: levels apart by the 5hmC
    share, a few % in most tissues, tens of % in brain, for a reason of processing); return what ->
    its samples."""
    by_kind: dict[str, list[str]] = {}
    for fit in fits:
        if fit.modified:
            by_kind.setdefault(fit.modified, []).append(fit.sample)
    if len(by_kind) > 1:
        log.warning(
            "the samples' calls count different modifications as methylated: %s (bisulfite, EM-seq and "
            "TAPS read 5hmC as 5mC, unless the library was oxBS). Their levels differ by the 5hmC share for "
            "a reason of processing, not biology: count 5hmC alike in every sample (read a modkit pileup as "
            "format modkit_5mc_5hmc, which counts its 5hmC reads as methylated, or make it with --combine-mods)",
            "; ".join(f"{what}: {', '.join(samples)}" for what, samples in by_kind.items()),
        )
    return by_kind


def _misfit_message(
    fits: list[SampleFit], misfits: list[SampleFit], table: pd.DataFrame, assembly: dict, min_cg_share: float
) -> str:
    """The verdict on a cohort with samples off the reference's CpGs, the table, and each misfit's diagnosis."""
    reference = assembly["fasta"]
    bests = [f.best(min_cg_share) for f in fits]
    head = f"CG check of {len(fits)} samples against {reference}"
    if len(fits) > 1 and len(set(bests)) == 1 and bests[0] in (-1, +1):
        formats = [f.source.fmt for f in fits]
        verdict = cohort_shift_diagnosis(bests[0], len(fits), formats, reference, assembly["summary"])
        return f"{head}: {verdict}\n{_shown(table)}"
    if len(set(bests) - {NO_FIT}) > 1:
        verdict = (
            "the samples need different shifts (best_fit): each file's coordinates must be checked on its own"
        )
    else:
        verdict = f"{len(misfits)} of {len(fits)} samples do not sit on its CpGs"
    lines = [f"{head}: {verdict}", _shown(table)]
    lines += [
        f"{f.sample} ({f.source.path}): "
        + fit_diagnosis(
            f.fit, f.source, f.base, reference, min_cg_share, (bests.count(f.best(min_cg_share)), len(fits))
        )
        for f in misfits
    ]
    unplaced = [f for f, best in zip(fits, bests) if best == NO_FIT and not f.fit.fits_off_n(min_cg_share)]
    if unplaced:
        lines.append(_another_assembly_line(unplaced, assembly["matched"]))
    return "\n".join(lines)


def _another_assembly_line(unplaced: list[SampleFit], reference_assemblies: list[str]) -> str:
    """What to do with samples whose calls sit on CpGs at no shift, with the chain from their assembly
    where their chromosome names (NCBI accessions) say one other than the reference's."""
    named = {f.named_assembly for f in unplaced}
    theirs = named.pop() if len(named) == 1 and "" not in named else None
    if theirs is None or theirs in reference_assemblies:
        return f"Calls of another assembly: {liftover_hint(None, reference_assemblies)}"
    return (
        f"Calls of another assembly (their chromosome names are {theirs}'s NCBI accessions): "
        + liftover_hint(theirs, reference_assemblies)
    )


def _shown(table: pd.DataFrame) -> str:
    """The fit table as text, shares in per cent, without the input paths (the lines below name them)."""
    shown = table.drop(columns="input").rename(columns={"best_fit": "best_fit (shift)"})
    percent = {c: (lambda v: "" if pd.isna(v) else f"{v:.1%}") for c in _SHARE_COLUMNS}
    return shown.to_string(index=False, formatters=percent)
