"""A sample sheet from the ENCODE portal's ``metadata.tsv`` and the files downloaded beside it.

The portal's batch download gives ``files.txt`` (one URL a line; its first line is the URL of
``metadata.tsv``, one row per file with its accession, format, output type, assembly, biosample,
target and replicates). From those rows:

- **samples** are biosamples (``Biosample term name``), spelt as the sheet wants names
  (``upper lobe of left lung`` -> ``upper_lobe_of_left_lung``);
- **methylation** files are the WGBS ``methylation state at CpG`` bedMethyl files, text (``bed``)
  rather than ``bigBed`` where both are there: one sheet row each, so that a sample's replicates
  are read and CG-checked one by one, their agreement measured and their reads pooled;
- **marks** are the histone ChIP-seq ``fold change over control`` bigWigs, named by their target
  without the organism (``H3K4me3-human`` -> ``H3K4me3``): per sample and mark the file pooled
  over the most biological replicates; a mark a sample lacks is an empty cell;
- rows of another assembly than the one asked (``File assembly``), or not ``released``, are not read.

Each file is looked for in the download folder by its accession (``ENCFF...``, any extension); those
not there are an error listing them, with their URLs written beside the sheet to fetch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from epibench.errors import InputError
from epibench.sample_names import sample_name
from epibench.io.atomic import atomic_path, write_tsv

METHYLATION_OUTPUT = "methylation state at CpG"
MARK_OUTPUT = "fold change over control"
# the columns read (as the portal names them)
COLUMNS = (
    "File accession",
    "File format",
    "Output type",
    "File assembly",
    "Assay",
    "Biosample term name",
    "Experiment target",
    "Biological replicate(s)",
)
# text bedMethyl before bigBed: read faster (benchmarks/bench_bigbed.py)
_FORMAT_PREFERENCE = {"bed": 0, "bigBed": 1}


def mark_name(target: str) -> str:
    """A ChIP-seq target without its organism: ``H3K4me3-human`` -> ``H3K4me3``."""
    return re.sub(r"-(human|mouse|fly|worm)$", "", target.strip())


def read_metadata(path: str | os.PathLike) -> pd.DataFrame:
    """The portal's metadata.tsv, every cell a string; InputError naming the columns it lacks."""
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError(f"cannot read as the ENCODE portal's metadata.tsv: {error}", path=path) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"not the ENCODE portal's metadata.tsv: no column {', '.join(missing)} (its columns: "
            f"{', '.join(table.columns[:8])}, ...)",
            path=path,
        )
    if "File Status" in table.columns:
        table = table[table["File Status"].isin(["released", ""])]
    return table


def _replicates(cell: str) -> int:
    """How many biological replicates a file pools (``1, 2`` -> 2)."""
    return len([part for part in cell.split(",") if part.strip()])


def sheet_rows(metadata: pd.DataFrame, assembly: str, marks: Sequence[str] = ()) -> pd.DataFrame:
    """The sheet's rows, without paths: sample, accession (the methylation file's), then one column
    per mark holding its file's accession ("" where the sample lacks it). ``marks``: the marks kept,
    in this order (all the metadata names, sorted, when empty)."""
    rows = metadata[metadata["File assembly"] == assembly]
    if rows.empty:
        found = sorted(set(metadata["File assembly"]) - {""})
        raise InputError(
            f"no file of assembly {assembly!r} in the metadata (its assemblies: {', '.join(found)})"
        )
    methylation = rows[
        (rows["Output type"] == METHYLATION_OUTPUT) & rows["File format"].isin(list(_FORMAT_PREFERENCE))
    ].copy()
    if methylation.empty:
        raise InputError(
            f"no WGBS '{METHYLATION_OUTPUT}' bedMethyl file of assembly {assembly} in the metadata: download "
            "the WGBS experiments' methylation files too"
        )
    methylation["sample"] = methylation["Biosample term name"].map(sample_name)
    methylation["preference"] = methylation["File format"].map(_FORMAT_PREFERENCE)
    best = methylation.groupby(["sample", "Biological replicate(s)"])["preference"].transform("min")
    methylation = methylation[methylation["preference"] == best]
    chip = rows[(rows["Output type"] == MARK_OUTPUT) & (rows["File format"] == "bigWig")].copy()
    chip["sample"] = chip["Biosample term name"].map(sample_name)
    chip["mark"] = chip["Experiment target"].map(mark_name)
    chip["replicates"] = chip["Biological replicate(s)"].map(_replicates)
    wanted = list(marks) or sorted(set(chip["mark"]))
    absent = [m for m in wanted if m not in set(chip["mark"])]
    if absent:
        raise InputError(
            f"no '{MARK_OUTPUT}' bigWig of marks {absent} of assembly {assembly} in the metadata "
            f"(its marks: {', '.join(sorted(set(chip['mark']))) or 'none'})"
        )
    pooled = chip.sort_values("replicates", ascending=False, kind="stable").drop_duplicates(
        ["sample", "mark"]
    )
    by_sample_mark = pooled.set_index(["sample", "mark"])["File accession"]
    table = pd.DataFrame(
        {"sample": methylation["sample"].to_numpy(), "accession": methylation["File accession"].to_numpy()}
    )
    for mark in wanted:
        table[mark] = [by_sample_mark.get((sample, mark), "") for sample in table["sample"]]
    return table.sort_values("sample", kind="stable").reset_index(drop=True)


def local_files(folder: str | os.PathLike, accessions: Sequence[str]) -> dict[str, Path]:
    """Accession -> the file of ``folder`` named after it (``ENCFF123ABC.bed.gz``); absent ones left out."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).iterdir()):
        accession = path.name.split(".", 1)[0]
        if accession in accessions and path.is_file():
            found.setdefault(accession, path)
    return found


def write_encode_sheet(
    metadata_path: str | os.PathLike,
    files_dir: str | os.PathLike,
    out: str | os.PathLike,
    assembly: str = "GRCh38",
    marks: Sequence[str] = (),
) -> pd.DataFrame:
    """Write the sample sheet ``out`` (TSV: sample, methylation, then a column per mark) from the
    portal's metadata and the files of ``files_dir``; returns it. Files not downloaded: InputError
    naming them, their URLs (``File download URL``) written to ``<out>.missing_urls.txt``."""
    metadata = read_metadata(metadata_path)
    rows = sheet_rows(metadata, assembly, marks)
    mark_columns = list(rows.columns[2:])
    accessions = [a for column in ["accession", *mark_columns] for a in rows[column] if a]
    found = local_files(files_dir, accessions)
    missing = [a for a in dict.fromkeys(accessions) if a not in found]
    if missing:
        urls = metadata.set_index("File accession").get("File download URL", pd.Series(dtype=str))
        listed_urls = Path(f"{os.fspath(out)}.missing_urls.txt")
        with atomic_path(listed_urls) as tmp:
            tmp.write_text("".join(f"{urls.get(a, a)}\n" for a in missing))
        raise InputError(
            f"{len(missing)} of the sheet's files are not in {files_dir} (e.g. {', '.join(missing[:3])}): their "
            f"URLs are in {listed_urls}; fetch them there (cd {files_dir} && xargs -n 1 curl -O -L < "
            f"{listed_urls.resolve()}) and run this again",
            path=metadata_path,
        )
    sheet = pd.DataFrame(
        {"sample": rows["sample"], "methylation": [str(found[a]) for a in rows["accession"]]}
    )
    for mark in mark_columns:
        sheet[mark] = [str(found[a]) if a else "" for a in rows[mark]]
    write_tsv(sheet, out)
    return sheet
