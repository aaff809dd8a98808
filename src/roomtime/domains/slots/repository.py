"""SQL for time slots.

Every query that looks at a time range of one resource goes through the unique index
(resource_id, starts_at): ranges are written as bounds on `starts_at` (slots are at most one
day long, so "overlaps [start, end)" becomes `starts_at` in (start - 1 day, end)).

The builders take values or named parameters (`core.prepared.param`) alike: the availability
miss's statement is built once with parameters and run raw (`AVAILABLE_DAY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from asyncpg import Record
from sqlalchemy import (
    Row,
    Select,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from roomtime.core.prepared import Arg, Prepared, Reader, param
from roomtime.domains.slots.calendar import SlotRange
from roomtime.domains.slots.constants import SLOT_AVAILABLE, SLOT_BLOCKED, SLOT_HELD
from roomtime.domains.slots.models import SeatHold, TimeSlot

_INSERT_BATCH = 2000
_LONGEST_SLOT = timedelta(days=1)


def _expired_seats(now: Arg[datetime]) -> ScalarSelect[Any]:
    """Seats of a shared slot still counted for holds that have expired (R-14: they count
    as free at once; the hold path or the release-holds job returns them for real).

    `seat_hold` has a row only per unconfirmed hold, so a resource's rows are few: the
    probe reads them by resource and needs no bound on how long a hold may be."""
    return (
        select(func.coalesce(func.sum(SeatHold.seats), 0))
        .where(
            SeatHold.resource_id == TimeSlot.resource_id,
            SeatHold.starts_at < TimeSlot.ends_at,
            SeatHold.ends_at > TimeSlot.starts_at,
            SeatHold.expires_at <= now,
        )
        .correlate(TimeSlot)
        .scalar_subquery()
    )


def _expired_hold(now: Arg[datetime]) -> ColumnElement[bool]:
    return and_(TimeSlot.status == SLOT_HELD, TimeSlot.hold_expires_at <= now)


def _live_hold(now: Arg[datetime]) -> ColumnElement[bool]:
    # A held slot without an expiry (only a repair could leave one) is treated as held
    # until reconcile restores its expiry: never offered, never taken from its holder.
    return and_(
        TimeSlot.status == SLOT_HELD,
        or_(TimeSlot.hold_expires_at.is_(None), TimeSlot.hold_expires_at > now),
    )


def is_available(now: Arg[datetime]) -> ColumnElement[bool]:
    """Bookable now: not started, and free (seats left) or held by an expired hold (R-14)."""
    free = and_(
        TimeSlot.status == SLOT_AVAILABLE,
        or_(
            TimeSlot.seats_taken < TimeSlot.capacity,
            TimeSlot.seats_taken - _expired_seats(now) < TimeSlot.capacity,
        ),
    )
    # A slot that has started can no longer be held (a hold must start in the future), so it
    # is not offered either.
    return and_(TimeSlot.starts_at >= now, or_(free, _expired_hold(now)))


def _in_day(resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime]) -> ColumnElement[bool]:
    return and_(
        TimeSlot.resource_id == resource_id,
        TimeSlot.starts_at >= start,
        TimeSlot.starts_at < end,
    )


def _overlapping(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime]
) -> ColumnElement[bool]:
    return and_(
        TimeSlot.resource_id == resource_id,
        TimeSlot.starts_at > start - _LONGEST_SLOT,
        TimeSlot.starts_at < end,
        TimeSlot.ends_at > start,
    )


async def insert_missing(
    session: AsyncSession, resource_id: int, capacity: int, ranges: Sequence[SlotRange]
) -> int:
    """Insert the slots that do not exist yet; existing ones (any status) stay untouched."""
    inserted = 0
    for offset in range(0, len(ranges), _INSERT_BATCH):
        rows = [
            {
                "resource_id": resource_id,
                "starts_at": r.starts_at,
                "ends_at": r.ends_at,
                "capacity": capacity,
                "status": SLOT_AVAILABLE,
            }
            for r in ranges[offset : offset + _INSERT_BATCH]
        ]
        stmt = (
            insert(TimeSlot)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["resource_id", "starts_at"])
            .returning(TimeSlot.id)
        )
        inserted += len((await session.execute(stmt)).all())
    return inserted


def _spans_query(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime]
) -> Select[tuple[datetime, datetime]]:
    return (
        select(TimeSlot.starts_at, TimeSlot.ends_at)
        .where(_overlapping(resource_id, start, end))
        .order_by(TimeSlot.starts_at)
    )


# A plain read of slot bounds (a hold's look at its range, the slot generator's at the
# existing slots), which no booking write changes, so it runs raw (core.prepared).
SPANS = Prepared(
    lambda: _spans_query(
        param("resource_id", TimeSlot.resource_id.type),
        param("start", TimeSlot.starts_at.type),
        param("end", TimeSlot.starts_at.type),
    )
)


def with_spans(
    stmt: Select[Any], resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime]
) -> Select[Any]:
    """`stmt` (one row) also reading the ranges of the resource's slots overlapping
    [start, end): two arrays in start order, `spans_starts` and `spans_ends` (NULL when
    there are none), from one index range scan; `spans_in` makes them SlotRanges."""
    order = TimeSlot.starts_at
    spans = (
        select(
            func.array_agg(aggregate_order_by(TimeSlot.starts_at, order)).label("spans_starts"),
            func.array_agg(aggregate_order_by(TimeSlot.ends_at, order)).label("spans_ends"),
        )
        .where(_overlapping(resource_id, start, end))
        .subquery("spans")
    )
    # An aggregate without GROUP BY is one row, slots or none: the join keeps stmt's row.
    return stmt.join(spans, true()).add_columns(spans.c.spans_starts, spans.c.spans_ends)


def spans_in(row: Record) -> list[SlotRange]:
    """The slot ranges a `with_spans` statement read, by start."""
    starts, ends = row["spans_starts"] or (), row["spans_ends"] or ()
    return [SlotRange(s, e) for s, e in zip(starts, ends, strict=True)]


async def list_spans(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> list[SlotRange]:
    """The ranges of the existing slots overlapping [start, end), by start."""
    rows = await SPANS.fetch(session, resource_id=resource_id, start=start, end=end)
    return [SlotRange(row[0], row[1]) for row in rows]


def count_overlapping(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime]
) -> ScalarSelect[int]:
    """How many slots overlap [start, end), as a subquery for a bigger statement."""
    stmt = select(func.count()).select_from(TimeSlot)
    return stmt.where(_overlapping(resource_id, start, end)).scalar_subquery()


def available_in_day_query(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime], now: Arg[datetime]
) -> Select[tuple[int, datetime, datetime, int]]:
    """The available slots starting in [start, end) with their seats left, by start."""
    # `seats_left` of a slot whose hold expired: all its seats return.
    seats_left = case(
        (TimeSlot.status == SLOT_HELD, TimeSlot.capacity),
        (TimeSlot.seats_taken == 0, TimeSlot.capacity),
        else_=TimeSlot.capacity - TimeSlot.seats_taken + _expired_seats(now),
    )
    return (
        select(TimeSlot.id, TimeSlot.starts_at, TimeSlot.ends_at, seats_left.label("seats_left"))
        .where(_in_day(resource_id, start, end), is_available(now))
        .order_by(TimeSlot.starts_at)
    )


async def list_available(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime, now: datetime
) -> Sequence[Row[tuple[int, datetime, datetime, int]]]:
    stmt = available_in_day_query(resource_id, start, end, now)
    return (await session.execute(stmt)).all()


def earliest_live_hold_query(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime], now: Arg[datetime]
) -> Select[tuple[datetime | None]]:
    """When the first hold still alive over [start, end) expires: the moment a cached view
    of that day (held slots, or seats of a shared slot) would start to lie."""
    slots = select(func.min(TimeSlot.hold_expires_at)).where(
        _overlapping(resource_id, start, end), _live_hold(now)
    )
    seats = select(func.min(SeatHold.expires_at)).where(
        SeatHold.resource_id == resource_id,
        SeatHold.starts_at < end,
        SeatHold.ends_at > start,
        SeatHold.expires_at > now,
    )
    # LEAST ignores NULLs: either kind of hold may be missing.
    return select(func.least(slots.scalar_subquery(), seats.scalar_subquery()))


def available_day_query(
    resource_id: Arg[int], start: Arg[datetime], end: Arg[datetime], now: Arg[datetime]
) -> Select[tuple[int | None, datetime | None, datetime | None, int | None, datetime | None]]:
    """A day's available slots and the earliest live hold expiry over it, in one statement
    (one round trip per cache miss): every row carries the expiry; a day with no available
    slot answers one row whose slot columns are NULL."""
    expiry = select(earliest_live_hold_query(resource_id, start, end, now).scalar_subquery())
    holds = expiry.subquery("holds")
    slots = available_in_day_query(resource_id, start, end, now).subquery("slots")
    return (
        select(slots.c.id, slots.c.starts_at, slots.c.ends_at, slots.c.seats_left, holds.c[0])
        .select_from(holds.outerjoin(slots, true()))
        .order_by(slots.c.starts_at)
    )


# The availability miss: compiled once, run raw (core.prepared).
AVAILABLE_DAY = Prepared(
    lambda: available_day_query(
        param("resource_id", TimeSlot.resource_id.type),
        param("start", TimeSlot.starts_at.type),
        param("end", TimeSlot.starts_at.type),
        param("now", TimeSlot.starts_at.type),
    )
)


async def list_available_day(
    session: Reader, resource_id: int, start: datetime, end: datetime, now: datetime
) -> list[Record]:
    """`available_day_query`'s rows: (id, starts_at, ends_at, seats_left, next expiry)."""
    return await AVAILABLE_DAY.fetch(
        session, resource_id=resource_id, start=start, end=end, now=now
    )


