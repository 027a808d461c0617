"""Sequence lengths of the inputs against the reference's: another length means another assembly.

A bigWig's header gives each sequence's length, which must equal the reference's; a
methylation file only bounds it from below (its largest position + 1 must not exceed the
reference's length; where the calls within the sequences fit the reference, the error says the
reference looks cut short instead: ``methylation.past_end``). Names are matched as everywhere
(``chroms.harmonise``: chr1/1, chrM/MT). A mismatch stops the run with a table, except on the
mitochondrial sequence, which only warns: UCSC's hg19 chrM (16,571 bp, NC_001807) and GRCh37's MT (16,569 bp,
the rCRS) are two spellings of one assembly that differ there alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyBigWig

from epibench.errors import InputError
from epibench.io.assemblies import liftover_hint, match_assembly
from epibench.io.chroms import harmonise, is_mitochondrial
from epibench.io.reference import Reference

LENGTH_COLUMNS = ("input", "chromosome", "reference_chromosome", "length", "reference_length", "kind")
HEADER = "header length"
LARGEST = "largest position + 1"
ANOTHER_ASSEMBLY = (
    "these inputs were made on another assembly than the reference (or the reference is offset)"
)


def bigwig_lengths(path: str | os.PathLike) -> dict[str, int]:
    """Sequence name -> length in bp from a bigWig's (or bigBed's) header."""
    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError as err:
        raise InputError(f"cannot open as bigWig ({err})", path=path) from None
    if handle is None:
        raise InputError("cannot open as bigWig", path=path)
    try:
        return dict(handle.chroms())
    finally:
        handle.close()


def length_mismatches(
    reference_lengths: dict[str, int],
    header_lengths: dict[str, dict[str, int]],
    largest_ends: dict[str, dict[str, int]] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every input sequence whose length disagrees with its reference sequence's.

    reference_lengths: FASTA name -> length (bp). header_lengths: input label -> {name: length}
    from a header (must be equal). largest_ends: input label -> {name: largest 0-based position + 1}
    (must not exceed). aliases: other name -> FASTA name (``Reference.aliases``). Names the reference lacks are not compared (the harmonisation table lists
    them). Returns DataFrame(LENGTH_COLUMNS), one row per mismatch; ``kind`` says which comparison.
    """
    rows = []
    for kind, inputs, bad in (
        (HEADER, header_lengths, np.not_equal),
        (LARGEST, largest_ends or {}, np.greater),
    ):
        for label, lengths in inputs.items():
            for name, target in harmonise(lengths, reference_lengths, aliases).items():
                if target is not None and bad(lengths[name], reference_lengths[target]):
                    rows.append(
                        (label, name, target, int(lengths[name]), int(reference_lengths[target]), kind)
                    )
    return pd.DataFrame(rows, columns=list(LENGTH_COLUMNS))


MISMATCHES_SHOWN = 20  # rows of the table an error shows (a draft assembly's may have 10^5)
INPUTS_SHOWN = 10  # inputs whose header's assembly an error names


def check_lengths(
    mismatches: pd.DataFrame,
    reference_path: object,
    header_lengths: dict[str, dict[str, int]] | None = None,
    reference_assemblies: list[str] | None = None,
    cause: tuple[str, str] | None = None,
    paths: dict[str, str] | None = None,
) -> list[str]:
    """Raise InputError with the table when a non-mitochondrial sequence's length disagrees; return a
    warning per mitochondrial mismatch (by the reference's name or the file's: an NCBI FASTA's
    ``NC_001665.2`` is the rat mitochondrion a bigWig calls ``chrM``).

    header_lengths: input label -> its header's name -> length, as given to ``length_mismatches``:
    the error then says which known assembly each stopped input's header is (``match_assembly``),
    with ``assemblies.liftover_hint`` towards ``reference_assemblies`` (the reference's matches).
    cause: (the error's verdict, advice shown after the table) when the caller knows better than
    "another assembly" (calls that fit the reference but run past its end: ``methylation.past_end``).
    paths: input label -> its file, named beside the label in the lines under the table.
    """
    mito = (
        mismatches["reference_chromosome"].map(is_mitochondrial)
        | mismatches["chromosome"].map(is_mitochondrial)
    ).astype(bool)
    stop = mismatches[~mito]
    if len(stop):
        shown = f", the first {MISMATCHES_SHOWN} shown" if len(stop) > MISMATCHES_SHOWN else ""
        verdict, advice = cause or (ANOTHER_ASSEMBLY, "")
        raise InputError(
            f"sequence lengths differ from {reference_path} ({len(stop):,} mismatches{shown}): {verdict}:\n"
            + stop.head(MISMATCHES_SHOWN).to_string(
                index=False, formatters={c: "{:,}".format for c in ("length", "reference_length")}
            )
            + (f"\n{advice}" if advice else "")
            + _assemblies_of(
                list(dict.fromkeys(stop["input"])), header_lengths or {}, reference_assemblies, paths
            )
        )
    return [
        f"{row.input}: {row.chromosome} is {row.length:,} bp, the reference's {row.reference_chromosome} "
        f"{row.reference_length:,} ({row.kind}; mitochondrial sequences differ between UCSC and Ensembl builds)"
        for row in mismatches[mito].itertuples()
    ]


