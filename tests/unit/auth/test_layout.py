"""The auth domain's use cases are plain functions: no class chain, no import cycle that a
function-local import has to dodge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from roomtime.domains.auth import service

pytestmark = pytest.mark.unit

AUTH = Path(service.__file__).parent


def _local_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [
                f"{path.name}:{inner.lineno}"
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
    return found


def test_no_module_of_the_auth_domain_imports_inside_a_function() -> None:
    modules = sorted(AUTH.glob("*.py"))
    assert len(modules) > 10
    assert [hit for path in modules for hit in _local_imports(path)] == []


def test_the_service_exposes_functions_not_a_service_class() -> None:
    use_cases = [
        service.register,
        service.login,
        service.refresh,
        service.logout,
        service.forgot,
        service.reset_password,
        service.verify_email,
        service.resend_verification,
        service.update_account,
        service.ensure_admin,
    ]
    assert all(callable(f) and not isinstance(f, type) for f in use_cases)
    assert not hasattr(service, "AuthService")
