"""The layering rules (README "Code layout", docs/requirements.md R-1), checked by import-linter."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    executable = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert executable, "import-linter is a dev dependency"
    result = subprocess.run(
        [executable, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout
    # The cross-domain rule of STYLE §2 is a contract for every domain, and the booking
    # core's domains form layers (no import cycles); a contract dropped from the file fails.
    domains = sorted(
        p.name
        for p in (ROOT / "src" / "roomtime" / "domains").iterdir()
        if (p / "__init__.py").exists()
    )
    for domain in domains:
        assert f"{domain} never imports another domain's models or repository KEPT" in (
            result.stdout
        ), domain
    assert "booking core domains depend downwards only (no cycles) KEPT" in result.stdout


def _owned_tables() -> dict[str, set[str]]:
    owned: dict[str, set[str]] = {}
    for models in (ROOT / "src" / "roomtime" / "domains").glob("*/models.py"):
        names = {
            node.value.value
            for node in ast.walk(ast.parse(models.read_text()))
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        }
        owned[models.parent.name] = names
    return owned


def _tables_named_in(source: str, tables: set[str]) -> set[str]:
    """Tables another domain's code reaches without its models: `table("x", ...)` views and
    SQL text naming them after FROM/JOIN/UPDATE/INTO."""
    found: set[str] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "table"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pattern = r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(" + "|".join(sorted(tables)) + r")\b"
            found.update(re.findall(pattern, node.value))
    return found & tables


def test_no_domain_reads_or_writes_another_domains_tables() -> None:
    owned = _owned_tables()
    every = set().union(*owned.values())
    assert {"booking", "time_slot", "seat_hold"} <= every
    leaks = {}
    for domain, mine in owned.items():
        for module in (ROOT / "src" / "roomtime" / "domains" / domain).glob("*.py"):
            foreign = _tables_named_in(module.read_text(), every - mine)
            if foreign:
                leaks[f"{domain}/{module.name}"] = sorted(foreign)
    assert leaks == {}


def test_the_table_check_sees_a_view_of_another_domains_table() -> None:
    source = 'view = table("booking", column("id"))\nsql = "SELECT 1 FROM time_slot s"'
    assert _tables_named_in(source, {"booking", "time_slot"}) == {"booking", "time_slot"}
