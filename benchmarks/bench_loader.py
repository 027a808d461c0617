"""Benchmark: training batches from shards (``ShardDataset`` + ``make_loader``) vs an on-the-fly Dataset.

Input: the synthetic one-sample cohort of ``benchmarks/synthetic_cohort.py`` (cached in
``benchmarks/.cache/``; 2 x 10 Mb at 1 CpG per 100 bp, 2 x 2 Mb with ``--quick``; 6 mark
bigWigs shaped like ENCODE fold-change tracks), sharded here into a temporary folder
(``write_plan`` + ``build_shard`` per group, window 1000 bp, bin 100 bp: not timed).

Measured, in this process, for ``--workers`` (default 0 and 2):

- ``make_loader(ShardDataset(shards, "train"), batch_size=256, shuffle=True,
  reverse_complement_prob=0.5, num_workers=w)``: ``--warmup`` batches (worker start-up
  included, its time printed), then ``--batches`` timed batches; samples/s = samples of
  the timed batches / their wall time (an epoch boundary, if reached, is included:
  ``set_epoch`` and new workers); ``--repeats`` (3) runs of each setting, interleaved, the
  best reported (all printed: other jobs on a shared machine slow some runs). With 0
  workers it is also run with ``torch.set_num_threads(1)`` (printed, not in ``value``):
  the dataset's ``Tensor.long()`` runs on torch's intra-op threads in the main process;
- baseline: ``OnTheFlyDataset`` below, the usual per-sample approach, through a default
  ``DataLoader(batch_size=256, shuffle=True, num_workers=w)`` (default collate), on
  ``--baseline-batches`` timed batches after one warm-up batch (it is slow). Its marks are
  read with ``pyBigWig.stats(nBins=10, exact=True)``; a variant reading
  ``pyBigWig.values`` and averaging 100-bp bins in numpy (faster; tf-bind-transformer's
  way) is measured with 0 workers and printed for reference.

Both give the same batch layout (seq (B, 1000) uint8 codes, hist and hist_mask (B, 6, 10),
region, level, label, weight, index): checked on the same rows without reverse complement
(keys, shapes and dtypes equal; sequence, region, level, label and weight identical;
histone values differ only by design: the shards bin on a fixed 100-bp grid and normalise
per sample (robust), the baseline bins its own window and takes log1p).

value = the best samples/s of the shard loader over the worker counts; baseline_value =
the best of the baseline's; ratio = value / baseline_value (per worker count printed too).
Targets: >= 50,000 samples/s on 2 cores and >= 10x the baseline.

    .venv/bin/python benchmarks/bench_loader.py            # 2 x 10 Mb, ~1 min
    .venv/bin/python benchmarks/bench_loader.py --quick    # 2 x 2 Mb, < 1 min

The last printed line is one JSON object (``bench``, ``value``, ``unit``, ``baseline``,
``baseline_value``, ``ratio`` and details).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_cohort

BATCH = 256
TARGET_SAMPLES_PER_S = 50_000
TARGET_RATIO = 10
# ASCII byte -> base code (A0 C1 G2 T3 N4), as epibench.codes.BASES
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[_b + 32] = _i  # lower case
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


class OnTheFlyDataset(Dataset):
    """The baseline: every sample cut from the FASTA and the bigWigs when asked for (``__getitem__``).

    This is how common genomics DataLoaders read training windows:
    lucidrains/enformer-pytorch ``GenomeIntervalDataset`` keeps a ``pyfaidx.Fasta`` open and
    slices ``str(chromosome[start:end])`` per item, then maps it to indices / one-hot;
    lucidrains/tf-bind-transformer ``BigWigDataset`` does the same for the sequence (through
    enformer-pytorch's ``FastaInterval``) and keeps ``pyBigWig`` handles open, reading
    ``values(chrom, start, end)`` per item and reducing bins with numpy. (gReLU, by contrast,
    reads its intervals' sequences and ``BigWigSeqDataset`` labels into memory when the
    dataset is built, so it is not an on-the-fly reader; its ``read_bigwig`` also calls
    ``pyBigWig.values`` per interval.)

    Here, per CpG: ``pyfaidx.Fasta(fasta, as_raw=True)[chrom][s:e]`` (the 1000-bp window,
    N-padded past the chromosome ends), encoded to codes with a numpy lookup table (far
    faster than enformer-pytorch's per-character map), and per mark
    ``pyBigWig.stats(chrom, s, e, nBins=10, exact=True)`` (``method="stats"``) or
    ``pyBigWig.values`` + numpy bin means (``method="values"``); log1p of the signal, NaN
    (no data) masked; reverse complement with probability ``rc_prob`` (Python's ``random``,
    which torch reseeds in every worker). Handles are opened lazily in each process (worker).
    Returns one sample as a dict of tensors shaped like one row of ``ShardDataset``'s batches.
    """

    def __init__(
        self,
        fasta: str | os.PathLike,
        marks: list[str | os.PathLike],
        rows: dict[str, np.ndarray],
        chrom_lengths: dict[str, int],
        window: int = 1000,
        bin_size: int = 100,
        rc_prob: float = 0.0,
        method: str = "stats",
    ):
        if method not in ("stats", "values"):
            raise ValueError(f"method must be stats or values, got {method!r}")
        self.fasta, self.marks = str(fasta), [str(m) for m in marks]
        self.rows, self.chrom_lengths = rows, chrom_lengths
        self.window, self.bin_size, self.n_bins = window, bin_size, window // bin_size
        self.rc_prob, self.method = rc_prob, method
        self._handles = None  # (pid, Fasta, [bigWig]) of the process that opened them

    def __len__(self) -> int:
        return len(self.rows["pos"])

    def _open(self):
        import pyBigWig
        import pyfaidx

        if self._handles is None or self._handles[0] != os.getpid():
            self._handles = (
                os.getpid(),
                pyfaidx.Fasta(self.fasta, as_raw=True),
                [pyBigWig.open(m) for m in self.marks],
            )
        return self._handles[1], self._handles[2]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_handles": None}

    def _signal(self, bw, chrom: str, s: int, e: int) -> np.ndarray:
        if self.method == "stats":
            return np.array(bw.stats(chrom, s, e, nBins=self.n_bins, exact=True), dtype=np.float64)
        values = bw.values(chrom, s, e, numpy=True)
        padded = np.full(self.n_bins * self.bin_size, np.nan)
        padded[: len(values)] = values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a bin without data is NaN
            return np.nanmean(padded.reshape(self.n_bins, self.bin_size), axis=1)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        fasta, bws = self._open()
        chrom, pos = self.rows["chrom"][index], int(self.rows["pos"][index])
        start = pos - (self.window // 2 - 1)  # as epibench.data.windows: the CG at W//2-1, W//2
        end = start + self.window
        s, e = max(start, 0), min(end, self.chrom_lengths[chrom])
        text = fasta[chrom][s:e]
        codes = np.full(self.window, 4, dtype=np.uint8)
        codes[s - start : s - start + len(text)] = _CODE[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
        hist = np.log1p(np.clip(np.stack([self._signal(bw, chrom, s, e) for bw in bws]), 0, None))
        mask = ~np.isnan(hist)
        if self.rc_prob and random.random() < self.rc_prob:
            codes = _COMPLEMENT[codes[::-1]]
            hist, mask = hist[:, ::-1], mask[:, ::-1]
        return {
            "seq": torch.from_numpy(np.ascontiguousarray(codes)),
            "hist": torch.from_numpy(np.where(mask, hist, 0.0).astype(np.float32)),
            "region": torch.tensor(int(self.rows["region"][index]), dtype=torch.int64),
            "level": torch.tensor(float(self.rows["level"][index]), dtype=torch.float32),
            "label": torch.tensor(float(self.rows["label"][index]), dtype=torch.float32),
            "weight": torch.tensor(float(self.rows["weight"][index]), dtype=torch.float32),
            "hist_mask": torch.from_numpy(np.ascontiguousarray(mask)),
            "index": torch.tensor(index, dtype=torch.int64),
        }


def dataset_rows(ds) -> dict[str, np.ndarray]:
    """chrom, pos, region, level, label, weight of every row of a ShardDataset, in dataset order."""
    table = ds.rows_table()
    extra = {"level": [], "label": [], "weight": []}
    for shard, start, end in ds.rows.shard_ranges():
        _, rows = ds.rows.locate(np.arange(start, end))
        for key, parts in extra.items():
            parts.append(np.asarray(ds.arrays[shard][key][rows]))
    out = {"chrom": table["chrom"], "pos": table["pos"], "region": table["region"]}
    return out | {key: np.concatenate(parts) for key, parts in extra.items()}


# --- timing -------------------------------------------------------------------------------


def _epochs(loader, set_epoch: bool):
    """Batches of epoch 0, 1, 2, ... without end."""
    for epoch in itertools.count():
        if set_epoch:
            loader.batch_sampler.set_epoch(epoch)
        yield from loader


def time_loader(loader, warmup: int, batches: int, set_epoch: bool) -> dict:
    """Wall time of ``batches`` batches after ``warmup`` (time to the first batch and warm-up reported)."""
    t0 = time.perf_counter()
    stream = _epochs(loader, set_epoch)
    first = None
    for i in range(warmup):
        next(stream)
        if i == 0:
            first = time.perf_counter() - t0
    warm = time.perf_counter() - t0
    samples = 0
    t = time.perf_counter()
    for _ in range(batches):
        batch = next(stream)
        samples += len(batch["index"])
    wall = time.perf_counter() - t
    del stream  # shuts the workers down
    return {
        "samples": samples,
        "batches": batches,
        "wall_s": wall,
        "samples_per_s": samples / wall,
        "ms_per_batch": wall / batches * 1e3,
        "first_batch_s": first,
        "warmup_s": warm,
    }


def compare_batches(ds, naive: OnTheFlyDataset, indices: list[int]) -> dict:
    """Same rows, no reverse complement: keys, shapes and dtypes, and which values agree."""
    from torch.utils.data import default_collate

    ours = ds.__getitems__(indices)
    rc, naive.rc_prob = naive.rc_prob, 0.0
    theirs = default_collate([naive[i] for i in indices])
    naive.rc_prob = rc
    layout_ours = {k: (tuple(v.shape), str(v.dtype)) for k, v in sorted(ours.items())}
    layout_theirs = {k: (tuple(v.shape), str(v.dtype)) for k, v in sorted(theirs.items())}
    same = {
        k: bool(torch.equal(ours[k], theirs[k]))
        for k in ("seq", "region", "level", "label", "weight", "index")
    }
    return {
        "layout": layout_ours,
        "same_layout": layout_ours == layout_theirs,
        "layout_baseline": layout_theirs,
        "identical_values": same,
        "hist_mask_agreement": float((ours["hist_mask"] == theirs["hist_mask"]).float().mean()),
    }


# --- the benchmark ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 x 2 Mb, fewer batches (< 1 min)")
    parser.add_argument("--chrom-mb", type=float, help="chromosome length in Mb (default 10, 2 with --quick)")
    parser.add_argument("--n-chroms", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--warmup", type=int, help="untimed batches first (default 10, 5 with --quick)")
    parser.add_argument(
        "--batches", type=int, help="timed batches of the shard loader (default 300, 60 with --quick)"
    )
    parser.add_argument(
        "--baseline-batches", type=int, help="timed batches of the baseline (default 4, 2 with --quick)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each shard-loader setting (the best is reported)"
    )
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--bin-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp-dir", help="parent of the temporary folder (default: the system's)")
    parser.add_argument("--cache-dir", help=f"cohort cache (default {synthetic_cohort.CACHE_DIR})")
    args = parser.parse_args(argv)
    preset = synthetic_cohort.QUICK if args.quick else synthetic_cohort.FULL
    chrom_bp = int(args.chrom_mb * 1e6) if args.chrom_mb else preset["chrom_bp"]
    warmup = args.warmup or (5 if args.quick else 10)
    n_batches = args.batches or (60 if args.quick else 300)
    n_base = args.baseline_batches or (2 if args.quick else 4)
    load_before = os.getloadavg()[0]

    from epibench.data.dataset import ShardDataset
    from epibench.data.loader import make_loader

    c = synthetic_cohort.cohort(args.cache_dir, n_chroms=args.n_chroms, chrom_bp=chrom_bp, seed=args.seed)
    print(synthetic_cohort.describe(c))
    results, baseline, extra = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-loader-", dir=args.tmp_dir) as tmp:
        t = time.perf_counter()
        groups = synthetic_cohort.write_cohort_plan(c, Path(tmp) / "plan")
        synthetic_cohort.build_cohort_shards(
            c, Path(tmp) / "plan", Path(tmp) / "shards", groups, args.window, args.bin_size
        )
        shard_s = time.perf_counter() - t
        t = time.perf_counter()
        ds = ShardDataset([Path(tmp) / "shards" / g for g in groups], "train")
        open_s = time.perf_counter() - t
        per_epoch = -(-len(ds) // BATCH)
        print(
            f"shards built in {shard_s:.1f} s (not timed here: bench_shards.py); ShardDataset opened in "
            f"{open_s:.2f} s: {len(ds):,} train rows = {per_epoch} batches of {BATCH} per epoch"
        )
        rows = dataset_rows(ds)
        marks = list(c["marks"].values())
        naive = OnTheFlyDataset(c["fasta"], marks, rows, c["chrom_lengths"], args.window, args.bin_size, 0.5)
        check = compare_batches(ds, naive, list(range(0, len(ds), max(1, len(ds) // 64)))[:64])
        print(
            f"same batch layout (keys, shapes, dtypes) as the baseline: {check['same_layout']}: "
            f"{check['layout']}"
        )
        print(
            f"  identical values on the same 64 rows (no flips): {check['identical_values']}; hist_mask "
            f"agreement {check['hist_mask_agreement']:.3f} (hist values differ by design: grid bins + "
            f"robust norm vs window bins + log1p)"
        )

        threads = torch.get_num_threads()
        configs = [(w, threads) for w in args.workers]
        if 0 in args.workers and threads > 1:
            # diagnostic: the main process with one torch thread, as each DataLoader worker runs
            configs.append((0, 1))
        runs = {config: [] for config in configs}
        for _ in range(max(1, args.repeats)):  # interleaved, so load from other jobs hits all alike
            for w, n_threads in configs:
                torch.set_num_threads(n_threads)
                loader = make_loader(
                    ds, BATCH, shuffle=True, seed=args.seed, reverse_complement_prob=0.5, num_workers=w
                )
                runs[w, n_threads].append(time_loader(loader, warmup, n_batches, set_epoch=True))
        torch.set_num_threads(threads)
        for (w, n_threads), tries in runs.items():
            r = max(tries, key=lambda x: x["samples_per_s"])
            if n_threads == threads:
                results[w] = r | {"all_samples_per_s": [x["samples_per_s"] for x in tries]}
            else:
                extra["0_one_thread"] = r
            rates = ", ".join(f"{x['samples_per_s']:,.0f}" for x in tries)
            label = f"{w} workers" + (
                "" if n_threads == threads else f", torch.set_num_threads(1) (default {threads})"
            )
            print(
                f"shard loader, {label}: best of {len(tries)} runs {r['samples']:,} samples in "
                f"{r['wall_s']:.2f} s = {r['samples_per_s']:,.0f} samples/s, "
                f"{r['ms_per_batch']:.2f} ms/batch (first batch after {r['first_batch_s']:.2f} s, "
                f"{warmup} warm-up batches {r['warmup_s']:.2f} s); runs: {rates} samples/s"
            )
        torch.manual_seed(args.seed)
        for w in args.workers:
            loader = DataLoader(naive, batch_size=BATCH, shuffle=True, num_workers=w)
            b = baseline[w] = time_loader(loader, 1, n_base, set_epoch=False)
            print(
                f"baseline on-the-fly (pyfaidx + pyBigWig.stats), {w} workers: {b['samples']:,} samples in "
                f"{b['wall_s']:.2f} s = {b['samples_per_s']:,.0f} samples/s, "
                f"{b['ms_per_batch']:.0f} ms/batch "
                f"(shards {results[w]['samples_per_s'] / b['samples_per_s']:,.0f}x)"
            )
        values_ds = OnTheFlyDataset(
            c["fasta"], marks, rows, c["chrom_lengths"], args.window, args.bin_size, 0.5, method="values"
        )
        values_loader = DataLoader(values_ds, batch_size=BATCH, shuffle=True, num_workers=args.workers[0])
        v = extra["values"] = time_loader(values_loader, 1, n_base, set_epoch=False)
        print(
            f"  baseline variant with pyBigWig.values + numpy bin means, {args.workers[0]} workers: "
            f"{v['samples_per_s']:,.0f} samples/s, {v['ms_per_batch']:.0f} ms/batch (shards, same workers: "
            f"{results[args.workers[0]]['samples_per_s'] / v['samples_per_s']:,.0f}x)"
        )
    load_after = os.getloadavg()[0]

    best_w = max(results, key=lambda w: results[w]["samples_per_s"])
    base_w = max(baseline, key=lambda w: baseline[w]["samples_per_s"])
    value = results[best_w]["samples_per_s"]
    base_value = baseline[base_w]["samples_per_s"]
    print(
        f"best: shard loader {value:,.0f} samples/s ({best_w} workers; target >= {TARGET_SAMPLES_PER_S:,} "
        f"on 2 cores), baseline {base_value:,.0f} samples/s ({base_w} workers): "
        f"ratio {value / base_value:,.0f}x (target >= {TARGET_RATIO}x)"
    )
    print(f"1-min load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)")
    result = {
        "bench": "loader",
        "value": round(value),
        "unit": "samples/s",
        "baseline": "on-the-fly Dataset (pyfaidx + pyBigWig.stats nBins exact) + default DataLoader",
        "baseline_value": round(base_value, 1),
        "ratio": round(value / base_value, 1),
        "best_workers": best_w,
        "baseline_best_workers": base_w,
        "batch_size": BATCH,
        "window": args.window,
        "bin_size": args.bin_size,
        "marks": len(marks),
        "train_rows": len(ds),
        "per_workers": {
            str(w): {
                "samples_per_s": round(results[w]["samples_per_s"]),
                "ms_per_batch": round(results[w]["ms_per_batch"], 3),
                "batches": results[w]["batches"],
                "first_batch_s": round(results[w]["first_batch_s"], 3),
                "runs_samples_per_s": [round(x) for x in results[w]["all_samples_per_s"]],
                "baseline_samples_per_s": round(baseline[w]["samples_per_s"], 1),
                "baseline_ms_per_batch": round(baseline[w]["ms_per_batch"], 1),
                "baseline_batches": baseline[w]["batches"],
                "ratio": round(results[w]["samples_per_s"] / baseline[w]["samples_per_s"], 1),
            }
            for w in results
        },
        "baseline_values_variant_samples_per_s": round(extra["values"]["samples_per_s"], 1),
        "zero_workers_one_torch_thread_samples_per_s": (
            round(extra["0_one_thread"]["samples_per_s"]) if "0_one_thread" in extra else None
        ),
        "same_layout": check["same_layout"],
        "identical_values": check["identical_values"],
        "layout": {k: list(v) for k, v in check["layout"].items()},
        "load_avg_1min": [round(load_before, 2), round(load_after, 2)],
        "cores_on_machine": os.cpu_count(),
        "targets": {"samples_per_s": TARGET_SAMPLES_PER_S, "ratio": TARGET_RATIO},
        "meets_targets": bool(value >= TARGET_SAMPLES_PER_S and value / base_value >= TARGET_RATIO),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
