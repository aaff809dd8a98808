"""The PostgreSQL and Redis the suite runs against.

TEST_DATABASE_URL / TEST_REDIS_URL (or DATABASE_URL / REDIS_URL) name real servers; when
neither is set (a fresh machine) the embedded servers are started under DATA_DIR/test.
The suite never touches the database named in the URL: it creates its own beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from roomtime.core.db import to_async_url
from roomtime.embedded import start_postgres, start_redis

# pytest-xdist runs the suite in worker processes "gw0", "gw1", …; each gets a database, a
# Redis logical database and an embedded data directory of its own, so workers never see
# (or flush, or truncate) each other's data.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKER_INDEX = int(XDIST_WORKER.removeprefix("gw") or 0)
_WORKER_SUFFIX = f"_{XDIST_WORKER}" if XDIST_WORKER else ""
REDIS_LOGICAL_DATABASES = 16  # Redis's default `databases`

# Overridable so two suites can share one server (e.g. a developer's run beside CI's).
TEST_DB_NAME = os.environ.get("TEST_DB_NAME", "roomtime_test") + _WORKER_SUFFIX
# A logical database of its own on a shared Redis; flushed between tests.
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "12")) + _WORKER_INDEX
if TEST_REDIS_DB >= REDIS_LOGICAL_DATABASES:
    raise RuntimeError(
        f"worker {XDIST_WORKER} would use Redis database {TEST_REDIS_DB}: lower TEST_REDIS_DB "
        "or run fewer pytest-xdist workers"
    )


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str  # SQLAlchemy asyncpg URL of the suite's own database
    admin_database_url: str  # the server's maintenance database, for CREATE/DROP DATABASE
    redis_url: str


def _env(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def _with_database(url: str, name: str) -> str:
    return make_url(to_async_url(url)).set(database=name).render_as_string(hide_password=False)


def _redis_with_db(url: str, db: int) -> str:
    base = url.split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    if last.isdigit() and head.startswith("redis"):
        base = head
    return f"{base}/{db}"


async def _recreate_database(admin_url: str, name: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def fresh_database(services: ServiceUrls, name: str) -> str:
    """An empty database beside the suite's own, for tests that migrate or seed one."""
    await _recreate_database(services.admin_database_url, name)
    return _with_database(services.database_url, name)


@contextlib.contextmanager
def test_services(data_dir: Path) -> Iterator[ServiceUrls]:
    db_url = _env("TEST_DATABASE_URL", "DATABASE_URL")
    redis_url = _env("TEST_REDIS_URL", "REDIS_URL")
    with contextlib.ExitStack() as stack:
        if db_url is None:
            pg = start_postgres(data_dir / f"test{_WORKER_SUFFIX}", dbname="postgres")
            stack.callback(pg.stop)
            db_url = pg.url
        if redis_url is None:
            redis = start_redis(data_dir / f"test{_WORKER_SUFFIX}")
            stack.callback(redis.stop)
            redis_url = redis.url
        admin_url = _with_database(db_url, "postgres")
        asyncio.run(_recreate_database(admin_url, TEST_DB_NAME))
        yield ServiceUrls(
            database_url=_with_database(db_url, TEST_DB_NAME),
            admin_database_url=admin_url,
            redis_url=_redis_with_db(redis_url, TEST_REDIS_DB),
        )
