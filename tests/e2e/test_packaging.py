"""The built wheel, installed with the runtime lock into an empty virtual environment (not
the test one), is a complete application: every module imports, `roomtime --help` runs,
and `roomtime migrate` finds its migrations away from the checkout."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import asyncpg
import pytest

from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.workers import plain_dsn

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Run by the new environment's interpreter: walks the installed package, imports each module.
_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, roomtime
names = ["roomtime"]
for info in pkgutil.walk_packages(roomtime.__path__, "roomtime."):
    importlib.import_module(info.name)
    names.append(info.name)
print(json.dumps({"file": roomtime.__file__, "modules": names}))
"""


def _run(*args: str | Path, cwd: Path | None = None, **env: str) -> str:
    # The machine's pip settings stay (index, proxy, certificates); nothing points at the
    # test environment.
    base = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


_LIST_WEB_FILES = """
import json, pathlib, roomtime.web as web
root = pathlib.Path(web.__file__).parent
print(json.dumps(sorted(
    str(p.relative_to(root)) for p in root.rglob("*")
    if p.is_file() and p.suffix not in (".py", ".pyc")
)))
"""


def _web_files_in_checkout() -> set[str]:
    root = ROOT / "src" / "roomtime" / "web"
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    }


def _modules_in_checkout() -> set[str]:
    source = ROOT / "src"
    return {
        ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(".__init__")
        for path in (source / "roomtime").rglob("*.py")
    }


async def _migrated_revision(url: str) -> str:
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from roomtime.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    assert head is not None
    return head


def test_the_wheel_installs_and_runs_from_the_runtime_lock_alone(
    services: ServiceUrls, tmp_path: Path
) -> None:
    started = time.monotonic()
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT)
    [wheel] = wheels.glob("roomtime-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python, roomtime = env_dir / "bin" / "python", env_dir / "bin" / "roomtime"
    lock = ROOT / "requirements.lock"
    # --no-compile: byte-compiling every package is not what this checks, and costs time.
    _run(python, "-m", "pip", "install", "-q", "--no-compile", "--no-deps", "-r", lock)  # the lock
    _run(python, "-m", "pip", "install", "-q", "--no-compile", "--no-deps", wheel)
    _run(python, "-m", "pip", "check")  # ...and the lock holds everything the wheel needs

    found = json.loads(_run(python, "-c", _IMPORT_EVERY_MODULE, cwd=tmp_path))
    assert Path(found["file"]).is_relative_to(env_dir)  # the installed copy, not src/
    assert set(found["modules"]) == _modules_in_checkout()

    # The web UI's templates, catalogues and vendored assets travel in the wheel too.
    shipped = json.loads(_run(python, "-c", _LIST_WEB_FILES, cwd=tmp_path))
    assert set(shipped) == _web_files_in_checkout()

    assert "migrate" in _run(roomtime, "--help", cwd=tmp_path)
    for tool in ("pytest", "schemathesis", "hypothesis", "ruff"):
        absent = subprocess.run([python, "-c", f"import {tool}"], capture_output=True)
        assert absent.returncode != 0, f"{tool} is installed from the runtime lock"

    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_wheel"))
    _run(roomtime, "migrate", cwd=tmp_path, DATABASE_URL=url)
    assert asyncio.run(_migrated_revision(url)) == _head_revision()
    sys.stderr.write(f"wheel build + empty venv + checks: {time.monotonic() - started:.1f}s\n")
