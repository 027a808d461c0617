"""Benchmark: methylation ingest (``epibench.io.methylation.ingest``) on a whole-chromosome ENCODE bedMethyl.

What is generated (deterministic, ``--seed``, into a temporary folder removed at the end):

- a synthetic chromosome ``chr1`` of human chr1's length (248,956,422 bp for the default
  2.4 M records; scaled with ``--records``): uniform random ACGT with a CG planted at every
  called CpG, prepared with ``write_reference_index`` (as the reference stage does);
- a gzipped 14-column ENCODE bedMethyl (``track`` line, quoted name, RGB colour, coverage,
  integer percent, reference/called context, a quality column) sorted by position,
  stranded: ``+`` rows on the C, ``-`` rows on the G. ``round(records / 1.6)`` CpGs, 60 %
  of them called on both strands and 40 % on one (so records = 1.6 x CpGs); per-strand
  depth 1 + Poisson(Gamma(4, 3.5)) (mean 15), levels from a bimodal Beta mixture (75 %
  methylated), percent = round(100 x methylated / depth) as ENCODE writes it.

**records** = data rows of the file (one per strand call: what ``ingest``'s QC reports as
``n_records``), not CpGs.

Each measured run is a fresh ``python`` subprocess, so peak RSS is that of one ingest (the
process's VmHWM, which sees pyarrow's allocations that tracemalloc does not; see
``_peak_rss_mb`` for why not ``ru_maxrss``): ``ingest(path, Reference(genome.fa))`` with
the defaults, timed from the call to its return (wall and process CPU time, all threads). The baseline is
``pandas.read_csv(path, sep="\\t", header=None, skiprows=1)`` on the same file, in its own
subprocess: it only parses text into a DataFrame; ingest also checks every call against
the reference and merges strands.

The workflow runs ingest scattered (``epibench.io.methylation.group_ingest``): ``split_calls``
(one pass over the file) then ``ingest_group`` per chromosome group; each is also run once
in its own process, and its wall time and peak RSS are reported under ``scattered``.

Per core: records / (wall s x threads used), threads used = max(1, CPU s / wall s) (the
measured parallelism, never fewer than one; ingest reads with ``use_threads=False``). The
page cache is warm for both (the file was just written). On a shared machine other jobs
stretch the wall time: the output also gives records per CPU second and the load average,
and the median of ``--repeats`` (3) runs is reported (every run is printed, with its
user and system CPU: here user CPU was steady and the kernel's time to hand out the
memory an ingest touches varied several-fold between runs: 0.6 to 2 s for the ~1.2 GB
of the first version, 0.05 to 0.6 s once ingest stopped reading the whole chromosome).

    .venv/bin/python benchmarks/bench_ingest.py            # 2.4 M records, ~1-2 min
    .venv/bin/python benchmarks/bench_ingest.py --quick    # 300 k records, < 1 min

The last printed line is one JSON object (``bench``, ``value`` = ingest records/s/core,
``unit``, ``baseline``, ``baseline_value``, ``ratio``, ``peak_rss_mb``, ``records``,
``seconds``, and details).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHR1_LENGTH = 248_956_422
FULL_RECORDS = 2_400_000
QUICK_RECORDS = 300_000
RECORDS_PER_CPG = 1.6
CHUNK_ROWS = 500_000
NAME_TOKEN = b"\tNAMETOKEN\t"
ENCODE_NAME = b'\t"ENCSR000SYN"\t'  # ENCODE quotes the name; ingest reads with quote_char=False
ENCODE_TRACK_LINE = b'track name="ENCSR000SYN" description="synthetic" visibility=2 itemRgb="On"\n'
SEQ_LINE = 1 << 24


# --- measurement in a fresh process ------------------------------------------------------


def _rss_mb_now() -> float:
    """Resident set size of this process now (MB), from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    """Peak resident set size of this process (MB): VmHWM from /proc (Linux).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that over ``execve`` from the
    parent, so a child started by a parent that once held 1.3 GB reports at least 1.3 GB.
    VmHWM belongs to the process's own address space; like ru_maxrss it counts what
    pyarrow allocates outside Python (tracemalloc does not).
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _cpu_s() -> tuple[float, float]:
    """(user, system) CPU seconds of this process (all threads) and its waited-for children (e.g. bedtools)."""
    t = os.times()
    return t.user + t.children_user, t.system + t.children_system


def _children_peak_rss_mb() -> float:
    """Largest peak RSS of a waited-for child process (MB); 0 when there was none.

    A child exec'd from this process starts from this process's peak (see ``_peak_rss_mb``),
    so this is an upper bound of the child's own peak, never above this process's.
    """
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10


def measure(fn) -> dict:
    """Call ``fn()`` once: wall s, CPU s (all threads and child processes), threads used, peak RSS MB."""
    rss_before = _rss_mb_now()
    wall0, (user0, sys0) = time.perf_counter(), _cpu_s()
    result = fn()
    wall, (user1, sys1) = time.perf_counter() - wall0, _cpu_s()
    cpu = (user1 - user0) + (sys1 - sys0)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "user_s": user1 - user0,
        "sys_s": sys1 - sys0,
        "threads_used": max(1.0, cpu / wall),
        "peak_rss_mb": max(_peak_rss_mb(), _children_peak_rss_mb()),
        "rss_before_mb": rss_before,
        "result": result,
    }


def run_child(script: str | os.PathLike, *args: str) -> dict:
    """Run ``script _child ARGS`` in a fresh interpreter; return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, str(script), "_child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "ingest":
        path, fasta = argv[1], argv[2]
        from epibench.io.methylation import ingest
        from epibench.io.reference import Reference

        reference = Reference(fasta)
        m = measure(lambda: ingest(path, reference))
        table, qc = m.pop("result")
        m |= {"n_records": qc["n_records"], "n_kept": qc["n_kept"], "n_cpgs_merged": qc["n_cpgs_merged"]}
    elif kind == "stages":
        path, fasta = argv[1], argv[2]
        from epibench.io.methylation.canonical import to_canonical
        from epibench.io.methylation.detect import detect_source
        from epibench.io.methylation.ingest import READERS
        from epibench.io.reference import Reference

        reference = Reference(fasta)
        stages = {}
        t = time.perf_counter()
        source = detect_source(path)
        stages["detect_s"] = time.perf_counter() - t
        t = time.perf_counter()
        calls = READERS[source.fmt](source)
        stages["read_columns_s"] = time.perf_counter() - t
        t = time.perf_counter()
        to_canonical(calls, reference, 5, 0.95)  # as in ingest: CG check around the calls (Reference.cg_at)
        stages["to_canonical_s"] = time.perf_counter() - t
        t = time.perf_counter()
        reference.codes(reference.chroms[0])  # the whole chromosome (shards use it; ingest does not)
        stages["reference_codes_s (not in ingest)"] = time.perf_counter() - t
        m = {k: round(v, 3) for k, v in stages.items()}
    elif kind == "split":  # the workflow's stage 1: one pass over the file, calls written per group
        path, fasta, out_dir = argv[1], argv[2], argv[3]
        from epibench.io.methylation.group_ingest import split_calls
        from epibench.io.reference import Reference

        reference = Reference(fasta)
        m = measure(lambda: split_calls(path, reference, {c: [c] for c in reference.chroms}, out_dir))
        m["n_records"] = m.pop("result")["n_records"]
    elif kind == "group":  # stage 2 on the one group (chr1): CG check, strand merge, coverage filter
        calls, fasta = argv[1], argv[2]
        from epibench.io.methylation.group_ingest import ingest_group
        from epibench.io.reference import Reference

        m = measure(lambda: ingest_group([calls], Reference(fasta)))
        m["n_kept"] = m.pop("result")[1]["n_kept"]
    elif kind == "pandas":
        import pandas as pd

        path = argv[1]
        m = measure(lambda: len(pd.read_csv(path, sep="\t", header=None, skiprows=1)))
        m["n_rows"] = m.pop("result")
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(m))


