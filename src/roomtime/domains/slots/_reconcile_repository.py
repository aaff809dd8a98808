"""SQL of the reconcile repair: read the future slot rows, write compare-and-set repairs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots.constants import SLOT_BOOKED, SLOT_HELD
from roomtime.domains.slots.models import TimeSlot
from roomtime.domains.slots.schemas import SlotClaim

_COLUMNS = (
    TimeSlot.id,
    TimeSlot.resource_id,
    TimeSlot.starts_at,
    TimeSlot.status,
    TimeSlot.booking_id,
    TimeSlot.seats_taken,
    TimeSlot.capacity,
)
# Ranges per statement: keeps each OR list short enough for the planner to use the index.
_CHUNK = 200


async def future_rows(
    session: AsyncSession, now: datetime, claims: Sequence[SlotClaim]
) -> list[Row[tuple[int, int, datetime, str, int | None, int, int]]]:
    """The future slots that say they are taken (held, booked, linked, seats counted) and
    every future slot inside one of the claims' ranges, by id."""
    taken = or_(
        TimeSlot.status.in_((SLOT_HELD, SLOT_BOOKED)),
        TimeSlot.booking_id.is_not(None),
        TimeSlot.seats_taken > 0,
    )
    found = {}
    stmt = select(*_COLUMNS).where(TimeSlot.starts_at >= now, taken)
    for row in (await session.execute(stmt)).all():
        found[row.id] = row
    for offset in range(0, len(claims), _CHUNK):
        inside = [
            and_(
                TimeSlot.resource_id == c.resource_id,
                TimeSlot.starts_at >= max(c.starts_at, now),
                TimeSlot.starts_at < c.ends_at,
            )
            for c in claims[offset : offset + _CHUNK]
        ]
        for row in (await session.execute(select(*_COLUMNS).where(or_(*inside)))).all():
            found[row.id] = row
    return [found[key] for key in sorted(found)]


async def set_link_if(
    session: AsyncSession,
    slot_id: int,
    seen: tuple[str, int | None],
    want: tuple[str, int | None],
) -> bool:
    """Set status and booking link only if the slot still has the state read before."""
    stmt = (
        update(TimeSlot)
        .where(
            TimeSlot.id == slot_id,
            TimeSlot.status == seen[0],
            TimeSlot.booking_id.is_not_distinct_from(seen[1]),
        )
        .values(status=want[0], booking_id=want[1])
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def set_seats_if(session: AsyncSession, slot_id: int, seen: int, want: int) -> bool:
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.id == slot_id, TimeSlot.seats_taken == seen)
        .values(seats_taken=want)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]
