"""SQL for bookings: reads, locks and counts (the writes of a booking row:
`write_repository`; idempotency records: `idempotency_repository`).

The statements of hold, confirm and cancel are built once, at import, with named
parameters: SQLAlchemy then reuses each statement object and its cache key instead of
building and hashing a new one per request. Same SQL, same transaction as before.
"""

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
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import ReturningUpdate

from roomtime.core.contention import (
    bounded,
    bounded_raw,
    execute_bounded,
    fetchrow_bounded,
    fetchval_bounded,
)
from roomtime.core.prepared import InTransaction, param
from roomtime.domains.bookings.constants import (
    ACTIVE_STATUSES,
    ARCHIVED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.write_repository import attached
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.schemas import ResourceFacts


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
    params = {"booking_id": booking_id}
    if owner_id is not None:
        params["owner_id"] = owner_id
    if identity_key(Booking, booking_id) in session.identity_map:
        # Read earlier in this session: the ORM refreshes that very object once locked.
        pair = _LOCK_ANY if owner_id is None else _LOCK_OWNED
        if bounded:
            return (await execute_bounded(session, pair, params)).scalar_one_or_none()
        return (await session.execute(pair.plain, params)).scalar_one_or_none()
    # Otherwise the row is read raw and the object built from it, as `add` does: the
    # confirm and cancel paths spent more CPU in the ORM's load than in the statement.
    raw = _RAW_LOCK_ANY if owner_id is None else _RAW_LOCK_OWNED
    if bounded:
        row = await fetchrow_bounded(session, raw, **params)
    else:
        row = await raw.plain.fetchrow(session, **params)
    return None if row is None else attached(session, row)


async def lock_with_resource(
    session: AsyncSession, booking_id: int, *, owner_id: int | None
) -> tuple[Booking, ResourceFacts] | None:
    """`get_for_update` (bounded) that also reads the facts of the booking's resource, in
    the same statement when it can: confirm and cancel need both. The resource is read,
    not locked, as by a statement of its own."""
    if identity_key(Booking, booking_id) in session.identity_map:
        booking = await get_for_update(session, booking_id, owner_id=owner_id, bounded=True)
        if booking is None:
            return None
        facts = await resources_service.get_facts(
            session, booking.resource_id, include_inactive=True
        )
        return booking, facts
    raw = _RAW_LOCK_ANY_WITH_RESOURCE if owner_id is None else _RAW_LOCK_OWNED_WITH_RESOURCE
    params = {"booking_id": booking_id}
    if owner_id is not None:
        params["owner_id"] = owner_id
    row = await fetchrow_bounded(session, raw, **params)
    if row is None:
        return None
    return attached(session, row), resources_service.facts_in(row)


def _locking(*, owned: bool, raw: bool = False, with_resource: bool = False) -> Select[Any]:
    """The booking (its columns, for a raw read; the entity, for the ORM) locked by id, and
    with `owned` only if it is that user's; `with_resource`, its resource's facts too."""
    table = Booking.__table__
    stmt = select(*table.c) if raw else select(Booking)
    stmt = stmt.where(table.c.id == param("booking_id", table.c.id.type))
    if owned:
        stmt = stmt.where(table.c.user_id == param("owner_id", table.c.user_id.type))
    if with_resource:
        stmt = resources_service.with_facts(stmt, table.c.resource_id)
    stmt = stmt.with_for_update(of=table)
    # populate_existing: a row read earlier in this session is refreshed once locked.
    return stmt if raw else stmt.execution_options(populate_existing=True)


_LOCK_ANY = bounded(_locking(owned=False))
_LOCK_OWNED = bounded(_locking(owned=True))
_RAW_LOCK_ANY = bounded_raw(lambda: _locking(owned=False, raw=True))
_RAW_LOCK_OWNED = bounded_raw(lambda: _locking(owned=True, raw=True))
_RAW_LOCK_ANY_WITH_RESOURCE = bounded_raw(
    lambda: _locking(owned=False, raw=True, with_resource=True)
)
_RAW_LOCK_OWNED_WITH_RESOURCE = bounded_raw(
    lambda: _locking(owned=True, raw=True, with_resource=True)
)


# The advisory-lock key space of per-user hold caps ("Hold" in ASCII), apart from any other.
_USER_HOLDS_LOCK_SPACE = 0x486F6C64


async def lock_user_holds(session: AsyncSession, user_id: int) -> None:
    """Serialise one user's holds until this transaction ends, so counting their holds and
    adding one cannot interleave with another hold of theirs. It waits under the lock
    timeout, which this statement sets when the transaction has not yet: it is the hold's
    first wait."""
    await fetchval_bounded(session, _LOCK_USER_HOLDS, lock_key=user_id % 2147483647)


_LOCK_USER_HOLDS = bounded_raw(
    lambda: select(
        func.pg_advisory_xact_lock(
            literal(_USER_HOLDS_LOCK_SPACE, Integer), param("lock_key", Integer())
        )
    )
)


async def count_live_holds_expiring_overdue(
    session: AsyncSession,
    user_id: int,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> tuple[int, Sequence[Booking]]:
    """A hold's first look, in one statement after the user's advisory lock: the user's
    pending bookings that have not expired (an unswept expired one is gone), and the
    overdue holds of the range marked expired (`expire_overlapping`), loaded.

    The count does not see the expiry (one snapshot) and need not: it counts only holds
    that have not run out, the expiry changes only those that have. Nothing has changed
    before it in the transaction, so there are no ORM changes to flush first."""
    params = {
        "user_id": user_id,
        "now": now,
        "p_resource_id": resource_id,
        "p_now": now,
        "p_start": starts_at,
        "p_end": ends_at,
    }
    row = await _LIVE_HOLDS_EXPIRING_OVERDUE.fetchrow(session, **params)
    return int(row["live"]), await _expired(session, row["expired"] or [])


def _live_holds_expiring_overdue() -> Select[tuple[int, list[int]]]:
    expired = _expire_overlapping().cte("expired")
    live = (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.user_id == param("user_id", Booking.user_id.type),
            Booking.status == PENDING,
            Booking.expires_at > param("now", Booking.created_at.type),
        )
    )
    return select(
        live.scalar_subquery().label("live"),
        select(func.array_agg(expired.c.id)).scalar_subquery().label("expired"),
    )


_LIVE_HOLDS_EXPIRING_OVERDUE = InTransaction(_live_holds_expiring_overdue)


async def count_future_bookings(
    session: AsyncSession, user_id: int, resource_id: int, now: datetime
) -> int:
    """The user's live holds and confirmed bookings of the resource that have not ended."""
    params = {"user_id": user_id, "resource_id": resource_id, "now": now}
    return int(await _FUTURE_BOOKINGS.fetchval(session, **params) or 0)


def _future_bookings() -> Select[tuple[int]]:
    now = param("now", Booking.created_at.type)
    active = or_(
        Booking.status == CONFIRMED, and_(Booking.status == PENDING, Booking.expires_at > now)
    )
    return (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.user_id == param("user_id", Booking.user_id.type),
            Booking.resource_id == param("resource_id", Booking.resource_id.type),
            Booking.ends_at > now,
            active,
        )
    )


