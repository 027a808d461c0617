"""Ingest scattered over shard groups, as the workflow runs it: one sample x group per job.

1. ``split_calls`` (one job per sample): read the file once (the only pass over it), keep
   the calls in CG context on a FASTA sequence with reads (``canonical.on_reference``) and
   write them per shard group: ``<out_dir>/<group>.parquet``, one file per group of the
   plan (empty where the sample has no call there), plus that stage's QC dict.
2. ``ingest_group`` (one job per sample x group): CG check against the reference, strand
   merge and coverage filter of one group's calls (``canonical.canonical_cpgs``) ->
   the group's canonical table and QC. The CG share is judged per group (a group with
   fewer than ``MIN_CALLS_TO_JUDGE`` calls only warns); errors still name the sample's
   file and line (each call keeps its data-row index and the file's layout).
3. ``merge_ingest_qc`` (one job per sample): the sample's QC from stage 1 and every group's.

Per-group call files hold, per call: chrom (reference name), pos (int64, 0-based base
called), strand (int8, ``calls.ON_C``/``ON_G``/``UNSTRANDED``), n_meth (float64), n_total
(int64), row (int64 data-row index in the file); the Parquet metadata key
``epibench.calls`` holds the file's layout (``table.Source``), coordinate base, reader QC
counts and number of data rows, as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from epibench.errors import InputError
from epibench.io.atomic import atomic_dir
from epibench.io.methylation.calls import Calls
from epibench.io.methylation.canonical import canonical_cpgs, check_kept, on_reference
from epibench.io.methylation.ingest import applied_min_coverage, coverage_qc, read_calls
from epibench.io.methylation.table import Labels, Source
from epibench.io.reference import Reference

MIN_CALLS_TO_JUDGE = 1000
_META_KEY = b"epibench.calls"
_SUMMED = ("n_calls", "n_off_cg_dropped", "n_cpgs_merged", "n_below_min_coverage", "n_kept")


def split_calls(
    path: str | os.PathLike,
    reference: Reference,
    groups: dict[str, list[str]],
    out_dir: str | os.PathLike,
    fmt: str | None = None,
    coverage_path: str | os.PathLike | None = None,
    min_coverage: int = 5,
) -> dict:
    """Stage 1: write ``out_dir/<group>.parquet`` for every group (atomically, as one folder); return the QC dict.

    groups: group name -> reference sequence names (``epibench.data.groups``); every
    reference sequence must be in one group.
    """
    calls = read_calls(path, fmt, coverage_path)
    calls, ref_chrom, qc = on_reference(calls, reference)
    group_of = np.full(len(reference.chroms), -1, dtype=np.int32)
    index = {name: i for i, name in enumerate(reference.chroms)}
    for number, chroms in enumerate(groups.values()):
        unknown = [c for c in chroms if c not in index]
        if unknown:
            raise InputError(f"shard groups name sequences not in the reference: {unknown[:5]}")
        group_of[[index[c] for c in chroms]] = number
    call_group = group_of[ref_chrom]
    if (call_group < 0).any():
        missing = sorted({reference.chroms[c] for c in np.unique(ref_chrom[call_group < 0])})
        raise InputError(f"reference sequences {missing[:5]} are in no shard group (stale shard plan?)")
    layout = _layout(calls)
    rows = np.arange(len(calls), dtype=np.int64) if calls.row is None else calls.row
    with atomic_dir(out_dir) as tmp:
        for number, group in enumerate(groups):
            keep = call_group == number
            _write_calls(calls, ref_chrom, rows, keep, reference, layout, tmp / f"{group}.parquet")
    return qc | coverage_qc(calls, min_coverage)


def ingest_group(
    calls_path: str | os.PathLike, reference: Reference, min_coverage: int = 5, min_cg_share: float = 0.95
) -> tuple[pd.DataFrame, dict]:
    """Stage 2: the canonical table (FASTA order; possibly empty) and QC of one group's calls file."""
    calls, ref_chrom = read_group_calls(calls_path, reference)
    return canonical_cpgs(
        calls,
        ref_chrom,
        reference,
        applied_min_coverage(calls, min_coverage),
        min_cg_share,
        min_calls_to_judge=MIN_CALLS_TO_JUDGE,
    )


def merge_ingest_qc(
    sample_qc: dict, group_qcs: dict[str, dict], reference: Reference, min_coverage: int
) -> dict:
    """Stage 3: one sample's QC (the keys ``ingest.ingest`` gives) from stage 1's and each group's.

    Counts are summed; cg_share is weighted by calls, mean_coverage and mean_level by kept
    CpGs; ``groups`` keeps each group's own QC. Raises InputError (naming the sample's file)
    when no CpG was kept anywhere.
    """
    qc = {key: sum(g[key] for g in group_qcs.values()) for key in _SUMMED}
    check_kept(qc, sample_qc.get("input"), reference, min_coverage)
    judged = [g for g in group_qcs.values() if g["n_calls"]]
    qc["cg_share"] = sum(g["cg_share"] * g["n_calls"] for g in judged) / qc["n_calls"]
    kept = [g for g in group_qcs.values() if g["n_kept"]]
    for key in ("mean_coverage", "mean_level"):
        qc[key] = sum(g[key] * g["n_kept"] for g in kept) / qc["n_kept"]
    merged = sample_qc | qc
    if not sample_qc["coverage_known"]:
        merged["mean_coverage"] = None
    merged["warnings"] = sample_qc["warnings"] + [w for g in group_qcs.values() for w in g["warnings"]]
    merged["groups"] = group_qcs
    return merged


def read_group_calls(calls_path: str | os.PathLike, reference: Reference) -> tuple[Calls, np.ndarray]:
    """A ``split_calls`` file -> (Calls, (N,) int32 index into ``reference.chroms``)."""
    table = pq.read_table(calls_path)
    meta = table.schema.metadata or {}
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


def _layout(calls: Calls) -> bytes:
    """The metadata every group file of a sample carries (JSON bytes)."""
    source = {**calls.source.__dict__, "path": str(Path(calls.source.path).resolve())}
    return json.dumps({"source": source, "base": calls.base, "qc": calls.qc, "n_rows": calls.n_rows}).encode()


def _write_calls(
    calls: Calls,
    ref_chrom: np.ndarray,
    rows: np.ndarray,
    keep: np.ndarray,
    reference: Reference,
    layout: bytes,
    path: Path,
) -> None:
    """One group's calls (rows where ``keep``) as Parquet with the layout metadata."""
    columns = {
        "chrom": pa.DictionaryArray.from_arrays(
            ref_chrom[keep], pa.array(list(reference.chroms), pa.string())
        ),
        "pos": calls.pos[keep],
        "strand": calls.strand[keep].astype(np.int8),
        "n_meth": calls.n_meth[keep].astype(np.float64),
        "n_total": calls.n_total[keep].astype(np.int64),
        "row": rows[keep],
    }
    table = pa.table(columns).replace_schema_metadata({_META_KEY: layout})
    pq.write_table(table, path)
