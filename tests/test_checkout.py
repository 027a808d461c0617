"""The workflow warns when it runs another checkout's epibench package (epibench.checkout)."""

from pathlib import Path

import sys

from epibench.checkout import foreign_package, foreign_package_warning, package_without


def _checkout(root: Path) -> Path:
    (root / "epibench").mkdir(parents=True)
    (root / "Snakefile").write_text("")
    return root


def test_another_clones_package_is_named_with_the_fix(tmp_path):
    mine, other = _checkout(tmp_path / "clone"), _checkout(tmp_path / "main")
    assert foreign_package(mine, other / "epibench")
    text = foreign_package_warning(mine, other / "epibench")
    assert f"runs the epibench package in {other / 'epibench'}" in text
    assert f"pip install -e {mine}" in text and f"PYTHONPATH={mine}" in text


def test_its_own_package_or_a_workflow_without_one_is_fine(tmp_path):
    mine = _checkout(tmp_path / "clone")
    assert not foreign_package(mine, mine / "epibench")
    assert not foreign_package(
        mine, tmp_path / "clone" / "." / "epibench"
    ), "the same folder, spelled otherwise"
    copy = tmp_path / "copy"  # the Snakefile and rules copied alone: whichever package is installed
    copy.mkdir()
    assert not foreign_package(copy, mine / "epibench")


def test_the_jobs_package_is_found_without_the_workflows_folder(tmp_path, monkeypatch):
    """Snakemake puts the Snakefile's folder first on its path; the jobs import what lies beyond it."""
    mine, other = _checkout(tmp_path / "clone"), _checkout(tmp_path / "main")
    for root in (mine, other):
        (root / "epibench" / "__init__.py").write_text("")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setattr(sys, "path", [str(mine), str(other), *sys.path])
    assert package_without(mine) == other / "epibench"
    assert package_without(other) == mine / "epibench"
    monkeypatch.setenv("PYTHONPATH", str(mine))
    assert package_without(mine) == mine / "epibench", "PYTHONPATH names the clone too: its jobs import it"
