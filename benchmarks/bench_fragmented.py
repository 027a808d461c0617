"""Benchmark: methylation calls on a draft assembly of many scaffolds, against the same calls on one chromosome.

Non-model cohorts come with draft assemblies of 10^4-10^5 scaffolds. The CG check
(``check-inputs``) and ingest find the bases around every call (``cpg_sites.locate_cpgs``), so any
per-sequence cost multiplies by the scaffold count. Before ``Reference.chroms`` was built once,
each sequence's turn rebuilt the list of every name (this benchmark then gave 3,850 calls/s at
20,000 scaffolds: CG check 38.5 s, ingest 13.1 s); after, 40,322 calls/s (3.7 s and 1.2 s), each
scaffold still mapped and read on its own in every pass; with the calls on short sequences looked
up at once (``Reference.bases_around_gathered``), 234,983 calls/s (0.69 s and 0.16 s).

What is generated (deterministic, into a temporary folder removed at the end): ``--scaffolds``
scaffolds (20,000 by default, 5,000 with ``--quick``) of 500-20,000 bp (log-normal, ~3 kb
median), ``--calls-per`` (10) Bismark coverage rows on CpGs of each; and a reference of one
chromosome of the same total length with the same number of calls.

Measured in one process, each reference prepared as the reference stage does: the CG check of
the sample (``cohort_check.sample_fit``, every call, three shifts) and ``ingest`` (read, match
names, find each call's CpG, merge strands). The baseline is the one-chromosome cohort: the ratio
says what the scaffolds cost per call (1.0: nothing).

    .venv/bin/python benchmarks/bench_fragmented.py            # 20 k scaffolds, ~1 min
    .venv/bin/python benchmarks/bench_fragmented.py --quick    # 5 k scaffolds, ~15 s

The last printed line is one JSON object (``bench``, ``value`` = calls/s on the scaffolds,
``unit``, ``baseline``, ``baseline_value``, ``ratio``, the seconds of each step and the shard
groups the scaffolds make).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from epibench.data.groups import shard_groups
from epibench.io.methylation import ingest
from epibench.io.methylation.cohort_check import sample_fit
from epibench.io.reference import Reference, write_reference_index

LINE_BP = 60


def write_cohort(
    folder: Path, lengths: list[int], calls_per: int, rng: np.random.Generator
) -> tuple[Path, Path]:
    """A FASTA of random sequences of ``lengths`` (named ``chr1`` when one, else ``scaffold_N``) with
    ``calls_per`` CpGs planted in each (per 2 kb of a single sequence), and a gzipped Bismark
    coverage file of one call on each planted CpG's C; returns their paths."""
    fasta, calls = folder / "genome.fa", folder / "calls.bismark.cov.gz"
    names = ["chr1"] if len(lengths) == 1 else [f"scaffold_{i}" for i in range(len(lengths))]
    with open(fasta, "wb") as out, gzip.open(calls, "wt", compresslevel=1) as rows:
        for name, length in zip(names, lengths):
            bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].copy()
            n_calls = calls_per if len(lengths) > 1 else length // 2_000 * calls_per
            cpgs = np.unique(rng.integers(1, length - 2, n_calls))
            cpgs = cpgs[np.r_[True, np.diff(cpgs) > 1]]  # no two planted CpGs overlap
            bases[cpgs], bases[cpgs + 1] = ord("C"), ord("G")
            out.write(f">{name}\n".encode())
            out.write(b"\n".join(bases[i : i + LINE_BP].tobytes() for i in range(0, length, LINE_BP)) + b"\n")
            meth = rng.integers(0, 10, len(cpgs))
            rows.writelines(
                f"{name}\t{c + 1}\t{c + 1}\t{10 * m}\t{m}\t{10 - m}\n" for c, m in zip(cpgs, meth)
            )
    return fasta, calls


def timed(fasta: Path, calls: Path, out_dir: Path) -> dict:
    """Seconds of the CG check and of ingest of ``calls`` on ``fasta`` prepared into ``out_dir``."""
    reference = Reference(write_reference_index(fasta, out_dir))
    start = time.perf_counter()
    fit = sample_fit("s", calls, reference)
    checked = time.perf_counter()
    table, qc = ingest(calls, reference, min_coverage=1)
    done = time.perf_counter()
    assert fit.fit.shares()[0] == 1.0 and qc["n_off_cg_dropped"] == 0
    return {"calls": qc["n_records"], "cg_check_s": checked - start, "ingest_s": done - checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 k scaffolds")
    parser.add_argument("--scaffolds", type=int, default=None)
    parser.add_argument("--calls-per", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_scaffolds = args.scaffolds or (5_000 if args.quick else 20_000)
    rng = np.random.default_rng(args.seed)
    lengths = np.clip(rng.lognormal(8.0, 0.9, n_scaffolds), 500, 20_000).astype(int).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "draft").mkdir()
        (root / "one").mkdir()
        draft = timed(*write_cohort(root / "draft", lengths, args.calls_per, rng), root / "draft" / "ref")
        per_2kb = max(1, round(draft["calls"] * 2_000 / sum(lengths)))
        one = timed(*write_cohort(root / "one", [sum(lengths)], per_2kb, rng), root / "one" / "ref")
    groups = shard_groups(dict(zip(map(str, range(n_scaffolds)), lengths)))
    rate = {
        name: r["calls"] / (r["cg_check_s"] + r["ingest_s"]) for name, r in (("draft", draft), ("one", one))
    }
    for name, r in (("scaffolds", draft), ("one chromosome", one)):
        print(
            f"{name}: {r['calls']:,} calls, CG check {r['cg_check_s']:.2f} s, ingest {r['ingest_s']:.2f} s, "
            f"{r['calls'] / (r['cg_check_s'] + r['ingest_s']):,.0f} calls/s"
        )
    print(f"{n_scaffolds:,} scaffolds ({sum(lengths):,} bp) make {len(groups)} shard groups per sample")
    print(
        json.dumps(
            {
                "bench": "fragmented",
                "value": round(rate["draft"]),
                "unit": "calls/s (CG check + ingest)",
                "baseline": "the same calls on one chromosome of the same length",
                "baseline_value": round(rate["one"]),
                "ratio": round(rate["draft"] / rate["one"], 3),
                "scaffolds": n_scaffolds,
                "bp": sum(lengths),
                "calls": draft["calls"],
                "baseline_calls": one["calls"],
                "cg_check_s": round(draft["cg_check_s"], 2),
                "ingest_s": round(draft["ingest_s"], 2),
                "baseline_cg_check_s": round(one["cg_check_s"], 2),
                "baseline_ingest_s": round(one["ingest_s"], 2),
                "shard_groups": len(groups),
            }
        )
    )


if __name__ == "__main__":
    main()
