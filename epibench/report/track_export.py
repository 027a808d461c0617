"""Genome-browser bigWig export: predictions, errors and attributions of a cohort as bigWig tracks.

Files written into ``out_dir`` (normally ``results/<cohort>/tracks/``):

- ``<model>.<sample>.predicted.bw``: predicted methylation level (0-1) of each test CpG;
- ``<model>.<sample>.error.bw``: ``level_pred - level_true`` (signed, -1..1; > 0 means the
  model predicted more methylation than was measured);
- ``test.<sample>.observed.bw``: the measured methylation level (0-1) of the same test CpGs, once
  per sample (every model is scored on the same CpGs), to read the predictions against;
- ``<model>.<sample>.attribution.bw``: per-base sequence attribution (integrated gradients,
  in units of the predicted level) over the window of each attributed CpG; where windows of
  nearby CpGs overlap, the mean of their attributions at that base.

:func:`export_tracks` writes them all, then the datahub listing them with the input histone
bigWigs (:mod:`epibench.report.datahub`).

Coordinates: bigWig intervals are 0-based, half-open. A CpG at 0-based ``pos`` (the C on the
+ strand) is written as the 2-bp interval [pos, pos + 2), covering its C and its G (the CpG is
called on both strands together), so the value shows on either base; CpGs never overlap (the
next CpG starts at pos + 2 at the earliest). Every bigWig's header lists the sequences of the reference's
``chrom_sizes.tsv`` in its order, with its lengths, whether or not a sequence has data.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig

from epibench.data.windows import window_starts
from epibench.errors import InputError
from epibench.evaluate.tables import check_predictions
from epibench.io.atomic import atomic_path
from epibench.io.chroms import harmonise
from epibench.io.stale import remove_unlisted
from epibench.report.datahub import (
    ATTRIBUTION,
    ERROR,
    INPUTS_DIR,
    OBSERVED,
    OBSERVED_NAME,
    PREDICTED,
    exported_tracks,
    write_hub,
)

log = logging.getLogger(__name__)

CPG_SPAN = 2  # bp written per CpG: its C and its G
MAX_RENAMED_BYTES = 512 * 2**20  # an input bigWig on other names larger than this is not copied for the hub
ATTRIBUTION_KEYS = ("seq_attr", "sample", "chrom", "pos", "window")


def read_chrom_sizes(chrom_sizes_tsv: str | os.PathLike) -> dict[str, int]:
    """Sequence name -> length (bp), in reference order, from the reference stage's chrom_sizes.tsv."""
    table = pd.read_csv(chrom_sizes_tsv, sep="\t", dtype={"chrom": str})
    if not {"chrom", "length"} <= set(table.columns):
        raise InputError("needs columns chrom and length", path=chrom_sizes_tsv)
    if table.empty:
        raise InputError("lists no sequence", path=chrom_sizes_tsv)
    return dict(zip(table["chrom"], table["length"].astype(np.int64).tolist()))


def _chrom_codes(chrom: np.ndarray, chrom_sizes: dict[str, int], path: str | os.PathLike) -> np.ndarray:
    """Index of each row's sequence in ``chrom_sizes`` order, (N,) int64; InputError naming ``path``
    for a sequence the reference lacks."""
    codes = pd.Index(list(chrom_sizes)).get_indexer(np.asarray(chrom, dtype=str)).astype(np.int64)
    unknown = codes < 0
    if unknown.any():
        names = sorted(set(np.asarray(chrom)[unknown].tolist()))
        raise InputError(f"sequence(s) {names[:5]} not in the reference's chrom_sizes", path=path)
    return codes


