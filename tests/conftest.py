"""Shared fixtures: a tiny generated cohort taken through reference, ingest and regions once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from epibench.demo.generate import generate_demo
from epibench.io.methylation import ingest, write_canonical
from epibench.io.reference import Reference, write_reference_index
from epibench.io.regions import annotate_regions, write_regions

MARKS = ["H3K4me3", "H3K27ac", "H3K36me3"]


@pytest.fixture(scope="session")
def tiny_cohort(tmp_path_factory) -> dict:
    """Paths of a 3 x 40-kb, 2-sample demo cohort with its canonical tables and region table."""
    root = tmp_path_factory.mktemp("tiny_cohort")
    generated = generate_demo(root / "raw", chrom_lengths=(40_000, 40_000, 40_000), n_samples=2, seed=3)
    fasta = write_reference_index(generated["genome"], root / "reference")
    reference = Reference(fasta)
    regions = root / "regions.parquet"
    write_regions(annotate_regions(reference, generated["genes"], generated["enhancers"], tmp_dir=root), regions)
    sheet = pd.read_csv(generated["samples"], sep="\t")
    cpgs = {}
    for row in sheet.itertuples(index=False):
        table, _ = ingest(row.methylation, reference, fmt=row.format)
        cpgs[row.sample] = root / f"{row.sample}.parquet"
        write_canonical(table, cpgs[row.sample])
    return {
        "root": root,
        "fasta": Path(fasta),
        "regions": regions,
        "cpgs": cpgs,
        "marks": {s: {m: Path(p) for m, p in generated["marks"][s].items()} for s in cpgs},
        "truth": Path(generated["truth"]),
    }
