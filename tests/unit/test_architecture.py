"""The layering rules (README "Code layout", docs/requirements.md R-1), checked by import-linter."""

from __future__ import annotations

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