def _write_bigwig(
    out: Path,
    chrom_sizes: dict[str, int],
    codes: np.ndarray,
    starts: np.ndarray,
    values: np.ndarray,
    span: int,
) -> Path:
    """Write ``span``-bp entries atomically to ``out``; header = every sequence of ``chrom_sizes``.

    codes: (N,) int64 sequence index (``chrom_sizes`` order); starts: (N,) int64 0-based;
    values: (N,) float, N > 0. Rows must be sorted by (codes, starts), no two entries overlapping.
    """
    names = list(chrom_sizes)
    runs = np.split(np.arange(len(codes)), np.flatnonzero(np.diff(codes)) + 1)
    with atomic_path(out) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(chrom_sizes.items()))
            for idx in runs:  # one run of rows per sequence
                bw.addEntries(
                    names[codes[idx[0]]],
                    starts[idx].astype(np.int64),
                    values=values[idx].astype(np.float64),
                    span=span,
                )
        finally:
            bw.close()
    return out


def _cpg_codes(
    chrom: np.ndarray, pos: np.ndarray, chrom_sizes: dict[str, int], path: str | os.PathLike
) -> np.ndarray:
    """Sequence index (``chrom_sizes`` order) of each CpG, (N,) int64; InputError naming ``path``
    when a CpG's sequence is unknown or its [pos, pos + 2) leaves the sequence."""
    codes = _chrom_codes(chrom, chrom_sizes, path)
    lengths = np.asarray(list(chrom_sizes.values()), dtype=np.int64)[codes]
    outside = (pos < 0) | (pos + CPG_SPAN > lengths)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise InputError(f"CpG {chrom[row]}:{pos[row]} lies outside its sequence", path=path)
    return codes


def _sorted_cpgs(
    chrom: np.ndarray, pos: np.ndarray, chrom_sizes: dict[str, int], path: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray]:
    """Sequence codes (N,) and the row order (N,) sorting CpGs by (reference order, pos).

    InputError naming ``path`` as :func:`_cpg_codes` does, or when a CpG repeats.
    """
    codes = _cpg_codes(chrom, pos, chrom_sizes, path)
    order = np.lexsort((pos, codes))
    repeated = (np.diff(codes[order]) == 0) & (np.diff(pos[order]) == 0)
    if repeated.any():
        row = int(order[np.flatnonzero(repeated)[0]])
        raise InputError(f"CpG {chrom[row]}:{pos[row]} appears twice for one sample", path=path)
    return codes, order


def write_prediction_tracks(
    predictions_parquet: str | os.PathLike, chrom_sizes_tsv: str | os.PathLike, out_dir: str | os.PathLike
) -> list[Path]:
    """Per (model, sample) of a predictions table, ``<model>.<sample>.predicted.bw`` (level_pred)
    and ``<model>.<sample>.error.bw`` (level_pred - level_true), one 2-bp entry per CpG.

    Returns the paths written, predicted before error for each sample, in table order.
    """
    preds = pd.read_parquet(predictions_parquet)
    if preds.empty:
        raise InputError("holds no predictions", path=predictions_parquet)
    check_predictions(preds, predictions_parquet)
    chrom_sizes = read_chrom_sizes(chrom_sizes_tsv)
    out_dir = Path(out_dir)
    written = []
    for (model, sample), rows in preds.groupby(["model", "sample"], sort=False):
        level_pred = rows["level_pred"].to_numpy(dtype=np.float64)
        level_true = rows["level_true"].to_numpy(dtype=np.float64)
        for kind, values in ((PREDICTED, level_pred), (ERROR, level_pred - level_true)):
            out = out_dir / f"{model}.{sample}.{kind}.bw"
            written.append(write_cpg_track(rows, values, chrom_sizes, out, predictions_parquet))
    return written


def write_observed_tracks(
    predictions_parquet: str | os.PathLike, chrom_sizes_tsv: str | os.PathLike, out_dir: str | os.PathLike
) -> list[Path]:
    """Per sample of a predictions table, ``test.<sample>.observed.bw``: its test CpGs' measured
    level (level_true), one 2-bp entry per CpG, from the table's first model (every model of a
    cohort is scored on the same CpGs). Returns the paths written, in table order."""
    preds = pd.read_parquet(predictions_parquet, columns=["model", "sample", "chrom", "pos", "level_true"])
    first = preds[preds["model"] == preds["model"].iloc[0]] if len(preds) else preds
    chrom_sizes = read_chrom_sizes(chrom_sizes_tsv)
    return [
        write_cpg_track(
            rows,
            rows["level_true"].to_numpy(np.float64),
            chrom_sizes,
            Path(out_dir) / f"{OBSERVED_NAME}.{sample}.{OBSERVED}.bw",
            predictions_parquet,
        )
        for sample, rows in first.groupby("sample", sort=False)
    ]


