"""SQL for bookings and their idempotency records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.contention import execute_bounded
from roomtime.domains.bookings.constants import (
    ACTIVE_STATUSES,
    ARCHIVED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.models import Booking, IdempotencyRecord


async def add(session: AsyncSession, booking: Booking) -> Booking:
    session.add(booking)
    await session.flush()
    return booking


async def get(session: AsyncSession, booking_id: int) -> Booking | None:
    return await session.get(Booking, booking_id)


async def get_for_update(
    session: AsyncSession, booking_id: int, *, owner_id: int | None, bounded: bool = False
) -> Booking | None:
    """Lock and return the booking; with `owner_id`, only if it is that user's.

    The owner is part of the locking statement, not checked after it: PostgreSQL neither
    locks nor waits for a row the WHERE clause rules out, so a request for someone else's
    booking cannot stall its owner (nor learn from a delay that it exists). `None` (admins,
    jobs) locks any booking. `bounded`: the wait is limited by the transaction's lock
    timeout, set by this statement if need be (core.contention.execute_bounded).
    """
    stmt = select(Booking).where(Booking.id == booking_id)
    if owner_id is not None:
        stmt = stmt.where(Booking.user_id == owner_id)
    # populate_existing: a row read earlier in this session is refreshed once locked.
    stmt = stmt.with_for_update(of=Booking).execution_options(populate_existing=True)
    if bounded:
        return (await execute_bounded(session, stmt)).scalar_one_or_none()
    return (await session.execute(stmt)).scalar_one_or_none()


# The advisory-lock key space of per-user hold caps ("Hold" in ASCII), apart from any other.
_USER_HOLDS_LOCK_SPACE = 0x486F6C64


async def lock_user_holds(session: AsyncSession, user_id: int) -> None:
    """Serialise one user's holds until this transaction ends, so counting their holds and
    adding one cannot interleave with another hold of theirs. It waits under the lock
    timeout, which this statement sets when the transaction has not yet: it is the hold's
    first wait."""
    key = literal(user_id % 2147483647, Integer)
    lock = func.pg_advisory_xact_lock(literal(_USER_HOLDS_LOCK_SPACE, Integer), key)
    await execute_bounded(session, select(lock))


async def count_live_holds(session: AsyncSession, user_id: int, now: datetime) -> int:
    """The user's pending bookings that have not expired (an unswept expired one is gone)."""
    stmt = (
        select(func.count())
        .select_from(Booking)
        .where(Booking.user_id == user_id, Booking.status == PENDING, Booking.expires_at > now)
    )
    return int(await session.scalar(stmt) or 0)


async def count_future_bookings(
    session: AsyncSession, user_id: int, resource_id: int, now: datetime
) -> int:
    """The user's live holds and confirmed bookings of the resource that have not ended."""
    active = or_(
        Booking.status == CONFIRMED, and_(Booking.status == PENDING, Booking.expires_at > now)
    )
    stmt = (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.user_id == user_id,
            Booking.resource_id == resource_id,
            Booking.ends_at > now,
            active,
        )
    )
    return int(await session.scalar(stmt) or 0)


async def expire_overlapping(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> Sequence[Booking]:
    """Mark pending bookings of the range whose hold ran out as expired (R-14), so they stop
    blocking this transaction at once instead of waiting for the sweeper job."""
    stmt = (
        update(Booking)
        .where(
            Booking.resource_id == resource_id,
            Booking.status == PENDING,
            Booking.expires_at <= now,
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
        )
        .values(status=EXPIRED)
        .returning(Booking)
    )
    return (await session.execute(stmt)).scalars().all()


async def expire_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Booking]:
    """Expire up to `limit` pending bookings past their expiry, skipping rows other
    transactions hold (two sweepers never fight over the same rows)."""
    due = (
        select(Booking.id)
        .where(Booking.status == PENDING, Booking.expires_at <= now)
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Booking)
        .where(Booking.id.in_(due.scalar_subquery()))
        .values(status=EXPIRED)
        .returning(Booking)
    )
    return (await session.execute(stmt)).scalars().all()