# --- synthetic input ----------------------------------------------------------------------


def _sorted_distinct_even(rng: np.random.Generator, n: int, high: int) -> np.ndarray:
    """(n,) sorted distinct even positions in [0, high): CpGs at even positions never overlap."""
    if n > high // 2 // 2:
        raise ValueError(f"{n} CpGs do not fit in {high} bp at this density")
    picked = np.zeros(0, np.int64)
    while len(picked) < n:
        extra = rng.integers(0, high // 2, size=int((n - len(picked)) * 1.05) + 16)
        picked = np.union1d(picked, extra)
    drop = rng.choice(len(picked), size=len(picked) - n, replace=False)
    return np.delete(picked, drop) * 2


def write_fasta(path: Path, chrom: str, seq: np.ndarray) -> None:
    """Write one sequence (uint8 ASCII) as FASTA, long lines (the reference stage rewraps it)."""
    with open(path, "wb") as fh:
        fh.write(f">{chrom}\n".encode())
        for start in range(0, len(seq), SEQ_LINE):
            fh.write(seq[start : start + SEQ_LINE].tobytes())
            fh.write(b"\n")


def random_sequence(rng: np.random.Generator, length: int) -> np.ndarray:
    """(length,) uint8 uniform random ACGT (ASCII)."""
    return np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=length, dtype=np.uint8)]


