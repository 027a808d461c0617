"""The cohort check's verdict on each input file, one small file per input: what a sample's jobs
depend on, so that adding or removing another sample does not rerun them.

``epibench check-inputs`` judges the whole cohort at once (its CG verdict compares samples), and
its cohort tables change whenever a sample comes or goes. A job that read those tables would be
rerun for every other sample's change; a job that reads only its own inputs' records is rerun
only when they change (Snakemake compares the checksum of a small input rewritten with the same
content, after the checkpoint that wrote it).

Record files, in the folder given: ``<label>.cg_check.tsv`` for each methylation file (its row
of the CG check table), ``<label>.lengths.tsv`` for each histone bigWig (its rows of the length
mismatches, none when every length agrees); ``label`` as the check's arguments name the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from epibench.io.atomic import atomic_dir, write_tsv

CG_CHECK_SUFFIX = ".cg_check.tsv"
LENGTHS_SUFFIX = ".lengths.tsv"


def write_input_records(
    fits: pd.DataFrame, mismatches: pd.DataFrame, bigwig_labels: Iterable[str], out_dir: str | os.PathLike
) -> None:
    """Write the record of every input into ``out_dir`` (replaced whole, atomically).

    fits: the CG check table (``cohort_check.judge_cohort``), one row per methylation file,
    its ``sample`` column the file's label; mismatches: ``lengths.length_mismatches``, its
    ``input`` column a bigWig's label; bigwig_labels: every bigWig checked, those without a
    mismatch included.
    """
    with atomic_dir(out_dir) as tmp:
        for label, row in fits.groupby("sample", sort=False):
            write_tsv(row, Path(tmp, f"{label}{CG_CHECK_SUFFIX}"))
        for label in bigwig_labels:
            write_tsv(mismatches[mismatches["input"] == label], Path(tmp, f"{label}{LENGTHS_SUFFIX}"))


def cg_check_record(records_dir: str | os.PathLike, label: str) -> Path:
    """The path of the CG check record of the methylation file labelled ``label``."""
    return Path(records_dir, f"{label}{CG_CHECK_SUFFIX}")


def lengths_record(records_dir: str | os.PathLike, label: str) -> Path:
    """The path of the length record of the bigWig labelled ``label``."""
    return Path(records_dir, f"{label}{LENGTHS_SUFFIX}")
