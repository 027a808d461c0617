"""Atomic Parquet output for the tables stages pass on (CONTRACT items 1 and 2)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from epibench.io.atomic import atomic_path


def write_parquet(df: pd.DataFrame, path: str | os.PathLike, columns: Sequence[str]) -> None:
    """Write exactly ``columns`` of ``df`` (in that order, no index) to ``path`` atomically."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}; has {list(df.columns)}")
    table = pa.Table.from_pandas(df[list(columns)], preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
