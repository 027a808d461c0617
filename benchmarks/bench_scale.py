"""Benchmark: the Snakemake workflow on a genome-scale chromosome, per rule: wall time and peak memory.

What is generated (deterministic, ``--seed``; into ``--work`` or a temporary folder):

- ``inputs/genome.fa``: one chromosome ``chr1`` of human chr1's length (248,956,422 bp, hg38;
  ``--quick``: 12 Mb), drawn by the demo generator (``epibench.demo``: background and CpG
  islands CpG-depleted as in human: 1.2 CpGs per 100 bp, N runs) in tiles of ``TILE_BP``
  (the demo lays out one tile at a time: its feature placement is quadratic in length);
  ``inputs/genes.gtf``, ``enhancers.bed``, ``cpg_islands.bed``: the demo annotation of each
  tile, shifted to the tile's place (about 40 genes, 120 enhancers per Mb);
- two samples of WGBS calls at every CpG, drawn as the demo draws them (true probability
  from islands, active promoters/enhancers/gene bodies; depth NegativeBinomial mean 12 split
  between strands; rows for both strands where covered): ``sample1`` an ENCODE bedMethyl
  (14 columns, ``track`` line; ``bench_ingest.write_bedmethyl_rows``), ``sample2`` a Bismark
  coverage file (1-based, 6 columns), both gzipped: 5.7 M records each on chr1 (human chr1
  has 2.3 M CpGs, so up to 4.6 M records);
- per sample, six histone-mark bigWigs (H3K4me3, H3K27ac, H3K36me3, H3K4me1, H3K27me3,
  H3K9me3) in 50-bp bins, 10 % of the bins left without data, values shaped like ENCODE
  fold-change tracks (``synthetic_cohort.mark_intervals``, ``write_bigwig``).

A cohort config in the style of ``tests/workflow/tiny.yaml`` (``scale.yaml``: the default
1000-bp window and 100-bp bins, held-out 1-Mb blocks of 2 % each for validation and test,
one tiny CNN trained for one epoch on a ``fraction`` of the training CpGs: about
``TRAIN_ROWS`` rows, the "epoch slice") and a sample sheet are written beside the inputs.
Then the real workflow runs: ``snakemake --cores N`` on the targets ``qc/<sample>.ingest.json``
(rules reference, shard_plan, ingest_split, ingest_group, ingest_summary) and
``models/cnn/model.safetensors`` (rules regions, shards, train).

Measured per job, two ways:

- Snakemake's ``benchmark:`` files (``logs/scale/benchmarks/``): ``s`` (wall seconds) and
  ``max_rss`` (MB). Snakemake samples the job's process tree every 0.5 s for 15 s, then
  every 30 s, so a peak between samples of a long job is missed;
- the kernel's peak resident set of the job's ``epibench`` process (``ru_maxrss`` from
  ``wait4``, exact), and its CPU time: ``epibench`` on the workflow's PATH is a shim that runs
  the real one and records them (``jobs.jsonl``).

After the workflow, ``epibench regions`` runs twice more, on the chromosome 2 and 3 times over
(``copies2/``, ``copies3/``): regions keeps every CpG of the genome, and the difference is what
one more chromosome's worth of CpGs costs it (from one copy to two the transient of reading a
chromosome hides part of it).

The per-job peak checked against the 8 GB limit is the larger of the two. On this project's
machine (2 cores, shared with other agents' tests) wall times are contended; CPU seconds are not.

Extrapolation to the 22 hg38 autosomes x 50 samples on a cluster, from the chromosome measured
(``r`` = autosome bp / measured bp, 11.5 for chr1: CpGs and records are assumed to scale with bp):

- job counts: reference, regions, shard_plan 1; ingest_split, ingest_summary 50 (per sample);
  ingest_group, shards 50 x 22 (per sample x chromosome group); train 1 per model;
- CPU time: per-chromosome rules (ingest_group, shards) sum over chromosomes (x r per sample);
  per-sample and per-genome rules (ingest_split, reference, regions) x r; the others as measured;
- peak memory: ingest_group, shards and reference hold one chromosome (chr1 is the largest; above
  the interpreter's baseline x chr1 bp / measured bp); ingest_split streams its file in blocks
  (as measured); regions: its peak on 3 copies + (3 copies - 2 copies) x (r - 3); train as
  measured (its shards are memory-mapped: their pages grow with the cohort, reclaimable page
  cache on the GPU node), with the shard bytes a full epoch maps;
- train: an epoch over every training CpG of 50 samples = this run's train split x r x 25
  rows, at the slice's training rate (``metrics.csv``: this CPU, the tiny CNN) and at
  ``H200_SAMPLES_PER_S`` (the hybrid at seed shapes on one H200, README / ``gpu_e2e.sh``);
- cluster wall time with enough nodes: the critical path reference + max(regions, shard_plan
  + ingest_split + ingest_group of chr1) + shards of chr1 (+ train).

    .venv/bin/python benchmarks/bench_scale.py --quick    # 12-Mb chromosome, < 1 min
    .venv/bin/python benchmarks/bench_scale.py            # chr1, 249 Mb: several minutes

The per-rule table goes to ``benchmarks/results/scale.json`` (``scale-quick.json``). The last
printed line is one JSON object (``bench``, ``value`` = the largest per-job peak RSS in MB,
``unit``, ``baseline`` = the 8 GB per-job limit, ``baseline_value`` 8192, ``ratio``, the
per-rule table, the total wall time and the extrapolation).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_cohort
from bench_ingest import CHUNK_ROWS, ENCODE_TRACK_LINE, tsv_bytes, write_bedmethyl_rows
from bench_shards import HG38

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
COHORT = "scale"
CHROM = "chr1"
ANNOTATION = ("genes.gtf", "enhancers.bed", "cpg_islands.bed")
REGIONS_COPIES = (2, 3)  # regions is measured again on the chromosome this many times over
QUICK_BP = 12_000_000
TILE_BP = 25_000_000
MARKS = synthetic_cohort.MARKS
MARK_BIN_BP = 50
MARK_GAP_FRACTION = 0.1
SAMPLES = {"sample1": "bedmethyl", "sample2": "bismark_cov"}
HELD_OUT_FRACTION = 0.02  # of the 1-Mb blocks, for validation and for test each
TRAIN_ROWS = 8192  # training rows of the epoch slice (128 steps of 64)
LIMIT_MB = 8192
H200_SAMPLES_PER_S = 16_310  # epibench train, hybrid at seed shapes, compiled, one H200 (README, gpu_e2e.sh)
CLUSTER_GPUS_NOTE = "train.gpus GPUs (DDP divides the epoch)"
CLUSTER_SAMPLES = 50
AUTOSOMES = [f"chr{i}" for i in range(1, 23)]
ASCII = np.frombuffer(b"ACGTN", dtype=np.uint8)  # epibench.codes.BASES codes -> letters
# epibench subcommand -> rule
RULES = {
    "reference": "reference",
    "regions": "regions",
    "shard-plan": "shard_plan",
    "ingest-split": "ingest_split",
    "ingest-group": "ingest_group",
    "ingest-summary": "ingest_summary",
    "shards": "shards",
    "train": "train",
}
RULE_ORDER = list(RULES.values())
SHIM = '''#!{python}
"""epibench, measured for bench_scale: wall, CPU s and peak RSS of the real one, appended to $SCALE_JOBS_LOG."""
import json, os, subprocess, sys, time

started = time.perf_counter()
process = subprocess.Popen([{real!r}, *sys.argv[1:]])
_, status, usage = os.wait4(process.pid, 0)
record = {{
    "argv": sys.argv[1:],
    "wall_s": time.perf_counter() - started,
    "cpu_s": usage.ru_utime + usage.ru_stime,
    "peak_rss_mb": usage.ru_maxrss / 1024,
}}
with open(os.environ["SCALE_JOBS_LOG"], "a") as fh:
    fh.write(json.dumps(record) + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
'''


# --- the cohort ---------------------------------------------------------------------------


def tiles(length: int) -> list[tuple[int, int]]:
    """(start, length) of the near-equal tiles of at most TILE_BP that make up a chromosome."""
    n = math.ceil(length / TILE_BP)
    bounds = [round(length * i / n) for i in range(n + 1)]
    return [(a, b - a) for a, b in zip(bounds[:-1], bounds[1:])]


def shifted(lines: list[str], offset: int, columns: tuple[int, ...]) -> list[str]:
    """Tab-separated lines (``#`` lines left out) on CHROM, the 0-based ``columns`` moved by ``offset`` bp."""
    out = []
    for line in lines:
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        fields[0] = CHROM
        for c in columns:
            fields[c] = str(int(fields[c]) + offset)
        out.append("\t".join(fields))
    return out


def write_calls(out, fmt: str, offset: int, rows) -> int:
    """Append one tile's covered cytosines (``epibench.demo.writers.CytosineRows``) in ``fmt``; returns rows written."""
    pos, depth, meth = rows.pos + offset, rows.depth.astype(np.int64), rows.meth.astype(np.int64)
    if fmt == "bedmethyl":
        percent = (200 * meth + depth) // (2 * depth)  # round half up, as the demo writes it
        write_bedmethyl_rows(out, CHROM, pos, rows.strand == "-", depth, percent)
        return len(pos)
    for lo in range(0, len(pos), CHUNK_ROWS):
        sl = slice(lo, lo + CHUNK_ROWS)
        p, d, m = pos[sl], depth[sl], meth[sl]
        chrom = np.full(len(p), CHROM)
        out.write(
            tsv_bytes({"chrom": chrom, "start": p + 1, "end": p + 1, "pct": 100 * m / d, "m": m, "u": d - m})
        )
    return len(pos)


def generate(inputs: Path, length: int, seed: int) -> dict:
    """Write the cohort's inputs into ``inputs`` (module docstring); returns facts and paths."""
    from epibench.demo import genome, methylation
    from epibench.demo.activity import draw_activity
    from epibench.demo.annotation import enhancer_bed_lines, gtf_lines, island_bed_lines, lay_out_chromosome
    from epibench.demo.writers import cytosine_rows

    inputs.mkdir(parents=True, exist_ok=True)
    calls = {
        s: inputs / f"{s}.{'bed.gz' if fmt == 'bedmethyl' else 'bismark.cov.gz'}"
        for s, fmt in SAMPLES.items()
    }
    annotation: dict[str, list[str]] = {name: [] for name in ANNOTATION}
    n_cpgs, n_records = 0, dict.fromkeys(SAMPLES, 0)
    outs = {s: gzip.open(path, "wb", compresslevel=1) for s, path in calls.items()}
    try:
        outs["sample1"].write(ENCODE_TRACK_LINE)
        with open(inputs / "genome.fa", "wb") as fasta:
            fasta.write(f">{CHROM}\n".encode())
            for k, (offset, tile_bp) in enumerate(tiles(length)):
                layout = lay_out_chromosome(seed, k, tile_bp)
                codes = genome.chromosome_sequence(seed, k, layout)
                fasta.write(ASCII[codes].tobytes() + b"\n")
                annotation["genes.gtf"] += shifted(gtf_lines([layout]), offset, (3, 4))
                annotation["enhancers.bed"] += shifted(enhancer_bed_lines([layout]), offset, (1, 2))
                annotation["cpg_islands.bed"] += shifted(island_bed_lines([layout]), offset, (1, 2))
                sites = methylation.cpg_sites(codes, layout)
                n_cpgs += sites.pos.size
                activity = draw_activity(seed, k, layout, len(SAMPLES))
                for s, (sample, fmt) in enumerate(SAMPLES.items()):
                    p = methylation.true_probability(seed, s, k, sites, layout, activity[s])
                    rows = cytosine_rows(sites, methylation.draw_reads(seed, s, k, sites, p))
                    n_records[sample] += write_calls(outs[sample], fmt, offset, rows)
    finally:
        for out in outs.values():
            out.close()
    for name, lines in annotation.items():
        (inputs / name).write_text("".join(line + "\n" for line in lines))
    marks = write_marks(inputs, length, seed)
    sheet = ["\t".join(["sample", "methylation", "format", *MARKS])]
    sheet += ["\t".join([s, str(calls[s]), "auto", *(str(marks[s][m]) for m in MARKS)]) for s in SAMPLES]
    (inputs / "samples.tsv").write_text("\n".join(sheet) + "\n")
    return {
        "length": length,
        "n_cpgs": n_cpgs,
        "n_genes": sum(line.split("\t")[2] == "gene" for line in annotation["genes.gtf"]),
        "n_records": n_records,
        "calls_mb": {s: round(path.stat().st_size / 2**20, 1) for s, path in calls.items()},
        "marks_mb": round(sum(p.stat().st_size for m in marks.values() for p in m.values()) / 2**20, 1),
    }


def write_marks(inputs: Path, length: int, seed: int) -> dict[str, dict[str, Path]]:
    """sample -> mark -> bigWig path: every mark of every sample in MARK_BIN_BP bins (module docstring)."""
    rng = np.random.default_rng([seed, 1])
    paths: dict[str, dict[str, Path]] = {}
    for sample in SAMPLES:
        paths[sample] = {}
        for mark in MARKS:
            bins = (MARK_BIN_BP, MARK_BIN_BP)
            intervals = synthetic_cohort.mark_intervals(rng, length, mark, bins, MARK_GAP_FRACTION)
            paths[sample][mark] = inputs / f"{sample}.{mark}.bw"
            synthetic_cohort.write_bigwig(paths[sample][mark], {CHROM: length}, {CHROM: intervals})
    return paths


def write_config(work: Path, n_cpgs: int) -> tuple[Path, float]:
    """The cohort config (tiny model, one epoch over about TRAIN_ROWS rows); returns its path and the fraction."""
    train_cpgs = n_cpgs * len(SAMPLES) * (1 - 2 * HELD_OUT_FRACTION)
    fraction = min(1.0, round(TRAIN_ROWS / train_cpgs, 6))
    config = {
        "cohort": COHORT,
        "samples": "inputs/samples.tsv",
        "reference": {
            "fasta": "inputs/genome.fa",
            "gtf": "inputs/genes.gtf",
            "enhancers": "inputs/enhancers.bed",
            "cpg_islands": "inputs/cpg_islands.bed",
        },
        "marks": list(MARKS),
        "split": {"mode": "blocks", "val_fraction": HELD_OUT_FRACTION, "test_fraction": HELD_OUT_FRACTION},
        "models": {"cnn": {"arch": "cnn", "channels": [8, 16], "dense": 16, "fraction": fraction}},
        "train": {
            "epochs": 1,
            "batch_size": 64,
            "warmup_steps": 10,
            "patience": 0,
            "num_workers": 0,
            "log_every": 50,
            "checkpoint_every": 0,
        },
        "evaluate": {"original": "cnn", "new": "cnn"},
        "attribute": {"model": "cnn"},
    }
    path = work / f"{COHORT}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, fraction


# --- running the workflow -----------------------------------------------------------------


def install_shim(work: Path) -> Path:
    """Write the measuring ``epibench`` shim into ``work/bin``; returns that folder."""
    shim_dir = work / "bin"
    shim_dir.mkdir(exist_ok=True)
    shim = shim_dir / "epibench"
    shim.write_text(SHIM.format(python=sys.executable, real=str(Path(sys.executable).parent / "epibench")))
    shim.chmod(0o755)
    return shim_dir


def measured_env(work: Path, log: Path) -> dict[str, str]:
    """The environment in which ``epibench`` is the shim, logging to ``log``."""
    path = os.pathsep.join([str(install_shim(work)), str(Path(sys.executable).parent), os.environ["PATH"]])
    return {**os.environ, "PATH": path, "SCALE_JOBS_LOG": str(log)}


def run(command: list[str], work: Path, env: dict[str, str], log_name: str) -> float:
    """Run ``command`` in ``work``, its output to ``work/log_name``; wall seconds (SystemExit when it fails)."""
    started = time.perf_counter()
    with open(work / log_name, "w") as log:
        done = subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = (work / log_name).read_text()[-4000:]
        raise SystemExit(f"{command[:4]} failed (log: {work / log_name}):\n{tail}")
    return time.perf_counter() - started


def run_workflow(work: Path, config: Path, cores: int) -> float:
    """Run snakemake on the benchmark's targets in ``work``, jobs measured into ``jobs.jsonl``; wall s."""
    targets = [f"results/{COHORT}/qc/{s}.ingest.json" for s in SAMPLES]
    targets.append(f"results/{COHORT}/models/cnn/model.safetensors")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
    ]
    command += ["--configfile", str(config), "--cores", str(cores), "--", *targets]
    return run(command, work, measured_env(work, work / "jobs.jsonl"), "snakemake.log")


