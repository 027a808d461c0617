"""Two cohorts of one reference FASTA share one prepared copy through Snakemake's between-workflow
cache (`snakemake --cache`, $SNAKEMAKE_OUTPUT_CACHE): the rule's cache key holds nothing of the
cohort."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from conftest import copy_workflow, snakemake, tiny_demo_data

pytestmark = pytest.mark.workflow

PREPARED = ["genome.fa", "genome.fa.fai", "chrom_sizes.tsv", "assembly.json", "chrom_aliases.tsv"]


def test_a_second_cohort_links_to_the_first_cohorts_prepared_reference(tmp_path, monkeypatch):
    root = copy_workflow(tmp_path / "repo")
    tiny_demo_data(root, samples=1)
    config = yaml.safe_load((root / "config/tiny.yaml").read_text())
    for cohort in ("first", "second"):
        (root / f"config/{cohort}.yaml").write_text(yaml.safe_dump(config | {"cohort": cohort}))
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("SNAKEMAKE_OUTPUT_CACHE", str(cache))

    def prepare(cohort: str) -> Path:
        snakemake(
            root,
            "--cache",
            "--configfile",
            f"config/{cohort}.yaml",
            "--",
            f"results/{cohort}/reference/genome.fa",
        )
        return root / "results" / cohort / "reference"

    first, second = prepare("first"), prepare("second")
    # the second cohort's job did not run: Snakemake leaves its log empty
    assert (root / "logs/first/reference.log").stat().st_size > 0
    assert (root / "logs/second/reference.log").stat().st_size == 0
    for name in PREPARED:
        assert (second / name).is_symlink(), name
        assert os.path.samefile(first / name, second / name), name
        assert Path(os.path.realpath(second / name)).parent == cache
    # the linked copy is the normalised genome: every base of the tiny FASTA, upper case
    given = "".join(
        line.strip().upper()
        for line in (root / config["reference"]["fasta"]).read_text().splitlines()
        if not line.startswith(">")
    )
    copied = "".join(
        line for line in (second / "genome.fa").read_text().splitlines() if not line.startswith(">")
    )
    assert copied == given
    # the second cohort's next stages read the linked copy: the CG check, and a baseline, which reads the
    # sequence through its shards (they once named the cache's <hash>_fasta.fa, without a .fai beside it)
    snakemake(
        root,
        "--configfile",
        "config/second.yaml",
        "--",
        "results/second/qc/cg_check.tsv",
        "results/second/evaluation/predictions/logreg_gc_cpg.parquet",
    )


def test_without_a_cache_folder_the_reference_is_prepared_uncached_and_unannounced(tmp_path, monkeypatch):
    """No $SNAKEMAKE_OUTPUT_CACHE: no "eligible for caching" line opens the run, and `--cache` given
    anyway prepares the cohort's own copy (Snakemake only warns of the missing folder)."""
    root = copy_workflow(tmp_path / "repo")
    tiny_demo_data(root, samples=1)
    monkeypatch.delenv("SNAKEMAKE_OUTPUT_CACHE", raising=False)
    target = "results/tiny/reference/genome.fa"
    planned = snakemake(root, "--dry-run", "--", target)
    assert "eligible for caching" not in planned.stdout + planned.stderr
    snakemake(root, "--cache", "--dry-run", "--", target)
    snakemake(root, "--cache", "--", target)
    prepared = root / target
    assert prepared.is_file() and not prepared.is_symlink()
