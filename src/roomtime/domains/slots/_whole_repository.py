"""SQL for resources whose calendar is one slot covering a whole span (an event's seats).

Such a slot may be longer than the one day the range queries of `repository` assume: every
statement here addresses the resource's slots by `resource_id` alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots.constants import SLOT_AVAILABLE, SLOT_BLOCKED
from roomtime.domains.slots.models import TimeSlot


async def add(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, capacity: int
) -> int:
    slot = TimeSlot(
        resource_id=resource_id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        status=SLOT_AVAILABLE,
    )
    session.add(slot)
    await session.flush()
    return slot.id


async def resize(session: AsyncSession, resource_id: int, capacity: int) -> tuple[int, int]:
    """Set the capacity of the resource's slots where no more seats are taken than that:
    (slots resized, slots in all). The row locks make it wait for seat-takers in flight."""
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.resource_id == resource_id, TimeSlot.seats_taken <= capacity)
        .values(capacity=capacity)
    )
    resized = (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]
    return resized, await _count(session, resource_id)


async def move(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime
) -> int:
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.resource_id == resource_id)
        .values(starts_at=starts_at, ends_at=ends_at)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def close(session: AsyncSession, resource_id: int) -> int:
    """Block the resource's slots, seats taken or not: nothing can be held there any more."""
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.resource_id == resource_id)
        .values(status=SLOT_BLOCKED, booking_id=None)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def _count(session: AsyncSession, resource_id: int) -> int:
    stmt = select(func.count()).select_from(TimeSlot).where(TimeSlot.resource_id == resource_id)
    return int(await session.scalar(stmt) or 0)


async def seats_taken(session: AsyncSession, resource_id: int) -> int:
    stmt = select(func.coalesce(func.sum(TimeSlot.seats_taken), 0)).where(
        TimeSlot.resource_id == resource_id
    )
    return int(await session.scalar(stmt) or 0)
