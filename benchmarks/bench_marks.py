"""Benchmark: a mark given as bedGraph or peaks -> bigWig (``epibench.io.mark_tracks.write_mark_bigwig``).

What is generated (deterministic, ``--seed``, into a temporary folder removed at the end):

- a bedGraph as deepTools ``bamCoverage --binSize 50 --outFileFormat bedgraph`` writes one:
  ``--lines`` lines (10 M by default, 1 M with ``--quick``; a human genome at 50-bp bins is
  ~60 M) of adjacent 50-bp bins over chromosomes of 100 Mb, merged where neighbours share a
  value (runs of 1-4 bins), values rounded to 2 decimals as coverage in RPKM;
- a wiggle of the same number of lines, as UCSC's and older GEO tracks give signal: one
  ``fixedStep chrom= start=1 step=50 span=50`` section per chromosome, a value per 50-bp bin;
- a narrowPeak of ``--peaks`` peaks (200 k, an ENCODE replicated-peak file's size; 20 k with
  ``--quick``) of 200-2,000 bp on the same chromosomes, 5 % overlapping their neighbour.

Measured, each in a fresh ``python`` subprocess (peak RSS = the process's VmHWM, see
``bench_ingest._peak_rss_mb``):

- ``write_mark_bigwig(bedGraph, lengths, out)``: read, sorted and checked per chromosome,
  bigWig written;
- the same for the wiggle; and its reading alone, by the chunk reader (``interval_chunks``,
  ``wig_read_lines_per_s``) and by the line-by-line reader (``line_records``, what read every
  wiggle before the chunk reader and still reads the rest of a file from a chunk that one
  refuses; ``wig_line_reader_lines_per_s``);
- the same for the narrowPeak (peaks painted into non-overlapping segments, 0 between);
- baseline: ``pandas.read_csv(bedGraph, sep="\\t", header=None)``: it only parses the text.

    .venv/bin/python benchmarks/bench_marks.py            # 10 M lines, ~1 min
    .venv/bin/python benchmarks/bench_marks.py --quick    # 1 M lines, < 20 s

The last printed line is one JSON object (``bench``, ``value`` = bedGraph lines/s,
``unit``, ``baseline``, ``baseline_value``, ``ratio``, ``peak_rss_mb``, bytes of memory per
line, and the peaks' figures).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import dispatch, measure, run_child  # noqa: E402

CHROM_BP = 100_000_000
BIN_BP = 50


def lengths_for(n_bins: int) -> dict[str, int]:
    """Chromosomes of CHROM_BP that hold ``n_bins`` bins of BIN_BP."""
    n_chroms = -(-n_bins * BIN_BP // CHROM_BP)
    return {f"chr{i + 1}": CHROM_BP for i in range(n_chroms)}


def write_bedgraph(path: Path, n_lines: int, rng: np.random.Generator) -> dict[str, int]:
    """``n_lines`` adjacent intervals of 1-4 bins (module docstring); returns the chromosome lengths."""
    bins = rng.integers(1, 5, size=n_lines)
    lengths = lengths_for(int(bins.sum()))
    values = np.round(rng.gamma(1.5, 0.8, size=n_lines), 2)
    with open(path, "w") as fh:
        done = 0
        for chrom, length in lengths.items():
            ends = np.cumsum(bins[done:]) * BIN_BP
            n = int(np.searchsorted(ends, length, side="right"))
            ends = ends[:n]
            starts = np.concatenate([[0], ends[:-1]])
            fh.writelines(
                f"{chrom}\t{s}\t{e}\t{v}\n"
                for s, e, v in zip(starts.tolist(), ends.tolist(), values[done : done + n])
            )
            done += n
            if done >= n_lines:
                break
    return lengths


def write_wiggle(path: Path, n_lines: int, lengths: dict[str, int], rng: np.random.Generator) -> None:
    """``n_lines`` fixedStep values of 50-bp bins, a section per chromosome of ``lengths``."""
    values = np.round(rng.gamma(1.5, 0.8, size=n_lines), 2)
    per_chrom = CHROM_BP // BIN_BP
    with open(path, "w") as fh:
        for i, chrom in enumerate(lengths):
            part = values[i * per_chrom : (i + 1) * per_chrom]
            if not len(part):
                break
            fh.write(f"fixedStep chrom={chrom} start=1 step={BIN_BP} span={BIN_BP}\n")
            fh.writelines(f"{v}\n" for v in part.tolist())


def write_narrowpeak(path: Path, n_peaks: int, lengths: dict[str, int], rng: np.random.Generator) -> None:
    """``n_peaks`` peaks spread over ``lengths``, sorted, 5 % overlapping the next one."""
    chroms = rng.choice(list(lengths), size=n_peaks)
    starts = rng.integers(0, CHROM_BP - 3_000, size=n_peaks)
    widths = rng.integers(200, 2_000, size=n_peaks)
    order = np.lexsort((starts, chroms))
    with open(path, "w") as fh:
        for i, (c, s, w) in enumerate(zip(chroms[order], starts[order], widths[order])):
            signal = rng.gamma(2.0, 5.0)
            fh.write(f"{c}\t{s}\t{s + w}\tpeak_{i}\t0\t.\t{signal:.3f}\t-1\t{signal / 2:.3f}\t{w // 2}\n")


def _child(argv: list[str]) -> None:
    kind, path = argv[0], argv[1]
    if kind == "convert":
        from epibench.io.mark_tracks import write_mark_bigwig

        lengths = json.loads(argv[2])
        m = measure(lambda: write_mark_bigwig(path, lengths, argv[3]))
        m["n_kept"] = m.pop("result")["n_kept"]
    elif kind == "wig_chunks":
        from epibench.io.mark_readers import interval_chunks

        m = measure(lambda: sum(len(chunk) for chunk in interval_chunks(path, "wig")))
        m["n_kept"] = m.pop("result")
    elif kind == "wig_lines":
        from epibench.io.mark_readers import line_records

        m = measure(lambda: sum(1 for _ in line_records(path, "wig")))
        m["n_kept"] = m.pop("result")
    elif kind == "pandas":
        import pandas as pd

        m = measure(lambda: len(pd.read_csv(path, sep="\t", header=None)))
        m["n_kept"] = m.pop("result")
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(m))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 M lines, 20 k peaks")
    parser.add_argument("--lines", type=int, default=None, help="bedGraph lines (10 M; 1 M with --quick)")
    parser.add_argument("--peaks", type=int, default=None, help="narrowPeak peaks (200 k; 20 k with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n_lines = args.lines or (1_000_000 if args.quick else 10_000_000)
    n_peaks = args.peaks or (20_000 if args.quick else 200_000)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench_marks_") as tmp:
        work = Path(tmp)
        lengths = write_bedgraph(work / "cov.bedGraph", n_lines, rng)
        write_narrowpeak(work / "peaks.narrowPeak", n_peaks, lengths, rng)
        write_wiggle(work / "cov.wig", n_lines, lengths, rng)
        script = Path(__file__).resolve()
        bedgraph = run_child(
            script, "convert", str(work / "cov.bedGraph"), json.dumps(lengths), str(work / "a.bw")
        )
        peaks = run_child(
            script, "convert", str(work / "peaks.narrowPeak"), json.dumps(lengths), str(work / "b.bw")
        )
        wiggle = run_child(script, "convert", str(work / "cov.wig"), json.dumps(lengths), str(work / "c.bw"))
        wiggle_chunks = run_child(script, "wig_chunks", str(work / "cov.wig"))
        wiggle_lines = run_child(script, "wig_lines", str(work / "cov.wig"))
        baseline = run_child(script, "pandas", str(work / "cov.bedGraph"))
        file_mb = (work / "cov.bedGraph").stat().st_size / 2**20
    runs = [
        ("bedGraph", bedgraph),
        ("wiggle", wiggle),
        ("wiggle, chunk reader alone", wiggle_chunks),
        ("wiggle, line reader alone", wiggle_lines),
        ("narrowPeak", peaks),
        ("pandas.read_csv", baseline),
    ]
    for name, run in runs:
        print(
            f"{name}: {run['n_kept']:,} lines in {run['wall_s']:.2f} s, peak RSS {run['peak_rss_mb']:.0f} MB"
        )
    value = bedgraph["n_kept"] / bedgraph["wall_s"]
    baseline_value = baseline["n_kept"] / baseline["wall_s"]
    result = {
        "bench": "marks",
        "value": round(value),
        "unit": "bedGraph lines/s",
        "baseline": "pandas.read_csv of the bedGraph (parse only)",
        "baseline_value": round(baseline_value),
        "ratio": round(value / baseline_value, 3),
        "peak_rss_mb": round(bedgraph["peak_rss_mb"]),
        "bytes_per_line": round((bedgraph["peak_rss_mb"] - bedgraph["rss_before_mb"]) * 2**20 / n_lines),
        "lines": n_lines,
        "file_mb": round(file_mb),
        "seconds": round(bedgraph["wall_s"], 2),
        "peaks": n_peaks,
        "peaks_per_s": round(peaks["n_kept"] / peaks["wall_s"]),
        "peaks_peak_rss_mb": round(peaks["peak_rss_mb"]),
        "wig_lines_per_s": round(wiggle["n_kept"] / wiggle["wall_s"]),
        "wig_read_lines_per_s": round(wiggle_chunks["n_kept"] / wiggle_chunks["wall_s"]),
        "wig_line_reader_lines_per_s": round(wiggle_lines["n_kept"] / wiggle_lines["wall_s"]),
        "wig_peak_rss_mb": round(wiggle["peak_rss_mb"]),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    dispatch(main, _child)
