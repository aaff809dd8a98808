"""Query plans on 1,000 resources x 30 days of hourly slots: no sequential scan of time_slot.

Prints each plan (run with -s to see them). The data is made by one INSERT ... SELECT over
generate_series, so the whole test takes seconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Executable, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomtime.core.pagination import PageParams, Sort
from roomtime.core.prepared import Prepared
from roomtime.domains.resources import repository as resources_repository
from roomtime.domains.resources._listing import list_conditions, list_params, list_statements
from roomtime.domains.resources.schemas import ResourceListQuery
from roomtime.domains.slots import repository as slots_repository
from roomtime.domains.slots.calendar import day_bounds

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2030, 1, 7, tzinfo=UTC)
NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)

_SEED = [
    "SET LOCAL statement_timeout = 0",
    "INSERT INTO resource (name, location, capacity, description, created_at, updated_at) "
    "SELECT 'Resource ' || g, 'Site ' || (g % 40), 1 + g % 12, 'seeded', :start, :start "
    "FROM generate_series(1, 1000) AS g",
    # Every 20th slot is booked (with its booking row) and every 20th blocked.
    "INSERT INTO time_slot (resource_id, starts_at, ends_at, status, capacity) "
    "SELECT r.id, t, t + interval '1 hour', "
    "CASE (r.id + extract(hour FROM t)::int) % 20 WHEN 0 THEN 'booked' WHEN 1 THEN 'blocked' "
    "ELSE 'available' END, 1 "
    "FROM resource AS r CROSS JOIN generate_series(CAST(:start AS timestamptz), "
    "CAST(:start AS timestamptz) + interval '30 days' - interval '1 hour', interval '1 hour') AS t",
    "INSERT INTO user_account (email, password_hash) VALUES ('bench@example.com', 'x')",
    "INSERT INTO booking (user_id, resource_id, starts_at, ends_at, status) "
    "SELECT (SELECT id FROM user_account), resource_id, starts_at, ends_at, 'confirmed' "
    "FROM time_slot WHERE status = 'booked'",
    # Without statistics the planner may join 720,000 slots to the bookings by a nested
    # loop over the whole booking table (seen taking minutes); with them, a hash join.
    "ANALYZE time_slot, booking",
    "UPDATE time_slot AS s SET booking_id = b.id FROM booking AS b "
    "WHERE b.resource_id = s.resource_id AND b.starts_at = s.starts_at",
]


async def _seed(conn: AsyncConnection) -> None:
    for sql in _SEED:
        await conn.execute(text(sql), {"start": START})
    await conn.commit()
    await conn.execute(text("ANALYZE"))


async def _plan(conn: AsyncConnection, title: str, stmt: Executable) -> str:
    sql = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    rows = await conn.exec_driver_sql(f"EXPLAIN {sql}")
    plan = "\n".join(rows.scalars())
    print(f"\n--- {title}\n{sql}\n{plan}")
    return plan


async def _run_plan(conn: AsyncConnection, title: str, stmt: Prepared, params: Any) -> str:
    """The plan of the SQL as it runs (core.prepared), with its parameters."""
    rows = await conn.exec_driver_sql(f"EXPLAIN {stmt.sql}", tuple(stmt.compiled.args(params)))
    plan = "\n".join(rows.scalars())
    print(f"\n--- {title} (as run)\n{stmt.sql}\n{plan}")
    return plan


async def test_availability_and_filtered_list_use_indexes(
    engine: AsyncEngine, clean_db: None
) -> None:
    async with engine.connect() as conn:
        await _seed(conn)
        assert await conn.scalar(text("SELECT count(*) FROM time_slot")) == 720_000
        resource_id = await conn.scalar(text("SELECT id FROM resource WHERE name = 'Resource 500'"))
        start, end = day_bounds(date(2030, 1, 8), ZoneInfo("UTC"))
        query = ResourceListQuery(
            q="resource",
            location="site 7",
            min_capacity=4,
            available_from=datetime(2030, 1, 8, 10, tzinfo=UTC),
            available_to=datetime(2030, 1, 8, 13, tzinfo=UTC),
        )
        page, count = resources_repository.list_statements(
            list_conditions(query, NOW), Sort("name"), 20, 0
        )
        range_only = ResourceListQuery(
            available_from=datetime(2030, 1, 8, 10, tzinfo=UTC),
            available_to=datetime(2030, 1, 8, 13, tzinfo=UTC),
        )
        range_page, _ = resources_repository.list_statements(
            list_conditions(range_only, NOW), Sort("name"), 20, 0
        )
        plans = {
            "availability of a day": await _plan(
                conn,
                "availability of a day",
                slots_repository.available_in_day_query(resource_id, start, end, NOW),
            ),
            "live holds of a day": await _plan(
                conn,
                "live holds of a day",
                slots_repository.earliest_live_hold_query(resource_id, start, end, NOW),
            ),
            "list with every filter": await _plan(conn, "list with every filter", page),
            "count with every filter": await _plan(conn, "count with every filter", count),
            "list by availability only": await _plan(conn, "list by availability only", range_page),
        }
        day = {"resource_id": resource_id, "start": start, "end": end, "now": NOW}
        as_run, as_run_count = list_statements(query, Sort("name"))
        listed = list_params(query, NOW, PageParams())
        plans |= {
            "day as run": await _run_plan(conn, "day", slots_repository.AVAILABLE_DAY, day),
            "list as run": await _run_plan(conn, "list", as_run, listed),
            "count as run": await _run_plan(conn, "count", as_run_count, listed),
        }
        found = await conn.execute(page)
        assert found.all(), "the filters should match some seeded resources"
    for title, plan in plans.items():
        assert "Seq Scan on time_slot" not in plan, title
        assert "uq_time_slot" in plan, title
        # Hold expiry is the slots domain's own (time_slot.hold_expires_at and seat_hold):
        # availability never reads the bookings domain's table.
        assert " on booking" not in plan, title
