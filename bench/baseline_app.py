"""The design's limits: bare FastAPI doing only the I/O an answer cannot do without.

Served by bench/serve_baseline.py with the uvicorn options of `roomtime api`, on the same
database and Redis. No middleware, no dependencies, no ORM, no validation of stored data:

- GET /cached/resources/{id}/availability?date=  one Redis GET of the JSON bytes RoomTime
  answered for that day (the harness stores them under `bench:avail:{id}:{date}`);
- GET /db/resources/{id}/availability?date=      RoomTime's day query (bench/statements.py);
- GET /miss/resources/{id}/availability?date=    what a read-through cache's miss cannot do
  without: a Redis GET (the lookup), the day query, a Redis SET of the answer (the
  write-back); a reference beside the issue's baseline above, which has no cache;
- GET /db/resources/{id}, GET /db/resources      the same resource and listing statements;
- POST /db/bookings/hold, /db/bookings/confirm, /db/bookings/{id}/cancel: the essential
  statements of each write (a guarded slot update, the booking row, an audit row), one
  transaction each. The caller's user id comes in `X-User-Id` (no token to check).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response
from redis.asyncio import Redis

from bench import statements

DAY = timedelta(days=1)
HOLD_TTL = timedelta(seconds=300)


def _dsn() -> str:
    return os.environ["BENCH_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, default=_default), status, media_type="application/json")


def _with_hours(row: Any) -> dict[str, Any]:
    # asyncpg hands json columns over as text.
    values = dict(row)
    values["opening_hours"] = json.loads(values.pop("hours"))
    return values


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def create_app() -> FastAPI:
    day_sql = statements.day_statements()
    resource_sql = statements.resource_statements()
    listing_sql = statements.listing_statements()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(_dsn(), min_size=2, max_size=20)
        app.state.redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])
        yield
        await app.state.pool.close()
        await app.state.redis.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/cached/resources/{resource_id}/availability")
    async def cached_day(resource_id: int, date: str, request: Request) -> Response:
        body = await request.app.state.redis.get(f"bench:avail:{resource_id}:{date}")
        if body is None:
            return Response(status_code=404)
        return Response(body, media_type="application/json")

    @app.get("/db/resources/{resource_id}/availability")
    async def db_day(resource_id: int, date: str, request: Request) -> Response:
        start = datetime.fromisoformat(date).replace(tzinfo=UTC)
        async with request.app.state.pool.acquire() as conn:
            results = [
                await conn.fetch(s.sql, *statements.day_args(s, resource_id, start, start + DAY))
                for s in day_sql
            ]
        slots = [
            {"id": r[0], "starts_at": r[1], "ends_at": r[2], "seats_left": r[3]}
            for r in results[0]
            if r[0] is not None
        ]
        return _json({"resource_id": resource_id, "date": date, "timezone": "UTC", "slots": slots})

    @app.get("/miss/resources/{resource_id}/availability")
    async def missed_day(resource_id: int, date: str, request: Request) -> Response:
        redis, key = request.app.state.redis, f"bench:miss:{resource_id}:{date}"
        await redis.get(key)  # answered or not, the day is read: every request is a miss
        answer = await db_day(resource_id, date, request)
        await redis.set(key, answer.body, ex=120)
        return answer

    @app.get("/db/resources/{resource_id}")
    async def db_resource(resource_id: int, request: Request) -> Response:
        (row_sql,) = resource_sql
        async with request.app.state.pool.acquire() as conn:
            row = await conn.fetchrow(row_sql.sql, *statements.resource_args(row_sql, resource_id))
        if row is None:
            return Response(status_code=404)
        return _json(_with_hours(row))

    @app.get("/db/resources")
    async def db_listing(
        request: Request, min_capacity: int = 1, limit: int = 20, offset: int = 0
    ) -> Response:
        page_sql, count_sql = listing_sql
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch(
                page_sql.sql, *statements.listing_args(page_sql, min_capacity, limit, offset)
            )
            total = await conn.fetchval(
                count_sql.sql, *statements.listing_args(count_sql, min_capacity, limit, offset)
            )
        items = [_with_hours(r) for r in rows]
        return _json({"items": items, "total": total, "limit": limit, "offset": offset})

    _install_writes(app)
    return app


def _install_writes(app: FastAPI) -> None:
    @app.post("/db/bookings/hold")
    async def hold(request: Request) -> Response:
        body = await request.json()
        user_id = int(request.headers["x-user-id"])
        starts = datetime.fromisoformat(body["starts_at"])
        ends = datetime.fromisoformat(body["ends_at"])
        expires = datetime.now(UTC) + HOLD_TTL
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            booking_id = await conn.fetchval(
                "INSERT INTO booking (user_id, resource_id, starts_at, ends_at, status, "
                "expires_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
                user_id, body["resource_id"], starts, ends, expires,
            )  # fmt: skip
            taken = await conn.execute(
                "UPDATE time_slot SET status = 'held', booking_id = $1, hold_expires_at = $2 "
                "WHERE resource_id = $3 AND starts_at >= $4 AND starts_at < $5 "
                "AND status = 'available'",
                booking_id, expires, body["resource_id"], starts, ends,
            )  # fmt: skip
            if taken == "UPDATE 0":
                raise _ConflictError()
            await _audit(conn, user_id, "booking.held", booking_id)
        return _json(
            {"hold_id": booking_id, "booking_id": booking_id, "resource_id": body["resource_id"],
             "starts_at": starts, "ends_at": ends, "expires_at": expires},
            201,
        )  # fmt: skip

    @app.post("/db/bookings/confirm")
    async def confirm(request: Request) -> Response:
        body = await request.json()
        user_id = int(request.headers["x-user-id"])
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE booking SET status = 'confirmed', confirmed_at = now(), "
                "expires_at = NULL, idempotency_key = $3 WHERE id = $1 AND user_id = $2 "
                "AND status = 'pending' AND expires_at > now() RETURNING *",
                body["hold_id"], user_id, request.headers.get("idempotency-key"),
            )  # fmt: skip
            if row is None:
                raise _ConflictError()
            await conn.execute(
                "UPDATE time_slot SET status = 'booked', hold_expires_at = NULL "
                "WHERE booking_id = $1 AND status = 'held'",
                row["id"],
            )
            await _audit(conn, user_id, "booking.confirmed", row["id"])
        return _json(_booking(row), 201)

    @app.post("/db/bookings/{booking_id}/cancel")
    async def cancel(booking_id: int, request: Request) -> Response:
        user_id = int(request.headers["x-user-id"])
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE booking SET status = 'cancelled', cancelled_at = now() "
                "WHERE id = $1 AND user_id = $2 AND status = 'confirmed' RETURNING *",
                booking_id, user_id,
            )  # fmt: skip
            if row is None:
                raise _ConflictError()
            await conn.execute(
                "UPDATE time_slot SET status = 'available', booking_id = NULL "
                "WHERE booking_id = $1 AND starts_at > now()",
                booking_id,
            )
            await _audit(conn, user_id, "booking.cancelled", booking_id)
        return _json(_booking(row))

    @app.exception_handler(_ConflictError)
    async def conflict(_: Request, __: Exception) -> Response:
        return Response(status_code=409)


class _ConflictError(Exception):
    pass


def _booking(row: asyncpg.Record) -> dict[str, Any]:
    keys = ("id", "user_id", "resource_id", "starts_at", "ends_at", "status", "party_size",
            "created_at", "expires_at")  # fmt: skip
    return {k: row[k] for k in keys}


async def _audit(conn: asyncpg.Connection, user_id: int, action: str, booking_id: int) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor_user_id, action, entity, entity_id, meta) "
        "VALUES ($1, $2, 'booking', $3, '{}')",
        user_id, action, str(booking_id),
    )  # fmt: skip
