"""Every third-party package the application imports is a runtime dependency in
pyproject.toml, not only a dev one (`pip install .` must give a `roomtime` that starts)."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "roomtime"


def _imported_top_level_names() -> dict[str, str]:
    """Top-level module name → one file importing it, for every absolute import."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _runtime_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}


def test_every_third_party_import_is_a_runtime_dependency() -> None:
    distributions = packages_distributions()
    declared = _runtime_dependencies()
    missing = {}
    for name, where in _imported_top_level_names().items():
        if name in sys.stdlib_module_names or name in {"roomtime", "__future__"}:
            continue
        owners = {canonicalize_name(d) for d in distributions.get(name, [])}
        assert owners, f"{name} (imported in {where}) is not installed at all"
        if not owners & declared:
            missing[name] = where
    assert missing == {}, f"imported but not runtime dependencies: {missing}"
