"""Throughput and latency of the booking path, as ratios to a baseline of the same run.

    .venv/bin/python bench/booking_throughput.py [--requests 400] [--concurrency 20]

Starts one `roomtime api` process on a fresh database (the servers named by DATABASE_URL /
REDIS_URL, or embedded ones under DATA_DIR/bench), then measures, each with the same number
of requests and the same concurrency:

- baseline: GET /health/live (the framework, middleware and network, no I/O);
- availability: GET /resources/{id}/availability (cache hits after the first);
- hold + confirm: two POSTs on distinct slots (the full write path with its locks).

The machine is shared and noisy, so absolute numbers mean little: the ratios to the
baseline measured moments before are what to compare between commits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from roomtime import migrate  # noqa: E402
from roomtime.core.clock import utcnow  # noqa: E402
from roomtime.domains.auth import tokens  # noqa: E402
from roomtime.embedded import start_postgres, start_redis  # noqa: E402
from tests.support.processes import free_port, stop, wait_for_http  # noqa: E402

SECRET = "bench-secret-" + "x" * 40
DB = "roomtime_bench"


async def _prepare(url: str, slots: int) -> tuple[int, str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rid = await conn.fetchval(
            "INSERT INTO resource (name, location, capacity, max_hold_slots) "
            "VALUES ('Bench room', 'Lab', 1, 8) RETURNING id"
        )
        start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        await conn.executemany(
            "INSERT INTO time_slot (resource_id, starts_at, ends_at) VALUES ($1, $2, $3)",
            [
                (rid, start + timedelta(minutes=5 * i), start + timedelta(minutes=5 * i + 5))
                for i in range(slots)
            ],
        )
        uid = await conn.fetchval(
            "INSERT INTO user_account (email, password_hash) VALUES ('bench@example.com', 'x') "
            "RETURNING id"
        )
    finally:
        await conn.close()
    config = tokens.JwtConfig(SECRET, "roomtime", "roomtime-api", 3600)
    return rid, tokens.issue_access_token(config, user_id=uid, role="user", now=utcnow())


async def _create_db(url: str) -> str:
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()
    return make_url(url).set(database=DB).render_as_string(hide_password=False)


async def _measure(
    name: str, n: int, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]]
) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal failures
        async with gate:
            started = time.perf_counter()
            response = await call(i)
            latencies.append(time.perf_counter() - started)
            failures += response.status_code >= 400

    started = time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(n)])
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "name": name,  # type: ignore[dict-item]
        "rps": n / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "failures": failures,
    }


async def _run(base: str, rid: int, token: str, n: int, concurrency: int) -> list[dict[str, float]]:
    auth = {"Authorization": f"Bearer {token}"}
    day = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    first = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await client.get(f"/resources/{rid}/availability", params={"date": day})  # warm up

        async def hold_confirm(i: int) -> httpx.Response:
            s = first + timedelta(minutes=5 * i)
            body = {
                "resource_id": rid,
                "starts_at": s.isoformat(),
                "ends_at": (s + timedelta(minutes=5)).isoformat(),
            }
            held = await client.post("/bookings/hold", json=body, headers=auth)
            if held.status_code != 201:
                return held
            return await client.post(
                "/bookings/confirm", json={"hold_id": held.json()["hold_id"]}, headers=auth
            )

        return [
            await _measure(
                "baseline GET /health/live", n, concurrency, lambda _: client.get("/health/live")
            ),
            await _measure(
                "GET availability (cached)",
                n,
                concurrency,
                lambda _: client.get(f"/resources/{rid}/availability", params={"date": day}),
            ),
            await _measure("POST hold + POST confirm", n, concurrency, hold_confirm),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with ExitStack() as stack:
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
        url = asyncio.run(_create_db(db_url))
        migrate.upgrade(url)
        rid, token = asyncio.run(_prepare(url, args.requests))
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "JWT_SECRET": SECRET,
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            # One user books everything here: the per-user limits would measure refusals.
            "CONFIRM_RATE_LIMIT": "100000/minute",
            "HOLD_RATE_LIMIT": "100000/minute",
            "MAX_LIVE_HOLDS_PER_USER": "1000",
            "DATA_DIR": tempfile.mkdtemp(prefix="rt-bench-"),
            "DB_POOL_SIZE": "20",
            "NOTIFICATIONS_IMMEDIATE": "false",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "roomtime", "api", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop, proc)
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/health/live", proc)
        results = asyncio.run(_run(base, rid, token, args.requests, args.concurrency))
    baseline = results[0]
    print(
        f"{'scenario':<30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'rps/base':>10}"
        f"{'p50/base':>10}{'fail':>6}"
    )
    for r in results:
        print(
            f"{r['name']:<30}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            f"{r['rps'] / baseline['rps']:>10.2f}{r['p50_ms'] / baseline['p50_ms']:>10.2f}"
            f"{int(r['failures']):>6}"
        )


if __name__ == "__main__":
    main()
