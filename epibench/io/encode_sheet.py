"""A sample sheet from the ENCODE portal's ``metadata.tsv`` and the files downloaded beside it.

The portal's batch download gives ``files.txt`` (one URL a line; its first line is the URL of
``metadata.tsv``, one row per file with its accession, format, output type, assembly, biosample,
target and replicates). From those rows:

- **samples** are biosamples (``Biosample term name``), spelt as the sheet wants names
  (``upper lobe of left lung`` -> ``upper_lobe_of_left_lung``); a biosample whose WGBS comes from
  several donors (``Donor(s)``: ENTEx's tissues have up to four) is a sample per donor
  (``upper_lobe_of_left_lung_ENCDO451RUA``), as different people are not replicates;
- **methylation** files are the WGBS ``methylation state at CpG`` bedMethyl files, text (``bed``)
  rather than ``bigBed`` where both are there: one sheet row each, so that a sample's replicates
  are read and CG-checked one by one, their agreement measured and their reads pooled;
- **marks** are the histone ChIP-seq ``fold change over control`` bigWigs, named by their target
  without the organism (``H3K4me3-human`` -> ``H3K4me3``): per sample and mark the file of the
  sample's own donor where there is one, pooled over the most biological replicates; else another
  donor's of the biosample (``SheetRows.borrowed`` lists them); a mark a sample lacks is an empty cell;
- rows of another assembly than the one asked (``File assembly``), or not ``released``, are not read.

Each file is looked for in the download folder by its accession (``ENCFF...``, any extension); those
not there are an error listing them, with their URLs written beside the sheet to fetch.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from epibench.errors import InputError
from epibench.io.assemblies import UCSC_NAME, assembly_of
from epibench.file_hints import nearest_name_hint
from epibench.sample_names import sample_name
from epibench.io.atomic import atomic_path, write_tsv

log = logging.getLogger(__name__)

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
EXPERIMENT = "Experiment accession"  # read where the metadata has it: files of two are no replicates
DONORS = "Donor(s)"  # read where the metadata has it: /human-donors/ENCDO451RUA/, one or several
_DONOR = re.compile(r"ENCDO\d{3}[A-Z]{3}")
NO_DONOR = "donor_unknown"  # a file without a donor, in a biosample of several
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


def donor_key(cell: str) -> str:
    """The donor accessions of a ``Donor(s)`` cell, joined by ``+`` (``/human-donors/ENCDO451RUA/`` ->
    ``ENCDO451RUA``); "" for none."""
    return "+".join(sorted(set(_DONOR.findall(cell))))


@dataclass(frozen=True)
class SheetRows:
    """The sheet's rows without paths (``table``: sample, accession of the methylation file, then
    one column per mark holding its file's accession, "" where the sample lacks it) and the marks
    taken from another donor of the sample's biosample (``borrowed``: sample, mark, that donor)."""

    table: pd.DataFrame
    borrowed: list[tuple[str, str, str]]


def same_build(one: str, other: str) -> bool:
    """Whether two names of assemblies name one build: equal, or spellings of one
    (``GRCm38`` and the portal's ``mm10``; GRCh37 and ``hg19``: ``epibench.io.assemblies``)."""
    known = [assembly_of(name) for name in (one, other)]
    return one == other or (None not in known and len({UCSC_NAME.get(a, a) for a in known}) == 1)


