"""`roomtime migrate`, `seed` and `create-admin` as an operator runs them, as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from roomtime.domains.auth.passwords import hash_password, verify_password
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


async def _execute(url: str, sql: str, *args: object) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


def _migrated(services: ServiceUrls, name: str) -> str:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_{name}"))
    assert _run("migrate", database_url=url).returncode == 0
    return url


def test_migrate_seed_and_create_admin(services: ServiceUrls) -> None:
    url = _migrated(services, "cli")
    assert _run("seed", database_url=url).returncode == 0
    admins = "SELECT role, email_verified_at FROM user_account WHERE role = 'admin'"
    [seeded] = asyncio.run(_fetch(url, admins))
    assert seeded["role"] == "admin" and seeded["email_verified_at"] is not None

    weak = _run("create-admin", "ops@example.com", database_url=url, stdin="short\n")
    assert weak.returncode == 2 and "refused" in weak.stderr

    made = _run(
        "create-admin", "Ops@Example.com", database_url=url, stdin="a long admin passphrase\n"
    )
    assert made.returncode == 0, made.stderr
    assert "created" in made.stdout
    ops = "SELECT role, password_hash, email_verified_at FROM user_account WHERE email = 'ops@example.com'"
    [row] = asyncio.run(_fetch(url, ops))
    assert row["role"] == "admin" and row["email_verified_at"] is not None
    assert verify_password("a long admin passphrase", row["password_hash"])

    again = _run("create-admin", "ops@example.com", database_url=url, stdin="whatever passphrase\n")
    assert again.returncode == 0 and "already an admin" in again.stdout
    [unchanged] = asyncio.run(_fetch(url, ops))
    assert unchanged["password_hash"] == row["password_hash"]


ATTACKER_PASSWORD = "the squatter's own passphrase"


def _preregistered(url: str, email: str) -> None:
    """An account someone registered at `email` through the API, with a live session."""
    asyncio.run(
        _execute(
            url,
            "INSERT INTO user_account (email, password_hash) VALUES ($1, $2)",
            email,
            hash_password(ATTACKER_PASSWORD),
        )
    )
    asyncio.run(
        _execute(
            url,
            "INSERT INTO refresh_token (user_id, token_hash, family_id, expires_at, "
            "family_expires_at) SELECT id, repeat('a', 64), gen_random_uuid(), "
            "now() + interval '1 day', now() + interval '30 days' FROM user_account "
            "WHERE email = $1",
            email,
        )
    )


def test_create_admin_refuses_an_existing_account_unless_promote(services: ServiceUrls) -> None:
    url = _migrated(services, "cli_promote")
    _preregistered(url, "ops@example.com")
    account = (
        "SELECT u.role, u.password_hash, u.email_verified_at, "
        "(SELECT count(*) FROM refresh_token r WHERE r.user_id = u.id AND r.revoked_at IS NULL) "
        "AS live_sessions FROM user_account u WHERE u.email = 'ops@example.com'"
    )

    refused = _run("create-admin", "OPS@example.com", database_url=url, stdin="a new passphrase\n")
    assert refused.returncode == 1
    assert "already has an account" in refused.stderr and "--promote" in refused.stderr
    [before] = asyncio.run(_fetch(url, account))
    assert before["role"] == "user" and before["email_verified_at"] is None
    assert before["live_sessions"] == 1

    promoted = _run(
        "create-admin", "ops@example.com", "--promote", database_url=url, stdin="a new passphrase\n"
    )
    assert promoted.returncode == 0, promoted.stderr
    assert "promoted" in promoted.stdout
    [after] = asyncio.run(_fetch(url, account))
    assert after["role"] == "admin" and after["email_verified_at"] is not None
    assert after["live_sessions"] == 0  # every session of the account was signed out
    assert after["password_hash"] == before["password_hash"]  # never changed by create-admin
    assert verify_password(ATTACKER_PASSWORD, after["password_hash"])
    audit = asyncio.run(
        _fetch(url, "SELECT action, actor_user_id, meta FROM audit_log ORDER BY id")
    )
    assert [(a["action"], a["actor_user_id"]) for a in audit] == [
        ("user.email_verified", None),
        ("user.role_changed", None),
    ]
    assert json.loads(audit[1]["meta"]) == {
        "from": "user",
        "to": "admin",
        "via": "cli",
        "sessions_revoked": 1,
    }


def test_seed_never_promotes_an_account_registered_at_its_address(services: ServiceUrls) -> None:
    url = _migrated(services, "cli_seed")
    _preregistered(url, "admin@roomtime.local")  # the default SEED_ADMIN_EMAIL
    seeded = _run("seed", database_url=url)
    assert seeded.returncode == 1 and "refused" in seeded.stderr
    [row] = asyncio.run(_fetch(url, "SELECT role, email_verified_at FROM user_account"))
    assert row["role"] == "user" and row["email_verified_at"] is None
