"""Run a trained model over a shard split and return one row per CpG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from epibench.data.dataset import ShardDataset
from epibench.data.loader import make_loader
from epibench.codes import REGION_CLASSES
from epibench.models.base import model_inputs, predicted_on_host


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    dataset: ShardDataset,
    model_name: str,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> pd.DataFrame:
    """Predictions for every row of ``dataset``.

    Returns columns model, sample, chrom, pos, region (class name), level_true, label_true,
    level_pred (0-1), prob_pred (0-1, probability methylated), in the dataset's row order.
    """
    model = model.to(device).eval()
    level_true, label_true, level_pred, prob_pred = [], [], [], []
    for batch in make_loader(dataset, batch_size, shuffle=False):
        out = model(*(None if value is None else value.to(device) for value in model_inputs(batch)))
        level, prob = predicted_on_host(out)
        level_pred.append(level)
        prob_pred.append(prob)
        level_true.append(batch["level"].numpy())
        label_true.append(batch["label"].numpy().astype(np.int8))
    return predictions_table(
        model_name,
        dataset,
        {
            "level_true": np.concatenate(level_true),
            "label_true": np.concatenate(label_true),
            "level_pred": np.concatenate(level_pred),
            "prob_pred": np.concatenate(prob_pred),
        },
    )


def predictions_table(model_name: str, dataset: ShardDataset, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The predictions table: identity of every row of ``dataset`` (model, sample, chrom, pos, region
    class name) then ``columns`` (level_true, label_true, level_pred, prob_pred, in dataset order)."""
    rows = dataset.rows_table()
    return pd.DataFrame(
        {
            "model": model_name,
            "sample": rows["sample"].astype(str),
            "chrom": rows["chrom"].astype(str),
            "pos": rows["pos"],
            "region": np.asarray(REGION_CLASSES, dtype=object)[rows["region"]].astype(str),
            **columns,
        }
    )
