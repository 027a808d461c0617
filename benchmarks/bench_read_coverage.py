"""Benchmark: a mark given as aligned reads -> coverage bigWig (``epibench.io.read_coverage``).

What is generated (deterministic, ``--seed``, into a temporary folder removed at the end): a
coordinate-sorted BAM of ``--reads`` single-end 50-bp reads (2 M by default, 300 k with
``--quick``; a ChIP-seq library has 20-40 M) on two chromosomes of 50 Mb, both strands, mapping
quality 0-60 (about 1 in 6 below 10), 3 % flagged duplicate; and the same reads as a gzipped
tagAlign (ENCODE's BED6 of reads).

Measured, each in a fresh ``python`` subprocess (peak RSS = the process's VmHWM):

- ``write_mark_bigwig(bam, lengths, out)`` with the defaults (fragments of 200 bp, MAPQ >= 10,
  50-bp bins, CPM);
- the same for the tagAlign;
- baseline: ``bedtools genomecov -ibam x.bam -bg -fs 200`` into a file (per-base coverage of the
  extended reads, no filtering, no binning, no bigWig): the tool labs use for the same job.

    .venv/bin/python benchmarks/bench_read_coverage.py            # 2 M reads, ~1 min
    .venv/bin/python benchmarks/bench_read_coverage.py --quick    # 300 k reads, < 30 s

The last printed line is one JSON object (``bench``, ``value`` = BAM records/s, ``unit``,
``baseline``, ``baseline_value``, ``ratio``, ``peak_rss_mb``, and the tagAlign's figures).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import dispatch, measure, run_child  # noqa: E402

CHROM_BP = 50_000_000
READ_BP = 50


def write_reads(bam: Path, tagalign: Path, n_reads: int, rng: np.random.Generator) -> dict[str, int]:
    """``n_reads`` sorted single-end reads as a BAM and a gzipped tagAlign; returns the lengths."""
    import pysam

    lengths = {"chr1": CHROM_BP, "chr2": CHROM_BP}
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": c, "LN": n} for c, n in lengths.items()]}
    chrom = np.sort(rng.integers(0, 2, n_reads))
    starts = rng.integers(0, CHROM_BP - READ_BP, n_reads)
    order = np.lexsort((starts, chrom))
    chrom, starts = chrom[order], starts[order]
    reverse = rng.random(n_reads) < 0.5
    mapq = rng.integers(0, 61, n_reads)
    duplicate = rng.random(n_reads) < 0.03
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out, gzip.open(tagalign, "wt") as text:
        for i in range(n_reads):
            read = pysam.AlignedSegment(out.header)
            read.query_name = f"r{i}"
            read.reference_id = int(chrom[i])
            read.reference_start = int(starts[i])
            read.cigarstring = f"{READ_BP}M"
            read.query_sequence = "A" * READ_BP
            read.mapping_quality = int(mapq[i])
            read.flag = (16 if reverse[i] else 0) | (1024 if duplicate[i] else 0)
            out.write(read)
            name = f"chr{chrom[i] + 1}"
            text.write(f"{name}\t{starts[i]}\t{starts[i] + READ_BP}\tN\t1000\t{'-' if reverse[i] else '+'}\n")
    return lengths


def _child(argv: list[str]) -> None:
    kind, path = argv[0], argv[1]
    if kind == "convert":
        from epibench.io.mark_tracks import write_mark_bigwig

        m = measure(lambda: write_mark_bigwig(path, json.loads(argv[2]), argv[3]))
        qc = m.pop("result")
        m |= {"n_records": qc["n_intervals"], "n_kept": qc["n_kept"]}
    elif kind == "genomecov":
        bedtools = shutil.which("bedtools")

        def run() -> int:
            with open(argv[2], "w") as out:
                subprocess.run(
                    [bedtools, "genomecov", "-ibam", path, "-bg", "-fs", "200"], stdout=out, check=True
                )
            return 0

        m = measure(run)
        m.pop("result")
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(m))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 k reads")
    parser.add_argument("--reads", type=int, default=None, help="reads (2 M; 300 k with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n_reads = args.reads or (300_000 if args.quick else 2_000_000)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench_read_coverage_") as tmp:
        work = Path(tmp)
        lengths = write_reads(work / "reads.bam", work / "reads.tagAlign.gz", n_reads, rng)
        script = Path(__file__).resolve()
        bam = run_child(script, "convert", str(work / "reads.bam"), json.dumps(lengths), str(work / "a.bw"))
        tagalign = run_child(
            script, "convert", str(work / "reads.tagAlign.gz"), json.dumps(lengths), str(work / "b.bw")
        )
        baseline = run_child(script, "genomecov", str(work / "reads.bam"), str(work / "c.bedGraph"))
    for name, run in (("BAM", bam), ("tagAlign", tagalign), ("bedtools genomecov", baseline)):
        print(f"{name}: {n_reads:,} records in {run['wall_s']:.2f} s, peak RSS {run['peak_rss_mb']:.0f} MB")
    value = bam["n_records"] / bam["wall_s"]
    baseline_value = n_reads / baseline["wall_s"]
    result = {
        "bench": "read_coverage",
        "value": round(value),
        "unit": "BAM records/s",
        "baseline": "bedtools genomecov -ibam -bg -fs 200 (per-base bedGraph, no filter, no bigWig)",
        "baseline_value": round(baseline_value),
        "ratio": round(value / baseline_value, 3),
        "peak_rss_mb": round(bam["peak_rss_mb"]),
        "reads": n_reads,
        "counted": bam["n_kept"],
        "seconds": round(bam["wall_s"], 2),
        "tagalign_lines_per_s": round(tagalign["n_records"] / tagalign["wall_s"]),
        "tagalign_peak_rss_mb": round(tagalign["peak_rss_mb"]),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    dispatch(main, _child)
