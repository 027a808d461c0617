"""Crash safety of the workflow: kill the long rules with SIGKILL mid-way, rerun Snakemake, and
get exactly what an undisturbed run gives.

One copy of the workflow (its path and the cohort's input paths hold spaces), the tiny cohort,
and one model as the target. First an undisturbed run, whose outputs are kept; then, from nothing again:
- ``ingest_split`` killed after publishing its per-group calls, before its QC file;
- a ``shards`` job killed together with Snakemake and every other job (a node failure) with
  its shard complete under its temporary name; the rerun needs ``--unlock``, as after any crash
  (the copy has the repository's profiles/, as a user's clone does);
- Snakemake alone killed (``kill -9``) at ``train``'s third atomic write: the training goes on to
  its end, but Snakemake had marked its outputs incomplete; after ``--unlock`` the next run trains
  again only through the default profile's ``rerun-incomplete`` (without it Snakemake stops,
  naming the incomplete files, and the next kill below is never reached);
- ``train`` killed at its third atomic write (two step checkpoints published), so the rerun
  resumes mid-epoch;
then a plain rerun. Data outputs must be bit-identical to the undisturbed run; training ends
with the same metrics and weights. The kills come from tests/faults/sitecustomize.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import load_file

from conftest import copy_workflow
from epibench.train.loop import TIMING_COLUMNS

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FAULTS = REPO / "tests" / "faults"
COHORT_DIR = "resources/tiny cohort"
MODEL_DIR = Path("results/tiny/models/cnn")
TARGET = str(MODEL_DIR / "metrics.csv")
pytestmark = pytest.mark.workflow


def _snakemake(root: Path, *extra: str, kill: str = "", whom: str = "job") -> subprocess.CompletedProcess:
    """Snakemake on the tiny cohort; ``kill``: ``<subcommand>:<n>:<marker>`` of tests/faults, killing
    ``whom`` (job, session or snakemake)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("EPIBENCH_KILL", None)
    if kill:
        path = os.pathsep.join(filter(None, [str(FAULTS), os.environ.get("PYTHONPATH")]))
        env |= {"EPIBENCH_KILL": kill, "PYTHONPATH": path, "EPIBENCH_KILL_WHOM": whom}
    args = [sys.executable, "-m", "snakemake", "--cores", "2", *extra, "--configfile", "config/tiny.yaml"]
    # a session of its own: a group kill takes Snakemake and its jobs, not pytest
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, start_new_session=True)


def _wait_for(path: Path, timeout_s: float = 600) -> None:
    """Return once ``path`` exists; fail after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout_s:.0f} s"
        time.sleep(0.5)


def _ok(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-6000:]


def _data_outputs(root: Path) -> dict[str, str]:
    """SHA-256 of every file under results/ but the model folder (its files carry timings) and
    Snakemake's own markers in directory outputs (``.snakemake_timestamp``: whether one is left in a
    folder a killed job had published depends on when the kill came, not on the data)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / "results").rglob("*"))
        if path.is_file()
        and MODEL_DIR not in path.relative_to(root).parents
        and path.name != ".snakemake_timestamp"
    }


def _training(root: Path) -> tuple[pd.DataFrame, dict[str, torch.Tensor]]:
    """The training metrics (timings dropped) and the saved weights."""
    metrics = pd.read_csv(root / MODEL_DIR / "metrics.csv").drop(columns=list(TIMING_COLUMNS))
    return metrics, load_file(root / MODEL_DIR / "model.safetensors")


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory) -> Path:
    """The workflow with the tiny cohort in a folder with spaces, checkpoints every 2 steps."""
    root = copy_workflow(tmp_path_factory.mktemp("crash test repo"), extra=("profiles",))
    done = subprocess.run(
        [str(BIN / "epibench"), "demo-data", "--out", COHORT_DIR, "--chrom-lengths", "100000,100000,100000"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = (root / "config/tiny.yaml").read_text().replace("resources/tiny/", f"{COHORT_DIR}/")
    config = yaml.safe_load(text)
    config["train"] |= {"batch_size": 16, "checkpoint_every": 2}
    (root / "config/tiny.yaml").write_text(yaml.safe_dump(config))
    return root


def test_killed_rules_rerun_to_the_undisturbed_result(workflow_copy):
    root = workflow_copy
    _ok(_snakemake(root, TARGET))
    undisturbed = _data_outputs(root)
    trained = _training(root)
    assert any("/shards/" in name for name in undisturbed) and any("/cpgs/" in name for name in undisturbed)
    for name in ("results", "logs", ".snakemake"):
        shutil.rmtree(root / name)

    crashes = [
        ("ingest-split:3", "job"),  # the calls folder published (its file folder the first), not the QC
        ("shards:1", "session"),
        ("train:3", "snakemake"),
        ("train:3", "job"),
    ]
    for number, (kill, whom) in enumerate(crashes):
        marker = root / f"killed-{number}"
        done = _snakemake(root, TARGET, kill=f"{kill}:{marker}", whom=whom)
        assert marker.exists(), f"{kill} was not reached:\n{done.stderr[-3000:]}"
        assert done.returncode != 0, "a killed job fails the run"
        if whom == "snakemake":  # its orphaned job goes on: the next run may start once it is done
            _wait_for(Path(f"{marker}.exited"))
        if whom != "job":  # Snakemake died too: its lock stays until --unlock
            _ok(_snakemake(root, "--unlock"))
    _ok(_snakemake(root, TARGET))
    assert "resuming from" in (root / "logs/tiny/train/cnn.log").read_text()
    assert not list((root / "results").rglob(".*.tmp-*")), "no temporary name survives the rerun"

    assert _data_outputs(root) == undisturbed
    metrics, weights = _training(root)
    pd.testing.assert_frame_equal(metrics, trained[0])
    assert weights.keys() == trained[1].keys()
    assert all(torch.equal(weights[k], trained[1][k]) for k in weights)
