"""Resources whose calendar is one slot covering a whole span (an event's seats), reached
through slots.service. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots import _whole_repository as repository


async def add_whole_span(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, capacity: int
) -> int:
    """Create the one slot of [starts_at, ends_at) with `capacity` seats; returns its id."""
    return await repository.add(session, resource_id, starts_at, ends_at, capacity)


async def resize_whole_span(session: AsyncSession, resource_id: int, capacity: int) -> bool:
    """Give the resource's slots `capacity` seats; False (nothing changed) where more seats
    than that are taken. The CHECK on seats_taken <= capacity backs this up."""
    resized, total = await repository.resize(session, resource_id, capacity)
    return resized == total


async def move_whole_span(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime
) -> int:
    """Move the resource's slot to [starts_at, ends_at); locks it until the transaction ends."""
    return await repository.move(session, resource_id, starts_at, ends_at)


async def close_whole_span(session: AsyncSession, resource_id: int) -> int:
    """Block the resource's slots, locking them: seat-takers in flight finish first, later
    ones find nothing to take."""
    return await repository.close(session, resource_id)


async def seats_taken_in_span(session: AsyncSession, resource_id: int) -> int:
    return await repository.seats_taken(session, resource_id)
