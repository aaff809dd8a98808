"""The --scale step: latency of an availability miss and of a hold on the same resources,
before and after the database grows to 10^6 slots and 10^5 bookings.

Growth is one INSERT ... SELECT over generate_series per table: 1,000 more resources with
three 4-hour slots a day for a year (1,095,000 slots), 100,000 of them booked (confirmed
bookings, their slots `booked`). The measured requests address the bench's read resources
only, so the only change between the two runs is the size of the tables around them. The
day statement is EXPLAINed at both sizes: it must stay an index range scan.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench import statements
from bench.setup import Seed, plain_dsn, token_for

SCALE_RESOURCES = 1000
SCALE_DAYS = 365
SCALE_BOOKINGS = 100_000
SAMPLES = 150


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    slots = await conn.fetchval("SELECT count(*) FROM time_slot")
    bookings = await conn.fetchval("SELECT count(*) FROM booking")
    return {"slots": int(slots), "bookings": int(bookings)}


async def grow(conn: asyncpg.Connection, seed: Seed) -> None:
    """Add the 10^6 slots and 10^5 bookings (see the module docstring), then ANALYZE."""
    await conn.execute("SET statement_timeout = 0")
    ids = [
        r["id"]
        for r in await conn.fetch(
            "INSERT INTO resource (name, location, capacity, description) "
            "SELECT 'Scale room ' || g, 'Scale ' || (g % 10), 1, 'scale' "
            "FROM generate_series(1, $1) g RETURNING id",
            SCALE_RESOURCES,
        )
    ]
    await conn.execute(
        "INSERT INTO time_slot (resource_id, starts_at, ends_at, capacity) "
        "SELECT r, t, t + interval '4 hours', 1 "
        "FROM unnest($1::bigint[]) r, generate_series(0, $3 - 1) d, generate_series(0, 2) k, "
        "LATERAL (SELECT ($2::date + d)::timestamp AT TIME ZONE 'UTC' "
        "+ make_interval(hours => 8 + 4 * k) AS t) s",
        ids, seed.first_day, SCALE_DAYS,
    )  # fmt: skip
    await conn.execute(
        "WITH picked AS ("
        "  SELECT resource_id, starts_at, ends_at, row_number() OVER () AS n FROM time_slot "
        "  WHERE resource_id = ANY($1::bigint[]) AND id % 10 = 0 LIMIT $2), "
        "made AS ("
        "  INSERT INTO booking (user_id, resource_id, starts_at, ends_at, status, confirmed_at) "
        "  SELECT ($3::bigint[])[1 + n % cardinality($3::bigint[])], resource_id, starts_at, "
        "  ends_at, 'confirmed', now() FROM picked RETURNING id, resource_id, starts_at) "
        "UPDATE time_slot AS s SET status = 'booked', booking_id = made.id FROM made "
        "WHERE s.resource_id = made.resource_id AND s.starts_at = made.starts_at",
        ids, SCALE_BOOKINGS, seed.user_ids,
    )  # fmt: skip
    # VACUUM too: autovacuum would otherwise start on the new rows during the measurement
    # and take a CPU from it (the bench machine has two).
    await conn.execute("VACUUM ANALYZE")


async def day_plan(conn: asyncpg.Connection, seed: Seed) -> str:
    (day_sql,) = statements.day_statements()
    start = datetime.combine(seed.first_day + timedelta(days=3), datetime.min.time(), UTC)
    args = statements.day_args(day_sql, seed.read_ids[0], start, start + timedelta(days=1))
    rows = await conn.fetch(f"EXPLAIN {day_sql.sql}", *args)
    return "\n".join(r[0] for r in rows)


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "count": len(ordered),
    }


async def latencies(base: str, redis_url: str, seed: Seed, phase: int) -> dict[str, Any]:
    """One client, one request at a time: availability misses (Redis emptied first, every
    request a new resource-day) and holds of distinct free slots. `phase` picks days no
    earlier phase used."""
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    pairs = [(r, d) for d in range(seed.days) for r in seed.read_ids][: SAMPLES + 10]
    misses: list[float] = []
    holds: list[float] = []
    refused = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for i, (rid, d) in enumerate(pairs):
            day = (seed.first_day + timedelta(days=d)).isoformat()
            began = time.perf_counter()
            answer = await http.get(f"/resources/{rid}/availability?date={day}")
            if i >= 10:  # the first few warm the connection pool and statement caches
                misses.append(time.perf_counter() - began)
            assert answer.headers.get("x-cache") == "MISS", answer.headers
        for i in range(SAMPLES + 10):
            rid = seed.read_ids[i % len(seed.read_ids)]
            rest = i // len(seed.read_ids)  # a distinct hour (08:00-20:00) and day for each
            day = seed.first_day + timedelta(days=2 + phase * 10 + rest // 12)
            midnight = datetime.combine(day, datetime.min.time(), UTC)
            starts = midnight + timedelta(hours=8 + rest % 12)
            body = {
                "resource_id": rid,
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            }
            user = seed.user_ids[(phase * 1000 + i) % len(seed.user_ids)]
            headers = {"Authorization": f"Bearer {token_for(user)}"}
            began = time.perf_counter()
            answer = await http.post("/bookings/hold", json=body, headers=headers)
            if i >= 10:
                holds.append(time.perf_counter() - began)
            refused += answer.status_code != 201
    return {"availability_miss": _ms(misses), "hold": _ms(holds), "holds_refused": refused}


async def run(base: str, redis_url: str, db_url: str, seed: Seed) -> dict[str, Any]:
    conn = await asyncpg.connect(plain_dsn(db_url))
    try:
        small = {"size": await counts(conn), "plan": await day_plan(conn, seed)}
        small.update(await latencies(base, redis_url, seed, 0))
        began = time.perf_counter()
        await grow(conn, seed)
        grown_in = round(time.perf_counter() - began, 1)
        large = {"size": await counts(conn), "plan": await day_plan(conn, seed)}
        large.update(await latencies(base, redis_url, seed, 1))
    finally:
        await conn.close()
    ratios = {
        name: round(large[name]["p50_ms"] / small[name]["p50_ms"], 2)
        for name in ("availability_miss", "hold")
    }
    # seat_hold is empty here (no shared resources): a scan of nothing is not a finding.
    index_only = all(
        f"Seq Scan on {table}" not in part["plan"]
        for part in (small, large)
        for table in ("time_slot", "booking")
    )
    return {
        "small": small,
        "large": large,
        "seed_seconds": grown_in,
        "p50_ratio_large_to_small": ratios,
        "day_query_index_scans_only": index_only,
        "met": index_only and all(r <= 1.2 for r in ratios.values()),
    }
