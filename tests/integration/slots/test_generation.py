"""Slot generation on PostgreSQL: the horizon, daylight-saving days, and storage in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.slots.calendar import day_bounds
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = date(2030, 3, 31)  # clocks go 02:00 -> 03:00
AUTUMN = date(2030, 10, 27)  # clocks go 03:00 -> 02:00


async def _starts_of_day(session: AsyncSession, resource_id: int, day: date) -> list[datetime]:
    start, end = day_bounds(day, BERLIN)
    result = await session.execute(
        text(
            "SELECT starts_at FROM time_slot WHERE resource_id = :r "
            "AND starts_at >= :s AND starts_at < :e ORDER BY starts_at"
        ),
        {"r": resource_id, "s": start, "e": end},
    )
    return list(result.scalars())


@pytest.mark.parametrize(
    ("created", "day", "expected"),
    [
        (datetime(2030, 3, 25, 12, tzinfo=UTC), SPRING, 23),
        (datetime(2030, 3, 25, 12, tzinfo=UTC), SPRING - timedelta(days=1), 24),
        (datetime(2030, 10, 21, 12, tzinfo=UTC), AUTUMN, 25),
    ],
)
async def test_round_the_clock_berlin_resource_on_dst_days(
    session: AsyncSession, created: datetime, day: date, expected: int
) -> None:
    resource = await make_resource(
        session,
        FrozenClock(created),
        timezone="Europe/Berlin",
        opening_hours=every_day("00:00", "24:00"),
        horizon_days=10,
    )
    starts = await _starts_of_day(session, resource.id, day)
    assert len(starts) == expected
    assert all(s.utcoffset() == timedelta(0) for s in starts)
    assert [s.astimezone(BERLIN).date() for s in starts] == [day] * expected


async def test_slots_are_stored_as_utc_instants(session: AsyncSession) -> None:
    resource = await make_resource(
        session,
        FrozenClock(datetime(2030, 3, 25, 12, tzinfo=UTC)),
        timezone="Europe/Berlin",
        opening_hours=every_day("00:00", "24:00"),
        horizon_days=10,
    )
    # Read back as text in UTC, independent of the session's time zone and of the driver.
    rows = await session.execute(
        text(
            "SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
            "FROM time_slot WHERE resource_id = :r AND starts_at >= :s AND starts_at < :e "
            "ORDER BY starts_at"
        ),
        {
            "r": resource.id,
            "s": datetime(2030, 3, 30, 23, tzinfo=UTC),
            "e": datetime(2030, 3, 31, 4, tzinfo=UTC),
        },
    )
    # Local 00:00 and 01:00 are CET (UTC+1); after 02:00 -> 03:00 local hours are CEST (UTC+2).
    assert list(rows.scalars()) == [
        "2030-03-30 23:00",
        "2030-03-31 00:00",
        "2030-03-31 01:00",
        "2030-03-31 02:00",
        "2030-03-31 03:00",
    ]
    local = [
        s.astimezone(BERLIN).strftime("%H:%M")
        for s in (await _starts_of_day(session, resource.id, SPRING))[:4]
    ]
    assert local == ["00:00", "01:00", "03:00", "04:00"]


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
async def test_office_hours_keep_their_wall_clock_on_dst_days(
    session: AsyncSession, day: date
) -> None:
    resource = await make_resource(
        session,
        FrozenClock(datetime.combine(day - timedelta(days=3), datetime.min.time(), UTC)),
        timezone="Europe/Berlin",
        opening_hours=every_day("08:00", "20:00"),
        horizon_days=7,
    )
    starts = await _starts_of_day(session, resource.id, day)
    assert [s.astimezone(BERLIN).hour for s in starts] == list(range(8, 20))


async def test_creation_fills_the_configured_horizon(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock, horizon_days=12, slot_minutes=120)
    days, per_day = (
        await session.execute(
            text(
                "SELECT count(DISTINCT (starts_at AT TIME ZONE 'UTC')::date), count(*) / "
                "count(DISTINCT (starts_at AT TIME ZONE 'UTC')::date) FROM time_slot WHERE resource_id = :r"
            ),
            {"r": resource.id},
        )
    ).one()
    assert days == 12
    assert per_day == 6  # 08:00-20:00 in two-hour slots
