"""The workflow passes Snakemake's linter and snakefmt, and its conda envs parse and name what rules run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)


def test_snakemake_lint_is_clean():
    done = _run([sys.executable, "-m", "snakemake", "--lint", "--dry-run"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Congratulations" in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]


def test_every_model_and_prediction_is_a_target_of_the_default_run():
    """Snakemake remakes a missing file only when it is a target or a job after it reruns. A retraining
    cut short (Ctrl-C after an edit of the model's settings) leaves the model's folder without weights
    beside the older predictions and report; found in a trial: the next run said "Nothing to be done",
    the report kept the old model. With the weights and predictions targets of `all` it resumes."""
    done = _run([sys.executable, "-m", "snakemake", "--rulegraph", "--configfile", "config/demo_full.yaml"])
    assert done.returncode == 0, done.stderr[-3000:]
    label = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', done.stdout, re.MULTILINE))
    into_all = {
        label[a]
        for a, b in re.findall(r"^\s*(\d+) -> (\d+)$", done.stdout, re.MULTILINE)
        if label[b] == "all"
    }
    assert {"train", "predict", "baseline", "ensemble"} <= into_all, into_all


def test_snakefmt_check_passes():
    done = _run([str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/rules"])
    assert done.returncode == 0, done.stdout + done.stderr


# pip name -> conda-forge/bioconda name, where they differ (torch: the pytorch-cpu/-gpu builds)
CONDA_NAMES = {"torch": ("pytorch-cpu", "pytorch-gpu"), "pybigwig": ("pybigwig",)}
# runtime dependencies that no conda channel the envs use carries: pinned in the envs' pip section
PIP_ONLY = {"modisco-lite", "memelite", "pyjaspar"}


def _conda_envs() -> dict[Path, dict]:
    """env file -> parsed spec, for every env a rule names."""
    named = set()
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        named |= set(re.findall(r'conda:\s*\n\s*"([^"]+)"', rules.read_text()))
    assert named, "rules name conda environments"
    envs = {(REPO / "workflow" / "rules" / relative).resolve(): None for relative in named}
    return {path: yaml.safe_load(path.read_text()) for path in envs}


def test_every_conda_env_pins_every_runtime_dependency():
    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    required = [Requirement(text) for text in project["dependencies"]]
    for path, spec in _conda_envs().items():
        assert {"conda-forge", "bioconda"} <= set(spec["channels"]), path
        pins = {}
        for dep in spec["dependencies"]:
            if isinstance(dep, dict):  # the pip section: only what conda lacks, never epibench itself
                assert set(dep) == {"pip"}, f"{path}: {dep}"
                pip = dict(entry.split("==") for entry in dep["pip"])
                assert (
                    set(pip) == PIP_ONLY
                ), f"{path}: the pip section holds {sorted(pip)}, not {sorted(PIP_ONLY)}"
                pins |= {name: Version(version) for name, version in pip.items()}
                continue
            name, _, version = dep.partition("=")
            assert re.fullmatch(r"[0-9][0-9.]*", version), f"{path}: {dep} is not pinned to one version"
            pins[name] = Version(version)
        assert "bedtools" in pins, path
        for req in required:
            names = CONDA_NAMES.get(req.name.lower(), (req.name.lower(),))
            pinned = [pins[n] for n in names if n in pins]
            assert pinned, f"{path} lacks {req.name}"
            assert all(
                v in req.specifier for v in pinned
            ), f"{path}: {req.name} {pinned} outside {req.specifier}"


def _post_deploy(env_file: Path, cwd: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Run the env's post-deploy script from ``cwd`` with a stand-in ``python`` that records its arguments."""
    script = env_file.with_name(env_file.stem + ".post-deploy.sh")
    assert script.exists(), f"{env_file} has no post-deploy script to install epibench"
    stub = tmp_path / "bin"
    stub.mkdir(exist_ok=True)
    record = tmp_path / "python-args"
    (stub / "python").write_text(f'#!/bin/sh\necho "$@" > {record}\n')
    (stub / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["sh", str(script)], cwd=cwd, env=env, capture_output=True, text=True)
    return done, record.read_text().strip() if record.exists() else ""


def test_post_deploy_installs_the_checkout_snakemake_runs_in(tmp_path):
    for env_file in _conda_envs():
        done, args = _post_deploy(env_file, REPO, tmp_path)
        assert done.returncode == 0, done.stderr
        assert args == f"-m pip install --no-deps --no-build-isolation --editable {REPO}"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        (tmp_path / "python-args").unlink()
        done, args = _post_deploy(env_file, elsewhere, tmp_path)
        assert done.returncode != 0 and not args
        assert "run snakemake from the epibench checkout" in done.stderr


def test_readme_config_reference_names_every_schema_key():
    schema = yaml.safe_load((REPO / "epibench" / "schemas" / "config.schema.yaml").read_text())
    readme = (REPO / "README.md").read_text()
    reference = readme[readme.index("## Config reference") :]
    missing = []
    for key, spec in schema["properties"].items():
        if f"`{key}" not in reference:
            missing.append(key)
        for sub in spec.get("properties", {}):
            if sub not in reference:
                missing.append(f"{key}.{sub}")
    assert not missing, f"README config reference lacks {missing}"


def test_readme_models_name_every_model_setting_with_its_default():
    """A models: entry takes each architecture's settings (epibench.model_settings), which the schema
    does not list: the README's Models section names every one with its default."""
    from epibench.model_settings import DEFAULTS

    readme = (REPO / "README.md").read_text()
    models = readme[readme.index("## Models") : readme.index("## Training")]

    def shown(value):
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, tuple):
            return "[" + ", ".join(map(str, value)) + "]"
        return str(value)

    missing = [
        f"{arch}: `{key}` {shown(value)}"
        for arch, defaults in DEFAULTS.items()
        for key, value in defaults.items()
        if f"`{key}` {shown(value)}" not in models
    ]
    assert not missing, f"README Models lacks {missing}"


