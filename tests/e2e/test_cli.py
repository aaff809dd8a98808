"""`roomtime migrate`, `seed` and `create-admin` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from roomtime.domains.auth.passwords import verify_password
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database

pytestmark = pytest.mark.slow


def _run(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "roomtime", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def test_migrate_seed_and_create_admin(services: ServiceUrls) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_cli"))
    assert _run("migrate", database_url=url).returncode == 0
    assert _run("seed", database_url=url).returncode == 0

    weak = _run("create-admin", "ops@example.com", database_url=url, stdin="short\n")
    assert weak.returncode == 2 and "refused" in weak.stderr

    made = _run(
        "create-admin", "Ops@Example.com", database_url=url, stdin="a long admin passphrase\n"
    )
    assert made.returncode == 0, made.stderr
    assert "created" in made.stdout
    [row] = asyncio.run(
        _fetch(url, "SELECT role, password_hash FROM user_account WHERE email = 'ops@example.com'")
    )
    assert row["role"] == "admin"
    assert verify_password("a long admin passphrase", row["password_hash"])

    again = _run("create-admin", "ops@example.com", database_url=url, stdin="whatever passphrase\n")
    assert again.returncode == 0 and "promoted" in again.stdout
