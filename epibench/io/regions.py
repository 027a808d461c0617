"""CpG region classes (CONTRACT item 2): promoter > enhancer > gene body > intergenic.

Intervals (0-based half-open) per class:

- promoter: per transcript, ``promoter_upstream`` bp upstream of the TSS to
  ``promoter_downstream`` bp downstream, strand-aware: on ``+`` [TSS - up, TSS + down),
  on ``-`` (TSS = end - 1) [TSS - down + 1, TSS + up + 1); clipped to the chromosome;
  transcripts without a strand (``.``) have no promoter;
- enhancer: the intervals of the enhancer BED (first three columns), if given (an empty
  interval, start = end, holds no CpG). An ENCODE cCRE BED (a column, the same in every row,
  holding cCRE classes: the registry's column 6, the cell-type files' column 10, the name of
  BED6 extracts) gives its enhancer-like elements only, class ``pELS`` or ``dELS`` (with or
  without ``,CTCF-bound``); its promoter-like, CTCF-only and other elements are dropped and
  counted in the log. A ChromHMM segmentation (a column of ``<number>_<state>`` names, at least
  three states, as Roadmap's ``7_Enh`` or ``9_Active_enhancer_1``) gives the segments of the
  states named for enhancers (``Enh``/``enhancer`` in any case: genic, active, weak, bivalent)
  and drops the others, counted in the log. A segmentation whose states are not named
  (ChromHMM's own ``*_segments.bed``: ``E1`` ... ``E15``, or bare numbers, in column 4 of
  segments that tile the genome) is refused: which states are enhancers is read from the
  model's emissions, so the user names them (``enhancer_states``: column-4 labels to keep,
  which also overrides the choices above);
- gene body: transcript spans; a CpG there that is also in a promoter is a promoter
  (the priority), so the class is "transcript span minus promoter".

Every CpG of the reference (+ strand C, 0-based) gets exactly one class, the first of
``epibench.codes.REGION_CLASSES`` whose intervals contain its C; intergenic otherwise.
A FASTA sequence on which the GTF has no transcript is not an error: its CpGs are
intergenic (or enhancer); such sequences are logged and listed in
:attr:`RegionAnnotation.chroms_without_transcripts`. A GTF with no transcript on any
FASTA sequence is an error (wrong file or assembly), and so is one whose transcripts on the
FASTA's sequences all start past their sequence's end (another assembly, or a FASTA that is an
excerpt of the genome); where only some reach past the end, a warning gives their count and
the first (a FASTA of part of a chromosome with the whole chromosome's annotation). A class the
transcripts make (promoter, gene body) that no CpG ends up in is warned of.

Optional flags beside the class, each a bool column present only when its BED is given:

- ``cgi``: the C lies in a CpG island (BED3+, or a UCSC ``cpgIslandExt`` table whose
  first column is the ``bin``: ``#bin chrom chromStart chromEnd name ...``);
- ``shore``: not in an island, but within ``shore_bp`` (2 kb) of one: the C lies in
  [island start - shore_bp, island end + shore_bp) (so its distance to the nearest
  island base is at most shore_bp);
- ``blacklisted``: the C lies in an interval of the blacklist (ENCODE blacklist v2: BED
  with the reason in column 4, not used here).

Chromosome names of the GTF and BEDs are harmonised to the FASTA; sequences the FASTA
lacks are left out. pybedtools sorts and merges each interval set; membership is then a
vectorised binary search per chromosome.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pybedtools

from epibench.errors import InputError
from epibench.io.annotation_build import check_annotation_build
from epibench.io.chroms import harmonise, listed, renamed_and_dropped, string_column
from epibench.io.gene_models import SKIPPED_GENE_TYPES, read_gene_models
from epibench.io.parquet import write_parquet
from epibench.io.reference import Reference
from epibench.io.textfile import COORDINATE, iter_lines, scientific_hint
from epibench.io.tracks import bigbed_lines, is_bigbed
from epibench.codes import REGION_CLASSES

log = logging.getLogger(__name__)

REGION_COLUMNS = ("chrom", "pos", "region")  # always present, written first
FLAG_COLUMNS = ("cgi", "shore", "blacklisted")  # bool, present when their BED is given
DEFAULT_SHORE_BP = 2000
_BED_HEADER = re.compile(r"(track|browser)\b|#")
_BIN_HEADER = re.compile(r"#\s*bin\s+chrom\b", re.IGNORECASE)
# ENCODE cCRE classes (registry V2 to V4, combined with commas: "pELS,CTCF-bound"), and the enhancer-like ones
CCRE_CLASSES = {
    "PLS",
    "pELS",
    "dELS",
    "CTCF-only",
    "CTCF-bound",
    "DNase-H3K4me3",
    "DNase-only",
    "Low-DNase",
    "CA",
    "CA-H3K4me3",
    "CA-CTCF",
    "CA-TF",
    "TF",
}
ENHANCER_CLASSES = {"pELS", "dELS"}
# ChromHMM segmentations label each segment "<state number>_<name>": Roadmap's mnemonics (7_Enh,
# 6_EnhG, 9_EnhA1, 12_EnhBiv) or longer names (9_Active_enhancer_1, 11_Weak_enhancer)
_CHROMHMM_STATE = re.compile(r"\d+_\S+")
_ENHANCER_STATE = re.compile(r"enh", re.IGNORECASE)
_MIN_CHROMHMM_STATES = 3  # distinct states that make a numbered name column a segmentation
_UNNAMED_STATE = re.compile(r"E?\d+")  # ChromHMM's labels before states are named: E1 ... (or 1 ...)
_MIN_TILING_SHARE = 0.9  # of neighbouring rows that abut (start = the previous end): a segmentation


@dataclass(frozen=True)
class RegionAnnotation:
    """What :func:`annotate_regions_with_report` returns.

    table: the region table (see :func:`annotate_regions`).
    chroms_without_transcripts: FASTA sequences (FASTA order) with no transcript of the
    GTF after name harmonisation; their CpGs are intergenic or enhancer.
    input_chroms: input label (``gtf``, ``enhancers``, ``cpg_islands``, ``blacklist``;
    only those given) -> the distinct sequence names as spelled in that file, in file
    order; pass it to :func:`epibench.io.chroms.harmonisation_table`.
    """

    table: pd.DataFrame
    chroms_without_transcripts: list[str] = field(default_factory=list)
    input_chroms: dict[str, list[str]] = field(default_factory=dict)


def annotate_regions(*args, **kwargs) -> pd.DataFrame:
    """The region table alone: ``annotate_regions_with_report(...).table`` (same arguments)."""
    return annotate_regions_with_report(*args, **kwargs).table


def annotate_regions_with_report(
    reference: Reference,
    gtf: str | os.PathLike,
    enhancer_bed: str | os.PathLike | None = None,
    promoter_upstream: int = 1000,
    promoter_downstream: int = 500,
    tmp_dir: str | os.PathLike | None = None,
    cpg_islands: str | os.PathLike | None = None,
    blacklist: str | os.PathLike | None = None,
    shore_bp: int = DEFAULT_SHORE_BP,
    enhancer_states: Sequence[str] = (),
    gene_types: Sequence[str] = (),
    skip_gene_types: Sequence[str] = SKIPPED_GENE_TYPES,
) -> RegionAnnotation:
    """Region class of every CpG of ``reference``, the FASTA sequences without transcripts and
    each input's sequence names (``RegionAnnotation``).

    The table: DataFrame(chrom, pos int64, region int8) in FASTA order; region is an index into
    ``epibench.codes.REGION_CLASSES``. With ``cpg_islands`` it also has bool columns ``cgi`` and
    ``shore`` (within ``shore_bp`` of an island, not in one); with ``blacklist`` a bool column
    ``blacklisted`` (module docstring). They do not change the class. tmp_dir: folder for
    pybedtools' temporary files (a fresh subfolder is made there and removed at the end; the
    system temp folder when None). FASTA sequences without transcripts are logged (a warning).
    enhancer_states: labels of the enhancer BED's column 4 to keep as enhancers (states of a
    segmentation); empty to choose by the module docstring's rules. gene_types, skip_gene_types:
    which transcripts of the gene models count, by their gene and transcript types
    (``gene_models.read_gene_models``' ``keep_types`` and ``skip_types``). A GTF whose header names
    another assembly than the FASTA's is an InputError (``annotation_build``).
    """
    if promoter_upstream < 0 or promoter_downstream < 1:
        raise ValueError("promoter_upstream must be >= 0 and promoter_downstream >= 1")
    if shore_bp < 0:
        raise ValueError("shore_bp must be >= 0")
    check_annotation_build(gtf, reference.fasta_path)
    transcripts_in_file, gtf_names = read_gene_models(gtf, gene_types, skip_gene_types)
    input_chroms = {"gtf": gtf_names}
    transcripts = _on_reference(transcripts_in_file, reference, "gtf", gtf)
    if transcripts.empty:
        raise InputError(
            "no transcript of the GTF lies on a sequence of the FASTA "
            f"(GTF sequences: {listed(gtf_names)}; FASTA sequences: {listed(reference.chroms)}); "
            "wrong annotation or assembly?",
            path=gtf,
        )
    _check_within_sequences(transcripts, reference, gtf, len(transcripts_in_file) - len(transcripts))
    with_transcripts = set(transcripts["chrom"])
    without = [chrom for chrom in reference.chroms if chrom not in with_transcripts]
    if without:
        log.warning(
            "%s: no transcript on %d of %d FASTA sequence(s), their CpGs are intergenic or enhancer: %s",
            gtf,
            len(without),
            len(reference.chroms),
            listed(without),
        )

    if enhancer_bed is None:
        log.warning(
            "no enhancer BED (reference.enhancers): no CpG is an enhancer, so that class stays empty in every "
            "table and figure; give ENCODE cCREs or a ChromHMM segmentation of the cohort's tissue "
            "(Roadmap's <epigenome>_15_coreMarks_mnemonics.bed) for it"
        )
    beds = {}
    for label, path in (("enhancers", enhancer_bed), ("cpg_islands", cpg_islands), ("blacklist", blacklist)):
        if path is not None:
            frame = read_bed_intervals(path, keep_fields=label == "enhancers")
            input_chroms[label] = list(pd.unique(frame["chrom"]))  # the file's names, every row's
            if label == "enhancers":
                frame = enhancer_like(frame, path, enhancer_states)
            beds[label] = _on_reference(frame, reference, label, path)
    intervals = {
        "promoter": _promoters(transcripts, reference, promoter_upstream, promoter_downstream),
        "enhancer": beds.get("enhancers", _empty_intervals()),
        "gene_body": transcripts[["chrom", "start", "end"]],
    }
    flags = {}
    if "cpg_islands" in beds:
        flags["cgi"] = beds["cpg_islands"]
        flags["near_cgi"] = _widened(beds["cpg_islands"], shore_bp, reference)
    if "blacklist" in beds:
        flags["blacklisted"] = beds["blacklist"]
    with _pybedtools_tempdir(tmp_dir):
        merged = {name: _merge(frame) for name, frame in intervals.items()}
        merged_flags = {name: _merge(frame) for name, frame in flags.items()}

    nothing = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    chrom_codes, positions, regions = [], [], []
    flag_parts: dict[str, list[np.ndarray]] = {name: [] for name in merged_flags}
    for index, chrom in enumerate(reference.chroms):
        pos = reference.cpg_positions(chrom)
        region = np.full(len(pos), REGION_CLASSES.index("intergenic"), dtype=np.int8)
        for name in reversed(REGION_CLASSES[:-1]):  # lowest priority first, higher ones overwrite
            starts, ends = merged[name].get(chrom, nothing)
            region[_inside(pos, starts, ends)] = REGION_CLASSES.index(name)
        for name, by_chrom in merged_flags.items():
            flag_parts[name].append(_inside(pos, *by_chrom.get(chrom, nothing)))
        chrom_codes.append(np.full(len(pos), index, dtype=np.int32))
        positions.append(pos)
        regions.append(region)
    table = pd.DataFrame(
        {
            "chrom": string_column(np.concatenate(chrom_codes), reference.chroms),
            "pos": np.concatenate(positions),
            "region": np.concatenate(regions),
        }
    )
    if "cgi" in flag_parts:
        cgi = np.concatenate(flag_parts["cgi"])
        table["cgi"] = cgi
        table["shore"] = np.concatenate(flag_parts["near_cgi"]) & ~cgi
    if "blacklisted" in flag_parts:
        table["blacklisted"] = np.concatenate(flag_parts["blacklisted"])
    _warn_empty_classes(table, len(transcripts), gtf)
    return RegionAnnotation(table, without, input_chroms)


def _check_within_sequences(
    transcripts: pd.DataFrame, reference: Reference, gtf: str | os.PathLike, n_elsewhere: int
) -> None:
    """InputError when every transcript (``_on_reference``'s table: FASTA names, 0-based half-open)
    starts past the end of its sequence; a warning when some reach past it. Both give the count and
    the first such transcript (table order) with its span (1-based, inclusive) and the sequence's
    length (bp). n_elsewhere: the file's transcripts on sequences the FASTA lacks (named in the error)."""
    lengths = transcripts["chrom"].map({c: reference.length(c) for c in transcripts["chrom"].unique()})
    lengths = lengths.to_numpy(np.int64)
    beyond = transcripts["end"].to_numpy() > lengths
    if not beyond.any():
        return
    outside = transcripts["start"].to_numpy() >= lengths
    index = int(np.argmax(outside if outside.all() else beyond))
    first = transcripts.iloc[index]
    example = (
        f"{_named(first)} at {first['chrom']}:{first['start'] + 1:,}-"
        f"{first['end']:,}, on a sequence of {lengths[index]:,} bp"
    )
    if outside.all():
        elsewhere = f"; the other {n_elsewhere:,} lie on sequences the FASTA lacks" if n_elsewhere else ""
        raise InputError(
            f"no transcript of the GTF lies on the FASTA: all {len(transcripts):,} on its sequences start past "
            f"the end of their sequence (the first: {example}){elsewhere}. The annotation is of another "
            f"assembly, or the FASTA ({reference.shown}) is an excerpt of the genome (a part of a "
            "chromosome): give the annotation of the FASTA's assembly, or the FASTA of the whole genome",
            path=gtf,
        )
    log.warning(
        "%s: %s of %s transcripts on the FASTA's sequences reach past the end of their sequence (%s of them "
        "start past it; the first: %s); their parts beyond it are left out. Expected where the FASTA is an "
        "excerpt of the genome (a part of a chromosome); otherwise the annotation is of another assembly",
        gtf,
        f"{int(beyond.sum()):,}",
        f"{len(transcripts):,}",
        f"{int(outside.sum()):,}",
        example,
    )


def _named(transcript: pd.Series) -> str:
    """A transcript's id, or its gene's where it has none (an empty or missing id)."""
    for key in ("transcript_id", "gene_id"):
        if key in transcript and pd.notna(transcript[key]) and transcript[key] != "":
            return str(transcript[key])
    return "(unnamed)"


def _warn_empty_classes(table: pd.DataFrame, n_transcripts: int, gtf: str | os.PathLike) -> None:
    """A warning per class that transcripts make (promoter, gene body) where no CpG of ``table`` has it
    although ``n_transcripts`` transcripts lie on the FASTA's sequences."""
    counts = np.bincount(table["region"].to_numpy(), minlength=len(REGION_CLASSES))
    for name in ("promoter", "gene_body"):
        if not counts[REGION_CLASSES.index(name)]:
            log.warning(
                "%s: no CpG is %s although %s transcripts lie on the FASTA's sequences: check that the "
                "annotation's coordinates are the FASTA's (and regions.promoter_upstream/downstream)",
                gtf,
                name,
                f"{n_transcripts:,}",
            )


def read_bed_intervals(bed_path: str | os.PathLike, keep_fields: bool = False) -> pd.DataFrame:
    """chrom, start, end of a BED (the first three columns), plain or compressed, or a bigBed (ENCODE's
    cCREs come as either; its entries numbered as lines); with ``keep_fields`` also ``fields``, each
    row's further columns (a tuple of str).

    ``track``, ``browser`` and ``#`` lines are skipped. A UCSC table with the ``bin``
    column first (``cpgIslandExt``: ``#bin chrom chromStart chromEnd name ...``) is
    recognised by that header, or without one by its first row (an integer, a name that
    is not an integer, two integers); its columns 2-4 are read then.
    """
    rows = []
    with_bin: bool | None = None  # decided by the header or the first data row
    for number, text in bigbed_lines(bed_path) if is_bigbed(bed_path) else iter_lines(bed_path):
        if not text.strip():
            continue
        if _BED_HEADER.match(text):
            if with_bin is None and _BIN_HEADER.match(text):
                with_bin = True
            continue
        fields = text.split("\t")
        if with_bin is None:
            with_bin = has_bin_column(fields)
        if with_bin:
            if len(fields) < 4 or not COORDINATE.fullmatch(fields[0]):
                raise InputError(
                    "expected a UCSC table row: bin, chrom, chromStart, chromEnd (tab-separated), "
                    f"as the file's first row or header says; found {len(fields)} column(s)",
                    bed_path,
                    number,
                )
            fields = fields[1:]
        if len(fields) < 3:
            raise InputError(
                f"a BED row has at least 3 tab-separated columns, found {len(fields)}", bed_path, number
            )
        chrom, start, end = fields[:3]
        if not (COORDINATE.fullmatch(start) and COORDINATE.fullmatch(end)) or int(end) < int(start):
            raise InputError(
                f"start/end must be integers (at most 18 digits) with 0 <= start <= end: {start!r}, {end!r}"
                f"{scientific_hint(start, end)}",
                bed_path,
                number,
            )
        rows.append(
            (chrom, int(start), int(end), tuple(fields[3:])) if keep_fields else (chrom, int(start), int(end))
        )
    columns = ["chrom", "start", "end", "fields"] if keep_fields else ["chrom", "start", "end"]
    return pd.DataFrame(rows, columns=columns).astype({"chrom": "str", "start": np.int64, "end": np.int64})


def enhancer_like(
    frame: pd.DataFrame, bed_path: str | os.PathLike, states: Sequence[str] = ()
) -> pd.DataFrame:
    """chrom, start, end of an enhancer BED's rows (``read_bed_intervals(..., keep_fields=True)``): those
    labelled one of ``states`` in column 4 when given; else of an ENCODE cCRE BED the ``pELS``/``dELS``
    elements, of a ChromHMM segmentation the states named for enhancers (module docstring), of any
    other BED every row. InputError for a segmentation of unnamed states without ``states``, and for
    ``states`` the file does not have."""
    labelling = _chosen_states(frame, bed_path, states) if states else _enhancer_labelling(frame["fields"])
    if labelling is None:
        _refuse_unnamed_segmentation(frame, bed_path)
        return frame[["chrom", "start", "end"]]
    column, is_enhancer, kind, kept = labelling
    labels = pd.Series([fields[column] for fields in frame["fields"]])
    enhancer = labels.map(is_enhancer).to_numpy(bool)
    dropped = labels[~enhancer].value_counts()
    log.info(
        "%s: %s in column %d: %d enhancer-like elements (%s) of %d kept; dropped %s",
        bed_path,
        kind,
        column + 4,
        int(enhancer.sum()),
        kept,
        len(frame),
        ", ".join(f"{name} {count}" for name, count in dropped.items()) or "none",
    )
    if not enhancer.any():
        log.warning("%s: no enhancer-like element (%s): no CpG is an enhancer", bed_path, kept)
    return frame.loc[enhancer, ["chrom", "start", "end"]]


def _enhancer_labelling(fields: pd.Series) -> tuple[int, Callable[[str], bool], str, str] | None:
    """(column, is_enhancer(label), what the labels are, which are kept) of a BED whose rows carry
    ENCODE cCRE classes or ChromHMM states in one column (index into each row's further columns),
    or None."""
    column = _label_column(fields, lambda label: set(label.split(",")) <= CCRE_CLASSES)
    if column is not None:
        return (
            column,
            lambda label: bool(set(label.split(",")) & ENHANCER_CLASSES),
            "ENCODE cCRE classes",
            "pELS, dELS",
        )
    column = _label_column(fields, lambda label: bool(_CHROMHMM_STATE.fullmatch(label)))
    states = set() if column is None else {row[column] for row in fields}
    kept = sorted(state for state in states if _ENHANCER_STATE.search(state))
    if len(states) < _MIN_CHROMHMM_STATES or not kept:
        return None  # no segmentation to filter (few numbered states, none an enhancer state)
    return column, lambda label: bool(_ENHANCER_STATE.search(label)), "ChromHMM states", ", ".join(kept)


def _chosen_states(
    frame: pd.DataFrame, bed_path: str | os.PathLike, states: Sequence[str]
) -> tuple[int, Callable[[str], bool], str, str]:
    """The labelling of ``_enhancer_labelling`` that keeps the rows whose column 4 is one of ``states``."""
    labels = {row[0] if row else "" for row in frame["fields"]}
    missing = [state for state in states if state not in labels]
    if missing:
        raise InputError(
            f"enhancer_states {', '.join(missing)} not in column 4 of the enhancer BED; its labels: "
            + listed(sorted(labels - {""}, key=_state_order), 30),
            path=bed_path,
        )
    chosen = frozenset(states)
    return 0, chosen.__contains__, "enhancer_states", ", ".join(states)


def _state_order(label: str) -> tuple[int, str]:
    """Sort key of state labels: by their number (E2 before E10), then by name."""
    number = re.search(r"\d+", label)
    return (int(number.group()) if number else -1, label)


def _refuse_unnamed_segmentation(frame: pd.DataFrame, bed_path: str | os.PathLike) -> None:
    """InputError for a segmentation whose states are not named: column 4 a state number (E1 or 1) in
    every row, at least ``_MIN_CHROMHMM_STATES`` of them, and neighbouring rows that abut."""
    labels = [row[0] if row else "" for row in frame["fields"]]
    if not labels or not all(_UNNAMED_STATE.fullmatch(label) for label in labels):
        return
    states = sorted(set(labels), key=_state_order)
    if len(states) < _MIN_CHROMHMM_STATES:
        return
    ordered = frame.sort_values(["chrom", "start"], kind="stable")
    same_chrom = ordered["chrom"].to_numpy()[1:] == ordered["chrom"].to_numpy()[:-1]
    abut = ordered["start"].to_numpy()[1:] == ordered["end"].to_numpy()[:-1]
    if same_chrom.any() and (abut & same_chrom).sum() / same_chrom.sum() >= _MIN_TILING_SHARE:
        raise InputError(
            f"a segmentation of {len(states)} unnamed states ({listed(states, 20)}: ChromHMM's "
            "*_segments.bed) given as the enhancer BED: say which states are enhancers (those whose "
            "emissions show H3K4me1 or H3K27ac without H3K4me3) with regions.enhancer_states in the "
            "config, e.g. [E7, E8], or give a segmentation with named states",
            path=bed_path,
        )


def _label_column(fields: pd.Series, is_label: Callable[[str], bool]) -> int | None:
    """The index (into each row's further columns) of the first column whose every value ``is_label``,
    or None."""
    if fields.empty:
        return None
    for column, value in enumerate(fields.iloc[0]):
        if is_label(value) and all(len(row) > column and is_label(row[column]) for row in fields):
            return column
    return None


def has_bin_column(fields: list[str]) -> bool:
    """True when a data row's fields look like a UCSC table row with a ``bin`` first:
    bin (integer), chrom (not an integer: a BED row has its start there), start, end (integers)."""
    return (
        len(fields) >= 4
        and bool(COORDINATE.fullmatch(fields[0]))
        and not COORDINATE.fullmatch(fields[1])
        and bool(COORDINATE.fullmatch(fields[2]))
        and bool(COORDINATE.fullmatch(fields[3]))
    )


def is_bin_header(text: str) -> bool:
    """True for a UCSC table header line that names a ``bin`` column first (``#bin chrom ...``)."""
    return bool(_BIN_HEADER.match(text))


def write_regions(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the region table to Parquet atomically: REGION_COLUMNS first, then every other column present
    (``cgi``, ``shore``, ``blacklisted`` when annotated), in the table's order."""
    write_parquet(df, path, region_columns(df))


def region_columns(df: pd.DataFrame) -> list[str]:
    """The columns :func:`write_regions` writes: REGION_COLUMNS, then the table's other columns."""
    return [*REGION_COLUMNS, *(c for c in df.columns if c not in REGION_COLUMNS)]


def region_summary(df: pd.DataFrame) -> pd.DataFrame:
    """CpGs per chromosome and region class: columns chrom, region (class name), n_cpg, share (of the chromosome).

    Tables with flag columns (``cgi``, ``shore``, ``blacklisted``) add one count column
    per flag present (``n_cgi``, ``n_shore``, ``n_blacklisted``): CpGs of that row with the flag.
    """
    names = np.asarray(REGION_CLASSES, dtype=object)[df["region"].to_numpy()]
    flags = [c for c in FLAG_COLUMNS if c in df.columns]
    grouped = df.assign(region=names).groupby(["chrom", "region"], sort=False)
    counts = grouped.size().rename("n_cpg").reset_index()
    counts["share"] = counts["n_cpg"] / counts.groupby("chrom")["n_cpg"].transform("sum")
    if flags:
        sums = grouped[flags].sum().astype(np.int64).reset_index()
        counts = counts.merge(sums.rename(columns={f: f"n_{f}" for f in flags}), on=["chrom", "region"])
    return counts


def _empty_intervals() -> pd.DataFrame:
    return pd.DataFrame(
        {"chrom": pd.Series([], dtype=str), "start": np.zeros(0, np.int64), "end": np.zeros(0, np.int64)}
    )


def _on_reference(
    frame: pd.DataFrame, reference: Reference, label: str = "", path: object = None
) -> pd.DataFrame:
    """Rename chromosomes to the FASTA's spelling; drop rows on sequences the FASTA lacks (logged)."""
    counts = frame["chrom"].value_counts(sort=False).to_dict()
    mapping = harmonise(counts, reference.chroms, reference.aliases)
    renamed, dropped = renamed_and_dropped(mapping, counts)
    if renamed:
        log.info("%s %s: sequence names renamed to the FASTA's: %s", label, path, listed(renamed))
    if dropped:
        log.info(
            "%s %s: rows on sequences not in the FASTA left out (rows per name): %s",
            label,
            path,
            listed(dropped),
        )
    chrom = frame["chrom"].map(mapping)
    kept = chrom.notna()
    return frame.assign(chrom=chrom)[kept].astype({"chrom": "str"}).reset_index(drop=True)


def _widened(frame: pd.DataFrame, flank: int, reference: Reference) -> pd.DataFrame:
    """Intervals extended by ``flank`` bp on both sides, clipped to the chromosome."""
    if frame.empty:
        return frame
    lengths = frame["chrom"].map({chrom: reference.length(chrom) for chrom in frame["chrom"].unique()})
    return frame.assign(
        start=(frame["start"] - flank).clip(lower=0),
        end=np.minimum(frame["end"] + flank, lengths.to_numpy(np.int64)),
    )


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
    """Sorted, merged intervals per chromosome: {chrom: (starts (K,) int64, ends (K,) int64)}.

    Empty intervals (start = end) hold no base and are left out: bedtools merge would join one
    to a neighbour up to a base away ([0, 2) and [3, 3) give [0, 4)).
    """
    frame = frame[frame["end"] > frame["start"]]
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
