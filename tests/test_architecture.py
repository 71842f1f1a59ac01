"""The import rule of docs/architecture.md, checked over the source tree.

1. A package's private modules (``_x.py``) are its own: another package imports its
   public names (``from workgym.core import Trace``), never ``workgym.core._trace``.
2. Imports point down the layers: a package imports only packages of a lower layer (or
   its own). The command line (``workgym.cli``) is the top; no library package imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "workgym"

LAYERS: dict[str, int] = {
    "core": 0,
    "apps": 1,
    "dialects": 1,
    "content": 2,
    "criteria": 2,
    "families": 3,
    "eval": 4,
    "agent": 5,
    "serve": 6,
    "external": 6,
    "train": 6,
    "checks": 7,
    "bench": 7,
    "cli": 8,
}
"""The layer of each top-level package; docs/architecture.md draws the same picture."""


def _package_of(path: Path) -> str | None:
    parts = path.relative_to(SRC).parts
    return parts[0].removesuffix(".py") if len(parts) > 1 or parts[0] != "__init__.py" else None


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                         if alias.name.startswith("_") and not alias.name.startswith("__"))
    return [(line, name) for line, name in found if name.startswith("workgym.")]


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if _package_of(p) is not None)


def test_every_package_has_a_layer() -> None:
    packages = {_package_of(p) for p in _modules()}
    unplaced = sorted(p for p in packages if p not in LAYERS)
    assert not unplaced, (f"packages without a layer: {unplaced}; give each a place in "
                          "LAYERS here and in docs/architecture.md")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_imports_follow_the_rule(path: Path) -> None:
    own = _package_of(path)
    assert own is not None
    problems = []
    for line, name in _imports(ast.parse(path.read_text(), str(path))):
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else ""
        if target not in LAYERS or target == own:
            continue
        private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
        if private:
            problems.append(f"line {line}: {name} is private to workgym.{target}; import the "
                            f"public name from workgym.{target} (add it to its __all__)")
        if LAYERS[target] > LAYERS[own.removesuffix('.py')]:
            problems.append(f"line {line}: workgym.{own} (layer {LAYERS[own]}) imports "
                            f"workgym.{target} (layer {LAYERS[target]}): imports point down")
    assert not problems, "\n".join(problems)
