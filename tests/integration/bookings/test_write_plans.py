"""Query plans of the write path on 1,000 resources x 30 days of hourly slots (720,000) and
36,000 bookings: every statement of hold, confirm and cancel is an index scan.

The statements are the real ones: the repository functions run in a transaction that is
rolled back while their SQL and parameters are recorded, then each is EXPLAINed with its
own parameters. Prints each plan (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asyncpg.connection import LoggedQuery
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from roomtime.domains.bookings import repository as bookings_repository
from roomtime.domains.resources import service as resources_service
from roomtime.domains.slots import _claims_repository as claims_repository
from tests.integration.availability.test_query_plans import NOW, _seed

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Recorded = list[tuple[str, Any]]


@asynccontextmanager
async def _recording(session: AsyncSession) -> AsyncIterator[Recorded]:
    """What the session's connection is sent: the statements SQLAlchemy executes (its
    cursor events) and those the repositories run raw on the same connection
    (core.prepared; the driver's query log)."""
    seen: Recorded = []

    def through_sqlalchemy(*args: Any) -> None:
        _conn, _cursor, statement, params, _context, _many = args
        seen.append((statement, params))

    def raw(query: LoggedQuery) -> None:
        if query.args:  # not the transaction's BEGIN, which the driver logs too
            seen.append((query.query, tuple(query.args)))

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    event.listen(engine, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(raw)
    try:
        yield seen
        await asyncio.sleep(0)  # the driver calls its loggers soon after each query, not in it
    finally:
        driver.remove_query_logger(raw)
        event.remove(engine, "before_cursor_execute", through_sqlalchemy)


async def _plan(conn: AsyncConnection, title: str, statement: str, params: Any) -> str:
    rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", params)
    plan = "\n".join(rows.scalars())
    print(f"\n--- {title}\n{statement}\n{plan}")
    return plan


async def _write_statements(engine: AsyncEngine, ids: dict[str, int]) -> dict[str, tuple[str, Any]]:
    """Run each write-path statement once (rolled back) and keep what it sent."""
    start = datetime(2030, 1, 8, 10, tzinfo=UTC)
    end = start + timedelta(hours=2)
    resource, booking, user = ids["resource"], ids["booking"], ids["user"]
    calls = {
        "read the resource and the range's slots": lambda s: resources_service.get_facts_and_spans(
            s, resource, start, end
        ),
        "lock the booking": lambda s: bookings_repository.get_for_update(
            s, booking, owner_id=user, bounded=True
        ),
        "count live holds, expire overdue ones": lambda s: (
            bookings_repository.count_live_holds_expiring_overdue(
                s, user, resource, start, end, NOW
            )
        ),
        "expire overlapping holds": lambda s: bookings_repository.expire_overlapping(
            s, resource, start, end, NOW
        ),
        "hold the slots": lambda s: claims_repository.hold_exclusive(
            s, resource, start, end, booking, NOW + timedelta(minutes=5)
        ),
        "book the held slots": lambda s: claims_repository.book_held(
            s, booking, resource, start, end
        ),
        "free the slots": lambda s: claims_repository.release_exclusive(s, booking, not_before=NOW),
    }
    found: dict[str, tuple[str, Any]] = {}
    async with AsyncSession(engine) as session:
        for title, call in calls.items():
            async with _recording(session) as seen:
                await call(session)
            found[title] = seen[-1]
        await session.rollback()
    return found


async def test_write_path_statements_use_indexes(engine: AsyncEngine, clean_db: None) -> None:
    async with engine.connect() as conn:
        await _seed(conn)
        row = (
            await conn.execute(
                text(
                    "SELECT b.id, b.user_id, b.resource_id FROM booking AS b "
                    "JOIN resource AS r ON r.id = b.resource_id "
                    "WHERE r.name = 'Resource 500' ORDER BY b.starts_at LIMIT 1"
                )
            )
        ).one()
    ids = {"booking": row[0], "user": row[1], "resource": row[2]}
    statements = await _write_statements(engine, ids)
    async with engine.connect() as conn:
        plans = {
            title: await _plan(conn, title, sql, params)
            for title, (sql, params) in statements.items()
        }
    for title, plan in plans.items():
        assert "Seq Scan" not in plan, title
    # By id and owner: the primary key or the owner's index, whichever the statistics favour.
    assert re.search(
        r"Index Scan using (pk_booking|ix_booking_user_id\w*) on booking", plans["lock the booking"]
    )
    assert "ix_booking_user_pending_expires_at" in plans["count live holds, expire overdue ones"]
    assert "uq_time_slot_resource_id_starts_at" in plans["hold the slots"]
    assert "uq_time_slot_resource_id_starts_at" in plans["read the resource and the range's slots"]
    assert "ix_time_slot_booking_id" in plans["book the held slots"]
    assert "uq_time_slot_resource_id_starts_at" in plans["book the held slots"]
    assert "ix_time_slot_booking_id" in plans["free the slots"]