def tsv_bytes(columns: dict) -> bytes:
    """Columns of one length (numpy or pyarrow arrays; name -> values) as tab-separated lines, no header."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    pacsv.write_csv(pa.table(columns), buf, options)
    return buf.getvalue()


def write_bedmethyl_rows(
    out, chrom: str, starts: np.ndarray, is_minus: np.ndarray, coverage: np.ndarray, percent: np.ndarray
) -> None:
    """Append 14-column ENCODE bedMethyl rows (no track line) to the binary stream ``out``, CHUNK_ROWS at a time.

    starts: (N,) int64 0-based position of the called base; is_minus: (N,) bool, a - strand
    row (on the G); coverage, percent: (N,) int64 reads and integer percent methylated.
    """
    import pyarrow as pa

    for lo in range(0, len(starts), CHUNK_ROWS):
        sl = slice(lo, min(len(starts), lo + CHUNK_ROWS))
        n = sl.stop - sl.start
        s = starts[sl]
        columns = {
            "chrom": pa.array([chrom] * n),
            "start": s,
            "end": s + 1,
            "name": pa.array(["NAMETOKEN"] * n),
            "score": np.minimum(coverage[sl], 1000),
            "strand": pa.array(np.where(is_minus[sl], "-", "+")),
            "thick_start": s,
            "thick_end": s + 1,
            "rgb": pa.array(["255,0,0"] * n),
            "coverage": coverage[sl],
            "percent": percent[sl],
            "ref_context": pa.array(["CG"] * n),
            "called_context": pa.array(["CG"] * n),
            "quality": np.minimum(coverage[sl], 40),
        }
        out.write(tsv_bytes(columns).replace(NAME_TOKEN, ENCODE_NAME))


def generate(out_dir: Path, n_records: int, seed: int, gzip_level: int = 6) -> dict:
    """Write ``chr1.fa`` (then ``reference/genome.fa`` via the reference stage) and ``calls.bed.gz``."""
    from epibench.io.reference import write_reference_index

    rng = np.random.default_rng(seed)
    length = max(1_000_000, round(CHR1_LENGTH * n_records / FULL_RECORDS))
    n_cpgs = round(n_records / RECORDS_PER_CPG)
    n_both = n_records - n_cpgs
    cpg = _sorted_distinct_even(rng, n_cpgs, length - 2)

    seq = random_sequence(rng, length)
    seq[cpg] = ord("C")
    seq[cpg + 1] = ord("G")
    raw = out_dir / "chr1.fa"
    write_fasta(raw, "chr1", seq)
    del seq
    fasta = write_reference_index(raw, out_dir / "reference")
    raw.unlink()

    # strands per CpG: both, + only or - only; rows sorted by position (+ at c, - at c + 1)
    both = np.zeros(n_cpgs, bool)
    both[rng.choice(n_cpgs, size=n_both, replace=False)] = True
    plus_only = ~both & (rng.random(n_cpgs) < 0.5)
    has_plus, has_minus = both | plus_only, both | ~plus_only
    starts = np.sort(np.concatenate([cpg[has_plus], cpg[has_minus] + 1]))
    assert len(starts) == n_records
    is_minus = starts % 2 == 1  # CpG Cs sit at even positions, so - rows (on the G) at odd ones
    methylated = rng.random(n_cpgs) < 0.75
    cpg_level = np.where(methylated, rng.beta(8, 1.5, n_cpgs), rng.beta(1, 8, n_cpgs))
    level = cpg_level[np.searchsorted(cpg, starts - is_minus)]
    coverage = 1 + rng.poisson(rng.gamma(4.0, 3.5, n_records))
    n_meth = rng.binomial(coverage, level)
    percent = np.rint(100 * n_meth / coverage).astype(np.int64)

    path = out_dir / "calls.bed.gz"
    with gzip.open(path, "wb", compresslevel=gzip_level) as out:
        out.write(ENCODE_TRACK_LINE)
        write_bedmethyl_rows(out, "chr1", starts, is_minus, coverage, percent)
    return {
        "calls": path,
        "fasta": fasta,
        "length": length,
        "n_cpgs": n_cpgs,
        "n_cpgs_both_strands": n_both,
        "file_mb": path.stat().st_size / 2**20,
    }


# --- the benchmark ------------------------------------------------------------------------


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (the lower median for an even count)."""
    return sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]