def write_cpg_track(
    rows: pd.DataFrame, values: np.ndarray, chrom_sizes: dict[str, int], out: Path, source: str | os.PathLike
) -> Path:
    """A bigWig of one value per CpG (``rows``' chrom and pos, any order; ``values`` (N,) float in
    the same order), a 2-bp entry each; InputError naming ``source`` for unknown or repeated CpGs."""
    pos = rows["pos"].to_numpy(dtype=np.int64)
    codes, order = _sorted_cpgs(rows["chrom"].to_numpy(dtype=str), pos, chrom_sizes, source)
    return _write_bigwig(out, chrom_sizes, codes[order], pos[order], np.asarray(values)[order], CPG_SPAN)


def _load_attributions(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of attributions.npz: seq_attr (N, W) float (a trailing per-letter axis summed),
    sample, chrom (N,) str, pos (N,) int64, window () int. InputError naming ``path`` when a key
    is missing, N is 0 or the shapes disagree."""
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in ATTRIBUTION_KEYS if k not in npz.files]
        if missing:
            raise InputError(f"lacks array(s) {missing}", path=path)
        arrays = {k: npz[k] for k in ATTRIBUTION_KEYS}
    seq_attr = arrays["seq_attr"]
    if seq_attr.ndim == 3:
        seq_attr = seq_attr.sum(axis=-1)
    n, window = len(seq_attr), int(arrays["window"])
    if n == 0:
        raise InputError("holds no attributed CpG", path=path)
    if seq_attr.ndim != 2 or seq_attr.shape[1] != window:
        raise InputError(
            f"seq_attr has shape {arrays['seq_attr'].shape}, expected (N, {window}[, 5])", path=path
        )
    if any(len(arrays[k]) != n for k in ("sample", "chrom", "pos")):
        raise InputError(
            f"sample, chrom and pos must each hold {n} values (one per row of seq_attr)", path=path
        )
    return {
        "seq_attr": seq_attr.astype(np.float64),
        "sample": arrays["sample"].astype(str),
        "chrom": arrays["chrom"].astype(str),
        "pos": arrays["pos"].astype(np.int64),
        "window": np.int64(window),
    }


def mean_over_windows(
    codes: np.ndarray, starts: np.ndarray, values: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-base mean of overlapping windows.

    codes: (N,) sequence index; starts: (N,) 0-based window starts (may be negative);
    values: (N, W) per-base values; lengths: (n_sequences,) bp. Returns (codes, positions,
    means), each (M,), one entry per base covered by at least one window and inside its
    sequence, sorted by (code, position).
    """
    width = values.shape[1]
    flat_pos = (starts[:, None] + np.arange(width)).ravel()
    flat_code = np.repeat(codes, width)
    inside = (flat_pos >= 0) & (flat_pos < lengths[flat_code])
    stride = int(lengths.max()) + 1  # one key per (sequence, base), ordered like (code, position)
    bases, which = np.unique(flat_code[inside] * stride + flat_pos[inside], return_inverse=True)
    means = np.bincount(which, weights=values.ravel()[inside]) / np.bincount(which)
    return bases // stride, bases % stride, means


def write_attribution_track(
    attributions_npz: str | os.PathLike,
    chrom_sizes_tsv: str | os.PathLike,
    out_dir: str | os.PathLike,
    model: str,
) -> list[Path]:
    """Per sample of attributions.npz, ``<model>.<sample>.attribution.bw``: each attributed CpG's
    per-base attribution over its window [pos - (W//2 - 1), pos + W//2 + 1), 1-bp entries, the mean
    where windows overlap, bases outside their sequence dropped. Returns the paths, samples in
    order of first appearance."""
    arrays = _load_attributions(attributions_npz)
    chrom_sizes = read_chrom_sizes(chrom_sizes_tsv)
    lengths = np.asarray(list(chrom_sizes.values()), dtype=np.int64)
    codes = _cpg_codes(arrays["chrom"], arrays["pos"], chrom_sizes, attributions_npz)
    starts = window_starts(arrays["pos"], int(arrays["window"]))
    written = []
    for sample in pd.unique(arrays["sample"]):
        rows = arrays["sample"] == sample
        base_codes, positions, means = mean_over_windows(
            codes[rows], starts[rows], arrays["seq_attr"][rows], lengths
        )
        out = Path(out_dir) / f"{model}.{sample}.{ATTRIBUTION}.bw"
        written.append(_write_bigwig(out, chrom_sizes, base_codes, positions, means, 1))
    return written


def export_tracks(
    predictions: Sequence[str | os.PathLike],
    chrom_sizes_tsv: str | os.PathLike,
    out_dir: str | os.PathLike,
    input_tracks: dict[str, dict[str, str | os.PathLike]],
    attributions_npz: str | os.PathLike | None = None,
    attribution_model: str = "",
    base_url: str = "",
    linked: dict[str, dict[str, str | os.PathLike]] | None = None,
    aliases: dict[str, str] | None = None,
) -> Path:
    """All tracks of a cohort and their hub: prediction and error tracks of every predictions table,
    the measured levels of the test CpGs (``write_observed_tracks``, from the first table), the attribution track of ``attribution_model`` when ``attributions_npz`` is given, the inputs
    (on the reference's names: ``on_reference_names``, with ``aliases``, the reference stage's other
    names of its sequences), and the ``linked`` bigWigs of other results (kind -> sample -> bigWig:
    an imputed sample's levels, a sample's variant deltas; datahub.write_hub). Returns
    the hub's path."""
    warn_of_bare_names(read_chrom_sizes(chrom_sizes_tsv))
    paths = write_observed_tracks(predictions[0], chrom_sizes_tsv, out_dir) if predictions else []
    paths += [p for table in predictions for p in write_prediction_tracks(table, chrom_sizes_tsv, out_dir)]
    if attributions_npz is not None:
        paths += write_attribution_track(attributions_npz, chrom_sizes_tsv, out_dir, attribution_model)
    inputs = on_reference_names(input_tracks, read_chrom_sizes(chrom_sizes_tsv), out_dir, aliases)
    hub = write_hub(out_dir, exported_tracks(paths), inputs, base_url, linked)
    remove_unlisted(out_dir, "*.bw", paths)  # a removed sample's tracks leave the hub's folder too
    kept = [p for tracks in [*inputs.values(), *(linked or {}).values()] for p in tracks.values()]
    remove_unlisted(Path(out_dir) / INPUTS_DIR, "*.bw", kept)  # the links of the linked results too
    return hub


# chromosome names without "chr": Ensembl's (a number, X, Y, W, Z, MT) and NCBI's accessions
# (NC_007112.7, CM000663.2)
_BARE_CHROMOSOME = re.compile(r"[0-9]+|[XYWZ]|MT|[A-Z]{2}_?[0-9]+\.[0-9]+")


def warn_of_bare_names(chrom_sizes: dict[str, int]) -> None:
    """A warning where the reference names its chromosomes without ``chr`` (Ensembl's 1, 2, X, MT,
    NCBI's NC_007112.7): the tracks carry the reference's names, and a browser whose assembly names
    them chr1, chr2, ... (the WashU and UCSC browsers' hg38, mm10, danRer11) shows nothing on them."""
    bare = [name for name in chrom_sizes if _BARE_CHROMOSOME.fullmatch(name)]
    if bare and not any(name.startswith("chr") for name in chrom_sizes):
        log.warning(
            "the tracks name the sequences as the reference does (%s): a genome browser whose assembly "
            "names them chr1, chr2, ... (the WashU browser's hg38, mm10) shows no track on them. Load "
            "them in IGV with the cohort's FASTA as its genome, or give the cohort a chr-named FASTA "
            "(UCSC's) to view them there",
            ", ".join(bare[:3]) + (", ..." if len(bare) > 3 else ""),
        )


def on_reference_names(
    input_tracks: dict[str, dict[str, str | os.PathLike]],
    chrom_sizes: dict[str, int],
    out_dir: str | os.PathLike,
    aliases: dict[str, str] | None = None,
) -> dict[str, dict[str, str | os.PathLike]]:
    """``input_tracks`` (sample -> mark -> bigWig) as the browser can show them beside the exported
    tracks, on the reference's sequence names: a bigWig that names its sequences otherwise (``1``
    for ``chr1``, ``MT`` for ``chrM``) is copied under the reference's names into
    ``out_dir/inputs/<sample>.<mark>.bw`` (up to ``MAX_RENAMED_BYTES``; a larger one is left out of
    the hub with a warning); the others stay as they are (linked by the hub). aliases: other name
    -> reference name (``NC_000001.11`` -> ``chr1``), beside the spellings ``harmonise`` knows."""
    shown: dict[str, dict[str, str | os.PathLike]] = {}
    for sample, marks in input_tracks.items():
        for mark, path in marks.items():
            renamed = _renamed(path, chrom_sizes, aliases)
            if renamed is None:
                shown.setdefault(sample, {})[mark] = path
            elif os.path.getsize(path) > MAX_RENAMED_BYTES:
                log.warning(
                    "%s names its sequences otherwise than the reference (%s): too large to copy under the "
                    "reference's names, left out of the hub",
                    path,
                    ", ".join(f"{a} -> {b}" for a, b in list(renamed.items())[:3]),
                )
            else:
                copy = Path(out_dir) / INPUTS_DIR / f"{sample}.{mark}.bw"
                _write_renamed(path, renamed, chrom_sizes, copy)
                shown.setdefault(sample, {})[mark] = copy
    return shown


def _renamed(
    path: str | os.PathLike, chrom_sizes: dict[str, int], aliases: dict[str, str] | None = None
) -> dict[str, str] | None:
    """The bigWig's sequence names -> the reference's, where any differs (None where all are the
    reference's own or none is the reference's at all)."""
    handle = pyBigWig.open(os.fspath(path))
    try:
        names = list(handle.chroms())
    finally:
        handle.close()
    mapping = {
        name: ref for name, ref in harmonise(names, list(chrom_sizes), aliases).items() if ref is not None
    }
    return mapping if any(name != ref for name, ref in mapping.items()) else None


def _write_renamed(
    path: str | os.PathLike, renamed: dict[str, str], chrom_sizes: dict[str, int], out: Path
) -> None:
    """Copy the bigWig ``path`` to ``out`` (atomically) with the reference's header and its
    intervals on ``renamed``'s sequences under the reference's names."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_symlink():  # an earlier run's link to the original
        out.unlink()
    source = pyBigWig.open(os.fspath(path))
    by_reference = {ref: name for name, ref in renamed.items()}
    try:
        with atomic_path(out) as tmp:
            bw = pyBigWig.open(str(tmp), "w")
            try:
                bw.addHeader(list(chrom_sizes.items()))
                for chrom in chrom_sizes:
                    intervals = source.intervals(by_reference[chrom]) if chrom in by_reference else None
                    if not intervals:
                        continue
                    starts, ends, values = (np.asarray(column) for column in zip(*intervals))
                    bw.addEntries(
                        [chrom] * len(starts),
                        starts.astype(np.int64).tolist(),
                        ends=ends.astype(np.int64).tolist(),
                        values=values.astype(np.float64).tolist(),
                    )
            finally:
                bw.close()
    finally:
        source.close()
