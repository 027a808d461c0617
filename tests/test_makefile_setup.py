"""The Makefile's set-up: torch installed once per TORCH_SPEC, and again (replacing the one there) when
TORCH_SPEC changes, as the README's CUDA command on an existing venv asks; epibench installed again
only then or when pyproject.toml changes. Run on a copy of the Makefile with a stand-in venv Python
that records each call instead of installing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CUDA = "torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A folder with the Makefile, a pyproject.toml and a venv whose python appends its arguments to calls.log."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'stand-in'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "calls.log"}\n')
    python.chmod(0o755)
    return tmp_path


def set_up(project: Path, torch_spec: str | None = None) -> list[str]:
    """``make .venv/.epibench-installed`` (setup's install step), TORCH_SPEC given or the default: the
    venv Python's calls it made, one line each."""
    log = project / "calls.log"
    before = log.read_text().splitlines() if log.exists() else []
    args = ["make", "-s", ".venv/.epibench-installed"] + ([f"TORCH_SPEC={torch_spec}"] if torch_spec else [])
    subprocess.run(args, cwd=project, check=True, capture_output=True, text=True)
    after = log.read_text().splitlines() if log.exists() else []
    return after[len(before) :]


def test_torch_is_installed_once_then_replaced_when_torch_spec_changes(project):
    first = set_up(project)
    assert first == ["-m pip install --quiet torch==2.13.0", "-m pip install --quiet -e .[workflow,test]"]
    assert set_up(project) == []  # nothing changed: nothing installed
    cuda = set_up(project, CUDA)
    assert cuda == [
        f"-m pip install --quiet --force-reinstall {CUDA}",
        "-m pip install --quiet -e .[workflow,test]",
    ]
    assert set_up(project, CUDA) == []
    assert (project / ".venv" / ".torch-spec").read_text().strip() == CUDA


def test_a_changed_pyproject_installs_epibench_alone(project):
    set_up(project)
    stamp = project / ".venv" / ".epibench-installed"
    os.utime(project / "pyproject.toml", (stamp.stat().st_mtime + 10,) * 2)
    assert set_up(project) == ["-m pip install --quiet -e .[workflow,test]"]


def test_a_failed_torch_install_is_tried_again(project):
    """pip failing (no network, a wrong index) records no spec, so the next make installs torch again."""
    python = project / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> {project / "calls.log"}\nexit 1\n')
    with pytest.raises(subprocess.CalledProcessError):
        set_up(project)
    assert not (project / ".venv" / ".torch-spec").exists()
    python.write_text(f'#!/bin/sh\necho "$*" >> {project / "calls.log"}\n')
    assert set_up(project)[0] == "-m pip install --quiet torch==2.13.0"
