"""SQL of the background sweeps over bookings: expiry of run-out holds, archiving of ended
bookings, reminders and reconciliation. Each batch skips rows other transactions hold, so
two sweepers (or a sweeper and a request) never fight over the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from roomtime.domains.bookings.constants import (
    ACTIVE_STATUSES,
    ARCHIVED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.models import Booking


async def _move_due(
    session: AsyncSession,
    status: str,
    due_at: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    target: str,
    now: datetime,
    limit: int,
) -> Sequence[Booking]:
    """Move up to `limit` bookings in `status` whose `due_at` has passed to `target`,
    earliest first, skipping locked rows; the moved bookings."""
    due = (
        select(Booking.id)
        .where(Booking.status == status, due_at <= now)
        .order_by(due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Booking)
        .where(Booking.id.in_(due.scalar_subquery()))
        .values(status=target)
        .returning(Booking)
    )
    return (await session.execute(stmt)).scalars().all()


async def expire_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Booking]:
    """Expire up to `limit` pending bookings past their expiry."""
    return await _move_due(session, PENDING, Booking.expires_at, EXPIRED, now, limit)


async def archive_ended(session: AsyncSession, now: datetime, limit: int) -> Sequence[Booking]:
    """Archive up to `limit` confirmed bookings that have ended."""
    return await _move_due(session, CONFIRMED, Booking.ends_at, ARCHIVED, now, limit)


async def live_until_after(session: AsyncSession, now: datetime) -> Sequence[Booking]:
    """Pending and confirmed bookings that have not ended (expired or not), by id."""
    stmt = (
        select(Booking)
        .where(Booking.status.in_(ACTIVE_STATUSES), Booking.ends_at > now)
        .order_by(Booking.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def due_reminders(
    session: AsyncSession, now: datetime, until: datetime, limit: int
) -> Sequence[Booking]:
    """Confirmed bookings starting in (now, until] that have had no reminder, locked; rows a
    cancel is working on are skipped (the next run sees how it ended)."""
    stmt = (
        select(Booking)
        .where(
            Booking.status == CONFIRMED,
            Booking.reminder_sent_at.is_(None),
            Booking.starts_at > now,
            Booking.starts_at <= until,
        )
        .order_by(Booking.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()
