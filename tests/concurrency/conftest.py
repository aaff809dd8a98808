"""Real `roomtime api` processes sharing one PostgreSQL and Redis, and a fleet of clients.

No outer transaction and no ASGI shortcut: requests go over TCP to two server processes, so
the races are the ones production would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from roomtime import migrate
from roomtime.settings import AuthSettings, Settings
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.factories.auth import bearer
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, stop, wait_for_http

USERS = 50
# Tomorrow 10:00 UTC: always in the future, and the resource is open round the clock.
SLOT = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


@dataclass
class Fleet:
    """Two API processes on one database, and the users who will race for a slot."""

    bases: list[str]
    database_url: str
    resource_id: int
    tokens: list[str]
    admin_token: str = ""

    def client_for(self, i: int) -> tuple[str, dict[str, str]]:
        return self.bases[i % len(self.bases)], {"Authorization": f"Bearer {self.tokens[i]}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def dsn(self) -> str:
        """The database URL in the form asyncpg takes."""
        return (
            make_url(self.database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn())
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def reset(self) -> None:
        # Not TRUNCATE … CASCADE: time_slot references booking and would be emptied too.
        await self.fetch(
            "UPDATE time_slot SET status = 'available', booking_id = NULL, seats_taken = 0"
        )
        await self.fetch("DELETE FROM booking")
        await self.fetch("TRUNCATE idempotency_record, audit_log, notification_outbox")


async def _prepare(url: str, settings: Settings) -> tuple[int, list[str], str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        resource_id = await conn.fetchval(
            "INSERT INTO resource (name, location, capacity, hold_ttl_seconds) "
            "VALUES ('Race room', 'Lab', 1, 300) RETURNING id"
        )
        starts = SLOT - timedelta(hours=4)
        await conn.executemany(
            "INSERT INTO time_slot (resource_id, starts_at, ends_at) VALUES ($1, $2, $3)",
            [
                (resource_id, starts + timedelta(hours=h), starts + timedelta(hours=h + 1))
                for h in range(12)
            ],
        )
        ids = [
            await conn.fetchval(
                "INSERT INTO user_account (email, password_hash) VALUES ($1, 'x') RETURNING id",
                f"racer{i}@example.com",
            )
            for i in range(USERS)
        ]
        admin_id = await conn.fetchval(
            "INSERT INTO user_account (email, password_hash, role) "
            "VALUES ('race-admin@example.com', 'x', 'admin') RETURNING id"
        )
    finally:
        await conn.close()
    return (
        resource_id,
        [_token(settings, i, "user") for i in ids],
        _token(settings, admin_id, "admin"),
    )


def _token(settings: Settings, user_id: int, role: str) -> str:
    header = bearer(settings, SimpleNamespace(id=user_id, role=role))  # type: ignore[arg-type]
    return header["Authorization"].removeprefix("Bearer ")


@contextlib.contextmanager
def api_processes(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[str]]:
    procs, bases = [], []
    try:
        for n in range(count):
            port = free_port()
            log = (log_dir / f"api-{n}.log").open("wb")
            proc = subprocess.Popen(
                [sys.executable, "-m", "roomtime", "api", "--port", str(port)],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            procs.append(proc)
            bases.append(f"http://127.0.0.1:{port}")
        for proc, base in zip(procs, bases, strict=True):
            wait_for_http(f"{base}/health/live", proc)
        yield bases
    finally:
        for proc in procs:
            stop(proc)


def fleet_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "20",
        "REDIS_KEY_PREFIX": f"rt-race-{os.getpid()}",
        # The same users hold and confirm across many rounds and fleets here (one key
        # prefix per run); the limits have tests of their own.
        "CONFIRM_RATE_LIMIT": "10000/minute",
        "HOLD_RATE_LIMIT": "10000/minute",
        **extra,
    }


async def build_fleet(
    services: ServiceUrls, tmp: Path, name: str, redis_url: str, **extra: str
) -> tuple[str, int, list[str], dict[str, str]]:
    url, resource_id, toks, _, env = await build_fleet_with_admin(
        services, tmp, name, redis_url, **extra
    )
    return url, resource_id, toks, env


async def build_fleet_with_admin(
    services: ServiceUrls, tmp: Path, name: str, redis_url: str, **extra: str
) -> tuple[str, int, list[str], str, dict[str, str]]:
    url = await fresh_database(services, f"{TEST_DB_NAME}_{name}")
    await asyncio.to_thread(migrate.upgrade, url)
    # The fleet serves a whole session: tokens get the longest life the settings allow.
    auth = AuthSettings(jwt_secret=TEST_JWT_SECRET, access_token_ttl_seconds=3600)
    resource_id, toks, admin = await _prepare(url, make_settings(services, tmp, auth=auth))
    # Every fleet's database numbers its rows from 1, so each fleet gets its own Redis keys:
    # a hold lock left by one fleet's race must not refuse the same range in the next one.
    prefix = f"rt-race-{os.getpid()}-{name}"
    env = fleet_env(url, redis_url, DATA_DIR=str(tmp), REDIS_KEY_PREFIX=prefix, **extra)
    return url, resource_id, toks, admin, env


@pytest.fixture(scope="session")
async def fleet(
    services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    url, resource_id, toks, admin, env = await build_fleet_with_admin(
        services, tmp, "race", services.redis_url
    )
    with api_processes(2, env, tmp) as bases:
        yield Fleet(bases, url, resource_id, toks, admin)


def counter() -> Iterator[int]:
    return itertools.count()