@pytest.mark.parametrize("name", ["config.yaml", "demo_full.yaml"])
def test_demo_config_validates_against_the_schema(name):
    from epibench.config import apply_schema

    config = yaml.safe_load((REPO / "config" / name).read_text())
    apply_schema(config, [REPO / "config" / name])
    assert config["train"]["patience"] >= 1 and config["report"]["title"]


def test_no_absolute_machine_path_in_the_repository():
    """No tracked file names a folder of the machine it was written on (a workspace, root's or a user's home)."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    pattern = re.compile(rb"(?<![\w.])/(?:work|root|home/[a-z_][\w-]*|Users/[\w-]+)/")
    found = [name for name in files if (REPO / name).is_file() and pattern.search((REPO / name).read_bytes())]
    assert not found, f"absolute machine paths in {found}"


def test_every_rule_with_bootstrap_intervals_resamples_the_configured_blocks():
    """A rule that passes --n-boot passes --block-bp from evaluate.bootstrap_block_bp too
    (chosen_block_bp, with BLOCK_CHOICE among its inputs where the block is chosen: auto): every
    table's intervals resample what the config says (CpGs or genomic blocks, one block for all), not some CpGs, some blocks.
    """
    rules = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for name, body in re.findall(r"^rule (\w+):\n((?:(?:    .*)?\n)+)", path.read_text(), re.M):
            rules[name] = body
    booted = {name: body for name, body in rules.items() if "--n-boot" in body and name != "bootstrap_block"}
    assert {"metrics", "paired", "calibration", "ablate", "block_sizes"} <= set(booted)
    unblocked = [
        name
        for name, body in booted.items()
        if "--block-bp {params.block_bp:q}" not in body
        or "block_bp=chosen_block_bp," not in body
        or "block=BLOCK_CHOICE," not in body
    ]
    assert not unblocked, f"rules resampling CpGs whatever evaluate.bootstrap_block_bp says: {unblocked}"


def test_per_job_functions_read_the_sheet_and_the_mark_files_once():
    """The input and params functions run for every job, and again for each as a checkpoint finishes
    (thousands of times with hundreds of samples): they read a sample's row from ROWS (dicts), not
    with pandas lookups (~40 us each, ~1 ms for a row), the bigWig check of a mark file is cached per
    run (mark_file), and the plan's groups are parsed once per version of groups.tsv."""
    rules = REPO / "workflow" / "rules"
    lookups = [
        f"{path.name}:{number}"
        for path in sorted(rules.glob("*.smk"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"SAMPLES\.(loc|iloc|at|iterrows)\b", line)
    ]
    assert not lookups, f"pandas lookups of the sample sheet in per-job code: {lookups}"
    common = (rules / "common.smk").read_text()
    assert re.search(r"^@functools\.cache\ndef mark_file\(", common, re.M), "mark_file is no longer cached"
    assert re.search(r"^@functools\.lru_cache\(maxsize=\d+\)\ndef groups_of_plan\(", common, re.M)
