"""Servers, a fresh database, seed data and the two HTTP servers the bench compares."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from roomtime import migrate
from roomtime.core.clock import utcnow
from roomtime.core.db import to_async_url
from roomtime.domains.auth import tokens
from roomtime.embedded import start_postgres, start_redis
from tests.support.processes import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".bench"
SECRET = "bench-secret-" + "x" * 40
WRITE_SLOT_MINUTES = 5


@dataclass(frozen=True)
class Services:
    server_url: str  # the PostgreSQL server (any database on it)
    redis_base: str  # the Redis server, without a database number


def services(stack: ExitStack) -> Services:
    """The servers named by DATABASE_URL / REDIS_URL, or embedded ones under DATA_DIR/bench."""
    db_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    data = Path(os.environ.get("DATA_DIR", ROOT / ".data")) / "bench"
    if not db_url:
        pg = start_postgres(data, dbname="postgres")
        stack.callback(pg.stop)
        db_url = pg.url
    if not redis_url:
        rd = start_redis(data)
        stack.callback(rd.stop)
        redis_url = rd.url
    base = redis_url.split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    return Services(to_async_url(db_url), head if last.isdigit() else base)


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create `name` beside the configured database, migrated; its SQLAlchemy URL."""
    conn = await asyncpg.connect(plain_dsn(make_url(server_url).set(database="postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    return url


async def flush_redis(url: str) -> None:
    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


@dataclass
class Seed:
    first_day: date
    read_ids: list[int]  # hourly slots 08:00-20:00 UTC for `days` days
    days: int
    write_ids: dict[str, list[int]]  # per side: 5-minute slots, all day
    write_days: int
    user_ids: list[int] = field(default_factory=list)

    def write_slot(self, side: str, i: int) -> tuple[int, datetime, datetime]:
        """The i-th free slot of a side's write resources (distinct for every i)."""
        ids = self.write_ids[side]
        per_day = 24 * 60 // WRITE_SLOT_MINUTES
        per_resource = per_day * self.write_days
        rid = ids[(i // per_resource) % len(ids)]
        k = i % per_resource
        day = datetime.combine(self.first_day, datetime.min.time(), UTC)
        starts = day + timedelta(minutes=WRITE_SLOT_MINUTES * k)
        return rid, starts, starts + timedelta(minutes=WRITE_SLOT_MINUTES)


async def _resources(conn: asyncpg.Connection, n: int, label: str) -> list[int]:
    rows = await conn.fetch(
        "INSERT INTO resource (name, location, capacity, max_hold_slots, description) "
        "SELECT $2 || ' ' || g, 'Lab ' || (g % 10), 1 + g % 8, 8, 'Bench resource' "
        "FROM generate_series(1, $1) g RETURNING id",
        n,
        label,
    )
    ids = [r["id"] for r in rows]
    await conn.execute(
        "INSERT INTO resource_opening_hours (resource_id, weekday, opens_minute, closes_minute) "
        "SELECT r, w, 0, 1440 FROM unnest($1::bigint[]) r, generate_series(0, 6) w",
        ids,
    )
    return ids


async def add_slots(
    conn: asyncpg.Connection, ids: list[int], first: date, days: int, hours: range, minutes: int
) -> None:
    """Slots of `minutes` from each hour in `hours`, every day, in one INSERT ... SELECT."""
    await conn.execute(
        "INSERT INTO time_slot (resource_id, starts_at, ends_at, capacity) "
        "SELECT r, t, t + make_interval(mins => $6), 1 "
        "FROM unnest($1::bigint[]) r, generate_series(0, $3 - 1) d, "
        "generate_series($4 * 60, $5 * 60 - 1, $6) m, "
        "LATERAL (SELECT ($2::date + d)::timestamp AT TIME ZONE 'UTC' "
        "+ make_interval(mins => m) AS t) s",
        ids, first, days, hours.start, hours.stop, minutes,
    )  # fmt: skip


async def add_users(conn: asyncpg.Connection, n: int, offset: int = 0) -> list[int]:
    rows = await conn.fetch(
        "INSERT INTO user_account (email, password_hash) "
        "SELECT 'bench' || g || '@example.com', 'x' FROM generate_series($2 + 1, $2 + $1) g "
        "RETURNING id",
        n,
        offset,
    )
    return [r["id"] for r in rows]


async def seed(url: str, *, resources: int, days: int, users: int, write_days: int) -> Seed:
    first = (datetime.now(UTC) + timedelta(days=1)).date()
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        read_ids = await _resources(conn, resources, "Bench room")
        await add_slots(conn, read_ids, first, days, range(8, 20), 60)
        write_ids = {side: await _resources(conn, 2, f"Write {side}") for side in ("app", "base")}
        all_write = [i for ids in write_ids.values() for i in ids]
        await add_slots(conn, all_write, first, write_days, range(0, 24), WRITE_SLOT_MINUTES)
        user_ids = await add_users(conn, users)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return Seed(first, read_ids, days, write_ids, write_days, user_ids)


def token_for(user_id: int) -> str:
    config = tokens.JwtConfig(SECRET, "roomtime", "roomtime-api", 3600)
    return tokens.issue_access_token(config, user_id=user_id, role="user", now=utcnow())


@dataclass(frozen=True)
class Server:
    name: str
    base: str  # http://127.0.0.1:port
    prefix: str  # path prefix of its routes ("" for RoomTime)
    proc: subprocess.Popen[bytes]


def app_env(url: str, redis_url: str, app_src: str | None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "JWT_SECRET": SECRET,
        "ENVIRONMENT": "test",
        # Logs stay on, at the production level, written to a file as a collector would read.
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "DATA_DIR": str(OUT / "data"),
        "NOTIFICATIONS_IMMEDIATE": "false",
        "AVAILABILITY_CACHE_TTL_SECONDS": "120",
        "BENCH_DATABASE_URL": url,
        "BENCH_REDIS_URL": redis_url,
        # The baseline compiles this checkout's statements (bench/statements.py): it imports
        # this checkout's roomtime, whichever tree the virtualenv has installed.
        "PYTHONPATH": os.pathsep.join(p for p in (app_src, str(ROOT / "src"), str(ROOT)) if p),
    }


@contextmanager
def serve(name: str, command: list[str], env: dict[str, str], prefix: str = "") -> Iterator[Server]:
    port = free_port()
    OUT.mkdir(exist_ok=True)
    with (OUT / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/docs" if prefix else f"{base}/health/live", proc, timeout=120)
            yield Server(name, base, prefix, proc)
        finally:
            stop(proc)


def roomtime_command(workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "roomtime",
        "api",
        "--host",
        "127.0.0.1",
        "--workers",
        str(workers),
    ]


def baseline_command(workers: int = 1) -> list[str]:
    script = str(ROOT / "bench" / "serve_baseline.py")
    return [sys.executable, script, "--workers", str(workers)]
