"""The package's layers (../shared/DESIGN.md): imports point down, never up; readers never import torch.

Every ``import epibench...`` and ``from epibench... import`` in the package, at any depth of a
module (an import inside a function counts too), is read from the source.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "epibench"
# layer of each subpackage (top-level modules such as errors, codes, threads: the base, 0)
RANK = {
    "io": 1,
    "models": 1,
    "data": 2,
    "demo": 2,
    "train": 3,
    "evaluate": 3,
    "interpret": 3,
    "variants": 3,
    "report": 4,
    "cli": 5,
}


def layer(module: str) -> str:
    """``epibench.io.methylation.ingest`` -> ``io``; a top-level module (``epibench.errors``) -> ``base``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "base"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import statement in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_imports_point_down_never_up():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = layer(module_name(path))
        for line, imported in imports(path):
            if imported.split(".")[0] != "epibench" or imported == "epibench":
                continue
            there = layer(imported)
            if there != here and RANK.get(there, 0) >= RANK.get(here, 0):
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({here}) imports {imported} ({there})")
    assert not upward, "\n".join(upward)


def test_readers_and_models_keep_to_their_side():
    """io (the readers) never imports torch nor the models; the models never import io (no file I/O)."""
    crossing = []
    for sub, forbidden in (("io", ("torch", "epibench.models")), ("models", ("epibench.io",))):
        for path in sorted((PACKAGE / sub).rglob("*.py")):
            crossing += [
                f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
                for line, imported in imports(path)
                if any(imported == f or imported.startswith(f + ".") for f in forbidden)
            ]
    assert not crossing, "\n".join(crossing)


def test_the_layer_map_knows_every_subpackage():
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages == set(RANK)