async def earliest_live_hold_expiry(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime, now: datetime
) -> datetime | None:
    stmt = earliest_live_hold_query(resource_id, start, end, now)
    return (await session.execute(stmt)).scalar_one()


def covered_seconds(
    resource_id: ColumnElement[int], start: Arg[datetime], end: Arg[datetime], now: Arg[datetime]
) -> ScalarSelect[int]:
    """Seconds of [start, end) covered by available slots lying inside it, per resource.

    Correlated on `resource_id` (an outer query's column), so each probe is one index range.
    """
    seconds = func.extract("epoch", TimeSlot.ends_at - TimeSlot.starts_at)
    return (
        select(func.coalesce(func.sum(seconds), 0))
        .where(
            TimeSlot.resource_id == resource_id,
            TimeSlot.starts_at >= start,
            TimeSlot.starts_at < end,
            TimeSlot.ends_at <= end,
            is_available(now),
        )
        .scalar_subquery()
    )


async def delete_free_from(
    session: AsyncSession, resource_id: int, since: datetime
) -> list[datetime]:
    """Delete the slots starting at or after `since` that nobody holds, books or blocked."""
    stmt = (
        delete(TimeSlot)
        .where(
            TimeSlot.resource_id == resource_id,
            TimeSlot.starts_at >= since,
            TimeSlot.status == SLOT_AVAILABLE,
            TimeSlot.seats_taken == 0,
            TimeSlot.booking_id.is_(None),
        )
        .returning(TimeSlot.starts_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def set_free_capacity_from(
    session: AsyncSession, resource_id: int, since: datetime, capacity: int
) -> list[datetime]:
    """Set the capacity of the available slots from `since`, never below the seats taken."""
    stmt = (
        update(TimeSlot)
        .where(
            TimeSlot.resource_id == resource_id,
            TimeSlot.starts_at >= since,
            TimeSlot.status == SLOT_AVAILABLE,
            TimeSlot.capacity != func.greatest(capacity, TimeSlot.seats_taken),
        )
        .values(capacity=func.greatest(capacity, TimeSlot.seats_taken))
        .returning(TimeSlot.starts_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def lock_overlapping(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime, now: datetime
) -> Sequence[Row[Any]]:
    """Lock the slots overlapping [start, end) in start order, each with `live_hold`: held
    by a hold that has not expired (R-14)."""
    stmt = (
        select(
            TimeSlot.id,
            TimeSlot.starts_at,
            TimeSlot.status,
            TimeSlot.seats_taken,
            _live_hold(now).label("live_hold"),
        )
        .where(_overlapping(resource_id, start, end))
        .order_by(TimeSlot.starts_at)
        .with_for_update(of=TimeSlot)
    )
    return (await session.execute(stmt)).all()


async def block(session: AsyncSession, slot_ids: Sequence[int]) -> int:
    """Block the given slots; an expired hold's link to its booking is dropped with it."""
    if not slot_ids:
        return 0
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.id.in_(slot_ids))
        .values(status=SLOT_BLOCKED, booking_id=None, hold_expires_at=None)
        .returning(TimeSlot.id)
    )
    return len((await session.execute(stmt)).all())


async def unblock(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> list[datetime]:
    stmt = (
        update(TimeSlot)
        .where(_overlapping(resource_id, start, end), TimeSlot.status == SLOT_BLOCKED)
        .values(status=SLOT_AVAILABLE)
        .returning(TimeSlot.starts_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def open_seat_minutes(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> Sequence[Row[tuple[datetime, int, int]]]:
    """(starts_at, minutes, capacity) of the slots starting in [start, end) that were open
    to bookings: every status but blocked."""
    minutes = func.extract("epoch", TimeSlot.ends_at - TimeSlot.starts_at) / 60
    stmt = select(TimeSlot.starts_at, minutes.label("minutes"), TimeSlot.capacity).where(
        _in_day(resource_id, start, end), TimeSlot.status != SLOT_BLOCKED
    )
    return (await session.execute(stmt)).all()
