"""Safety: no pickle is ever loaded from a user path, and config values reach the shell quoted.

The code scans check every call site (a new ``torch.load`` without ``weights_only=True``
fails here); the behavioural tests hand the readers a file that runs code when unpickled.
"""

from __future__ import annotations

import ast
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from epibench.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "joblib", "cloudpickle", "shelve", "marshal"}


def _python_files() -> list[Path]:
    return sorted([*(REPO / "epibench").rglob("*.py"), *(REPO / "benchmarks").rglob("*.py")])


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_constant(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _unsafe_calls(tree: ast.AST) -> list[str]:
    """Loads that can unpickle: torch.load without weights_only=True, np.load without
    allow_pickle=False, pandas.read_pickle, pickle-module imports, any allow_pickle=True."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {node.lineno}: import {n}" for n in names if n.split(".")[0] in PICKLE_MODULES]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = ast.unparse(node.func.value)
        name = node.func.attr
        if name == "load" and owner == "torch" and not _is_constant(_keyword(node, "weights_only"), True):
            found.append(f"line {node.lineno}: torch.load without weights_only=True")
        if name == "load" and owner in ("np", "numpy"):
            if not _is_constant(_keyword(node, "allow_pickle"), False):
                found.append(f"line {node.lineno}: np.load without allow_pickle=False")
        if name == "read_pickle":
            found.append(f"line {node.lineno}: {owner}.read_pickle")
        if _is_constant(_keyword(node, "allow_pickle"), True):
            found.append(f"line {node.lineno}: allow_pickle=True")
    return found


def test_the_scan_finds_unsafe_loads():
    """The scanner itself: each unsafe form is caught, the safe forms are not."""
    unsafe = (
        "import pickle\nimport joblib\nfrom dill import loads\n"
        "torch.load(p)\ntorch.load(p, weights_only=False)\nnp.load(p)\npd.read_pickle(p)\n"
        "np.save(p, a, allow_pickle=True)\n"
    )
    assert len(_unsafe_calls(ast.parse(unsafe))) == 8
    safe = "torch.load(p, map_location='cpu', weights_only=True)\nnp.load(p, mmap_mode='r', allow_pickle=False)\n"
    assert _unsafe_calls(ast.parse(safe)) == []


def test_no_code_path_can_unpickle():
    problems = {
        str(path.relative_to(REPO)): found
        for path in _python_files()
        if (found := _unsafe_calls(ast.parse(path.read_text(), filename=str(path))))
    }
    assert problems == {}


class _RunsCode:
    """Unpickling this creates ``marker``: the proof that a reader executed a pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickled_checkpoint_is_refused_unexecuted(tmp_path):
    from epibench.train.checkpoint import read_checkpoint

    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(pickle.dumps({"model": _RunsCode(marker)}))
    with pytest.raises(pickle.UnpicklingError):
        read_checkpoint(path)
    assert not marker.exists()


def test_an_object_array_in_a_shard_is_refused_unexecuted(tiny_shards, tmp_path):
    import shutil

    from epibench.data.dataset import ShardDataset
    from epibench.data.manifest import MANIFEST_NAME, open_arrays

    marker = tmp_path / "pwned"
    shard = tmp_path / "shard"
    shutil.copytree(tiny_shards[0], shard)
    name = next(p for p in sorted(shard.glob("*.npy")))
    np.save(name, np.array([_RunsCode(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(InputError):  # through the reader: the manifest's size check
        ShardDataset([shard], "all")
    # past the manifest checks, the array loader itself refuses
    with pytest.raises(ValueError, match="Python objects|pickle"):
        open_arrays(shard, json.loads((shard / MANIFEST_NAME).read_text()))
    assert not marker.exists()


def _shell_placeholders() -> list[tuple[str, str]]:
    """(rule file, placeholder) for every ``{...}`` in a ``shell:`` directive of workflow/rules."""
    found = []
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.findall(r"\n    shell:\n((?:        .*\n)+)", path.read_text()):
            found += [(path.name, p) for p in re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", block)]
    return found


def test_every_shell_value_is_quoted():
    """Each value Snakemake puts into a shell command is quoted (``:q``), except the ``*_args``
    params, which are argument lists built with shlex.quote (common.smk)."""
    placeholders = _shell_placeholders()
    assert len(placeholders) > 50, "the scan finds the rules' shell commands"
    unquoted = [(f, p) for f, p in placeholders if not p.endswith(":q") and not p.endswith("_args")]
    assert unquoted == []


def _quotes(function: str, sources: str, hops: int = 1) -> bool:
    """Whether ``function``'s body in ``sources`` quotes with shlex, itself or in the function it
    returns the result of (``hops`` such steps)."""
    body = re.search(rf"\ndef {function}\(.*?(?=\ndef |\Z)", sources, re.S)
    if body is None:
        return False
    if "shlex.quote" in body.group(0):
        return True
    return hops > 0 and any(_quotes(f, sources, hops - 1) for f in re.findall(r"return (\w+)\(", body.group(0)))


def test_argument_list_params_quote_their_values():
    """Every ``*_args`` param is built by a function of common.smk (or of epibench.cli.common, which
    writes config sections as flags, or epibench.train.launch, the train launcher) that quotes with
    shlex."""
    common = "".join(
        (REPO / path).read_text()
        for path in ("workflow/rules/common.smk", "epibench/cli/common.py", "epibench/train/launch.py")
    )
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    builders = set(re.findall(r"\n        \w+_args=(\w+)", rules))
    inline = re.findall(r"\n        \w+_args=\"[^\n]*\n((?:            .*\n)+)", rules)
    assert builders or inline
    for builder in builders:
        assert _quotes(builder, common), builder
    assert all("shlex.quote" in block for block in inline)