def regions_peak_on_copies_mb(work: Path, copies: int) -> float:
    """Peak RSS (MB) of ``epibench regions`` on the cohort's reference and annotation ``copies`` times over
    (CHROM, then ``copy2``, ``copy3``...: as many chromosomes of the same length and CpGs, in ``copies<n>/``).
    """
    folder = work / f"copies{copies}"
    folder.mkdir()
    names = [CHROM] + [f"copy{i}" for i in range(2, copies + 1)]
    with open(folder / "raw.fa", "wb") as out:
        for name in names:
            with open(work / "results" / COHORT / "reference" / "genome.fa", "rb") as prepared:
                prepared.readline()  # the header
                out.write(f">{name}\n".encode())
                shutil.copyfileobj(prepared, out, 1 << 24)
    for file in ANNOTATION:
        lines = (work / "inputs" / file).read_text().splitlines(keepends=True)
        copied = [name + line[len(CHROM) :].replace("DEMO", name.upper()) for name in names for line in lines]
        (folder / file).write_text("".join(copied))  # gene and transcript ids of their own
    env = measured_env(work, folder / "jobs.jsonl")
    run(
        ["epibench", "reference", "--fasta", "raw.fa", "--out-dir", "reference"], folder, env, "reference.log"
    )
    (folder / "raw.fa").unlink()
    command = ["epibench", "regions", "--reference", "reference/genome.fa", "--gtf", "genes.gtf"]
    command += [
        "--enhancers",
        "enhancers.bed",
        "--cpg-islands",
        "cpg_islands.bed",
        "--out",
        "regions.parquet",
    ]
    command += ["--summary", "summary.tsv", "--chrom-names", "chrom_names.tsv"]
    run(command, folder, env, "regions.log")
    records = [json.loads(line) for line in (folder / "jobs.jsonl").read_text().splitlines()]
    peak = next(r["peak_rss_mb"] for r in records if r["argv"][0] == "regions")
    shutil.rmtree(folder / "reference")
    return peak


