"""Real `roomtime worker` processes on a database of their own, and what their logs say."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from roomtime import migrate
from roomtime.domains.jobs.registry import JOBS
from roomtime.models import metadata
from tests.conftest import TEST_JWT_SECRET
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import stop


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def migrated_database(services: ServiceUrls, suffix: str) -> str:
    url = await fresh_database(services, f"{TEST_DB_NAME}_{suffix}")
    await asyncio.to_thread(migrate.upgrade, url)
    return url


async def sql(url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


async def empty(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    await sql(url, f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


async def expired_hold(url: str) -> int:
    """An exclusive room with tomorrow's 10:00 slot held by a pending booking whose hold ran
    out a minute ago, as the booking flow would leave it if no job ever ran."""
    [user] = await sql(
        url,
        "INSERT INTO user_account (email, password_hash) VALUES ('late@example.com', 'x') "
        "RETURNING id",
    )
    [room] = await sql(
        url,
        "INSERT INTO resource (name, location, capacity) VALUES ('Late room', 'Lab', 1) "
        "RETURNING id",
    )
    start = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    [booking] = await sql(
        url,
        "INSERT INTO booking (user_id, resource_id, starts_at, ends_at, status, expires_at) "
        "VALUES ($1, $2, $3, $4, 'pending', now() - interval '1 minute') RETURNING id",
        user["id"],
        room["id"],
        start,
        start + timedelta(hours=1),
    )
    await sql(
        url,
        "INSERT INTO time_slot (resource_id, starts_at, ends_at, status, booking_id) "
        "VALUES ($1, $2, $3, 'held', $4)",
        room["id"],
        start,
        start + timedelta(hours=1),
        booking["id"],
    )
    return int(booking["id"])


def worker_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Every job off unless switched on in `extra`; a key prefix of its own per test."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"rt-worker-{uuid.uuid4().hex[:8]}",
        "ENVIRONMENT": "test",
        "JWT_SECRET": TEST_JWT_SECRET,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "DATA_DIR": str(data_dir),
        "DB_POOL_SIZE": "3",
        "WORKER_METRICS_PORT": "0",  # tests that scrape a worker give it a free port
    }
    env.update({f"JOBS_{name.upper().replace('-', '_')}_CRON": "off" for name in JOBS})
    env.update(extra)
    return env


@dataclass
class WorkerLog:
    path: Path

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in self.path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event.get("event") == name:
                found.append(event)
        return found

    def runs(self, job: str) -> list[dict[str, Any]]:
        return [e for e in self.events("job_finished") if e.get("job") == job]


async def eventually(check: Any, within: float = 20.0, what: str = "condition") -> Any:
    """Poll `check` (a function, sync or async) until it returns something truthy."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def wait_until(check: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def workers(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[WorkerLog]]:
    """Start `count` workers and wait until each has started its schedule."""
    procs: list[subprocess.Popen[bytes]] = []
    logs = [WorkerLog(log_dir / f"worker-{n}.log") for n in range(count)]
    try:
        for log in logs:
            with log.path.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "roomtime", "worker"],
                        env={**os.environ, **env},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        for proc, log in zip(procs, logs, strict=True):
            wait_until(
                lambda p=proc, lg=log: p.poll() is not None or lg.events("worker_started"),
                what="worker_started",
            )
            assert proc.poll() is None, log.path.read_text()[-3000:]
        yield logs
    finally:
        for proc in procs:
            stop(proc)
