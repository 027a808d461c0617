"""Which ``epibench`` package a workflow checkout runs: its own, or another checkout's.

One virtual environment shared by two clones runs the package it was installed from (an editable
install points at one clone's folder), whatever Snakefile starts it: the other clone's rules then
call a command line that may differ from theirs, and fail many jobs in or compute with other code.
Snakemake puts the Snakefile's folder first on its own import path, so its process imports the
clone's package while the jobs it starts (``epibench ...`` on PATH) do not: ``package_without``
finds what they import.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path


def foreign_package(workflow_dir: Path, package_dir: Path) -> bool:
    """Whether ``workflow_dir`` (the folder of the Snakefile) ships a package of its own,
    ``workflow_dir/epibench``, and ``package_dir`` (the folder of the ``epibench`` imported) is another
    folder; False where they are one, or the workflow ships none (a copy of the workflow alone)."""
    own = workflow_dir / "epibench"
    return own.is_dir() and own.resolve() != package_dir.resolve()


def foreign_package_warning(workflow_dir: Path, package_dir: Path) -> str:
    """The warning for ``foreign_package``'s case: which package runs, which was expected, the fix."""
    return (
        f"this workflow ({workflow_dir}) runs the epibench package in {package_dir}, not its own "
        f"({workflow_dir / 'epibench'}): its rules may call options that package lacks, or compute with "
        f"other code. Install this checkout into the environment (pip install -e {workflow_dir}) or run "
        f"with PYTHONPATH={workflow_dir}"
    )


def package_without(folder: Path, name: str = "epibench") -> Path | None:
    """The folder of the package ``name`` that a process importing it without ``folder`` on its path
    (Snakemake's own entry; kept where PYTHONPATH, which the jobs inherit, names it) and without the
    working folder finds, through this process's import path and finders (an editable install's
    finder included); None where it finds none."""
    inherited = {
        Path(entry).resolve() for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry
    }
    path = [
        entry
        for entry in sys.path
        if entry and (Path(entry).resolve() != folder.resolve() or folder.resolve() in inherited)
    ]
    for finder in sys.meta_path:
        if finder is importlib.machinery.PathFinder:
            spec = finder.find_spec(name, path)
        else:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, None) if find_spec else None
        if spec is not None and spec.origin:
            return Path(spec.origin).parent
    return None
