"""The report's view of metrics.tsv: AUROC and MSE of every model side by side, overall and per region
class, sample and sequence, each with its 95 % interval (the raw table lists one model's rows first, so
its first page shows no other model)."""

from __future__ import annotations

import pandas as pd

from epibench.codes import REGION_CLASSES

SHOWN = (("auroc", "AUROC", 3), ("mse", "MSE", 4))  # metric, column label, decimals
SCOPES = ("overall", "region", "sample", "chrom")  # in this order, each scope's values in the table's
COUNTS = ("n", "n_methylated")  # the first model's: every model is scored on the same CpGs


def metrics_overview(metrics_long: pd.DataFrame) -> pd.DataFrame:
    """One row per scope and value of ``metrics_long`` (metrics.tsv: model, scope, scope_value,
    metric, value, ci_low, ci_high), region classes in their priority order: its test CpGs and those
    methylated (``COUNTS``, the first model's: every model is scored on the same CpGs; "-" in a table
    without n_methylated), then per model (in the table's order) "value (low-high)" of each metric of
    ``SHOWN`` ("-" where absent or undefined)."""
    models = list(pd.unique(metrics_long["model"]))
    keyed = metrics_long.set_index(["scope", "scope_value", "model", "metric"])
    rows = []
    for scope in SCOPES:
        values = list(pd.unique(metrics_long.loc[metrics_long["scope"] == scope, "scope_value"]))
        if scope == "region":
            values = [r for r in REGION_CLASSES if r in values]
        for value in values:
            first = next(model for model in models if (scope, value, model, "n") in keyed.index)
            row = {
                "scope": scope,
                "value": value,
                **{count: _count(keyed, (scope, value, first, count)) for count in COUNTS},
            }
            for model in models:
                for metric, label, digits in SHOWN:
                    row[f"{model} {label}"] = _interval(keyed, (scope, value, model, metric), digits)
            rows.append(row)
    return pd.DataFrame(rows)


def _count(keyed: pd.DataFrame, key: tuple) -> int | str:
    """The count of one metrics.tsv row, "-" where the row is absent."""
    return int(keyed.loc[key, "value"]) if key in keyed.index else "-"


def _interval(keyed: pd.DataFrame, key: tuple, digits: int) -> str:
    """``value (low-high)`` of one metrics.tsv row, "-" where the row is absent or the value undefined."""
    if key not in keyed.index:
        return "-"
    entry = keyed.loc[key]
    if pd.isna(entry["value"]):
        return "-"
    if pd.isna(entry["ci_low"]):
        return f"{entry['value']:.{digits}f}"
    return f"{entry['value']:.{digits}f} ({entry['ci_low']:.{digits}f}-{entry['ci_high']:.{digits}f})"
