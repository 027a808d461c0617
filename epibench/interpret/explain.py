"""The ``attribute`` stage: sample test CpGs per region class, attribute, aggregate, plot."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from epibench.data.dataset import ShardDataset
from epibench.io.atomic import write_tsv
from epibench.interpret import plots
from epibench.interpret.integrated_gradients import integrated_gradients
from epibench.interpret.kmers import kmer_attributions, top_kmers
from epibench.io.atomic import atomic_path
from epibench.vocab import REGION_CLASSES

log = logging.getLogger(__name__)


def sample_rows_per_region(dataset: ShardDataset, per_region: int, seed: int) -> dict[str, np.ndarray]:
    """Up to ``per_region`` random dataset rows of each region class (seeded)."""
    rng = np.random.default_rng(seed)
    region = dataset.rows_table()["region"]
    chosen = {}
    for code, name in enumerate(REGION_CLASSES):
        rows = np.flatnonzero(region == code)
        if len(rows):
            chosen[name] = np.sort(rng.choice(rows, size=min(per_region, len(rows)), replace=False))
    return chosen


def _mean_attention(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> np.ndarray | None:
    """(NB,) attention per histone bin, averaged over CpGs, heads and queries; None for models without it."""
    with torch.no_grad():
        out = model(batch["seq"], batch["hist"], batch["hist_mask"], batch["region"], return_attention=True)
    if "attention" not in out:
        return None
    return out["attention"].float().mean(dim=(0, 1, 2)).numpy()


def explain(
    model: torch.nn.Module,
    dataset: ShardDataset,
    out_dir: str | Path,
    per_region: int = 64,
    n_steps: int = 32,
    kmer_size: int = 6,
    batch_size: int = 32,
    seed: int = 0,
) -> dict:
    """Write attributions.npz, top_kmers.tsv, summary.json and the figures into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    seq_profiles, hist_maps, attention, kmer_tables = {}, {}, {}, []
    arrays: dict[str, list] = {"seq_attr": [], "hist_attr": [], "codes": [], "region": [], "delta": []}
    for region, rows in sample_rows_per_region(dataset, per_region, seed).items():
        region_seq, region_hist, region_codes, region_delta, region_attention = [], [], [], [], []
        for start in range(0, len(rows), batch_size):
            batch = dataset.__getitems__(rows[start : start + batch_size])
            attr = integrated_gradients(model, batch, n_steps=n_steps)
            region_seq.append(attr.seq)
            region_hist.append(attr.hist)
            region_codes.append(batch["seq"].numpy().astype(np.uint8))
            region_delta.append(np.abs(attr.delta))
            att = _mean_attention(model, batch)
            if att is not None:
                region_attention.append(att * len(batch["seq"]))
        seq_attr = np.concatenate(region_seq)
        codes = np.concatenate(region_codes)
        seq_profiles[region] = seq_attr.mean(0)
        hist_maps[region] = np.concatenate(region_hist).mean(0)
        if region_attention:
            attention[region] = np.sum(region_attention, axis=0) / len(rows)
        table = top_kmers(kmer_attributions(codes, seq_attr, k=kmer_size))
        table.insert(0, "region", region)
        kmer_tables.append(table)
        arrays["seq_attr"].append(seq_attr.astype(np.float32))
        arrays["hist_attr"].append(np.concatenate(region_hist).astype(np.float32))
        arrays["codes"].append(codes)
        arrays["region"].append(np.full(len(codes), REGION_CLASSES.index(region), dtype=np.int8))
        arrays["delta"].append(np.concatenate(region_delta).astype(np.float32))
        log.info("attributed %d CpGs of class %s", len(codes), region)
    with atomic_path(out_dir / "attributions.npz") as tmp:
        np.savez_compressed(tmp, **{k: np.concatenate(v) for k, v in arrays.items()})
    write_tsv(pd.concat(kmer_tables, ignore_index=True), out_dir / "top_kmers.tsv")
    plots.position_profile(seq_profiles, dataset.window, out_dir / "sequence_attribution")
    plots.histone_heatmaps(hist_maps, dataset.marks, dataset.bin_size, out_dir / "histone_attribution")
    if attention:
        plots.attention_profile(attention, dataset.bin_size, out_dir / "attention")
    deltas = np.concatenate(arrays["delta"])
    summary = {
        "n_cpgs": int(len(deltas)),
        "n_steps": n_steps,
        "baseline_sequence": "all N",
        "baseline_histone": "zero signal",
        "max_abs_convergence_delta": float(deltas.max()),
        "median_abs_convergence_delta": float(np.median(deltas)),
        "has_attention": bool(attention),
    }
    with atomic_path(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    return summary