def job_of_argv(argv: list[str]) -> tuple[str, str]:
    """(rule, job label) of an ``epibench`` command line of the workflow."""
    rule = RULES[argv[0]]

    def value(flag: str) -> str:
        return argv[argv.index(flag) + 1]

    if rule == "ingest_group":
        calls = Path(value("--calls"))
        return rule, f"{calls.parents[1].name}/{calls.stem}"
    if rule == "shards":
        return rule, f"{value('--sample')}/{value('--group')}"
    if rule == "ingest_split":
        return rule, value("--sample")
    if rule == "ingest_summary":
        return rule, Path(value("--split-qc")).parent.name  # qc/<sample>/read.json
    if rule == "train":
        return rule, Path(value("--out-dir")).name
    return rule, ""


def job_of_benchmark(relative: Path) -> tuple[str, str]:
    """(rule, job label) of a Snakemake benchmark file (path relative to the benchmark folder)."""
    parts = relative.with_suffix("").parts
    if parts == ("shards", "plan"):
        return "shard_plan", ""
    if len(parts) == 1:
        return parts[0], ""
    if parts[0] == "ingest":
        kind = {"split": "ingest_split", "summary": "ingest_summary"}.get(parts[2], "ingest_group")
        return kind, parts[1] if kind != "ingest_group" else f"{parts[1]}/{parts[2]}"
    if parts[0] == "shards":
        return "shards", f"{parts[1]}/{parts[2]}"
    return parts[0], parts[1]