def sheet_rows(metadata: pd.DataFrame, assembly: str, marks: Sequence[str] = ()) -> SheetRows:
    """The sheet's rows of ``assembly`` (any spelling of its build: ``same_build``). ``marks``: the
    marks kept, in this order (all the metadata names, sorted, when empty)."""
    spellings = {name for name in metadata["File assembly"].unique() if same_build(name, assembly)}
    rows = metadata[metadata["File assembly"].isin(spellings)]
    if rows.empty:
        found = sorted(set(metadata["File assembly"]) - {""})
        raise InputError(
            f"no file of assembly {assembly!r} in the metadata (its assemblies: {', '.join(found)})"
        )
    rows = rows.assign(
        biosample=rows["Biosample term name"].map(sample_name),
        donor=rows[DONORS].map(donor_key) if DONORS in rows.columns else "",
    )
    methylation = rows[
        (rows["Output type"] == METHYLATION_OUTPUT) & rows["File format"].isin(list(_FORMAT_PREFERENCE))
    ].copy()
    if methylation.empty:
        raise InputError(
            f"no WGBS '{METHYLATION_OUTPUT}' bedMethyl file of assembly {assembly} in the metadata: download "
            "the WGBS experiments' methylation files too"
        )
    several = methylation.groupby("biosample")["donor"].transform("nunique") > 1
    methylation["sample"] = methylation["biosample"].where(
        ~several, methylation["biosample"] + "_" + methylation["donor"].replace("", NO_DONOR)
    )
    methylation["preference"] = methylation["File format"].map(_FORMAT_PREFERENCE)
    best = methylation.groupby(["sample", "Biological replicate(s)"])["preference"].transform("min")
    methylation = methylation[methylation["preference"] == best]
    _warn_of_pooled_experiments(methylation)
    chip = rows[(rows["Output type"] == MARK_OUTPUT) & (rows["File format"] == "bigWig")].copy()
    chip["mark"] = chip["Experiment target"].map(mark_name)
    chip["replicates"] = chip["Biological replicate(s)"].map(_replicates)
    wanted = list(marks) or sorted(set(chip["mark"]))
    absent = [m for m in wanted if m not in set(chip["mark"])]
    if absent:
        raise InputError(
            f"no '{MARK_OUTPUT}' bigWig of marks {absent} of assembly {assembly} in the metadata "
            f"(its marks: {', '.join(sorted(set(chip['mark']))) or 'none'})"
        )
    chip = chip.sort_values("replicates", ascending=False, kind="stable")
    _note_marks_without_wgbs(chip[chip["mark"].isin(wanted)], set(methylation["biosample"]))
    table = methylation[["sample", "File accession"]].rename(columns={"File accession": "accession"})
    samples = methylation.drop_duplicates("sample").set_index("sample")[["biosample", "donor"]]
    borrowed = []
    for mark in wanted:
        chosen = {}
        for sample, (biosample, donor) in samples.iterrows():
            files = chip[(chip["biosample"] == biosample) & (chip["mark"] == mark)]
            own = files[files["donor"] == donor]
            pick = own if len(own) or not len(files) else files
            chosen[sample] = pick["File accession"].iloc[0] if len(pick) else ""
            if pick is files and len(files) and donor:
                borrowed.append((sample, mark, files["donor"].iloc[0] or NO_DONOR))
        table[mark] = table["sample"].map(chosen)
    return SheetRows(table.sort_values("sample", kind="stable").reset_index(drop=True), borrowed)


def _note_marks_without_wgbs(chip: pd.DataFrame, with_wgbs: set[str]) -> None:
    """A warning naming the biosamples with marks but no WGBS, which the sheet leaves out: a row with
    an empty methylation cell would have their methylation imputed from the marks."""
    without = sorted(set(chip["biosample"]) - with_wgbs)
    if without:
        log.warning(
            "biosamples with %s but no WGBS methylation file are left out of the sheet: %s; to have their "
            "methylation imputed from their marks, add a row for each with an empty methylation cell "
            "and its bigWigs (README: a sample to predict)",
            MARK_OUTPUT,
            ", ".join(without),
        )


def _warn_of_pooled_experiments(methylation: pd.DataFrame) -> None:
    """A warning per sample whose WGBS files come from several experiments (``Experiment accession``):
    the sheet pools them as replicates, which ENCODE's replicates of one experiment are; two experiments
    of one biosample and donor may be other ages or stages (the metadata names none)."""
    if EXPERIMENT not in methylation.columns:
        return
    for sample, cells in methylation.groupby("sample")[EXPERIMENT]:
        experiments = sorted(set(cells) - {""})
        if len(experiments) > 1:
            log.warning(
                "%s: WGBS files of %d experiments (%s) are pooled as replicates of one sample; ENCODE's "
                "replicates are those of one experiment: if these are other ages, stages or treatments of "
                "the biosample, give each experiment's files a sample name of its own in the sheet",
                sample,
                len(experiments),
                ", ".join(experiments),
            )


def local_files(folder: str | os.PathLike, accessions: Sequence[str]) -> dict[str, Path]:
    """Accession -> the file of ``folder`` named after it (``ENCFF123ABC.bed.gz``); absent ones left out.
    InputError where ``folder`` is no folder."""
    if not Path(folder).is_dir():
        raise InputError(
            f"the folder of the downloaded files does not exist{nearest_name_hint(folder, folders=True)}",
            path=folder,
        )
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
) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Write the sample sheet ``out`` (TSV: sample, methylation, then a column per mark) from the
    portal's metadata and the files of ``files_dir``; returns it and the marks borrowed from another
    donor (``SheetRows.borrowed``). Files not downloaded: InputError
    naming them, their URLs (``File download URL``) written to ``<out>.missing_urls.txt``."""
    metadata = read_metadata(metadata_path)
    chosen = sheet_rows(metadata, assembly, marks)
    rows = chosen.table
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
    return sheet, chosen.borrowed
