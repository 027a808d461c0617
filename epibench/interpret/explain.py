"""The ``attribute`` stage: sample test CpGs per region class, attribute them, save the data (no figures).

Writes into ``out_dir``:
  attributions.npz  every attributed CpG: attributions, inputs, identity, observed and predicted level,
                    convergence (layout: epibench.interpret.arrays); the figures are drawn from it alone
                    (epibench.interpret.plots)
  top_kmers.tsv     per region class, the k-mers with the largest mean attribution (epibench.interpret.kmers)
  summary.json      settings, baselines, counts per region class and the convergence check

Convergence check (epibench.interpret.integrated_gradients): CpGs whose relative delta exceeds
``tolerance`` are rerun with n_steps doubled up to ``max_steps``. The run counts as converged when the
median relative delta, of the sequence and of the histone attributions each, is within ``tolerance``
after that; otherwise a warning is logged and summary.json says "converged": false.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from epibench.data.dataset import ShardDataset
from epibench.data.normalise import ZERO_MEANS
from epibench.errors import InputError
from epibench.interpret.arrays import mean_by_region, save_attributions
from epibench.interpret.integrated_gradients import converged_integrated_gradients
from epibench.interpret.kmers import kmer_attributions, top_kmers
from epibench.io.atomic import atomic_path, write_tsv
from epibench.codes import REGION_CLASSES

log = logging.getLogger(__name__)


def sample_rows_per_region(dataset: ShardDataset, per_region: int, seed: int) -> dict[str, np.ndarray]:
    """Up to ``per_region`` random dataset rows of each region class (seeded), sorted within a class."""
    rng = np.random.default_rng(seed)
    region = dataset.rows_table()["region"]
    chosen = {}
    for code, name in enumerate(REGION_CLASSES):
        rows = np.flatnonzero(region == code)
        if len(rows):
            chosen[name] = np.sort(rng.choice(rows, size=min(per_region, len(rows)), replace=False))
    return chosen


def cpg_attention(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> np.ndarray:
    """(B, NB) attention weight per histone bin, mean over heads and sequence tokens (sums to 1 over bins)."""
    with torch.no_grad():
        out = model(batch["seq"], batch["hist"], batch["hist_mask"], batch["region"], return_attention=True)
    return out["attention"].float().mean(dim=(1, 2)).numpy()


def attribute_rows(
    model: torch.nn.Module,
    dataset: ShardDataset,
    rows: np.ndarray,
    n_steps: int,
    max_steps: int,
    tolerance: float,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """Per-CpG arrays of attributions.npz for dataset ``rows`` (N,), in that order, plus "cpg_attention"
    (N, NB) when the model has attention; identity and shared arrays are added by the caller."""
    with_attention = getattr(model, "has_attention", False)
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(rows), batch_size):
        batch = dataset.__getitems__(rows[start : start + batch_size])
        attr = converged_integrated_gradients(model, batch, n_steps, max_steps, tolerance)
        values = {
            "seq_attr": attr.seq,
            "hist_attr": attr.hist,
            "codes": batch["seq"].numpy(),
            "hist": batch["hist"].numpy(),
            "hist_mask": batch["hist_mask"].numpy(),
            "region": batch["region"].numpy().astype(np.int8),
            "level_true": batch["level"].numpy(),
            "level_pred": attr.level,
            "delta": np.abs(attr.delta),
            "hist_delta": np.abs(attr.hist_delta),
            "seq_rel_delta": attr.seq_rel_delta,
            "hist_rel_delta": attr.hist_rel_delta,
            "n_steps": attr.n_steps,
        }
        if with_attention:
            values["cpg_attention"] = cpg_attention(model, batch)
        for key, value in values.items():
            parts.setdefault(key, []).append(value)
    arrays = {key: np.concatenate(value) for key, value in parts.items()}
    return {
        key: value.astype(np.float32) if value.dtype.kind == "f" else value for key, value in arrays.items()
    }


def identity_of(dataset: ShardDataset, rows: np.ndarray) -> dict[str, np.ndarray]:
    """sample, chrom (fixed-width str), pos (0-based C, int64) and row of dataset ``rows`` (N,)."""
    table = dataset.rows_table()
    return {
        "sample": table["sample"][rows].astype(str),
        "chrom": table["chrom"][rows].astype(str),
        "pos": table["pos"][rows].astype(np.int64),
        "row": rows.astype(np.int64),
    }


def kmer_tables(arrays: dict[str, np.ndarray], k: int) -> pd.DataFrame:
    """top_kmers.tsv: the top k-mers of each region class, with a leading "region" column."""
    tables = []
    for code in np.unique(arrays["region"]):
        of_class = arrays["region"] == code
        table = top_kmers(kmer_attributions(arrays["codes"][of_class], arrays["seq_attr"][of_class], k=k))
        table.insert(0, "region", REGION_CLASSES[code])
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def convergence_summary(
    arrays: dict[str, np.ndarray], n_steps: int, max_steps: int, tolerance: float
) -> dict:
    """The convergence part of summary.json; logs a warning when a median relative delta exceeds tolerance."""
    summary = {"n_steps": n_steps, "max_steps": max_steps, "tolerance": tolerance}
    for name in ("seq", "hist"):
        rel = arrays[f"{name}_rel_delta"]
        summary[f"{name}_median_rel_delta"] = float(np.median(rel))
        summary[f"{name}_n_over_tolerance"] = int((rel > tolerance).sum())
    summary["n_retried"] = int((arrays["n_steps"] > n_steps).sum())
    summary["converged"] = max(summary["seq_median_rel_delta"], summary["hist_median_rel_delta"]) <= tolerance
    summary["max_abs_convergence_delta"] = float(arrays["delta"].max())
    summary["median_abs_convergence_delta"] = float(np.median(arrays["delta"]))
    if not summary["converged"]:
        log.warning(
            "integrated gradients did not converge: median relative delta %.3g (sequence), %.3g (histone) "
            "> tolerance %g after doubling n_steps up to %d; raise attribute.max_steps",
            summary["seq_median_rel_delta"],
            summary["hist_median_rel_delta"],
            tolerance,
            max_steps,
        )
    return summary


def explain(
    model: torch.nn.Module,
    dataset: ShardDataset,
    out_dir: str | Path,
    per_region: int = 64,
    n_steps: int = 32,
    kmer_size: int = 6,
    batch_size: int = 32,
    seed: int = 0,
    max_steps: int = 256,
    tolerance: float = 0.05,
) -> dict:
    """Write attributions.npz, top_kmers.tsv and summary.json (module docstring) into ``out_dir``;
    returns the summary. InputError when the split has no CpGs."""
    out_dir = Path(out_dir)
    chosen = sample_rows_per_region(dataset, per_region, seed)
    if not chosen:
        raise InputError("no CpGs to attribute in the test split", path=dataset.shard_dirs[0].parent)
    rows = np.concatenate(list(chosen.values()))
    model.eval()
    arrays = attribute_rows(model, dataset, rows, n_steps, max_steps, tolerance, batch_size)
    arrays.update(identity_of(dataset, rows))
    cpg_att = arrays.pop("cpg_attention", None)
    if cpg_att is not None:
        arrays["attention"] = mean_by_region(cpg_att, arrays["region"], len(REGION_CLASSES))
    arrays.update(
        marks=np.asarray(dataset.marks, dtype=str),
        region_classes=np.asarray(REGION_CLASSES, dtype=str),
        window=np.int64(dataset.window),
        bin_size=np.int64(dataset.bin_size),
        arch=np.asarray(getattr(model, "spec", {}).get("arch", type(model).__name__), dtype=str),
        histone_norm=np.asarray(dataset.histone_norm, dtype=str),
    )
    save_attributions(arrays, out_dir / "attributions.npz")
    write_tsv(kmer_tables(arrays, kmer_size), out_dir / "top_kmers.tsv")
    summary = {
        "n_cpgs": len(rows),
        "n_cpgs_per_region": {region: len(r) for region, r in chosen.items()},
        "baseline_sequence": "all N",
        # normalised signal 0, which the normalisation makes the sample's median or no signal
        "baseline_histone": f"normalised signal 0 ({dataset.histone_norm}: {ZERO_MEANS[dataset.histone_norm]}), "
        "mask held",
        **convergence_summary(arrays, n_steps, max_steps, tolerance),
        "has_attention": cpg_att is not None,
    }
    with atomic_path(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
    log.info("attributed %d CpGs: %s", len(rows), summary["n_cpgs_per_region"])
    return summary
