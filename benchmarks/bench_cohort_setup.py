"""Benchmark: checking the config and sample sheet of a cohort of hundreds of samples
(``epibench.config.setup``), which every Snakemake start pays: a dry run, a local run, and on a
cluster every job, whose Snakemake reads the Snakefile again.

A sheet of ``--samples`` samples (one row each, three mark columns, two covariates; every file an
empty placeholder: setup checks that files exist, not what they hold) is checked with
``setup`` as it is (value) and with the sheet's rows pooled by the per-sample pandas selections
that ``pooled_rows`` used for every sample before one-row samples took plain dicts (baseline; a
copy of that code below). Median of ``--repeats`` runs each.

    .venv/bin/python benchmarks/bench_cohort_setup.py            # 1000 samples
    .venv/bin/python benchmarks/bench_cohort_setup.py --quick    # 300 samples, a few seconds

The last line printed is the JSON result (seconds per setup).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bigbed import timed  # noqa: E402

from epibench import config as cohort_config  # noqa: E402
from epibench.config import PER_FILE_COLUMNS, ConfigError, _check_pooled  # noqa: E402

MARKS = ["H3K4me3", "H3K27ac", "H3K36me3"]


def pooled_rows_per_group(sheet, sheet_path, read=()):
    """``pooled_rows`` as it was: a pandas selection per sample and column (the baseline)."""
    rows = []
    for sample, group in sheet.groupby("sample", sort=False):
        if len(group) > 1:
            _check_pooled(sample, group, sheet_path)
        row = {}
        for column in sheet.columns:
            if column in PER_FILE_COLUMNS:
                row[column] = tuple(group[column]) if group["methylation"].iloc[0] else ()
                continue
            given = group.loc[group[column] != "", column]
            if given.nunique() > 1 and column not in read:
                row[column] = "; ".join(pd.unique(given))
                continue
            if given.nunique() > 1:
                raise ConfigError(f"sample {sample!r}: column {column} differs", path=sheet_path)
            row[column] = given.iloc[0] if len(given) else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=sheet.columns)


def cohort(folder: Path, n_samples: int) -> dict:
    """A config and a sheet of ``n_samples`` one-row samples in ``folder``."""
    for name in ("genome.fa", "genes.gtf"):
        (folder / name).write_text("x\n")
    lines = ["\t".join(["sample", "methylation", "format", *MARKS, "sex", "age"])]
    for k in range(n_samples):
        calls = folder / f"s{k}.bed"
        calls.write_text("x\n")
        marks = []
        for mark in MARKS:
            (folder / f"s{k}.{mark}.bw").write_text("x\n")
            marks.append(str(folder / f"s{k}.{mark}.bw") if (k + MARKS.index(mark)) % 4 else "")
        lines.append(
            "\t".join([f"donor{k:04d}", str(calls), "bedmethyl", *marks, "FM"[k % 2], str(30 + k % 50)])
        )
    (folder / "samples.tsv").write_text("\n".join(lines) + "\n")
    return {
        "cohort": "bench",
        "samples": str(folder / "samples.tsv"),
        "reference": {"fasta": str(folder / "genome.fa"), "gtf": str(folder / "genes.gtf")},
        "marks": MARKS,
        "covariates": ["sex", "age"],
        "models": {"cnn": {"arch": "cnn"}, "hybrid": {"arch": "hybrid"}},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="300 samples, 3 repeats")
    args = parser.parse_args(argv)
    n_samples, repeats = (300, 3) if args.quick else (args.samples, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        config = cohort(Path(tmp), n_samples)
        now = cohort_config.setup(copy.deepcopy(config)).samples
        value = timed(lambda: cohort_config.setup(copy.deepcopy(config)), repeats)
        with mock.patch.object(cohort_config, "pooled_rows", pooled_rows_per_group):
            before = cohort_config.setup(copy.deepcopy(config)).samples
            baseline = timed(lambda: cohort_config.setup(copy.deepcopy(config)), repeats)
    assert now.equals(before), "the two ways of pooling give different rows"
    result = {
        "bench": "cohort_setup",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "setup with every sample's rows pooled by pandas selections (before)",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 3),
        "samples": n_samples,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
