"""Benchmark: variant-effect scoring (``epibench.variants.effects.score_variants``) vs a naive loop.

Input: the synthetic one-sample cohort of ``benchmarks/synthetic_cohort.py`` (2 x 2 Mb with ``--quick``,
2 x 10 Mb otherwise; 6 mark bigWigs), sharded here (window 1000, bins of 100; not timed), and
``--variants`` random SNVs (seeded; REF from the reference, ALT another base) at positions with a
CpG within 500 bp. The model: the hybrid at the demo's sizes (``config/config.yaml``: d_model 64,
2 layers, ...), random weights (speed does not depend on them), on CPU with ``--threads`` threads.

Measured in this process:
- value: variants/s of ``score_variants`` (every site of every variant; one reference prediction per
  CpG, windows in batches of 256);
- baseline: the usual loop, one model call per window: for each variant, each site's REF window and
  ALT window scored one at a time (the same windows and channels, from ``collect_sites``), on the
  first ``--naive-variants`` variants; variants/s = those variants / their time.
Both give the same numbers: the naive loop's deltas are checked against ``score_variants``'s.

    .venv/bin/python benchmarks/bench_variants.py --quick    # < 1 min
    .venv/bin/python benchmarks/bench_variants.py

The last printed line is one JSON object (``bench``, ``value``, ``unit``, ``baseline``,
``baseline_value``, ``ratio`` and details).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_cohort  # noqa: E402

from epibench.codes import BASES  # noqa: E402
from epibench.data.dataset import ShardDataset  # noqa: E402
from epibench.models.factory import build_model  # noqa: E402
from epibench.variants.effects import collect_sites, predict_windows, score_variants  # noqa: E402
from epibench.variants.sites import CREATED, DESTROYED  # noqa: E402

DEMO_HYBRID = dict(
    d_model=64, n_heads=4, ff_dim=128, n_layers=2, stem_pool=8, hist_dim=32, fusion_dim=64,
    fusion_heads=4, head_hidden=32, dropout=0.0,
)  # fmt: skip


def random_snvs(dataset: ShardDataset, regions: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` SNVs (VARIANT_COLUMNS) 1-500 bp beside random reference CpGs, REF read from the genome."""
    rng = np.random.default_rng(seed)
    picks = regions.iloc[np.sort(rng.choice(len(regions), n, replace=False))]
    pos = picks["pos"].to_numpy(np.int64) + rng.integers(-500, 501, n)
    genome = dataset.sequence.genome
    ref = [BASES[genome.windows(genome.index_of([c]), [p], 1)[0, 0]] for c, p in zip(picks["chrom"], pos)]
    alt = [next(b for b in "ACGT" if b != r and b != BASES[(BASES.index(r) + k) % 4]) for k, r in
           zip(rng.integers(1, 3, n), ref)]  # fmt: skip
    return pd.DataFrame(
        {
            "variant": [f"snv{i}" for i in range(n)],
            "chrom": picks["chrom"].to_numpy(),
            "pos": pos,
            "ref": ref,
            "alt": alt,
        }
    )


def naive_deltas(model, dataset: ShardDataset, regions: pd.DataFrame, variants: pd.DataFrame) -> np.ndarray:
    """delta_level of every site, one model call per window (the baseline)."""
    sites, ref_windows, alt_windows = collect_sites(variants, dataset)
    region_of = regions.set_index(["chrom", "pos"])["region"]
    deltas = np.full(len(sites), np.nan)
    for i, site in enumerate(sites.itertuples(index=False)):
        hist = dataset.channels_at(site.chrom, np.array([site.cpg_pos]))
        region = np.array([region_of.get((site.chrom, site.cpg_pos), 3)], np.int64)
        if site.status in (CREATED, DESTROYED):
            continue
        ref, _ = predict_windows(model, ref_windows[i : i + 1], hist, region, 1)
        alt, _ = predict_windows(model, alt_windows[i : i + 1], hist, region, 1)
        deltas[i] = alt[0] - ref[0]
    return deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--variants", type=int, default=None, help="SNVs scored (default 2000; 300 quick)")
    parser.add_argument(
        "--naive-variants", type=int, default=None, help="of them in the naive loop (100; 30)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_variants = args.variants or (300 if args.quick else 2000)
    n_naive = min(args.naive_variants or (30 if args.quick else 100), n_variants)
    torch.set_num_threads(args.threads)
    preset = synthetic_cohort.QUICK if args.quick else synthetic_cohort.FULL
    c = synthetic_cohort.cohort(**preset)
    print(synthetic_cohort.describe(c))
    with tempfile.TemporaryDirectory(prefix="bench-variants-") as tmp:
        groups = synthetic_cohort.write_cohort_plan(c, Path(tmp) / "plan")
        synthetic_cohort.build_cohort_shards(c, Path(tmp) / "plan", Path(tmp) / "shards", groups, 1000, 100)
        dataset = ShardDataset([Path(tmp) / "shards" / g for g in groups], "all")
        regions = pd.read_parquet(c["region_table"], columns=["chrom", "pos", "region"])
        variants = random_snvs(dataset, regions, n_variants, args.seed)
        torch.manual_seed(0)
        model = build_model(
            "hybrid", len(dataset.marks), dataset.n_bins, dataset.window, **DEMO_HYBRID
        ).eval()

        start = time.perf_counter()
        effects = score_variants(model, dataset, regions, variants)
        batched_s = time.perf_counter() - start
        subset = variants.iloc[:n_naive]
        start = time.perf_counter()
        naive = naive_deltas(model, dataset, regions, subset)
        naive_s = time.perf_counter() - start
    reference = effects[effects["variant"].isin(subset["variant"])]["delta_level"].to_numpy()
    max_diff = float(np.nanmax(np.abs(reference - naive))) if len(naive) else 0.0
    value, baseline = n_variants / batched_s, n_naive / naive_s
    print(
        f"{n_variants} SNVs, {len(effects)} sites ({len(effects) / n_variants:.1f} per variant): "
        f"batched {batched_s:.2f} s; naive loop on {n_naive} variants {naive_s:.2f} s; "
        f"largest |delta| difference {max_diff:.2e}"
    )
    print(
        json.dumps(
            {
                "bench": "variants",
                "value": round(value, 1),
                "unit": "variants/s",
                "baseline": "one model call per window",
                "baseline_value": round(baseline, 1),
                "ratio": round(value / baseline, 2),
                "variants": n_variants,
                "sites": len(effects),
                "naive_variants": n_naive,
                "max_abs_delta_difference": max_diff,
                "threads": args.threads,
                "device": "cpu",
            }
        )
    )


if __name__ == "__main__":
    main()
