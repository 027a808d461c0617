"""Synthetic one-sample cohort for the shard and loader benchmarks (numpy + pyBigWig, no demo generator).

What ``cohort()`` writes (deterministic for its parameters and ``seed``), into a cache folder
``benchmarks/.cache/cohort-<hash of the parameters>/`` (reused while the parameters and
``GENERATOR_VERSION`` are unchanged; the cache folder holds a ``.gitignore`` of ``*`` so git
never sees it):

- ``reference/genome.fa`` (+ ``.fai``, ``chrom_sizes.tsv``): ``n_chroms`` chromosomes
  ``chr1``, ``chr2``, ... of ``chrom_bp`` bp, written through the reference stage
  (``epibench.io.reference.write_reference_index``). Uniform random ACGT (upper case) in
  which CpGs are depleted to a human-like ``cpg_per_100bp`` (default 1.0; human 0.9): CpG
  islands (1 kb, one per 100 kb, about the density of UCSC's hg38 CpG-island track, ~30 k
  over 3.1 Gb) keep every CG of random sequence (~6 per 100 bp), elsewhere a CG becomes CA
  (never creating a new CG) until the genome-wide density is reached;
- ``sample.parquet``: the canonical CpG table (``epibench.io.methylation.write_canonical``:
  chrom, pos, n_meth, n_total, level) with a row at every reference CpG: depth
  5 + Poisson(Gamma(4, 2.5)) (mean 15, all >= the default min_coverage 5), level from a
  bimodal Beta mixture (75 % methylated outside islands, 10 % in islands);
- ``regions.parquet``: the region table (``epibench.io.regions.write_regions``: chrom, pos,
  region) at the same CpGs, random region codes 0-3 (promoter 5 %, enhancer 10 %, gene body
  45 %, intergenic 40 %), no flag columns;
- ``marks/<mark>.bw`` for H3K4me3, H3K27ac, H3K36me3, H3K4me1, H3K27me3, H3K9me3, shaped
  like ENCODE fold-change bigWigs: bedGraph-style intervals of 10-200 bp (uniform), about
  10 % of the bp left uncovered (dropped intervals: the track has no data there, read as
  NaN), values lognormal around a per-mark level with occasional 5-30x peaks; written with
  pyBigWig ``addEntries`` from numpy arrays, one call per chromosome.

    .venv/bin/python benchmarks/synthetic_cohort.py            # 2 x 10 Mb (a few seconds)
    .venv/bin/python benchmarks/synthetic_cohort.py --quick    # 2 x 2 Mb
    .venv/bin/python benchmarks/synthetic_cohort.py --force    # regenerate even if cached

``cohort()`` returns a dict of paths (``root``, ``fasta``, ``chrom_sizes``, ``cpg_table``,
``region_table``, ``marks`` (mark -> bigWig path)) and facts (``sample``, ``chroms``,
``chrom_lengths``, ``n_cpgs``, ``n_cpgs_per_chrom``, ``genome_bp``, ``params``,
``generated`` (False when read from the cache), ``seconds`` (generation time)).
``load(root)`` reads a written cohort back (benchmark child processes);
``write_cohort_plan`` and ``build_cohort_shards`` run the shard plan stage and
``build_shard`` on it, as both benchmarks do.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
MARKS = ("H3K4me3", "H3K27ac", "H3K36me3", "H3K4me1", "H3K27me3", "H3K9me3")
SAMPLE = "synthetic"
FULL = {"n_chroms": 2, "chrom_bp": 10_000_000}
QUICK = {"n_chroms": 2, "chrom_bp": 2_000_000}
ISLAND_BP = 1000
ISLAND_EVERY_BP = 100_000
REGION_WEIGHTS = (0.05, 0.10, 0.45, 0.40)  # promoter, enhancer, gene_body, intergenic
# per-mark median fold change (background) and share of intervals in a peak
MARK_SHAPE = {
    "H3K4me3": (0.6, 0.02),
    "H3K27ac": (0.7, 0.03),
    "H3K36me3": (1.0, 0.05),
    "H3K4me1": (0.9, 0.05),
    "H3K27me3": (1.1, 0.03),
    "H3K9me3": (1.0, 0.03),
}
LINE = 1 << 24


# --- pieces -------------------------------------------------------------------------------


def _genome_chrom(
    rng: np.random.Generator, length: int, cpg_per_100bp: float
) -> tuple[np.ndarray, np.ndarray]:
    """(length,) uint8 ASCII sequence and (length,) bool island mask of one chromosome."""
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=length, dtype=np.uint8)]
    is_cg = np.zeros(length, dtype=bool)
    is_cg[:-1] = (seq[:-1] == ord("C")) & (seq[1:] == ord("G"))
    n_islands = max(1, length // ISLAND_EVERY_BP)
    starts = rng.integers(0, max(1, length - ISLAND_BP), size=n_islands)
    edges = np.zeros(length + 1, dtype=np.int32)
    np.add.at(edges, starts, 1)
    np.add.at(edges, np.minimum(starts + ISLAND_BP, length), -1)
    island = np.cumsum(edges[:-1]) > 0
    n_island = int((is_cg & island).sum())
    n_other = int((is_cg & ~island).sum())
    keep_share = min(1.0, max(0.0, (cpg_per_100bp / 100 * length - n_island) / max(n_other, 1)))
    drop = np.flatnonzero(is_cg & ~island & (rng.random(length) >= keep_share))
    seq[drop + 1] = ord("A")  # CG -> CA: an A never starts nor ends a CG
    return seq, island


def _methylation(rng: np.random.Generator, in_island: np.ndarray) -> dict[str, np.ndarray]:
    """n_meth, n_total, level of CpGs (``in_island``: (N,) bool)."""
    n = len(in_island)
    methylated = rng.random(n) < np.where(in_island, 0.10, 0.75)
    true_level = np.where(methylated, rng.beta(8, 1.5, n), rng.beta(1, 8, n))
    n_total = 5 + rng.poisson(rng.gamma(4.0, 2.5, n))
    n_meth = rng.binomial(n_total, true_level)
    return {
        "n_meth": n_meth.astype(np.int64),
        "n_total": n_total.astype(np.int64),
        "level": (n_meth / n_total).astype(np.float32),
    }


def mark_intervals(
    rng: np.random.Generator, length: int, mark: str, interval_bp: tuple[int, int], gap_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """starts, ends (int64) and values (float64) of one mark on one chromosome, sorted, gaps dropped."""
    low, high = interval_bp
    n = math.ceil(length / ((low + high) / 2) * 1.05) + 16
    lengths = rng.integers(low, high + 1, size=n)
    ends = np.cumsum(lengths)
    while ends[-1] < length:  # extremely unlikely; keep going until the chromosome is tiled
        more = rng.integers(low, high + 1, size=n)
        ends = np.concatenate([ends, ends[-1] + np.cumsum(more)])
    ends = ends[: np.searchsorted(ends, length) + 1]
    ends[-1] = length
    starts = np.concatenate([[0], ends[:-1]])
    covered = rng.random(len(ends)) >= gap_fraction
    starts, ends = starts[covered], ends[covered]
    median, peak_share = MARK_SHAPE.get(mark, (1.0, 0.03))
    values = median * rng.lognormal(0.0, 0.6, len(ends))
    peaks = rng.random(len(ends)) < peak_share
    values[peaks] *= rng.uniform(5, 30, int(peaks.sum()))
    return starts.astype(np.int64), ends.astype(np.int64), np.round(values, 5)


def write_bigwig(path: Path, chrom_lengths: dict[str, int], intervals: dict[str, tuple]) -> None:
    """One bigWig from per-chromosome (starts, ends, values) arrays (bedGraph-style entries)."""
    import pyBigWig

    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(chrom_lengths.items()), maxZooms=10)
    for chrom in chrom_lengths:
        starts, ends, values = intervals[chrom]
        bw.addEntries(np.full(len(starts), chrom), starts, ends=ends, values=values)
    bw.close()


def _write_fasta(path: Path, records: dict[str, np.ndarray]) -> None:
    """Raw FASTA, long lines (the reference stage rewraps to 60)."""
    with open(path, "wb") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n".encode())
            for start in range(0, len(seq), LINE):
                fh.write(seq[start : start + LINE].tobytes())
                fh.write(b"\n")


# --- the cohort ---------------------------------------------------------------------------


def _params(**kwargs) -> dict:
    params = {
        "n_chroms": FULL["n_chroms"],
        "chrom_bp": FULL["chrom_bp"],
        "cpg_per_100bp": 1.0,
        "marks": list(MARKS),
        "interval_bp": [10, 200],
        "gap_fraction": 0.1,
        "seed": 0,
    }
    unknown = set(kwargs) - set(params)
    if unknown:
        raise TypeError(f"unknown cohort parameters {sorted(unknown)}")
    params |= {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items() if v is not None}
    return params


def _key(params: dict) -> str:
    text = json.dumps({"version": GENERATOR_VERSION, **params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _generate(root: Path, params: dict) -> dict:
    """Write every file of the cohort into ``root`` (an empty folder); returns the facts for cohort.json."""
    import pandas as pd

    from epibench.io.methylation import write_canonical
    from epibench.io.reference import write_reference_index
    from epibench.io.regions import write_regions

    rng = np.random.default_rng(params["seed"])
    names = [f"chr{i + 1}" for i in range(params["n_chroms"])]
    lengths = {name: int(params["chrom_bp"]) for name in names}
    records, cpg_rows, region_rows = {}, [], []
    for name in names:
        seq, island = _genome_chrom(rng, lengths[name], params["cpg_per_100bp"])
        pos = np.flatnonzero((seq[:-1] == ord("C")) & (seq[1:] == ord("G"))).astype(np.int64)
        records[name] = seq
        chrom = pd.array(np.full(len(pos), name), dtype="str")
        cpg_rows.append(pd.DataFrame({"chrom": chrom, "pos": pos, **_methylation(rng, island[pos])}))
        region = rng.choice(4, size=len(pos), p=REGION_WEIGHTS).astype(np.int8)
        region_rows.append(pd.DataFrame({"chrom": chrom, "pos": pos, "region": region}))
    raw = root / "raw.fa"
    _write_fasta(raw, records)
    del records
    fasta = write_reference_index(raw, root / "reference")
    raw.unlink()
    cpgs = pd.concat(cpg_rows, ignore_index=True)
    write_canonical(cpgs, root / "sample.parquet")
    write_regions(pd.concat(region_rows, ignore_index=True), root / "regions.parquet")
    (root / "marks").mkdir()
    for mark in params["marks"]:
        intervals = {
            name: mark_intervals(
                rng, lengths[name], mark, tuple(params["interval_bp"]), params["gap_fraction"]
            )
            for name in names
        }
        write_bigwig(root / "marks" / f"{mark}.bw", lengths, intervals)
    per_chrom = cpgs.groupby("chrom", sort=False).size()
    return {
        "params": params,
        "generator_version": GENERATOR_VERSION,
        "sample": SAMPLE,
        "chroms": names,
        "chrom_lengths": lengths,
        "genome_bp": int(sum(lengths.values())),
        "n_cpgs": len(cpgs),
        "n_cpgs_per_chrom": {name: int(per_chrom[name]) for name in names},
        "fasta": str(fasta.relative_to(root)),
        "chrom_sizes": "reference/chrom_sizes.tsv",
        "cpg_table": "sample.parquet",
        "region_table": "regions.parquet",
        "marks": {mark: f"marks/{mark}.bw" for mark in params["marks"]},
    }


def _with_paths(root: Path, facts: dict, generated: bool, seconds: float) -> dict:
    out = dict(facts)
    for key in ("fasta", "chrom_sizes", "cpg_table", "region_table"):
        out[key] = root / facts[key]
    out["marks"] = {mark: root / path for mark, path in facts["marks"].items()}
    out |= {"root": root, "generated": generated, "seconds": seconds}
    return out


def cohort(cache_dir: str | os.PathLike | None = None, force: bool = False, **params) -> dict:
    """The cohort for ``params`` (see ``_params`` for names and defaults), generated on first use.

    Returns the dict the module docstring describes; paths are absolute ``Path``s.
    """
    params = _params(**params)
    cache = Path(cache_dir) if cache_dir is not None else CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    ignore = cache / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# benchmark inputs, regenerated on demand\n*\n")
    root = cache / f"cohort-{_key(params)}"
    done = root / "cohort.json"
    if done.exists() and not force:
        return _with_paths(root, json.loads(done.read_text()), False, 0.0)
    t = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=cache))
    tmp.chmod(0o755)
    try:
        facts = _generate(tmp, params)
        (tmp / "cohort.json").write_text(json.dumps(facts, indent=2))
        if root.exists():
            shutil.rmtree(root)
        try:
            os.replace(tmp, root)
        except OSError:  # another process finished the same cohort first
            if not done.exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return _with_paths(root, facts, True, time.perf_counter() - t)


def load(root: str | os.PathLike) -> dict:
    """A cohort already written by ``cohort()``, from its folder (for benchmark child processes)."""
    root = Path(root)
    return _with_paths(root, json.loads((root / "cohort.json").read_text()), False, 0.0)


def write_cohort_plan(c: dict, out_dir: str | os.PathLike, min_share: float = 0.01) -> dict[str, list[str]]:
    """The shard plan stage on the cohort's reference (default split settings); returns the groups."""
    from epibench.data.plan import write_plan
    from epibench.data.splits import SplitSettings

    write_plan(c["chrom_sizes"], SplitSettings(), min_share, out_dir)
    return read_groups_of(out_dir)


