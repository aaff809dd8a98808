"""Resources created through the service (with their slots), and holds/bookings on slots."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.core.redis.cache import Cache
from roomtime.domains.bookings.models import Booking
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.models import Resource
from roomtime.domains.resources.schemas import OpeningHoursItem, ResourceCreate
from tests.factories import rows

_names = itertools.count(1)


def every_day(opens: str, closes: str) -> list[OpeningHoursItem]:
    return [OpeningHoursItem(weekday=d, opens=opens, closes=closes) for d in range(7)]


async def make_resource(
    session: AsyncSession,
    clock: Clock,
    *,
    horizon_days: int = 30,
    cache: Cache | None = None,
    **fields: Any,
) -> Resource:
    values: dict[str, Any] = {"name": f"Room {next(_names)}", "location": "HQ", "capacity": 4}
    values.update(fields)
    return await resources_service.create_resource(
        session,
        ResourceCreate(**values),
        actor_user_id=None,
        now=clock(),
        default_hold_ttl=300,
        horizon_days=horizon_days,
        cache=cache,
    )


async def occupy(
    session: AsyncSession,
    *,
    user_id: int,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    status: str = "confirmed",
    expires_at: datetime | None = None,
) -> Booking:
    """A booking over [starts_at, ends_at) whose slots are marked held (pending) or booked."""
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    booking = await rows.booking(
        session,
        user_id=user_id,
        resource_id=resource_id,
        starts_at=starts_at,
        minutes=minutes,
        status=status,
        expires_at=expires_at or starts_at,
    )
    await session.execute(
        text(
            "UPDATE time_slot SET status = :status, booking_id = :booking, "
            "hold_expires_at = :expires WHERE resource_id = :resource AND starts_at >= :start AND starts_at < :end"
        ),
        {
            "status": "held" if status == "pending" else "booked",
            "booking": booking.id,
            "expires": booking.expires_at if status == "pending" else None,
            "resource": resource_id,
            "start": starts_at,
            "end": ends_at,
        },
    )
    await session.commit()
    return booking


async def slot_statuses(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> dict[datetime, str]:
    result = await session.execute(
        text(
            "SELECT starts_at, status FROM time_slot WHERE resource_id = :r "
            "AND starts_at >= :s AND starts_at < :e ORDER BY starts_at"
        ),
        {"r": resource_id, "s": start, "e": end},
    )
    return {row.starts_at: row.status for row in result}