def measured_jobs(work: Path) -> dict[tuple[str, str], dict]:
    """(rule, label) -> wall_s, snakemake_max_rss_mb (None: no sample), peak_rss_mb, cpu_s of every job."""
    import pandas as pd

    jobs: dict[tuple[str, str], dict] = {}
    for line in (work / "jobs.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["argv"][0] in RULES:
            jobs[job_of_argv(record["argv"])] = {k: record[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")}
    bench = work / "logs" / COHORT / "benchmarks"
    for path in sorted(bench.rglob("*.tsv")):
        row = pd.read_csv(path, sep="\t").iloc[0]
        job = jobs.setdefault(job_of_benchmark(path.relative_to(bench)), {})
        rss = pd.to_numeric(row["max_rss"], errors="coerce")
        job |= {"snakemake_s": float(row["s"]), "snakemake_max_rss_mb": None if pd.isna(rss) else float(rss)}
    return jobs


def per_rule(jobs: dict[tuple[str, str], dict]) -> dict[str, dict]:
    """rule -> jobs, wall s (Snakemake's, largest and summed), max_rss MB (Snakemake), peak RSS MB (kernel), CPU s."""
    table = {}
    for rule in RULE_ORDER:
        mine = [j for (r, _), j in jobs.items() if r == rule]
        if not mine:
            continue
        walls = [j.get("snakemake_s", j.get("wall_s", 0.0)) for j in mine]
        sampled = [j["snakemake_max_rss_mb"] for j in mine if j.get("snakemake_max_rss_mb") is not None]
        peaks = [j.get("peak_rss_mb", 0.0) for j in mine]
        table[rule] = {
            "jobs": len(mine),
            "wall_s_max": round(max(walls), 2),
            "wall_s_sum": round(sum(walls), 2),
            "snakemake_max_rss_mb": round(max(sampled), 1) if sampled else None,
            "peak_rss_mb": round(max(peaks), 1),
            "cpu_s_sum": round(sum(j.get("cpu_s", 0.0) for j in mine), 2),
        }
        table[rule]["job_peak_mb"] = max(
            table[rule]["peak_rss_mb"], table[rule]["snakemake_max_rss_mb"] or 0.0
        )
    return table


# --- extrapolation ------------------------------------------------------------------------


def extrapolate(
    table: dict[str, dict],
    length: int,
    train: dict,
    shards_mb: float,
    regions_on_copies: dict[int, float],
) -> dict:
    """22 autosomes x CLUSTER_SAMPLES samples from the measured chromosome (module docstring for the assumptions).

    train: ``train_slice``; shards_mb: the shards of the run; regions_on_copies: copies -> peak MB
    of ``regions_peak_on_copies_mb``.
    """
    genome_bp = sum(HG38[c] for c in AUTOSOMES)
    r, c, n = genome_bp / length, HG38["chr1"] / length, CLUSTER_SAMPLES
    # rule: (jobs, x CPU of a measured job, x wall of the longest job, x the peak above the baseline)
    model = {
        "reference": (1, r, r, c),
        "regions": (1, r, r, 1),  # its peak: from regions_on_copies, below
        "shard_plan": (1, 1, 1, 1),
        "ingest_split": (n, n * r, r, 1),
        "ingest_group": (n * len(AUTOSOMES), n * r, c, c),
        "ingest_summary": (n, n, 1, 1),
        "shards": (n * len(AUTOSOMES), n * r, c, c),
    }
    baseline_mb = min(row["job_peak_mb"] for row in table.values())  # the interpreter and imports
    rules = {}
    for rule, (jobs, cpu_x, wall_x, peak_x) in model.items():
        row = table[rule]
        rules[rule] = {
            "jobs": jobs,
            "cpu_hours": round(row["cpu_s_sum"] / row["jobs"] * cpu_x / 3600, 2),
            "longest_job_hours": round(row["wall_s_max"] * wall_x / 3600, 3),
            "largest_job_peak_mb": round(baseline_mb + (row["job_peak_mb"] - baseline_mb) * peak_x),
        }
    (fewer, peak_fewer), (more, peak_more) = sorted(regions_on_copies.items())
    per_copy_mb = (peak_more - peak_fewer) / (more - fewer)
    rules["regions"]["largest_job_peak_mb"] = round(peak_more + per_copy_mb * (r - more))
    wall = {rule: row["longest_job_hours"] for rule, row in rules.items()}
    critical = wall["reference"] + wall["shards"]
    critical += max(wall["regions"], wall["shard_plan"] + wall["ingest_split"] + wall["ingest_group"])
    largest = max(rules, key=lambda rule: rules[rule]["largest_job_peak_mb"])
    epoch_rows = train["rows_per_epoch"] * r * n / len(SAMPLES)
    return {
        "cohort": f"{len(AUTOSOMES)} hg38 autosomes ({genome_bp:,} bp) x {n} samples",
        "genome_ratio": round(r, 3),
        "chr1_ratio": round(c, 3),
        "rules": rules,
        "cpu_hours": round(sum(row["cpu_hours"] for row in rules.values()), 1),
        "largest_job_peak_mb": rules[largest]["largest_job_peak_mb"],
        "largest_job_rule": largest,
        "critical_path_hours": round(critical, 2),
        "train": {
            "jobs": f"1 per model, {CLUSTER_GPUS_NOTE}",
            "rows_per_epoch": round(epoch_rows),
            "epoch_hours_this_cpu": round(epoch_rows / train["samples_per_s"] / 3600, 1),
            "epoch_hours_h200": round(epoch_rows / H200_SAMPLES_PER_S / 3600, 1),
            "peak_mb": table["train"]["job_peak_mb"],
            "shards_mapped_gb": round(shards_mb * r * n / len(SAMPLES) / 1024, 1),
        },
        "assumptions": [
            f"CpGs, calls and records scale with bp: genome ratio r = {genome_bp:,} / {length:,} = {r:.2f}, "
            f"chr1 ratio c = {HG38['chr1']:,} / {length:,} = {c:.2f}",
            "ingest, shards: one job per sample x autosome, the largest (chr1) x c in time and in memory above "
            "the baseline; CPU of a sample x r",
            "ingest_split: one job per sample, x r in time; its peak as measured (the file is streamed in blocks)",
            "reference: x r in time, x c in memory (one chromosome at a time)",
            f"regions: x r in time; it holds every CpG of the genome: its peak on {fewer} and {more} copies "
            f"of the chromosome was {peak_fewer:.0f} and {peak_more:.0f} MB, so {per_copy_mb:.0f} MB per "
            f"chromosome's worth of CpGs: peak = {peak_more:.0f} + {per_copy_mb:.0f} x (r - {more}) MB",
            f"baseline (interpreter and imports) = the smallest job's peak, {baseline_mb:.0f} MB",
            "critical path (unlimited nodes): reference + max(regions, shard_plan + ingest_split + ingest of "
            "chr1) + shards of chr1, from wall times on this contended 2-core machine; train comes after",
            f"train: an epoch = every training CpG of {n} samples ({train['rows_per_epoch']:,} here x r x "
            f"{n / len(SAMPLES):g}), at the slice's {train['samples_per_s']:,.0f} samples/s (this CPU, the tiny "
            f"CNN) or {H200_SAMPLES_PER_S:,} samples/s (the hybrid at seed shapes on one H200, compiled: README, "
            "benchmarks/gpu_e2e.sh); its peak as measured: shards are memory-mapped, an epoch maps "
            "shards_mapped_gb of page cache on the GPU node",
        ],
    }


# --- the benchmark ------------------------------------------------------------------------


def train_slice(work: Path) -> dict:
    """The trained slice: samples_per_s (metrics.csv: training rows per second of the epoch) and
    rows_per_epoch (the train split's CpGs of every shard: one full epoch of this run, no fraction)."""
    import pandas as pd

    metrics = pd.read_csv(work / "results" / COHORT / "models" / "cnn" / "metrics.csv")
    manifests = (work / "results" / COHORT / "shards").glob("*/*/manifest.json")
    rows = sum(json.loads(path.read_text())["counts"]["train"] for path in manifests)
    return {"samples_per_s": float(metrics["samples_per_s"].iloc[-1]), "rows_per_epoch": rows}


def describe(table: dict[str, dict]) -> str:
    lines = [
        f"{'rule':<15}{'jobs':>5}{'wall s (max)':>14}{'wall s (sum)':>14}{'CPU s':>9}"
        f"{'max_rss MB':>12}{'peak RSS MB':>13}"
    ]
    for rule, row in table.items():
        sampled = "NA" if row["snakemake_max_rss_mb"] is None else f"{row['snakemake_max_rss_mb']:.0f}"
        lines.append(
            f"{rule:<15}{row['jobs']:>5}{row['wall_s_max']:>14.1f}{row['wall_s_sum']:>14.1f}"
            f"{row['cpu_s_sum']:>9.1f}{sampled:>12}{row['peak_rss_mb']:>13.0f}"
        )
    return "\n".join(lines)


def describe_extrapolation(extra: dict) -> str:
    lines = [f"extrapolation to {extra['cohort']}:"]
    for rule, row in extra["rules"].items():
        lines.append(
            f"  {rule:<15}{row['jobs']:>6} jobs {row['cpu_hours']:>8.2f} CPU-h, longest job "
            f"{row['longest_job_hours']:>7.3f} h, largest job {row['largest_job_peak_mb']:>6} MB"
        )
    train = extra["train"]
    lines.append(
        f"  total {extra['cpu_hours']} CPU-h; largest job {extra['largest_job_peak_mb']} MB "
        f"({extra['largest_job_rule']}); critical path {extra['critical_path_hours']} h"
    )
    lines.append(
        f"  train: {train['jobs']}; an epoch of {train['rows_per_epoch']:,} rows: {train['epoch_hours_this_cpu']} h "
        f"on this CPU (tiny CNN), {train['epoch_hours_h200']} h on one H200 (hybrid); peak {train['peak_mb']:.0f} "
        f"MB + {train['shards_mapped_gb']} GB of mapped shards"
    )
    lines += [f"  assumption: {line}" for line in extra["assumptions"]]
    return "\n".join(lines)


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_BP / 1e6:g}-Mb chromosome (< 1 min)")
    parser.add_argument(
        "--chrom-bp", type=int, help=f"chromosome length (default {HG38[CHROM]:,}, hg38 chr1)"
    )
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="snakemake --cores (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", help="folder for inputs, results and logs (kept); default: a temporary one")
    args = parser.parse_args(argv)
    length = args.chrom_bp or (QUICK_BP if args.quick else HG38[CHROM])
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-scale-")).resolve()
    load_before = os.getloadavg()[0]
    try:
        t = time.perf_counter()
        facts = generate(work / "inputs", length, args.seed)
        gen_s = time.perf_counter() - t
        print(
            f"generated in {gen_s:.1f} s ({work}): {CHROM} {length:,} bp, {facts['n_cpgs']:,} CpGs, "
            f"{facts['n_genes']:,} genes; records {facts['n_records']}; calls MB {facts['calls_mb']}; "
            f"{len(SAMPLES) * len(MARKS)} mark bigWigs {facts['marks_mb']} MB"
        )
        config, fraction = write_config(work, facts["n_cpgs"])
        total_s = run_workflow(work, config, args.cores)
        jobs = measured_jobs(work)
        shards = work / "results" / COHORT / "shards"
        shards_mb = folder_mb(shards) - folder_mb(shards / "plan")
        regions_on_copies = {n: regions_peak_on_copies_mb(work, n) for n in REGIONS_COPIES}
        train = train_slice(work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    table = per_rule(jobs)
    extra = extrapolate(table, length, train, shards_mb, regions_on_copies)
    peak_rule = max(table, key=lambda rule: table[rule]["job_peak_mb"])
    peak = table[peak_rule]["job_peak_mb"]
    print(
        f"snakemake --cores {args.cores}: {total_s:.1f} s wall; 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after ({os.cpu_count()} cores)"
    )
    print(describe(table))
    print(f"largest per-job peak: {peak:.0f} MB ({peak_rule}); limit {LIMIT_MB} MB per job")
    print(describe_extrapolation(extra))
    result = {
        "bench": "scale",
        "value": round(peak, 1),
        "unit": "MB peak RSS of the largest job",
        "baseline": "8 GB per-job limit",
        "baseline_value": LIMIT_MB,
        "ratio": round(peak / LIMIT_MB, 3),
        "peak_rule": peak_rule,
        "chrom_bp": length,
        "cpgs": facts["n_cpgs"],
        "records": facts["n_records"],
        "train_fraction": fraction,
        "cores": args.cores,
        "generate_seconds": round(gen_s, 1),
        "workflow_seconds": round(total_s, 1),
        "load_avg_1min_before": round(load_before, 2),
        "extrapolated_largest_job_mb": extra["largest_job_peak_mb"],
        "extrapolated_largest_job_rule": extra["largest_job_rule"],
        "rules": table,
        "extrapolation": extra,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scale{'-quick' if args.quick else ''}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