def read_groups_of(plan_dir: str | os.PathLike) -> dict[str, list[str]]:
    """The groups of a plan written by ``write_cohort_plan``."""
    from epibench.data.groups import read_groups

    return read_groups(Path(plan_dir) / "groups.tsv")


def build_cohort_shards(
    c: dict,
    plan_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    groups: dict[str, list[str]],
    window: int,
    bin_size: int,
) -> list[dict]:
    """``build_shard`` for the cohort's sample on every group (``out_dir/<group>``); returns the manifests."""
    from epibench.data.shards import ShardSettings, build_shard

    settings = ShardSettings(window=window, bin_size=bin_size)
    return [
        build_shard(
            c["cpg_table"],
            c["region_table"],
            c["fasta"],
            c["marks"],
            Path(plan_dir) / "splits.bed",
            chroms,
            Path(out_dir) / group,
            c["sample"],
            settings,
        )
        for group, chroms in groups.items()
    ]


def describe(c: dict) -> str:
    """One line about a cohort, for the benchmarks' output."""
    how = f"generated in {c['seconds']:.1f} s" if c["generated"] else "from the cache"
    sizes = " + ".join(f"{n / 1e6:g} Mb" for n in c["chrom_lengths"].values())
    return (
        f"synthetic cohort ({how}, {c['root']}): {sizes} ({c['genome_bp']:,} bp), "
        f"{c['n_cpgs']:,} CpGs ({c['n_cpgs'] / c['genome_bp'] * 100:.2f} per 100 bp), "
        f"{len(c['marks'])} marks ({', '.join(c['marks'])})"
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 x 2 Mb")
    parser.add_argument("--n-chroms", type=int)
    parser.add_argument("--chrom-bp", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--cache-dir", help=f"default {CACHE_DIR}")
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    c = cohort(
        args.cache_dir,
        args.force,
        n_chroms=args.n_chroms or preset["n_chroms"],
        chrom_bp=args.chrom_bp or preset["chrom_bp"],
        seed=args.seed,
    )
    print(describe(c))
    for key in ("fasta", "cpg_table", "region_table"):
        print(f"  {key}: {c[key]}")
    for mark, path in c["marks"].items():
        print(f"  {mark}: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return c


if __name__ == "__main__":
    main()
