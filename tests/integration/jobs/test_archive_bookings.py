"""archive-bookings: ended confirmed bookings are archived (audited), and the daily
utilisation summary gets the right numbers; a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.reports.tasks import archive_bookings_job
from tests.factories import rows
from tests.factories.resources import make_resource
from tests.integration.jobs.conftest import scalar

SATURDAY = datetime(2030, 1, 5, tzinfo=UTC)
SUNDAY = SATURDAY + timedelta(days=1)


async def known_week(session: AsyncSession) -> tuple[int, int]:
    """A room and a 4-seat hall, open 08:00–20:00 UTC from Saturday, with Sunday bookings."""
    opened = FrozenClock(SATURDAY)
    room = (await make_resource(session, opened, horizon_days=3)).id
    hall = (await make_resource(session, opened, horizon_days=3, booking_mode="shared")).id
    user = (await rows.user(session)).id
    for hour, minutes, status in (
        (10, 120, "confirmed"),
        (14, 60, "confirmed"),
        (16, 60, "cancelled"),
    ):
        await rows.booking(
            session,
            user_id=user,
            resource_id=room,
            starts_at=SUNDAY.replace(hour=hour),
            minutes=minutes,
            status=status,
        )
    await rows.booking(
        session,
        user_id=user,
        resource_id=hall,
        starts_at=SUNDAY.replace(hour=10),
        party_size=2,
        is_exclusive=False,
    )
    # Monday 10:00 has not ended at the test's 09:00: it stays confirmed.
    await rows.booking(
        session,
        user_id=user,
        resource_id=room,
        starts_at=SUNDAY.replace(hour=10) + timedelta(days=1),
    )
    await session.commit()
    return room, hall


async def _summary(session: AsyncSession) -> list[tuple[Any, ...]]:
    result = await session.execute(
        text(
            "SELECT resource_id, local_date, bookings, booked_minutes, open_minutes, "
            "utilization_pct FROM resource_utilization_daily ORDER BY resource_id, local_date"
        )
    )
    found = [tuple(row) for row in result]
    await session.commit()
    return found


async def test_archive_and_summarise(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    room, hall = await known_week(session)

    report = await archive_bookings_job(ctx)

    assert report == {"archived": 3, "days_computed": 4, "rows_written": 4}
    statuses = "SELECT status, count(*) FROM booking GROUP BY status ORDER BY status"
    counted = dict((await session.execute(text(statuses))).all())
    assert counted == {"archived": 3, "cancelled": 1, "confirmed": 1}
    audited = "SELECT count(*) FROM audit_log WHERE action = 'booking.archived'"
    assert await scalar(session, audited) == 3
    saturday, sunday = SATURDAY.date(), SUNDAY.date()
    assert await _summary(session) == [
        (room, saturday, 0, 0, 720, Decimal("0.00")),
        (room, sunday, 2, 180, 720, Decimal("25.00")),  # 3 of 12 open hours
        (hall, saturday, 0, 0, 2880, Decimal("0.00")),
        (hall, sunday, 1, 120, 2880, Decimal("4.17")),  # 2 seats for 1 hour of 4 × 12
    ]

    again = await archive_bookings_job(ctx)
    assert again == {"archived": 0, "days_computed": 4, "rows_written": 0}
    assert await scalar(session, audited) == 3


async def test_a_later_change_is_picked_up(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    room, _ = await known_week(session)
    await archive_bookings_job(ctx)
    await session.execute(
        text("UPDATE time_slot SET status = 'blocked' WHERE resource_id = :r AND starts_at = :t"),
        {"r": room, "t": SUNDAY.replace(hour=19)},
    )
    await session.commit()

    assert (await archive_bookings_job(ctx))["rows_written"] == 1
    sunday = [row for row in await _summary(session) if row[:2] == (room, SUNDAY.date())]
    assert sunday == [(room, SUNDAY.date(), 2, 180, 660, Decimal("27.27"))]
