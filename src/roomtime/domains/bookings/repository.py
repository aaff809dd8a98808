"""SQL for bookings (their idempotency records: `idempotency_repository`).

The statements of hold, confirm and cancel are built once, at import, with named
parameters: SQLAlchemy then reuses each statement object and its cache key instead of
building and hashing a new one per request. Same SQL, same transaction as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from asyncpg import Record
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import manager_of_class
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from roomtime.core.contention import (
    bounded,
    bounded_raw,
    execute_bounded,
    fetchrow_bounded,
    fetchval_bounded,
)
from roomtime.core.prepared import InTransaction, Shapes, column_params, param
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import idempotency_repository
from roomtime.domains.bookings.constants import (
    ACTIVE_STATUSES,
    ARCHIVED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.schemas import ResourceFacts
from roomtime.domains.slots import service as slots_service

_BOOKING_COLUMNS = (
    "user_id", "resource_id", "starts_at", "ends_at", "status", "party_size", "is_exclusive",
    "expires_at", "lock_token", "event_id",
)  # fmt: skip


def _insert(*, audited: bool, holding: bool = False) -> Select[Any] | ReturningInsert[Any]:
    table = Booking.__table__
    written = (
        insert(table)  # type: ignore[arg-type]
        .values(column_params(table, _BOOKING_COLUMNS))
        .returning(*table.c)
    )
    if not audited:
        return written
    # The audit row (and the slots held) name the booking by the id this INSERT gives it.
    row = written.cte("booking_row")
    stmt = select(*row.c)
    if holding:
        taken = slots_service.holding(select(row.c.id).scalar_subquery()).cte("slots_held")
        counted = select(func.count()).select_from(taken).scalar_subquery()
        stmt = stmt.add_columns(counted.label("slots_held"))
    return audit.riding(stmt, entity_id=row.c.id, source=row)


_INSERT = InTransaction(lambda: _insert(audited=False))
_INSERT_AUDITED = InTransaction(lambda: _insert(audited=True))
_INSERT_HOLDING = InTransaction(lambda: _insert(audited=True, holding=True))


async def add(
    session: AsyncSession, values: dict[str, Any], *, audited: dict[str, Any] | None = None
) -> Booking:
    """Insert a booking row and return it as a persistent, unchanged object of the session.

    One INSERT ... RETURNING, run raw in the transaction, instead of a unit-of-work flush:
    the object is built from the returned row (server defaults included) and put in the
    identity map as loaded, so a later change to it in this transaction (a one-step
    booking confirms it) is flushed as an UPDATE, as before. `values` name every column of
    `_BOOKING_COLUMNS`. `audited`: an audit row (`audit.entry`, its entity id left to the
    new booking's) written by the same statement.
    """
    if audited is None:
        return _attached(session, await _INSERT.fetchrow(session, **values))
    return _attached(session, await _INSERT_AUDITED.fetchrow(session, **values, **audited))


async def add_holding(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    audited: dict[str, Any],
    slots: dict[str, Any],
) -> tuple[Booking, int]:
    """`add` of a hold of an exclusive resource that also holds the free slots of its
    range for it (`slots_service.holding`, its parameters `slots`), in the same
    statement: (the booking, how many slots it took). The caller compares that count
    with the slots the range has, and rolls back when one was taken meanwhile."""
    row = await _INSERT_HOLDING.fetchrow(session, **values, **audited, **slots)
    return _attached(session, row, joined=True), int(row["slots_held"])


_BOOKING_MANAGER = manager_of_class(Booking)
# A booking row's columns, in the table's order (that of `select(*table.c)`).
_ALL_COLUMNS = tuple(c.key for c in Booking.__table__.c)


def _attached(session: AsyncSession, row: Record, *, joined: bool = False) -> Booking:
    """The booking of a row just read or written in this transaction, as a persistent,
    unchanged object of the session: what loading it through the ORM would give.
    `joined`: the row has other tables' columns after the booking's."""
    # Built the way the ORM's own loading builds one: a new instance without __init__ and
    # its values put straight into its dict. The constructor would set each column through
    # the attribute events only for make_transient_to_detached to drop that history again;
    # on the write paths that was a twentieth of a request's CPU.
    booking: Booking = _BOOKING_MANAGER.new_instance()
    if joined:
        booking.__dict__.update(zip(_ALL_COLUMNS, row.values(), strict=False))
    else:
        booking.__dict__.update(row.items())
    make_transient_to_detached(booking)
    session.add(booking)
    return booking


# The columns a use case may change on a booking it holds: every one but the key and
# `updated_at`, which each write sets to now().
_CHANGEABLE = tuple(
    c.name for c in Booking.__table__.c if c.name not in ("id", "updated_at", "created_at")
)


# What the statement writing a booking's changes does to its slots besides: nothing, book
# the held ones (confirm), or free them (cancel). Exclusive resources only.
SlotChange = Literal["book", "release"] | None
# (changed columns, with an audit row, slot change, with a keyed request's stored outcome)
_Shape = tuple[tuple[str, ...], bool, SlotChange, bool]


def _changes(shape: _Shape) -> InTransaction:
    names, audited, slots, recorded = shape
    table = Booking.__table__

    def build() -> ReturningUpdate[Any]:
        stmt = (
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == param("id", table.c.id.type))
            .values({**column_params(table, names), "updated_at": func.now()})
            .returning(table.c.updated_at)
        )
        if slots == "book":
            booked = slots_service.booking_held().cte("slots_booked")
            counted = select(func.count()).select_from(booked).scalar_subquery()
            stmt = stmt.add_cte(booked).returning(
                counted.label("slots_booked"), slots_service.slots_in_range().label("slots")
            )
        elif slots == "release":
            stmt = stmt.add_cte(slots_service.releasing().cte("slots_released"))
        if recorded:
            stmt = idempotency_repository.riding(stmt)
        return audit.riding(stmt) if audited else stmt

    return InTransaction(build)


# One statement per set of changed columns (confirm's, cancel's, ...), with or without its
# audit row and slot change: a handful.
_WRITE_CHANGES: Shapes[_Shape, InTransaction] = Shapes(_changes, size=32)


async def write_changes(
    session: AsyncSession, booking: Booking, *, audited: dict[str, Any] | None = None
) -> None:
    """Write what changed on a booking of the session (loaded, or `add`ed) in one raw
    UPDATE, and record it on the object as its loaded state. `audited`: an audit row
    (`audit.entry`) written by the same statement.

    In place of `session.flush()` on the confirm and cancel paths, whose unit of work
    (change detection, mapper, execution context) cost more CPU than the UPDATE itself.
    The same row ends up written, with `updated_at` set by the database as before, and
    nothing is left for the commit's flush to write again. A constraint the row breaks
    (the one Idempotency-Key per booking) raises SQLAlchemy's IntegrityError here, as
    the flush did. Only this object is written, where a flush would also write any other
    pending ORM change: on those paths there is none (their slot, audit and mail
    statements are Core or raw, and the sessions do not autoflush).
    """
    if not _changed(booking):
        if audited is not None:
            await audit.record_entry(session, audited)
        return
    await _write(session, booking, audited, None, {})


async def write_confirmed(
    session: AsyncSession,
    booking: Booking,
    *,
    audited: dict[str, Any],
    recorded: dict[str, Any] | None,
    book_slots: bool,
) -> tuple[int, int] | None:
    """`write_changes` of a confirm, with its audit row and, for a keyed request, its
    stored outcome (`save_idempotency`'s values), in the same statement. `book_slots` (an
    exclusive resource's hold): the statement also books the slots the hold holds
    (`slots_service.booking_held`) and returns (slots booked, slots in its range); the
    caller compares them and rolls back unless all were."""
    if not _changed(booking):
        await audit.record_entry(session, audited)
        if recorded is not None:
            await idempotency_repository.save_idempotency(session, recorded)
        return None
    params = idempotency_repository.riding_params(recorded) if recorded is not None else {}
    if book_slots:
        params.update(
            slots_service.booking_held_params(
                booking.id, booking.resource_id, booking.starts_at, booking.ends_at
            )
        )
    row = await _write(
        session, booking, audited, "book" if book_slots else None, params, recorded=recorded
    )
    return (int(row["slots_booked"]), int(row["slots"])) if book_slots else None


async def write_changes_releasing_slots(
    session: AsyncSession, booking: Booking, *, audited: dict[str, Any], not_before: datetime
) -> None:
    """`write_changes` of a cancel of an exclusive resource's booking, which also frees its
    slots from `not_before` on (`slots_service.releasing`) in the same statement."""
    params = slots_service.releasing_params(booking.id, not_before)
    await _write(session, booking, audited, "release", params)


def _changed(booking: Booking) -> tuple[str, ...]:
    unchanged = inspect(booking).unmodified
    return tuple(n for n in _CHANGEABLE if n not in unchanged)


async def _write(
    session: AsyncSession,
    booking: Booking,
    audited: dict[str, Any] | None,
    slots: SlotChange,
    params: dict[str, Any],
    *,
    recorded: dict[str, Any] | None = None,
) -> Record:
    state = inspect(booking)
    names = _changed(booking)
    values = {name: getattr(booking, name) for name in names}
    stmt = _WRITE_CHANGES[names, audited is not None, slots, recorded is not None]
    row = await stmt.fetchrow(session, id=booking.id, **values, **(audited or {}), **params)
    booking.updated_at = row["updated_at"]
    # Its values are now the row's: make them the object's loaded state, with no history
    # and off the session's list of modified objects, exactly as the unit of work does
    # after it writes a row. `_commit_all` is SQLAlchemy's own (private) step for that;
    # the public way (expunge, make transient, re-add) cost as much as the UPDATE. The
    # version is pinned in the lock, and tests/integration/bookings/test_write_changes.py
    # holds the effect: nothing modified, nothing dirty, a later flush writes nothing.
    state._commit_all(state.dict, session.sync_session.identity_map)
    return row


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
    return None if row is None else _attached(session, row)


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
    return _attached(session, row, joined=True), resources_service.facts_in(row)


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
