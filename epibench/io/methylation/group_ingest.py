"""Ingest scattered over shard groups, as the workflow runs it: one sample x group per job.

1. ``split_sample`` (one job per sample): read each of the sample's files once (``split_calls``:
   the only pass over it, a block of text or a bigWig chromosome at a time, so memory does not
   grow with the file), keep the calls in CG context on a FASTA sequence with reads
   (``canonical.on_reference``) and append them to their shard group's file:
   ``<out_dir>/<k>/<group>.parquet`` for the sample's file k (from 1), one file per group of
   the plan (empty where the file has no call there), plus that stage's QC dict; a call beyond
   the end of its reference sequence stops it (``lengths``: another assembly).
2. ``ingest_group`` (one job per sample x group): CG check against the reference and strand
   merge of each file's calls in the group, the files' reads of a CpG summed (a sample given as
   lanes, replicates or a file per chromosome), and the coverage filter
   (``canonical.merged_cpgs``, ``pooled_cpgs``, ``kept_cpgs``) -> the group's canonical table
   and QC. The CG share is judged per file and group (a group with fewer than
   ``MIN_CALLS_TO_JUDGE`` calls only warns); errors still name the file and line (each call
   keeps its data-row index and the file's layout).
3. ``merge_ingest_qc`` (one job per sample): the sample's QC from stage 1 and every group's,
   and the CG share of all of a file's calls judged as one-job ``ingest`` judges it (so a file
   whose groups are all too small to judge is still stopped, e.g. when off by one).

Per-group call files hold, per call: chrom (reference name), pos (int64, 0-based base
called), strand (int8, ``calls.ON_C``/``ON_G``/``UNSTRANDED``), n_meth (float64), n_total
(int64), row (int64 data-row index in the file); the Parquet file's key-value metadata
``epibench.calls`` holds the file's layout (``table.Source``), coordinate base, reader QC
counts and number of data rows, as JSON.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from epibench.errors import InputError
from epibench.io.atomic import atomic_dir
from epibench.io.lengths import check_calls_within, largest_ends
from epibench.io.methylation.calls import Calls, add_qc
from epibench.io.methylation.canonical import (
    MIN_CG_SHARE,
    MIN_COVERAGE,
    check_kept,
    check_on_reference,
    context_warnings,
    coverage_warnings,
    cytosine_share,
    dropped_warnings,
    keep_on_reference,
    kept_cpgs,
    merged_cpgs,
    pooled_cpgs,
)
from epibench.io.methylation.cohort_check import fit_within
from epibench.io.methylation.concordance import (
    concordance,
    file_pair_sums,
    file_holding_the_others,
    sum_of_others,
)
from epibench.io.methylation.detect import detect_source
from epibench.io.methylation.ingest import applied_min_coverage, coverage_qc, read_call_parts
from epibench.io.methylation.offsets import SHIFTS, OffsetFit, fit_diagnosis, measure_fit
from epibench.io.methylation.columns import BLOCK_BYTES, Labels, Source
from epibench.io.methylation.past_end import PastEnd
from epibench.io.reference import Reference
from epibench.progress import ProgressLog

log = logging.getLogger(__name__)

MIN_CALLS_TO_JUDGE = 1000
_META_KEY = b"epibench.calls"
_SCHEMA = pa.schema(
    [
        ("chrom", pa.dictionary(pa.int32(), pa.string())),
        ("pos", pa.int64()),
        ("strand", pa.int8()),
        ("n_meth", pa.float64()),
        ("n_total", pa.int64()),
        ("row", pa.int64()),
    ]
)
# the counts of a group's calls that judge the CG share of a file
_JUDGED = ("n_calls", "n_off_cg_dropped", "n_off_cg_on_cytosine")
_SUMMED = (*_JUDGED, "n_cpgs_merged", "n_cpgs_pooled", "n_below_min_coverage", "n_kept")


@dataclass(frozen=True)
class CallsFile:
    """One methylation file of a sample: its path, its format name (None: told by its content) and,
    for a Roadmap FractionalMethylation bigWig, the ReadCoverage bigWig that gives its depth."""

    path: str | os.PathLike
    fmt: str | None = None
    coverage: str | os.PathLike | None = None


def split_sample(
    files: Sequence[CallsFile],
    reference: Reference,
    groups: dict[str, list[str]],
    out_dir: str | os.PathLike,
    min_coverage: int = MIN_COVERAGE,
    block_bytes: int = BLOCK_BYTES,
) -> dict:
    """Stage 1 for a sample of one file or several (lanes, replicates, a file per chromosome; their
    reads are pooled per CpG in stage 2): file k (from 1) split by ``split_calls`` into
    ``out_dir/<k>/``, the whole folder written atomically.

    Returns the sample's QC: ``inputs`` (the paths); for one file its ``split_calls`` QC with its
    ``input``; for several the counts summed (``calls.add_qc``), each file's QC (with its
    ``input``) in ``files``, and its warnings after its path. A file that gives levels without
    the read depth (a Roadmap bigWig without its coverage bigWig) cannot be pooled: with other
    files it is an InputError naming it, and nothing is written.
    """
    qcs = []
    with atomic_dir(out_dir) as tmp:
        for number, file in enumerate(files, 1):
            qc = split_calls(
                file.path,
                reference,
                groups,
                tmp / str(number),
                fmt=file.fmt,
                coverage_path=file.coverage,
                min_coverage=min_coverage,
                block_bytes=block_bytes,
            )
            if len(files) > 1 and not qc["coverage_known"]:
                raise InputError(
                    "gives levels without the read depth, so its CpGs cannot be pooled with the sample's "
                    f"{len(files) - 1} other file(s): give its coverage, or make it a sample of its own",
                    path=file.path,
                )
            qcs.append({"input": str(file.path), **qc})
    if len(qcs) == 1:
        return {"inputs": [qcs[0]["input"]], **qcs[0]}
    summed: dict = {}
    for qc in qcs:
        summed = add_qc(summed, qc)
    del summed["input"], summed["format"]  # each file's is in ``files``
    summed["warnings"] = [f"{qc['input']}: {warning}" for qc in qcs for warning in qc["warnings"]]
    return {"inputs": [qc["input"] for qc in qcs], **summed, "files": qcs}


def split_calls(
    path: str | os.PathLike,
    reference: Reference,
    groups: dict[str, list[str]],
    out_dir: str | os.PathLike,
    fmt: str | None = None,
    coverage_path: str | os.PathLike | None = None,
    min_coverage: int = MIN_COVERAGE,
    block_bytes: int = BLOCK_BYTES,
) -> dict:
    """Stage 1: write ``out_dir/<group>.parquet`` for every group (atomically, as one folder); return the QC dict.

    groups: group name -> reference sequence names (``epibench.data.groups``); every
    reference sequence must be in one group. The file is read a part at a time
    (``ingest.read_call_parts``: about ``block_bytes`` of text, or one bigWig chromosome) and
    each part's calls are appended to their groups' files, so memory follows the part, not
    the file; the output does not depend on ``block_bytes``.
    """
    group_of = _group_numbers(reference, groups)
    source = detect_source(path, fmt)
    qc: dict = {}
    reader_qc: dict = {}
    n_calls = n_rows = base = 0
    ends = np.zeros(len(reference.chroms), dtype=np.int64)
    past = PastEnd.start(reference)
    with atomic_dir(out_dir) as tmp, _GroupWriters(tmp, list(groups), reference) as writers:
        progress = ProgressLog(log)
        for calls in read_call_parts(source, coverage_path, block_bytes):
            reader_qc = add_qc(reader_qc, calls.qc)
            n_rows += calls.n_rows
            progress("%s: %s rows read", source.path, f"{n_rows:,}")
            base = calls.base
            calls, ref_chrom, part_qc = keep_on_reference(calls, reference)
            qc = add_qc(qc, part_qc)
            n_calls += len(calls)
            call_group = group_of[ref_chrom]
            if (call_group < 0).any():
                missing = sorted({reference.chroms[c] for c in np.unique(ref_chrom[call_group < 0])})
                raise InputError(
                    f"reference sequences {missing[:5]} are in no shard group (stale shard plan?)"
                )
            writers.append(calls, ref_chrom, call_group)
            np.maximum(ends, largest_ends(ref_chrom, calls.pos, reference), out=ends)
            past.add(calls, ref_chrom)
        check_on_reference(qc, n_calls, source.path, reference)
        length_warnings = check_calls_within(
            ends,
            reference,
            source.path,
            lambda: past.cause(
                source, reference, lambda: fit_within(source, coverage_path, reference), MIN_CG_SHARE
            ),
        )
        writers.close(_layout(source, base, reader_qc, n_rows))
    qc |= coverage_qc(reader_qc, min_coverage)
    qc["warnings"] = dropped_warnings(qc, n_calls) + qc["warnings"] + length_warnings
    return qc


def ingest_group(
    calls_paths: Sequence[str | os.PathLike],
    reference: Reference,
    min_coverage: int = MIN_COVERAGE,
    min_cg_share: float = MIN_CG_SHARE,
) -> tuple[pd.DataFrame, dict]:
    """Stage 2: the canonical table (FASTA order; possibly empty) and QC of one group's calls files,
    one per file of the sample (``split_sample``'s ``<k>/<group>.parquet``).

    Each file's calls are checked against the reference and their strands merged on their own
    (an error names that file and line), then the files' reads of a CpG are summed
    (``n_cpgs_pooled`` CpGs were called in more than one file) and the coverage filter applied
    to the sums. QC ``files`` keeps each file's counts that judge its CG share (``_JUDGED``), and
    ``file_pairs`` (several files) the sums of each pair's levels for their agreement (``concordance``).
    """
    parts, qc, files_qc, applied = [], {}, [], min_coverage
    for path in calls_paths:
        calls, ref_chrom = read_group_calls(path, reference)
        merged, part_qc = merged_cpgs(
            calls, ref_chrom, reference, min_cg_share, min_calls_to_judge=MIN_CALLS_TO_JUDGE
        )
        parts.append(merged)
        files_qc.append({key: part_qc[key] for key in _JUDGED})
        qc = add_qc(qc, {key: value for key, value in part_qc.items() if not key.endswith("_share")})
        applied = min(applied, applied_min_coverage(calls, min_coverage))
    _set_shares(qc)
    pooled, qc["n_cpgs_pooled"] = pooled_cpgs(parts)
    table = kept_cpgs(pooled, reference, applied, qc)
    qc["files"] = files_qc
    if len(parts) > 1:
        qc["file_pairs"] = file_pair_sums(parts)
        qc["sum_of_others"] = sum_of_others(parts, pooled)
    return table, qc


def _set_shares(qc: dict) -> None:
    """Set ``cg_share`` and ``cytosine_share`` (None without calls) from the counts of ``qc``."""
    n_calls = qc["n_calls"]
    qc["cg_share"] = (n_calls - qc["n_off_cg_dropped"]) / n_calls if n_calls else None
    qc["cytosine_share"] = cytosine_share(qc)


def merge_ingest_qc(
    sample_qc: dict,
    group_qcs: dict[str, dict],
    reference: Reference,
    min_coverage: int,
    min_cg_share: float,
    calls_dir: str | os.PathLike,
) -> dict:
    """Stage 3: one sample's QC (the keys ``ingest.ingest`` gives) from stage 1's and each group's.

    Counts are summed; cg_share and cytosine_share are those of all the sample's calls,
    mean_coverage and mean_level are weighted by kept CpGs; ``groups`` keeps each group's own QC;
    a sample of several files gets ``replicate_concordance`` (``concordance.concordance``: each
    pair's Pearson r, a warning where they agree poorly).
    Raises InputError (naming the file, one of ``sample_qc["inputs"]``) when a file's cytosine
    share, over all its calls, is below ``min_cg_share``, with ``ingest``'s diagnosis (off-by-one
    or wrong assembly; that file's group files in ``calls_dir/<k>``, stage 1's output, are read
    again for it), when no CpG was kept anywhere, and when one of several files holds the reads of the
    others again (``concordance.file_holding_the_others``: pooled, they would count twice).
    """
    inputs = sample_qc["inputs"]
    for number, path in enumerate(inputs, 1):
        judged = {key: sum(g["files"][number - 1][key] for g in group_qcs.values()) for key in _JUDGED}
        share = cytosine_share(judged)
        if share is not None and share < min_cg_share:
            diagnosis = _file_diagnosis(Path(calls_dir) / str(number), group_qcs, reference, min_cg_share)
            raise InputError(diagnosis, path=path)
    qc = {key: sum(g[key] for g in group_qcs.values()) for key in _SUMMED}
    _set_shares(qc)
    check_kept(qc, inputs[0] if len(inputs) == 1 else ", ".join(inputs), reference, min_coverage)
    kept = [g for g in group_qcs.values() if g["n_kept"]]
    for key in ("mean_coverage", "mean_level"):
        qc[key] = sum(g[key] * g["n_kept"] for g in kept) / qc["n_kept"]
    merged = sample_qc | qc
    if not sample_qc["coverage_known"]:
        merged["mean_coverage"] = None
    group_warnings = [w for g in group_qcs.values() for w in g["warnings"]]
    agreement_warnings = []
    if len(inputs) > 1:
        doubled = file_holding_the_others([g.get("sum_of_others", []) for g in group_qcs.values()], inputs)
        if doubled:
            path, message = doubled
            raise InputError(message, path=path)
        pairs = [g.get("file_pairs", []) for g in group_qcs.values()]
        merged["replicate_concordance"], agreement_warnings = concordance(pairs, inputs)
    merged["warnings"] = (
        sample_qc["warnings"]
        + context_warnings(qc, min_cg_share)
        + coverage_warnings(qc, min_coverage)
        + agreement_warnings
        + group_warnings
    )
    merged["groups"] = group_qcs
    return merged


def _file_diagnosis(
    calls_dir: str | os.PathLike, groups: dict[str, dict], reference: Reference, min_cg_share: float
) -> str:
    """``offsets.fit_diagnosis`` of one file's calls, measured group by group from ``calls_dir/<group>.parquet``."""
    fit = OffsetFit(0, dict.fromkeys(SHIFTS, 0))
    for group in groups:
        calls, ref_chrom = read_group_calls(Path(calls_dir) / f"{group}.parquet", reference)
        fit += measure_fit(calls, ref_chrom, reference)
    return fit_diagnosis(fit, calls.source, calls.base, reference.shown, min_cg_share)


def read_group_calls(calls_path: str | os.PathLike, reference: Reference) -> tuple[Calls, np.ndarray]:
    """A ``split_calls`` file -> (Calls, (N,) int32 index into ``reference.chroms``)."""
    with pq.ParquetFile(calls_path) as file:
        meta = file.metadata.metadata or {}
        table = file.read()
    if _META_KEY not in meta:
        raise InputError("not a split calls file of epibench (no epibench.calls metadata)", path=calls_path)
    layout = json.loads(meta[_META_KEY])
    src = layout["source"]
    source = Source(**{**src, "path": Path(src["path"]), "sample": tuple(map(tuple, src["sample"]))})
    chrom = table.column("chrom").combine_chunks()
    index = {name: i for i, name in enumerate(reference.chroms)}
    lookup = np.array([index[name] for name in chrom.dictionary.to_pylist()], dtype=np.int32)
    ref_chrom = lookup[chrom.indices.to_numpy(zero_copy_only=False)]
    calls = Calls(
        source=source,
        chrom=Labels(ref_chrom, np.array(reference.chroms, dtype=object)),
        pos=table.column("pos").to_numpy(),
        strand=table.column("strand").to_numpy(),
        n_meth=table.column("n_meth").to_numpy(),
        n_total=table.column("n_total").to_numpy(),
        cg_context=None,
        row=table.column("row").to_numpy(),
        base=layout["base"],
        qc=layout["qc"],
        n_rows=layout["n_rows"],
    )
    return calls, ref_chrom


def _group_numbers(reference: Reference, groups: dict[str, list[str]]) -> np.ndarray:
    """(len(reference.chroms),) int32: the number of each reference sequence's group in ``groups``."""
    group_of = np.full(len(reference.chroms), -1, dtype=np.int32)
    index = {name: i for i, name in enumerate(reference.chroms)}
    for number, chroms in enumerate(groups.values()):
        unknown = [c for c in chroms if c not in index]
        if unknown:
            raise InputError(f"shard groups name sequences not in the reference: {unknown[:5]}")
        group_of[[index[c] for c in chroms]] = number
    return group_of


def _layout(source: Source, base: int, reader_qc: dict, n_rows: int) -> bytes:
    """The metadata every group file of a sample carries (JSON bytes)."""
    source_dict = {**source.__dict__, "path": str(Path(source.path).resolve())}
    return json.dumps({"source": source_dict, "base": base, "qc": reader_qc, "n_rows": n_rows}).encode()


class _GroupWriters:
    """One Parquet writer per group, in a folder; ``append`` adds rows, ``close`` the layout metadata.

    Files are ``<folder>/<group>.parquet``, one row group per ``append`` that has calls in the
    group; a group without calls gets a file with no rows. Used as a context manager: on an
    error every open file is closed (the caller's atomic folder then goes away).
    """

    def __init__(self, folder: Path, groups: list[str], reference: Reference) -> None:
        self._paths = [folder / f"{group}.parquet" for group in groups]
        self._writers: dict[int, pq.ParquetWriter] = {}
        self._chroms = pa.array(list(reference.chroms), pa.string())

    def __enter__(self) -> "_GroupWriters":
        return self

    def __exit__(self, *exc_info) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def append(self, calls: Calls, ref_chrom: np.ndarray, call_group: np.ndarray) -> None:
        """Add each call to its group's file; ``ref_chrom``, ``call_group``: (N,) int32 per call."""
        for number in np.unique(call_group):
            keep = call_group == number
            columns = {
                "chrom": pa.DictionaryArray.from_arrays(ref_chrom[keep], self._chroms),
                "pos": calls.pos[keep].astype(np.int64, copy=False),
                "strand": calls.strand[keep].astype(np.int8, copy=False),
                "n_meth": calls.n_meth[keep].astype(np.float64, copy=False),
                "n_total": calls.n_total[keep].astype(np.int64, copy=False),
                "row": calls.row[keep],
            }
            self._writer(int(number)).write_table(pa.table(columns, schema=_SCHEMA))

    def close(self, layout: bytes) -> None:
        """Finish every group's file (one without rows where no call came), ``layout`` its metadata."""
        for number in range(len(self._paths)):
            writer = self._writer(number)
            writer.add_key_value_metadata({_META_KEY: layout})
            writer.close()
        self._writers.clear()

    def _writer(self, number: int) -> pq.ParquetWriter:
        if number not in self._writers:
            self._writers[number] = pq.ParquetWriter(self._paths[number], _SCHEMA)
        return self._writers[number]