def records_parser(description: str) -> argparse.ArgumentParser:
    """The flags of a benchmark on ``generate``'s bedMethyl: --quick, --records, --repeats (the median
    of that many runs is reported), --seed; ``n_records`` reads the row count from them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RECORDS:,} records (< 1 min)")
    parser.add_argument("--records", type=int, help=f"data rows of the bedMethyl (default {FULL_RECORDS:,})")
    parser.add_argument("--repeats", type=int, default=3, help="runs measured (the median is reported)")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def records_asked(args: argparse.Namespace) -> int:
    """The data rows a ``records_parser`` run asks for."""
    return args.records or (QUICK_RECORDS if args.quick else FULL_RECORDS)


def main(argv: list[str] | None = None) -> dict:
    parser = records_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--tmp-dir", help="parent of the temporary folder (default: the system's)")
    args = parser.parse_args(argv)
    n_records = records_asked(args)
    repeats = max(1, args.repeats)
    script = Path(__file__).resolve()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-ingest-", dir=args.tmp_dir) as tmp:
        t = time.perf_counter()
        data = generate(Path(tmp), n_records, args.seed)
        gen_s = time.perf_counter() - t
        print(
            f"generated in {gen_s:.1f} s: {n_records:,} records ({data['n_cpgs']:,} CpGs, "
            f"{data['n_cpgs_both_strands']:,} called on both strands) on a {data['length']:,}-bp chr1; "
            f"calls.bed.gz {data['file_mb']:.1f} MB"
        )
        runs = [run_child(script, "ingest", str(data["calls"]), str(data["fasta"])) for _ in range(repeats)]
        stages = run_child(script, "stages", str(data["calls"]), str(data["fasta"]))
        bases = [run_child(script, "pandas", str(data["calls"])) for _ in range(repeats)]
        split = run_child(script, "split", str(data["calls"]), str(data["fasta"]), str(Path(tmp, "split")))
        group = run_child(script, "group", str(Path(tmp, "split", "chr1.parquet")), str(data["fasta"]))

    load_after = os.getloadavg()[0]
    run = _median_run(runs)
    base = _median_run(bases)
    assert run["n_records"] == n_records, run
    peak = max(r["peak_rss_mb"] for r in runs)  # the largest of the runs
    value = n_records / (run["wall_s"] * run["threads_used"])
    base_value = n_records / (base["wall_s"] * base["threads_used"])
    for i, r in enumerate(runs, 1):
        print(
            f"ingest run {i}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU "
            f"({r['user_s']:.2f} user + {r['sys_s']:.2f} system) "
            f"(threads used {r['threads_used']:.2f}), peak RSS {r['peak_rss_mb']:.0f} MB "
            f"(of which {r['rss_before_mb']:.0f} MB before the call: interpreter + imports); "
            f"{r['n_kept']:,} CpGs kept (min_coverage 5), {r['n_cpgs_merged']:,} merged from both strands"
        )
    print(f"ingest stages (separate run): {stages}")
    print(
        f"ingest per CPU second: {n_records / run['cpu_s']:,.0f} records/CPU-s; "
        f"1-min load average {load_before:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} cores; a load near the core count means other jobs shared the CPU)"
    )
    print(
        f"ingest (median run): {n_records:,} records / ({run['wall_s']:.2f} s x {run['threads_used']:.2f} threads) "
        f"= {value:,.0f} records/s/core (target >= 2,000,000); peak RSS {peak:.0f} MB (target < 2,048)"
    )
    print(
        f"as the workflow runs it: ingest_split {split['wall_s']:.2f} s, peak RSS {split['peak_rss_mb']:.0f} MB; "
        f"ingest (one group, chr1) {group['wall_s']:.2f} s, peak RSS {group['peak_rss_mb']:.0f} MB"
    )
    base_walls = ", ".join(f"{r['wall_s']:.2f}" for r in bases)
    print(f"baseline runs: {base_walls} s wall")
    print(
        f"baseline pandas.read_csv (median run): {n_records:,} records / ({base['wall_s']:.2f} s x "
        f"{base['threads_used']:.2f} threads) = {base_value:,.0f} records/s/core; "
        f"peak RSS {base['peak_rss_mb']:.0f} MB"
    )
    result = {
        "bench": "ingest",
        "value": round(value),
        "unit": "records/s/core",
        "baseline": "pandas.read_csv",
        "baseline_value": round(base_value),
        "ratio": round(value / base_value, 3),
        "peak_rss_mb": round(peak, 1),
        "records": n_records,
        "seconds": round(run["wall_s"], 3),
        "cpu_seconds": round(run["cpu_s"], 3),
        "user_seconds": round(run["user_s"], 3),
        "system_seconds": round(run["sys_s"], 3),
        "threads_used": round(run["threads_used"], 2),
        "records_per_s": round(n_records / run["wall_s"]),
        "records_per_cpu_s": round(n_records / run["cpu_s"]),
        "stages_s": stages,
        "scattered": {
            "split_seconds": round(split["wall_s"], 3),
            "split_peak_rss_mb": round(split["peak_rss_mb"], 1),
            "group_seconds": round(group["wall_s"], 3),
            "group_peak_rss_mb": round(group["peak_rss_mb"], 1),
        },
        "load_avg_1min": [round(load_before, 2), round(load_after, 2)],
        "cpgs": data["n_cpgs"],
        "file_mb": round(data["file_mb"], 1),
        "chrom_length": data["length"],
        "baseline_seconds": round(base["wall_s"], 3),
        "baseline_peak_rss_mb": round(max(r["peak_rss_mb"] for r in bases), 1),
        "repeats": repeats,
        "run_seconds": [round(r["wall_s"], 3) for r in runs],
        "cores_on_machine": os.cpu_count(),
        "targets": {"records_per_s_per_core": 2_000_000, "peak_rss_mb": 2048},
        "meets_targets": bool(value >= 2_000_000 and peak < 2048),
    }
    print(json.dumps(result))
    return result


def dispatch(main, child) -> None:
    """A benchmark script's entry: ``child(args)`` when run as ``script _child ARGS`` (``run_child``),
    else ``main()``."""
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2:])
    else:
        main()


if __name__ == "__main__":
    dispatch(main, _child)