async def archive_ended(session: AsyncSession, now: datetime, limit: int) -> Sequence[Booking]:
    """Archive up to `limit` confirmed bookings that have ended, skipping locked rows."""
    due = (
        select(Booking.id)
        .where(Booking.status == CONFIRMED, Booking.ends_at <= now)
        .order_by(Booking.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Booking)
        .where(Booking.id.in_(due.scalar_subquery()))
        .values(status=ARCHIVED)
        .returning(Booking)
    )
    return (await session.execute(stmt)).scalars().all()


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


async def counted_in_window(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> Sequence[tuple[datetime, datetime, int]]:
    """(starts_at, ends_at, party_size) of the bookings that used the resource in
    [start, end): confirmed ones and those archived after they ended."""
    stmt = select(Booking.starts_at, Booking.ends_at, Booking.party_size).where(
        Booking.resource_id == resource_id,
        Booking.status.in_((CONFIRMED, ARCHIVED)),
        Booking.starts_at < end,
        Booking.ends_at > start,
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(stmt)).all()]


async def live_for_event(session: AsyncSession, event_id: int) -> Sequence[Booking]:
    """The event's pending and confirmed bookings, locked, by id (one lock order for all)."""
    stmt = (
        select(Booking)
        .where(Booking.event_id == event_id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalars().all()


def _live(now: datetime) -> ColumnElement[bool]:
    """Confirmed, or pending and not yet run out (R-14: an expired hold holds nothing)."""
    return or_(
        Booking.status == CONFIRMED, and_(Booking.status == PENDING, Booking.expires_at > now)
    )


async def live_seats_by_event(
    session: AsyncSession, event_ids: Sequence[int], now: datetime
) -> dict[int, int]:
    """Seats taken by the live bookings of each event (events without any are absent)."""
    if not event_ids:
        return {}
    stmt = (
        select(Booking.event_id, func.sum(Booking.party_size))
        .where(Booking.event_id.in_(event_ids), _live(now))
        .group_by(Booking.event_id)
    )
    return {int(e): int(n) for e, n in (await session.execute(stmt)).all()}


def live_of_event(event_id: int, now: datetime) -> Select[tuple[Booking]]:
    return select(Booking).where(Booking.event_id == event_id, _live(now))


async def get_idempotency(
    session: AsyncSession, user_id: int, scope: str, key: str, now: datetime
) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.key == key,
        IdempotencyRecord.expires_at > now,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def save_idempotency(session: AsyncSession, values: dict[str, Any]) -> None:
    # An expired record with the same key is replaced: the key is free again after 24 h.
    stmt = insert(IdempotencyRecord).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "scope", "key"],
        set_={k: stmt.excluded[k] for k in values if k not in {"user_id", "scope", "key"}},
    )
    await session.execute(stmt)


def filtered(
    *,
    status: str | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    resource_id: int | None,
    user_id: int | None,
) -> Select[tuple[Booking]]:
    stmt = select(Booking)
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    if starts_from is not None:
        stmt = stmt.where(Booking.ends_at > starts_from)
    if starts_before is not None:
        stmt = stmt.where(Booking.starts_at < starts_before)
    if resource_id is not None:
        stmt = stmt.where(Booking.resource_id == resource_id)
    if user_id is not None:
        stmt = stmt.where(Booking.user_id == user_id)
    return stmt


async def lock_idempotency_key(session: AsyncSession, user_id: int, scope: str, key: str) -> None:
    """Serialise the requests of one user carrying one key until this transaction ends: a
    duplicate waits for the first and then finds its stored outcome (no row exists yet to
    lock, which is why an advisory lock on the key's hash)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
        {"name": f"idempotency:{user_id}:{scope}:{key}"},
    )
