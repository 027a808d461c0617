"""Benchmark: a sample given as lanes (several files, pooled per CpG) against the same reads in one file.

A sample sequenced on several lanes comes as one methylation file per lane (one sheet row each,
under the sample's name). The scattered ingest reads each file and checks it on its own, then
sums the reads of each CpG over the files (``group_ingest.split_sample``, ``ingest_group``:
``canonical.pooled_cpgs``) before the coverage filter. This measures what pooling costs.

What is generated (deterministic, into a temporary folder removed at the end): one random
chromosome of ``--mb`` Mb (20; 4 with ``--quick``), a Bismark coverage row on both bases of every
CpG with 4-40 reads, and the same reads dealt to ``--lanes`` (4) files, each row's reads split
evenly (a lane with none of a row's reads leaves the row out).

Measured in one process, the reference prepared as the reference stage does: stage 1 and
stage 2 of the scattered ingest (``split_sample`` into one shard group, ``ingest_group``) of the
lanes, and of the one file (the baseline). The canonical tables are checked to be equal. The
ratio is the lanes' CpGs/s over the one file's: the lanes hold up to ``--lanes`` times the rows.

    .venv/bin/python benchmarks/bench_pool.py            # 20 Mb, ~1 min
    .venv/bin/python benchmarks/bench_pool.py --quick    # 4 Mb, ~15 s

The last printed line is one JSON object (``bench``, ``value`` = canonical CpGs/s from the lanes,
``unit``, ``baseline``, ``baseline_value`` = from the one file, ``ratio``: below 1 by what the lanes'
extra rows and the pooling cost; the rows, CpGs and seconds of each).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from epibench.io.methylation.group_ingest import CallsFile, ingest_group, split_sample
from epibench.io.reference import Reference, write_reference_index

LINE_BP = 60


def write_inputs(
    folder: Path, n_bp: int, lanes: int, rng: np.random.Generator
) -> tuple[Path, Path, list[Path]]:
    """The FASTA, the one coverage file and the ``lanes`` lane files of the same reads; their paths."""
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, n_bp)]
    fasta = folder / "genome.fa"
    text = bases.tobytes().decode()
    fasta.write_text(">chr1\n" + "".join(text[i : i + LINE_BP] + "\n" for i in range(0, n_bp, LINE_BP)))
    cpgs = np.flatnonzero((bases[:-1] == ord("C")) & (bases[1:] == ord("G")))
    pos = np.sort(np.concatenate([cpgs, cpgs + 1]))  # both bases, 0-based
    total = rng.integers(4, 41, len(pos))
    meth = rng.binomial(total, rng.random(len(pos)))
    one = folder / "all.cov.gz"
    _write_cov(one, pos, meth, total)
    lane_paths = []
    for lane in range(lanes):
        lane_total = total // lanes + (lane < total % lanes)  # the reads dealt one by one
        lane_meth = meth // lanes + (lane < meth % lanes)  # never above lane_total, as meth <= total
        path = folder / f"lane{lane + 1}.cov.gz"
        keep = lane_total > 0
        _write_cov(path, pos[keep], lane_meth[keep], lane_total[keep])
        lane_paths.append(path)
    return fasta, one, lane_paths


def _write_cov(path: Path, pos: np.ndarray, meth: np.ndarray, total: np.ndarray) -> None:
    """Bismark coverage rows (1-based start = end, percent, methylated, unmethylated)."""
    percent = np.where(total > 0, 100 * meth / np.maximum(total, 1), 0)
    rows = pd.DataFrame(
        {"c": "chr1", "s": pos + 1, "e": pos + 1, "p": percent.round(2), "m": meth, "u": total - meth}
    )
    with gzip.open(path, "wt", compresslevel=1) as out:
        rows.to_csv(out, sep="\t", header=False, index=False)


def ingest_scattered(paths: list[Path], reference: Reference, out: Path) -> tuple[pd.DataFrame, float]:
    """Stage 1 and 2 of the scattered ingest of one sample of ``paths``: (table, seconds)."""
    start = time.perf_counter()
    split_sample([CallsFile(p, "bismark_cov") for p in paths], reference, {"all": ["chr1"]}, out)
    files = [out / str(k) / "all.parquet" for k in range(1, len(paths) + 1)]
    table, _ = ingest_group(files, reference, min_coverage=5)
    return table, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 Mb: under a minute")
    parser.add_argument("--mb", type=float, default=20.0, help="chromosome length (Mb)")
    parser.add_argument("--lanes", type=int, default=4)
    args = parser.parse_args()
    n_bp = int((4.0 if args.quick else args.mb) * 1e6)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fasta, one, lanes = write_inputs(folder, n_bp, args.lanes, np.random.default_rng(0))
        reference = Reference(write_reference_index(fasta, folder / "ref"))
        rows_one = sum(1 for _ in gzip.open(one, "rt"))
        rows_lanes = sum(1 for p in lanes for _ in gzip.open(p, "rt"))
        want, seconds_one = ingest_scattered([one], reference, folder / "one")
        got, seconds_lanes = ingest_scattered(lanes, reference, folder / "lanes")
        pd.testing.assert_frame_equal(got, want)
        value, baseline = len(got) / seconds_lanes, len(want) / seconds_one
        print(
            f"one file: {rows_one:,} rows in {seconds_one:.2f} s; {args.lanes} lanes: {rows_lanes:,} rows in "
            f"{seconds_lanes:.2f} s; {len(got):,} CpGs, equal"
        )
        print(
            json.dumps(
                {
                    "bench": "pool",
                    "value": round(value),
                    "unit": "CpGs/s",
                    "baseline": "the same reads in one file",
                    "baseline_value": round(baseline),
                    "ratio": round(value / baseline, 3),
                    "lanes": args.lanes,
                    "rows_lanes": rows_lanes,
                    "rows_one": rows_one,
                    "cpgs": len(got),
                    "seconds_lanes": round(seconds_lanes, 3),
                    "seconds_one": round(seconds_one, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
