"""Benchmark: shard building (``epibench.data.plan.write_plan`` + ``epibench.data.shards.build_shard``).

Input: the synthetic one-sample cohort of ``benchmarks/synthetic_cohort.py`` (cached in
``benchmarks/.cache/``; 2 x 10 Mb at 1 CpG per 100 bp by default, 2 x 2 Mb with ``--quick``;
6 mark bigWigs shaped like ENCODE fold-change tracks). Shard settings: window 1000 bp,
bin 100 bp (10 bins), the 6 marks, default split settings (the cohort has no chr6-chr9, so
held-out 1-Mb blocks).

Measured, each in a fresh ``python`` subprocess (peak RSS = the process's VmHWM, see
``bench_ingest._peak_rss_mb``):

- ``write_plan`` (groups, splits and the split figure; once per cohort, not per sample);
- ``build_shard`` for the sample on every group (one group per chromosome here), one after
  the other in one process, as the workflow's scatter runs one job per (sample, group):
  wall and CPU time, peak RSS;
- the same build for the largest group alone, to show that peak memory follows one
  chromosome, not the genome (its peak is printed beside the all-groups peak, with the
  largest chromosome's CpG count);
- the largest group's build under cProfile: where the time goes (reading the CpG and
  region tables, decoding the marks, hashing and writing);
- baseline: the naive per-CpG builder the old design used, on ``--naive-cpgs`` random CpGs
  (sorted by position): for each CpG ``pyfaidx.Fasta(genome.fa, as_raw=True)[chrom][s:e]``
  (the 1000-bp window) and ``pyBigWig.stats(chrom, s, e, nBins=10, exact=True)`` per mark;
  extrapolated per CpG. A second naive variant reads ``pyBigWig.values`` over the window and
  averages 100-bp bins in numpy (as lucidrains/tf-bind-transformer's BigWigDataset does),
  printed for reference: it is the stronger baseline.

CpGs/s/core = the sample's CpGs / build wall seconds (the build is one process; CPU
seconds and threads used are printed too). bp/s = genome bp / build wall seconds (mark
decoding scales with bp, not CpGs). Bytes per CpG on disk: the sample's shard folders /
CpGs kept; the reference copy (genome.fa + .fai) / CpGs is printed apart, as all samples
share it. The extrapolation to a human genome (28 M CpGs, 3.1 Gb, 6 marks, 16 cores) is
printed with its arithmetic: per CpG and per bp (the larger is the answer), then bounded by
the scatter (one job per chromosome: 24 jobs for hg38, the longest, chr1, 8 % of the genome,
bounds the wall time) with a greedy longest-first schedule of the hg38 chromosomes.

    .venv/bin/python benchmarks/bench_shards.py            # 2 x 10 Mb, ~1 min
    .venv/bin/python benchmarks/bench_shards.py --quick    # 2 x 2 Mb, < 30 s

The last printed line is one JSON object (``bench``, ``value`` = build CpGs/s/core,
``unit``, ``baseline``, ``baseline_value`` = naive CpGs/s, ``ratio``, ``peak_rss_mb``,
``records`` (= CpGs), ``seconds``, the extrapolation and details).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_cohort
from bench_ingest import dispatch, measure, run_child

HUMAN_CPGS = 28_000_000
HUMAN_BP = 3_100_000_000
CORES = 16
TARGET = 100_000  # CpGs/s/core, 6 marks
# hg38 primary assembly (bp); every one is its own shard group at min_share 0.01
HG38 = {
    "chr1": 248_956_422, "chr2": 242_193_529, "chr3": 198_295_559, "chr4": 190_214_555,
    "chr5": 181_538_259, "chr6": 170_805_979, "chr7": 159_345_973, "chr8": 145_138_636,
    "chr9": 138_394_717, "chr10": 133_797_422, "chr11": 135_086_622, "chr12": 133_275_309,
    "chr13": 114_364_328, "chr14": 107_043_718, "chr15": 101_991_189, "chr16": 90_338_345,
    "chr17": 83_257_441, "chr18": 80_373_285, "chr19": 58_617_616, "chr20": 64_444_167,
    "chr21": 46_709_983, "chr22": 50_818_468, "chrX": 156_040_895, "chrY": 57_227_415,
}  # fmt: skip
CHR1_CPG_SHARE = 0.08  # chr1's share of hg38 CpGs (2.3 M of 28 M)


# --- children -----------------------------------------------------------------------------


def _profile_build(c: dict, plan_dir: str, out: str, groups: dict, window: int, bin_size: int) -> dict:
    """cProfile of a build: cumulative seconds of the parts, and the top functions by own time."""
    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.runcall(synthetic_cohort.build_cohort_shards, c, plan_dir, out, groups, window, bin_size)
    wall = time.perf_counter() - t
    stats = pstats.Stats(profile)
    parts = {
        "_chrom_cpgs": "read + merge the CpG and region tables (pyarrow, pandas)",
        "grid_means": "marks: decode + bin means (all marks)",
        "values": "  of which pyBigWig.values (Track.values)",
        "grid_bin_means": "  of which bin means (numpy)",
        "sha256_of": "hash the split plan and arrays",
        "save": "np.save of the arrays",
        "fai_fingerprint": "hash the .fai",
    }
    found = {}
    for (filename, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        cumtime = row[3]
        if name in parts and ("epibench" in filename or name == "save"):
            found[parts[name]] = found.get(parts[name], 0.0) + cumtime
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:8]  # type: ignore[attr-defined]
    return {
        "wall_s": wall,
        "parts_s": {k: round(v, 3) for k, v in found.items()},
        "top_tottime": [
            f"{Path(f).name}:{line}({name}) {row[2]:.3f} s own, {row[1]} calls"
            for (f, line, name), row in top
        ],
    }


def _naive(c: dict, n: int, window: int, bin_size: int, seed: int, method: str) -> dict:
    """The old per-CpG builder on ``n`` random CpGs: seconds per CpG."""
    import pandas as pd
    import pyBigWig
    import pyfaidx

    cpgs = pd.read_parquet(c["cpg_table"], columns=["chrom", "pos"])
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(cpgs), size=min(n, len(cpgs)), replace=False))
    chroms = cpgs["chrom"].to_numpy(object)[pick]
    pos = cpgs["pos"].to_numpy(np.int64)[pick]
    n_bins = window // bin_size
    fasta = pyfaidx.Fasta(str(c["fasta"]), as_raw=True)
    bws = [pyBigWig.open(str(p)) for p in c["marks"].values()]
    lengths = c["chrom_lengths"]
    checksum = 0.0
    t = time.perf_counter()
    for chrom, p in zip(chroms.tolist(), pos.tolist(), strict=True):
        start = p - (window // 2 - 1)
        end = start + window
        s, e = max(start, 0), min(end, lengths[chrom])
        seq = fasta[chrom][s:e]
        checksum += len(seq)
        for bw in bws:
            if method == "stats":
                hist = bw.stats(chrom, s, e, nBins=n_bins, exact=True)
            else:
                values = bw.values(chrom, s, e, numpy=True)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bin is NaN
                    hist = np.nanmean(values[: (e - s) // bin_size * bin_size].reshape(-1, bin_size), axis=1)
            checksum += len(hist)
    wall = time.perf_counter() - t
    return {"n": len(pick), "wall_s": wall, "s_per_cpg": wall / len(pick), "checksum": checksum}


def _child(argv: list[str]) -> None:
    kind, root, *rest = argv
    c = synthetic_cohort.load(root)
    if kind == "plan":
        m = measure(lambda: synthetic_cohort.write_cohort_plan(c, rest[0]))
        m["groups"] = m.pop("result")
    elif kind == "build":
        plan_dir, out, window, bin_size, only = rest
        groups = synthetic_cohort.read_groups_of(plan_dir)
        if only != "-":
            groups = {only: groups[only]}
        m = measure(
            lambda: synthetic_cohort.build_cohort_shards(c, plan_dir, out, groups, int(window), int(bin_size))
        )
        manifests = m.pop("result")
        m["counts"] = [mf["counts"] for mf in manifests]
        m["groups"] = list(groups)
    elif kind == "profile":
        plan_dir, out, window, bin_size, only = rest
        groups = synthetic_cohort.read_groups_of(plan_dir)
        m = _profile_build(c, plan_dir, out, {only: groups[only]}, int(window), int(bin_size))
    elif kind == "naive":
        n, window, bin_size, seed, method = rest
        m = _naive(c, int(n), int(window), int(bin_size), int(seed), method)
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(m, default=str))


# --- the benchmark ------------------------------------------------------------------------


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _lpt_makespan(seconds: list[float], cores: int) -> float:
    """Wall time of jobs scheduled longest first onto the least-loaded core (greedy LPT)."""
    load = [0.0] * cores
    for s in sorted(seconds, reverse=True):
        i = load.index(min(load))
        load[i] += s
    return max(load)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 x 2 Mb (< 30 s)")
    parser.add_argument("--chrom-mb", type=float, help="chromosome length in Mb (default 10, 2 with --quick)")
    parser.add_argument("--n-chroms", type=int, default=2)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--bin-size", type=int, default=100)
    parser.add_argument(
        "--naive-cpgs", type=int, help="CpGs for the naive baseline (default 2000, 500 with --quick)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="all-groups builds, each in a fresh process (the median is reported)",
    )
    parser.add_argument("--cores", type=int, default=CORES, help="cores of the extrapolation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp-dir", help="parent of the temporary folder (default: the system's)")
    parser.add_argument("--cache-dir", help=f"cohort cache (default {synthetic_cohort.CACHE_DIR})")
    args = parser.parse_args(argv)
    preset = synthetic_cohort.QUICK if args.quick else synthetic_cohort.FULL
    chrom_bp = int(args.chrom_mb * 1e6) if args.chrom_mb else preset["chrom_bp"]
    naive_n = args.naive_cpgs or (500 if args.quick else 2000)
    script = Path(__file__).resolve()
    load_before = os.getloadavg()[0]

    c = synthetic_cohort.cohort(args.cache_dir, n_chroms=args.n_chroms, chrom_bp=chrom_bp, seed=args.seed)
    print(synthetic_cohort.describe(c))
    root = str(c["root"])
    largest = max(c["n_cpgs_per_chrom"], key=c["n_cpgs_per_chrom"].get)
    geometry = [str(args.window), str(args.bin_size)]
    with tempfile.TemporaryDirectory(prefix="bench-shards-", dir=args.tmp_dir) as tmp:
        plan_dir = str(Path(tmp) / "plan")
        plan = run_child(script, "plan", root, plan_dir)
        builds = [
            run_child(script, "build", root, plan_dir, str(Path(tmp) / "shards"), *geometry, "-")
            for _ in range(max(1, args.repeats))
        ]
        build = sorted(builds, key=lambda r: r["wall_s"])[(len(builds) - 1) // 2]  # the median run
        shard_bytes = _dir_bytes(Path(tmp) / "shards")
        hist_bytes = sum((Path(tmp) / "shards" / g / "hist.npy").stat().st_size for g in build["groups"])
        one = run_child(script, "build", root, plan_dir, str(Path(tmp) / "one"), *geometry, largest)
        profile = run_child(script, "profile", root, plan_dir, str(Path(tmp) / "prof"), *geometry, largest)
    naive = run_child(script, "naive", root, str(naive_n), *geometry, str(args.seed), "stats")
    naive_values = run_child(script, "naive", root, str(naive_n), *geometry, str(args.seed), "values")
    load_after = os.getloadavg()[0]

    n = c["n_cpgs"]
    bp = c["genome_bp"]
    kept = sum(cnt["total"] for cnt in build["counts"])
    wall, cpu = build["wall_s"], build["cpu_s"]
    value = n / wall
    bp_rate = bp / wall
    naive_rate = 1 / naive["s_per_cpg"]
    naive_values_rate = 1 / naive_values["s_per_cpg"]
    ref_bytes = c["fasta"].stat().st_size + Path(f"{c['fasta']}.fai").stat().st_size
    per_cpg_bytes = (shard_bytes - hist_bytes) / max(kept, 1)
    hist_per_bp = hist_bytes / bp
    human_shard = per_cpg_bytes * HUMAN_CPGS + hist_per_bp * HUMAN_BP
    n_marks = len(c["marks"])
    cores = args.cores

    # extrapolation to hg38
    x_cpg = HUMAN_CPGS / (value * cores)
    x_bp = HUMAN_BP / (bp_rate * cores)
    x_ideal = max(x_cpg, x_bp)
    chr1_cpg = CHR1_CPG_SHARE * HUMAN_CPGS / value
    chr1_bp = HG38["chr1"] / bp_rate
    chr1 = max(chr1_cpg, chr1_bp)
    job_s = [
        max(length / bp_rate, HUMAN_CPGS * length / sum(HG38.values()) / value) for length in HG38.values()
    ]
    lpt = _lpt_makespan(job_s, cores)
    x_wall = max(x_ideal, chr1, lpt)
    arithmetic = (
        f"per CpG: {HUMAN_CPGS:,} / ({value:,.0f} CpGs/s x {cores}) = {x_cpg:.1f} s; "
        f"per bp: {HUMAN_BP:,} / ({bp_rate:,.0f} bp/s x {cores}) = {x_bp:.1f} s; "
        f"larger = {x_ideal:.1f} s if all {cores} cores were busy throughout. "
        f"But the scatter is one job per (sample, group), so {cores} cores are only all used with "
        f">= {cores} groups (hg38: {len(HG38)}); the longest job, chr1 ({CHR1_CPG_SHARE:.0%} of CpGs, "
        f"{HG38['chr1']:,} bp), "
        f"takes max({CHR1_CPG_SHARE * HUMAN_CPGS:,.0f} / {value:,.0f} = {chr1_cpg:.1f} s, "
        f"{HG38['chr1']:,} / {bp_rate:,.0f} = {chr1_bp:.1f} s) = {chr1:.1f} s; "
        f"longest-first schedule of the {len(HG38)} hg38 chromosome jobs on {cores} cores = {lpt:.1f} s; "
        f"wall per sample = max({x_ideal:.1f}, {chr1:.1f}, {lpt:.1f}) = {x_wall:.1f} s"
    )
    naive_human = HUMAN_CPGS * naive["s_per_cpg"] / cores

    print(
        f"write_plan (once per cohort): {plan['wall_s']:.2f} s wall, peak RSS {plan['peak_rss_mb']:.0f} MB; "
        f"groups {plan['groups']}"
    )
    print(
        f"build_shard x {len(build['groups'])} groups (window {args.window}, bin {args.bin_size}, "
        f"{n_marks} marks): "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({build['user_s']:.2f} user + {build['sys_s']:.2f} system, "
        f"threads used {build['threads_used']:.2f}); {n:,} CpGs in, {kept:,} kept "
        f"({sum(cnt['crosses_split'] for cnt in build['counts']):,} dropped: window crosses a split)"
    )
    walls = ", ".join(f"{r['wall_s']:.2f}" for r in builds)
    print(f"build runs (fresh process each): {walls} s wall; the median is reported")
    print(
        f"build: {n:,} CpGs / {wall:.2f} s = {value:,.0f} CpGs/s/core (target >= {TARGET:,}); "
        f"{n / cpu:,.0f} CpGs per CPU s; {bp:,} bp / {wall:.2f} s = {bp_rate:,.0f} bp/s "
        f"({bp_rate * n_marks:,.0f} mark-bp decoded/s)"
    )
    print(
        f"peak RSS: all {len(build['groups'])} groups {build['peak_rss_mb']:.0f} MB; the largest group "
        f"({largest}, {c['n_cpgs_per_chrom'][largest]:,} CpGs, {c['chrom_lengths'][largest]:,} bp) alone "
        f"{one['peak_rss_mb']:.0f} MB (interpreter + imports before the call: "
        f"{build['rss_before_mb']:.0f} MB)"
    )
    print(
        f"on disk: sample shards {shard_bytes / 2**20:.1f} MB = {shard_bytes / max(kept, 1):.1f} bytes/CpG "
        f"({per_cpg_bytes:.1f} per-CpG arrays + {hist_bytes / max(kept, 1):.1f} mark grid, "
        f"the grid being {hist_per_bp:.2f} bytes/bp); reference genome.fa + .fai "
        f"{ref_bytes / 2**20:.1f} MB "
        f"= {ref_bytes / max(kept, 1):.1f} bytes/CpG, shared by all samples"
    )
    print(
        f"  a human sample's shards: {per_cpg_bytes:.1f} x {HUMAN_CPGS:,} + {hist_per_bp:.2f} x {HUMAN_BP:,} "
        f"= {human_shard / 1e9:.2f} GB"
    )
    parts = "; ".join(f"{k.strip()} {v:.3f} s" for k, v in profile["parts_s"].items())
    print(f"profile of the {largest} build alone (cProfile, {profile['wall_s']:.2f} s): {parts}")
    for line in profile["top_tottime"]:
        print(f"  {line}")
    print(
        f"baseline naive per-CpG builder (pyfaidx window + pyBigWig.stats "
        f"nBins={args.window // args.bin_size} exact, {n_marks} marks) on {naive['n']:,} random CpGs: "
        f"{naive['wall_s']:.2f} s = {naive['s_per_cpg'] * 1e3:.3f} ms/CpG = {naive_rate:,.0f} CpGs/s; "
        f"shards are {value / naive_rate:,.0f}x faster; a human genome that way: {HUMAN_CPGS:,} x "
        f"{naive['s_per_cpg'] * 1e3:.3f} ms / {cores} = {naive_human:,.0f} s"
    )
    print(
        f"  naive with pyBigWig.values + numpy bin means instead of stats: "
        f"{naive_values['s_per_cpg'] * 1e3:.3f} ms/CpG = {naive_values_rate:,.0f} CpGs/s "
        f"(shards {value / naive_values_rate:,.0f}x faster)"
    )
    print(f"extrapolation to hg38 (28 M CpGs, 3.1 Gb, {n_marks} marks), one sample on {cores} cores:")
    print(f"  {arithmetic}")
    cpu_rate, cpu_bp_rate = n / cpu, bp / cpu
    cpu_chr1 = max(CHR1_CPG_SHARE * HUMAN_CPGS / cpu_rate, HG38["chr1"] / cpu_bp_rate)
    cpu_wall = max(HUMAN_CPGS / (cpu_rate * cores), HUMAN_BP / (cpu_bp_rate * cores), cpu_chr1)
    print(
        f"  the same at the CPU-second rates ({cpu_rate:,.0f} CpGs, {cpu_bp_rate:,.0f} bp per CPU s: a core "
        f"not shared with other jobs): chr1 {cpu_chr1:.1f} s, wall per sample {cpu_wall:.1f} s"
    )
    print(f"1-min load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)")
    result = {
        "bench": "shards",
        "value": round(value),
        "unit": "CpGs/s/core",
        "baseline": "naive per-CpG pyfaidx + pyBigWig.stats(nBins, exact)",
        "baseline_value": round(naive_rate),
        "ratio": round(value / naive_rate, 1),
        "peak_rss_mb": round(build["peak_rss_mb"], 1),
        "records": n,
        "seconds": round(wall, 3),
        "run_seconds": [round(r["wall_s"], 3) for r in builds],
        "cpu_seconds": round(cpu, 3),
        "threads_used": round(build["threads_used"], 2),
        "cpgs_kept": kept,
        "genome_bp": bp,
        "bp_per_s": round(bp_rate),
        "marks": n_marks,
        "window": args.window,
        "bin_size": args.bin_size,
        "groups": len(build["groups"]),
        "plan_seconds": round(plan["wall_s"], 3),
        "largest_chrom_cpgs": c["n_cpgs_per_chrom"][largest],
        "largest_group_peak_rss_mb": round(one["peak_rss_mb"], 1),
        "rss_before_build_mb": round(build["rss_before_mb"], 1),
        "shard_bytes_per_cpg": round(shard_bytes / max(kept, 1), 2),
        "shard_bytes": shard_bytes,
        "reference_bytes_per_cpg_shared": round(ref_bytes / max(kept, 1), 2),
        "human_shard_gb_per_sample": round(human_shard / 1e9, 2),
        "profile_s": profile["parts_s"],
        "naive_cpgs": naive["n"],
        "naive_ms_per_cpg": round(naive["s_per_cpg"] * 1e3, 4),
        "naive_values_cpgs_per_s": round(naive_values_rate),
        "ratio_vs_naive_values": round(value / naive_values_rate, 1),
        "extrapolated_human_s": round(x_wall, 1),
        "extrapolated_human_per_cpg_s": round(x_cpg, 1),
        "extrapolated_human_per_bp_s": round(x_bp, 1),
        "extrapolated_human_chr1_s": round(chr1, 1),
        "extrapolated_human_lpt_s": round(lpt, 1),
        "extrapolation": arithmetic,
        "extrapolated_human_at_cpu_rate_s": round(cpu_wall, 1),
        "naive_extrapolated_human_s": round(naive_human, 1),
        "cores_extrapolated": cores,
        "load_avg_1min": [round(load_before, 2), round(load_after, 2)],
        "cores_on_machine": os.cpu_count(),
        "target": TARGET,
        "meets_target": bool(value >= TARGET),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    dispatch(main, _child)
