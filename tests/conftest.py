"""Shared fixtures: a tiny generated cohort taken through reference, ingest and regions once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from epibench.demo.generate import generate_demo
from epibench.io.methylation import ingest, write_canonical
from epibench.io.reference import Reference, write_reference_index
from epibench.io.regions import annotate_regions, write_regions

MARKS = ["H3K4me3", "H3K27ac", "H3K36me3"]

# Hypothesis (the tests/test_bad_inputs_*.py suite): the same cases on every CI run, fresh ones
# locally; a failure prints the blob that replays it (no example database in the checkout).
settings.register_profile("ci", derandomize=True, print_blob=True, database=None, deadline=None)
settings.register_profile("dev", print_blob=True, database=None, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# generated bad-input cases tried per area, reported at the end of the run
BAD_INPUT_CASES: Counter[str] = Counter()


def count_case(area: str) -> None:
    """Count one generated case of the bad-input suite under ``area`` (methylation, reference, ...)."""
    BAD_INPUT_CASES[area] += 1


def pytest_sessionfinish(session) -> None:
    """Under pytest-xdist (``make test`` runs ``-n 2``): a worker hands its case counts to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["bad_input_cases"] = dict(BAD_INPUT_CASES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist's controller: add up the case counts of each worker that finished."""
    BAD_INPUT_CASES.update(getattr(node, "workeroutput", {}).get("bad_input_cases", {}))


# modules run first, so that parallel workers (``make test``'s ``pytest -n 2 --dist loadfile``) start the
# long end-to-end runs at once and finish together: the SLURM run, then the workflow runs
FIRST_MARKS = ("slurm", "workflow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the tests: modules marked ``slurm``, then ``workflow``, then the rest, each in file order."""

    def rank(item: pytest.Item) -> int:
        marks = {mark.name for mark in item.iter_markers()}
        return next((i for i, name in enumerate(FIRST_MARKS) if name in marks), len(FIRST_MARKS))

    items.sort(key=rank)


def pytest_terminal_summary(terminalreporter) -> None:
    """One line with the bad-input suite's case counts (printed with -q too)."""
    if BAD_INPUT_CASES:
        areas = ", ".join(f"{area} {n}" for area, n in sorted(BAD_INPUT_CASES.items()))
        total = sum(BAD_INPUT_CASES.values())
        terminalreporter.write_line(f"bad-input suite: {total} generated cases tried ({areas})")


def make_cohort(root: Path, chrom_length: int) -> dict:
    """Paths of a 3-chromosome, 2-sample demo cohort with its canonical tables and region table."""
    generated = generate_demo(root / "raw", chrom_lengths=(chrom_length,) * 3, n_samples=2, seed=3)
    fasta = write_reference_index(generated["genome"], root / "reference")
    reference = Reference(fasta)
    regions = root / "regions.parquet"
    write_regions(
        annotate_regions(reference, generated["genes"], generated["enhancers"], tmp_dir=root), regions
    )
    sheet = pd.read_csv(generated["samples"], sep="\t")
    cpgs = {}
    for row in sheet.itertuples(index=False):
        table, _ = ingest(row.methylation, reference, fmt=row.format)
        cpgs[row.sample] = root / f"{row.sample}.parquet"
        write_canonical(table, cpgs[row.sample])
    return {
        "root": root,
        "fasta": Path(fasta),
        "chrom_sizes": root / "reference" / "chrom_sizes.tsv",
        "regions": regions,
        "cpgs": cpgs,
        "marks": {s: {m: Path(p) for m, p in generated["marks"][s].items()} for s in cpgs},
        "truth": Path(generated["truth"]),
        "variants": Path(generated["variants"]),
    }


def make_shards(cohort: dict, root: Path, with_marks: bool = True, neighbours: int = 0) -> list[Path]:
    """Shard folders of ``cohort`` (window 200, bins of 50; val chr2, test chr3), one per sample x chromosome;
    ``with_marks`` False: without the marks (a methylation-only cohort); ``neighbours``: the neighbour
    context's K."""
    from epibench.data.groups import read_groups
    from epibench.data.plan import write_plan
    from epibench.data.shards import ShardSettings, build_shard
    from epibench.data.splits import SplitSettings

    write_plan(
        cohort["chrom_sizes"],
        SplitSettings(val_chroms=["chr2"], test_chroms=["chr3"]),
        0.01,
        root / "plan",
    )
    dirs = []
    for sample, cpgs in cohort["cpgs"].items():
        for group, chroms in read_groups(root / "plan" / "groups.tsv").items():
            dirs.append(root / sample / group)
            build_shard(
                cpgs,
                cohort["regions"],
                cohort["fasta"],
                cohort["marks"][sample] if with_marks else {},
                root / "plan" / "splits.bed",
                chroms,
                dirs[-1],
                sample,
                ShardSettings(window=200, bin_size=50, neighbours=neighbours),
            )
    return dirs


@pytest.fixture(scope="session")
def tiny_cohort(tmp_path_factory) -> dict:
    """The tiny cohort: 3 x 40 kb, 2 samples."""
    return make_cohort(tmp_path_factory.mktemp("tiny_cohort"), 40_000)


@pytest.fixture(scope="session")
def tiny_shards(tiny_cohort, tmp_path_factory) -> list[Path]:
    """Shard folders of the tiny cohort."""
    return make_shards(tiny_cohort, tmp_path_factory.mktemp("tiny_shards"))


@pytest.fixture(scope="session")
def tiny_shards_without_marks(tiny_cohort, tmp_path_factory) -> list[Path]:
    """Shard folders of the tiny cohort built without its marks: a methylation-only cohort."""
    return make_shards(tiny_cohort, tmp_path_factory.mktemp("tiny_shards_without_marks"), with_marks=False)


@pytest.fixture(scope="session")
def tiny_shards_with_neighbours(tiny_cohort, tmp_path_factory) -> list[Path]:
    """Shard folders of the tiny cohort with the neighbour context, K = 3."""
    return make_shards(tiny_cohort, tmp_path_factory.mktemp("tiny_shards_with_neighbours"), neighbours=3)


@pytest.fixture(scope="session")
def small_shards(tmp_path_factory) -> list[Path]:
    """Shard folders of a 3 x 200-kb, 2-sample cohort: enough rows for a learning curve to mean something."""
    root = tmp_path_factory.mktemp("small_cohort")
    return make_shards(make_cohort(root, 200_000), root / "shards")


def rebuild_first_shard(cohort: dict, shards: list[Path], out: Path, **extra) -> list[str]:
    """The first shard of ``shards`` (first sample, first group) built again into ``out`` with
    ``build_shard``'s keyword arguments ``extra``; returns that group's sequence names."""
    from epibench.data.groups import read_groups
    from epibench.data.shards import ShardSettings, build_shard

    plan = shards[0].parents[1] / "plan"
    sample = shards[0].parent.name
    chroms = next(iter(read_groups(plan / "groups.tsv").values()))
    build_shard(
        cohort["cpgs"][sample],
        cohort["regions"],
        cohort["fasta"],
        cohort["marks"][sample],
        plan / "splits.bed",
        chroms,
        out,
        sample,
        ShardSettings(window=200, bin_size=50),
        **extra,
    )
    return chroms


REPO = Path(__file__).resolve().parents[1]


def copy_workflow(root: Path, extra: tuple[str, ...] = ()) -> Path:
    """Copy the workflow (Snakefile, workflow/, config/, envs/ and ``extra`` entries) into ``root``
    with the tiny cohort's config as config/tiny.yaml; returns ``root``."""
    import shutil

    root.mkdir(exist_ok=True)
    for name in ("Snakefile", "workflow", "config", "envs", *extra):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    shutil.copy(REPO / "tests" / "workflow" / "tiny.yaml", root / "config" / "tiny.yaml")
    return root


# --- end-to-end workflow runs (tests/test_workflow*.py) ----------------------------------------

BIN = Path(sys.executable).parent


def path_without_venv() -> str:
    """PATH without the folder of this Python (the venv's bin): nothing activated."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN)


def run(
    args: list[str], cwd: Path, check: bool = True, path: str | None = None
) -> subprocess.CompletedProcess:
    """Run ``args`` with the venv's bin off PATH (``path`` instead, when given): every rule must
    find epibench beside the Python that runs Snakemake, as with ``.venv/bin/snakemake``."""
    env = {**os.environ, "PATH": path or path_without_venv()}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}")
    return done


def snakemake(workdir: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    """Snakemake on 2 cores with the copy's config/tiny.yaml (``extra``: more arguments)."""
    return run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/tiny.yaml", *extra],
        workdir,
        check=check,
    )


def tiny_demo_data(root: Path, samples: int) -> Path:
    """``epibench demo-data`` into ``root``/resources/tiny: three 100-kb chromosomes, ``samples``
    samples with methylation calls and marks (config/tiny.yaml's inputs); returns its sample sheet."""
    out = "resources/tiny"
    run(
        [
            str(BIN / "epibench"),
            "demo-data",
            "--out",
            out,
            "--chrom-lengths",
            "100000,100000,100000",
            "--samples",
            str(samples),
        ],
        root,
    )
    return root / out / "samples.tsv"
