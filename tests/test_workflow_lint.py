"""The workflow passes Snakemake's linter and snakefmt, and its conda envs parse and name what rules run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def test_snakefmt_check_passes():
    done = _run([str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/rules"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_conda_env_named_by_a_rule_exists_and_installs_epibench():
    named = set()
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        named |= set(re.findall(r'conda:\s*\n\s*"([^"]+)"', rules.read_text()))
    assert named, "rules name conda environments"
    for relative in named:
        env_file = (REPO / "workflow" / "rules" / relative).resolve()
        spec = yaml.safe_load(env_file.read_text())
        deps = spec["dependencies"]
        assert any(str(d).startswith("bedtools") for d in deps), env_file
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert "--editable .." in pip, env_file


def test_readme_config_reference_names_every_schema_key():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
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


def test_demo_config_validates_against_the_schema():
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    assert config["train"]["patience"] >= 1 and config["report"]["title"]