def _assemblies_of(
    labels: list[str],
    header_lengths: dict[str, dict[str, int]],
    reference_assemblies: list[str] | None,
    paths: dict[str, str] | None = None,
) -> str:
    """Lines saying which known assembly each input's header lengths are (the input by its label and,
    where ``paths`` gives it, its file), and what to do about it ("" when no input has header lengths)."""
    found = {label: match_assembly(header_lengths[label]) for label in labels if label in header_lengths}
    if not found:
        return ""
    lines = [
        f"{label}{f' ({paths[label]})' if label in (paths or {}) else ''}: its header's lengths are "
        + (f"{match.matched[0]}'s" if match.matched else "no known assembly's")
        for label, match in found.items()
    ]
    if len(lines) > INPUTS_SHOWN:
        lines = [*lines[:INPUTS_SHOWN], f"... ({len(lines):,} inputs in all)"]
    theirs = {match.matched[0] for match in found.values() if match.matched}
    assembly = theirs.pop() if len(theirs) == 1 else None
    hint = liftover_hint(assembly, reference_assemblies or [])
    return (
        "\n"
        + "\n".join(lines)
        + f"\nTo use them: {hint}"
        + _excerpt_hint(labels, header_lengths, assembly, reference_assemblies)
    )


def _excerpt_hint(
    labels: list[str],
    header_lengths: dict[str, dict[str, int]],
    assembly: str | None,
    reference_assemblies: list[str] | None,
) -> str:
    """A line for a reference that may be an excerpt of the inputs' ``assembly`` (a few hundred kb of
    each chromosome for a quick trial): the headers are that known assembly's and the reference matches
    none; "" otherwise."""
    if assembly is None or reference_assemblies or not any(label in header_lengths for label in labels):
        return ""
    return (
        f"\nOr, if the reference FASTA is an excerpt of {assembly} (its sequences shorter than {assembly}'s), "
        f"give {assembly}'s whole chromosomes as reference.fasta: a bigWig's header keeps the whole lengths"
    )


def largest_ends(ref_chrom: np.ndarray, pos: np.ndarray, reference: Reference) -> np.ndarray:
    """(len(reference.chroms),) int64: per reference sequence, the largest ``pos`` + 1 (0 without a call).

    ref_chrom: (N,) index into ``reference.chroms``; pos: (N,) 0-based positions. Maxima of
    parts of a file combine with ``np.maximum``.
    """
    ends = np.zeros(len(reference.chroms), dtype=np.int64)
    np.maximum.at(ends, ref_chrom, pos + 1)
    return ends


def check_calls_within(
    ends: np.ndarray,
    reference: Reference,
    path: object,
    cause: Callable[[], tuple[str, str] | None] | None = None,
) -> list[str]:
    """Raise InputError (naming ``path``) when a call lies beyond its reference sequence
    (``ends``: ``largest_ends``, or their maximum over a file's parts); return warnings as ``check_lengths``.
    cause: called only when the run stops, for ``check_lengths``' ``cause`` (``PastEnd.cause``).
    """
    lengths = {name: reference.length(name) for name in reference.chroms}
    called = {name: int(end) for name, end in zip(reference.chroms, ends) if end}
    mismatches = length_mismatches(lengths, {}, {str(path): called})
    stops = not mismatches.empty and not mismatches["chromosome"].map(is_mitochondrial).all()
    verdict = cause() if cause is not None and stops else None
    return check_lengths(mismatches, reference.shown, cause=verdict)
