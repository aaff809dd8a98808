"""SQL that writes a booking row: the INSERT of a hold and the UPDATE of a use case's
changes, each with what rides on it in the same statement (its audit row, its slots, a
keyed request's stored outcome, its owner's mail), and the booking object made from the row
written.

Reads, locks and counts are in `repository`; a booking row it reads becomes an object
the same way (`attached`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from asyncpg import Record
from sqlalchemy import Select, func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import manager_of_class
from sqlalchemy.sql.dml import ReturningUpdate

from roomtime.core.prepared import InTransaction, Shapes, column_params, param
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import idempotency_repository
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import service as notifications
from roomtime.domains.notifications.service import RidingMail
from roomtime.domains.slots import service as slots_service

_BOOKING_COLUMNS = (
    "user_id", "resource_id", "starts_at", "ends_at", "status", "party_size", "is_exclusive",
    "expires_at", "lock_token", "event_id",
)  # fmt: skip


def _insert(*, holding: bool) -> Select[Any]:
    """The INSERT of a booking row with its audit row (and, `holding`, its slots held), the
    new row returned."""
    table = Booking.__table__
    written = (
        insert(table)  # type: ignore[arg-type]
        .values(column_params(table, _BOOKING_COLUMNS))
        .returning(*table.c)
    )
    # The audit row (and the slots held) name the booking by the id this INSERT gives it.
    row = written.cte("booking_row")
    stmt = select(*row.c)
    if holding:
        taken = slots_service.holding(select(row.c.id).scalar_subquery()).cte("slots_held")
        counted = select(func.count()).select_from(taken).scalar_subquery()
        stmt = stmt.add_columns(counted.label("slots_held"))
    return audit.riding(stmt, entity_id=row.c.id, source=row)


_INSERT = InTransaction(lambda: _insert(holding=False))
_INSERT_HOLDING = InTransaction(lambda: _insert(holding=True))


async def add(session: AsyncSession, values: dict[str, Any], *, audited: dict[str, Any]) -> Booking:
    """Insert a booking row and return it as a persistent, unchanged object of the session.

    One INSERT ... RETURNING, run raw in the transaction, instead of a unit-of-work flush:
    the object is built from the returned row (server defaults included) and put in the
    identity map as loaded, so a later change to it in this transaction (a one-step
    booking confirms it) is flushed as an UPDATE, as before. `values` name every column of
    `_BOOKING_COLUMNS`. `audited`: its audit row (`audit.entry`, its entity id left to the
    new booking's), written by the same statement.
    """
    return attached(session, await _INSERT.fetchrow(session, **values, **audited))


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
    return attached(session, row), int(row["slots_held"])


_BOOKING_MANAGER = manager_of_class(Booking)
# A booking row's columns, in the table's order (that of `select(*table.c)`).
_ALL_COLUMNS = tuple(c.key for c in Booking.__table__.c)


def attached(session: AsyncSession, row: Record) -> Booking:
    """The booking of a row just read or written in this transaction, as a persistent,
    unchanged object of the session: what loading it through the ORM would give. The row
    starts with the booking's columns in the table's order; any after them (another
    table's, a count) are not the booking's."""
    # Built the way the ORM's own loading builds one: a new instance without __init__ and
    # its values put straight into its dict. The constructor would set each column through
    # the attribute events only for make_transient_to_detached to drop that history again;
    # on the write paths that was a twentieth of a request's CPU.
    booking: Booking = _BOOKING_MANAGER.new_instance()
    booking.__dict__.update(zip(_ALL_COLUMNS, row.values(), strict=False))
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
# The owner's mail on the statement: none, one kept in the inbox too, or one that is not.
MailShape = Literal["kept", "mail"] | None
# (changed columns, with an audit row, slot change, with a keyed request's stored outcome,
# mail)
_Shape = tuple[tuple[str, ...], bool, SlotChange, bool, MailShape]


@dataclass(frozen=True, slots=True)
class Written:
    """What the statement that wrote a booking's changes counted besides: a confirm's
    (slots booked, slots in its range), and a mail's (mails counted in the cap's window,
    the new message's id or None), each None when the statement did not do it."""

    slots: tuple[int, int] | None = None
    mail: tuple[int, int | None] | None = None


def _changes(shape: _Shape) -> InTransaction:
    names, audited, slots, recorded, mail = shape
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
        if mail is not None:
            stmt = notifications.riding(stmt, kept=mail == "kept")
        if recorded:
            stmt = idempotency_repository.riding(stmt)
        return audit.riding(stmt) if audited else stmt

    return InTransaction(build)


# One statement per set of changed columns (confirm's, cancel's, ...), with or without its
# audit row and slot change: a handful.
_WRITE_CHANGES: Shapes[_Shape, InTransaction] = Shapes(_changes, size=32)


async def write_changes(
    session: AsyncSession,
    booking: Booking,
    *,
    audited: dict[str, Any] | None = None,
    mail: RidingMail | None = None,
) -> Written:
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
    statements are Core or raw, and the sessions do not autoflush). `mail`: the owner's
    mail (`notifications.service.Notifier.riding_email`), written by the same statement;
    the result's `mail` is then its two values (None: nothing changed, nothing written,
    and the caller queues the mail on its own).
    """
    if not _changed(booking):
        if audited is not None:
            await audit.record_entry(session, audited)
        return Written()
    return _written(await _write(session, booking, audited, None, {}, mail=mail), mail=mail)


async def write_confirmed(
    session: AsyncSession,
    booking: Booking,
    *,
    audited: dict[str, Any],
    recorded: dict[str, Any] | None,
    book_slots: bool,
    mail: RidingMail | None = None,
) -> Written:
    """`write_changes` of a confirm, with its audit row and, for a keyed request, its
    stored outcome (`save_idempotency`'s values), in the same statement. `book_slots` (an
    exclusive resource's hold): the statement also books the slots the hold holds
    (`slots_service.booking_held`) and its result's `slots` is (slots booked, slots in its
    range); the caller compares them and rolls back unless all were. `mail` as in
    `write_changes`."""
    if not _changed(booking):
        await audit.record_entry(session, audited)
        if recorded is not None:
            await idempotency_repository.save_idempotency(session, recorded)
        return Written()
    params = idempotency_repository.riding_params(recorded) if recorded is not None else {}
    if book_slots:
        params.update(
            slots_service.booking_held_params(
                booking.id, booking.resource_id, booking.starts_at, booking.ends_at
            )
        )
    slots: SlotChange = "book" if book_slots else None
    row = await _write(
        session, booking, audited, slots, params, recorded=recorded is not None, mail=mail
    )
    written = _written(row, mail=mail)
    if book_slots:
        return Written((int(row["slots_booked"]), int(row["slots"])), written.mail)
    return written


async def write_changes_releasing_slots(
    session: AsyncSession,
    booking: Booking,
    *,
    audited: dict[str, Any],
    not_before: datetime,
    mail: RidingMail | None = None,
) -> Written:
    """`write_changes` of a cancel of an exclusive resource's booking, which also frees its
    slots from `not_before` on (`slots_service.releasing`) in the same statement. `mail`
    as in `write_changes`."""
    params = slots_service.releasing_params(booking.id, not_before)
    return _written(await _write(session, booking, audited, "release", params, mail=mail), mail)


def _written(row: Record, mail: RidingMail | None) -> Written:
    if mail is None:
        return Written()
    return Written(mail=(int(row["mail_counted"]), row["mail_id"]))


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
    recorded: bool = False,
    mail: RidingMail | None = None,
) -> Record:
    state = inspect(booking)
    names = _changed(booking)
    values = {name: getattr(booking, name) for name in names}
    shape: MailShape = None if mail is None else "kept" if mail.kept else "mail"
    stmt = _WRITE_CHANGES[names, audited is not None, slots, recorded, shape]
    if mail is not None:
        params = {**params, **mail.params}
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