_FUTURE_BOOKINGS = InTransaction(_future_bookings)


async def expire_overlapping(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> Sequence[Booking]:
    """Mark pending bookings of the range whose hold ran out as expired (R-14), so they stop
    blocking this transaction at once instead of waiting for the sweeper job."""
    # Nearly every hold finds none: the UPDATE runs raw and returns ids, and only bookings it
    # expired are loaded, refreshing any copy the session holds (as "fetch" synchronising
    # did).
    params = {"p_resource_id": resource_id, "p_now": now, "p_start": starts_at, "p_end": ends_at}
    return await _expired(
        session, [row[0] for row in await _EXPIRE_OVERLAPPING.fetch(session, **params)]
    )


async def _expired(session: AsyncSession, ids: list[int]) -> Sequence[Booking]:
    """The bookings a statement has just expired, loaded (or refreshed) in the session."""
    if not ids:
        return []
    stmt = (
        select(Booking)
        .where(Booking.id.in_(ids))
        .order_by(Booking.id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalars().all()


def _expire_overlapping() -> ReturningUpdate[tuple[int]]:
    at = Booking.created_at.type
    return (
        update(Booking.__table__)  # type: ignore[arg-type]
        .where(
            Booking.resource_id == param("p_resource_id", Booking.resource_id.type),
            Booking.status == PENDING,
            Booking.expires_at <= param("p_now", at),
            Booking.starts_at < param("p_end", at),
            Booking.ends_at > param("p_start", at),
        )
        .values(status=EXPIRED)
        .returning(Booking.id)
    )


_EXPIRE_OVERLAPPING = InTransaction(_expire_overlapping)


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
