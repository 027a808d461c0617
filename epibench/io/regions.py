"""CpG region classes (CONTRACT item 2): promoter > enhancer > gene body > intergenic.

Intervals (0-based half-open) per class:

- promoter: per transcript, ``promoter_upstream`` bp upstream of the TSS to
  ``promoter_downstream`` bp downstream, strand-aware: on ``+`` [TSS - up, TSS + down),
  on ``-`` (TSS = end - 1) [TSS - down + 1, TSS + up + 1); clipped to the chromosome;
  transcripts without a strand (``.``) have no promoter;
- enhancer: the intervals of the enhancer BED (first three columns), if given;
- gene body: transcript spans; a CpG there that is also in a promoter is a promoter
  (the priority), so the class is "transcript span minus promoter".

Every CpG of the reference (+ strand C, 0-based) gets exactly one class, the first of
``epibench.vocab.REGION_CLASSES`` whose intervals contain its C; intergenic otherwise.
Chromosome names of the GTF and BED are harmonised to the FASTA; sequences the FASTA
lacks are left out. pybedtools sorts and merges each class; membership is then a
vectorised binary search per chromosome.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pybedtools

from epibench.errors import InputError
from epibench.io.chroms import harmonise, string_column
from epibench.io.parquet import write_parquet
from epibench.io.reference import Reference
from epibench.io.textfile import iter_lines
from epibench.vocab import REGION_CLASSES

REGION_COLUMNS = ("chrom", "pos", "region")
TRANSCRIPT_COLUMNS = ("chrom", "start", "end", "strand", "gene_id", "transcript_id")
_ATTRIBUTE = {key: re.compile(rf'{key} "([^"]*)"') for key in ("gene_id", "transcript_id")}
_BED_HEADER = re.compile(r"(track|browser)\b|#")
_INT = re.compile(r"[0-9]+")


def transcripts_from_gtf(gtf_path: str | os.PathLike) -> pd.DataFrame:
    """Transcripts of a GTF (gzip or plain) as 0-based half-open spans.

    Uses the ``transcript`` rows; a GTF with exon rows only (UCSC refGene) gets each
    transcript's span from its exons grouped by ``transcript_id``. Returns a DataFrame
    (chrom, start, end, strand, gene_id, transcript_id), one row per transcript.
    """
    rows = {"transcript": [], "exon": []}
    for number, text in iter_lines(gtf_path):
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        if len(fields) != 9:
            raise InputError(f"a GTF row has 9 tab-separated columns, found {len(fields)}", gtf_path, number)
        if fields[2] in rows:
            rows[fields[2]].append(_gtf_row(gtf_path, number, fields))
    feature = "transcript" if rows["transcript"] else "exon"
    if not rows[feature]:
        raise InputError("no transcript or exon rows in the GTF", path=gtf_path)
    table = pd.DataFrame(rows[feature], columns=[*TRANSCRIPT_COLUMNS, "line"])
    if feature == "exon":
        table = _spans_from_exons(gtf_path, table)
    return table[list(TRANSCRIPT_COLUMNS)].reset_index(drop=True)


def _gtf_row(gtf_path, number: int, fields: list[str]) -> tuple:
    chrom, _, _, start, end, _, strand, _, attributes = fields
    if not (_INT.fullmatch(start) and _INT.fullmatch(end)) or int(start) < 1 or int(end) < int(start):
        raise InputError(
            f"start/end must be integers with 1 <= start <= end: {start!r}, {end!r}", gtf_path, number
        )
    if strand not in {"+", "-", "."}:
        raise InputError(f"strand must be +, - or ., found {strand!r}", gtf_path, number)
    ids = {key: pattern.search(attributes) for key, pattern in _ATTRIBUTE.items()}
    if ids["transcript_id"] is None:
        raise InputError(f"{fields[2]} row without a transcript_id attribute", gtf_path, number)
    gene_id = ids["gene_id"].group(1) if ids["gene_id"] else ""
    return chrom, int(start) - 1, int(end), strand, gene_id, ids["transcript_id"].group(1), number


def _spans_from_exons(gtf_path, exons: pd.DataFrame) -> pd.DataFrame:
    grouped = exons.groupby("transcript_id", sort=False)
    spans = grouped.agg(
        chrom=("chrom", "first"),
        start=("start", "min"),
        end=("end", "max"),
        strand=("strand", "first"),
        gene_id=("gene_id", "first"),
        line=("line", "first"),
        n_places=("chrom", "nunique"),
        n_strands=("strand", "nunique"),
    ).reset_index()
    split = spans[(spans.n_places > 1) | (spans.n_strands > 1)]
    if len(split):
        # the same transcript_id on two chromosomes or strands (e.g. PAR copies) cannot be one span
        bad = split.iloc[0]
        raise InputError(
            f"exons of transcript {bad.transcript_id!r} lie on several chromosomes or strands",
            gtf_path,
            int(bad.line),
        )
    return spans


def annotate_regions(
    reference: Reference,
    gtf: str | os.PathLike,
    enhancer_bed: str | os.PathLike | None = None,
    promoter_upstream: int = 1000,
    promoter_downstream: int = 500,
    tmp_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Region class of every CpG of ``reference``: DataFrame(chrom, pos int64, region int8), FASTA order.

    region is an index into ``epibench.vocab.REGION_CLASSES``. tmp_dir: folder for
    pybedtools' temporary files (a fresh subfolder is made there and removed at the end;
    the system temp folder when None).
    """
    if promoter_upstream < 0 or promoter_downstream < 1:
        raise ValueError("promoter_upstream must be >= 0 and promoter_downstream >= 1")
    transcripts = _on_reference(transcripts_from_gtf(gtf), reference)
    intervals = {
        "promoter": _promoters(transcripts, reference, promoter_upstream, promoter_downstream),
        "enhancer": (
            _on_reference(read_bed_intervals(enhancer_bed), reference)
            if enhancer_bed is not None
            else _empty_intervals()
        ),
        "gene_body": transcripts[["chrom", "start", "end"]],
    }
    with _pybedtools_tempdir(tmp_dir):
        merged = {name: _merge(frame) for name, frame in intervals.items()}

    chrom_codes, positions, regions = [], [], []
    for index, chrom in enumerate(reference.chroms):
        pos = reference.cpg_positions(chrom)
        region = np.full(len(pos), REGION_CLASSES.index("intergenic"), dtype=np.int8)
        for name in reversed(REGION_CLASSES[:-1]):  # lowest priority first, higher ones overwrite
            starts, ends = merged[name].get(chrom, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            region[_inside(pos, starts, ends)] = REGION_CLASSES.index(name)
        chrom_codes.append(np.full(len(pos), index, dtype=np.int32))
        positions.append(pos)
        regions.append(region)
    return pd.DataFrame(
        {
            "chrom": string_column(np.concatenate(chrom_codes), reference.chroms),
            "pos": np.concatenate(positions),
            "region": np.concatenate(regions),
        }
    )


def read_bed_intervals(bed_path: str | os.PathLike) -> pd.DataFrame:
    """chrom, start, end (the first three columns) of a BED, gzip or plain.

    ``track``, ``browser`` and ``#`` lines are skipped.
    """
    rows = []
    for number, text in iter_lines(bed_path):
        if not text.strip() or _BED_HEADER.match(text):
            continue
        fields = text.split("\t")
        if len(fields) < 3:
            raise InputError(
                f"a BED row has at least 3 tab-separated columns, found {len(fields)}", bed_path, number
            )
        chrom, start, end = fields[:3]
        if not (_INT.fullmatch(start) and _INT.fullmatch(end)) or int(end) < int(start):
            raise InputError(
                f"start/end must be integers with 0 <= start <= end: {start!r}, {end!r}", bed_path, number
            )
        rows.append((chrom, int(start), int(end)))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"]).astype({"start": np.int64, "end": np.int64})


def write_regions(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the region table to Parquet atomically."""
    write_parquet(df, path, REGION_COLUMNS)


def region_summary(df: pd.DataFrame) -> pd.DataFrame:
    """CpGs per chromosome and region class: columns chrom, region (class name), n_cpg, share (of the chromosome)."""
    names = np.asarray(REGION_CLASSES, dtype=object)[df["region"].to_numpy()]
    counts = df.assign(region=names).groupby(["chrom", "region"], sort=False).size().rename("n_cpg").reset_index()
    counts["share"] = counts["n_cpg"] / counts.groupby("chrom")["n_cpg"].transform("sum")
    return counts


def _empty_intervals() -> pd.DataFrame:
    return pd.DataFrame(
        {"chrom": pd.Series([], dtype=str), "start": np.zeros(0, np.int64), "end": np.zeros(0, np.int64)}
    )


def _on_reference(frame: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Rename chromosomes to the FASTA's spelling; drop rows on sequences the FASTA lacks."""
    mapping = harmonise(frame["chrom"].unique(), reference.chroms)
    renamed = frame["chrom"].map(mapping)
    return frame.assign(chrom=renamed)[renamed.notna()].reset_index(drop=True)


def _promoters(
    transcripts: pd.DataFrame, reference: Reference, upstream: int, downstream: int
) -> pd.DataFrame:
    plus, minus = transcripts[transcripts.strand == "+"], transcripts[transcripts.strand == "-"]
    tss_minus = minus.end - 1
    frame = pd.DataFrame(
        {
            "chrom": pd.concat([plus.chrom, minus.chrom]),
            "start": pd.concat([plus.start - upstream, tss_minus - downstream + 1]),
            "end": pd.concat([plus.start + downstream, tss_minus + upstream + 1]),
        }
    )
    lengths = frame["chrom"].map({chrom: reference.length(chrom) for chrom in frame["chrom"].unique()})
    frame["start"] = frame["start"].clip(lower=0)
    frame["end"] = np.minimum(frame["end"], lengths)
    return frame[frame.end > frame.start]


@contextmanager
def _pybedtools_tempdir(tmp_dir: str | os.PathLike | None) -> Iterator[None]:
    """Point pybedtools (it uses tempfile.tempdir) at a fresh folder in tmp_dir; remove it afterwards."""
    previous = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="pybedtools-", dir=tmp_dir) as folder:
        pybedtools.helpers.set_tempdir(folder)
        try:
            yield
        finally:
            tempfile.tempdir = previous


def _merge(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Sorted, merged intervals per chromosome: {chrom: (starts (K,) int64, ends (K,) int64)}."""
    if frame.empty:
        return {}
    merged = pybedtools.BedTool.from_dataframe(frame[["chrom", "start", "end"]]).sort().merge()
    table = pd.read_csv(
        merged.fn,
        sep="\t",
        header=None,
        names=["chrom", "start", "end"],
        dtype={"chrom": str, "start": np.int64, "end": np.int64},
    )
    return {
        chrom: (group.start.to_numpy(), group.end.to_numpy())
        for chrom, group in table.groupby("chrom", sort=False)
    }


def _inside(pos: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(N,) bool: pos lies in one of the sorted, non-overlapping [starts, ends) intervals."""
    index = np.searchsorted(starts, pos, side="right") - 1
    return (index >= 0) & (pos < ends[np.maximum(index, 0)]) if len(starts) else np.zeros(len(pos), bool)
