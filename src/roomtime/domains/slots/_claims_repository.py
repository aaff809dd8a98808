"""SQL for the slot changes a booking makes (R-12, R-13), reached through slots.service.

Every change is a conditional UPDATE whose row count the caller checks: the database, not
a prior read, decides whether a slot was still free.

Each statement is built once, at import, with named parameters (a parameter of an UPDATE
or INSERT must not share a column's name): SQLAlchemy reuses the statement and its cache
key instead of building one per request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.selectable import ScalarSelect

from roomtime.core.prepared import InTransaction, param
from roomtime.domains.slots import repository as slot_rows
from roomtime.domains.slots.constants import SLOT_AVAILABLE, SLOT_BOOKED, SLOT_HELD
from roomtime.domains.slots.models import SeatHold, TimeSlot
from roomtime.domains.slots.schemas import SlotClaim

_AT = TimeSlot.starts_at.type
_RESOURCE = param("p_resource_id", TimeSlot.resource_id.type)
_BOOKING = param("p_booking_id", TimeSlot.booking_id.type)
_SEATS = param("p_seats", TimeSlot.seats_taken.type)


def _in_range() -> list[ColumnElement[bool]]:
    return [
        TimeSlot.resource_id == _RESOURCE,
        TimeSlot.starts_at >= param("p_starts_at", _AT),
        TimeSlot.starts_at < param("p_ends_at", _AT),
    ]


def _range(resource_id: int, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    return {"p_resource_id": resource_id, "p_starts_at": starts_at, "p_ends_at": ends_at}


def holding(booking_id: ColumnElement[int], *, returning: bool = True) -> Update:
    """The guarded UPDATE holding the free slots of a range for `booking_id` (a parameter,
    or the id a bigger statement's INSERT gives the booking) until `p_expires_at`; its
    range is `p_resource_id`, `p_starts_at`, `p_ends_at`. With `returning`, every slot it
    changes is returned (its id), for a bigger statement to count them."""
    stmt = (
        update(TimeSlot.__table__)  # type: ignore[arg-type]
        .where(*_in_range(), TimeSlot.status == SLOT_AVAILABLE, TimeSlot.booking_id.is_(None))
        .values(
            status=SLOT_HELD,
            booking_id=booking_id,
            hold_expires_at=param("p_expires_at", TimeSlot.hold_expires_at.type),
        )
    )
    return stmt.returning(TimeSlot.id) if returning else stmt


def holding_params(
    resource_id: int, starts_at: datetime, ends_at: datetime, expires_at: datetime | None
) -> dict[str, Any]:
    """`holding`'s parameters (the booking id aside)."""
    return {**_range(resource_id, starts_at, ends_at), "p_expires_at": expires_at}


_HOLD_EXCLUSIVE = InTransaction(lambda: holding(_BOOKING, returning=False))


async def hold_exclusive(
    session: AsyncSession,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    booking_id: int,
    expires_at: datetime | None,
) -> int:
    """Mark free slots of the range held by `booking_id` until `expires_at` (None: no
    expiry, for a booking confirmed in the same transaction); returns how many changed."""
    params = _range(resource_id, starts_at, ends_at)
    params.update(p_booking_id=booking_id, p_expires_at=expires_at)
    return await _HOLD_EXCLUSIVE.execute(session, **params)


_TAKE_SEATS = (
    update(TimeSlot)
    .where(
        *_in_range(),
        TimeSlot.status == SLOT_AVAILABLE,
        TimeSlot.seats_taken + _SEATS <= TimeSlot.capacity,
    )
    .values(seats_taken=TimeSlot.seats_taken + _SEATS)
)


async def take_seats(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, seats: int
) -> int:
    """Take `seats` in every slot of the range that still has them (shared resources)."""
    params = {**_range(resource_id, starts_at, ends_at), "p_seats": seats}
    return (await session.execute(_TAKE_SEATS, params)).rowcount  # type: ignore[attr-defined]


def booking_held() -> ReturningUpdate[tuple[int]]:
    """The UPDATE turning the slots `p_booking_id` holds into booked ones, returning each
    (its id), for a bigger statement to count them against `slots_in_range`."""
    return (
        update(TimeSlot.__table__)  # type: ignore[arg-type]
        .where(TimeSlot.booking_id == _BOOKING, TimeSlot.status == SLOT_HELD)
        .values(status=SLOT_BOOKED, hold_expires_at=None)
        .returning(TimeSlot.id)
    )


def slots_in_range() -> ScalarSelect[int]:
    """How many slots of `p_resource_id` overlap [`p_starts_at`, `p_ends_at`)."""
    return slot_rows.count_overlapping(
        _RESOURCE, param("p_starts_at", _AT), param("p_ends_at", _AT)
    )


def booking_held_params(
    booking_id: int, resource_id: int, starts_at: datetime, ends_at: datetime
) -> dict[str, Any]:
    """The parameters of `booking_held` and `slots_in_range`."""
    return {**_range(resource_id, starts_at, ends_at), "p_booking_id": booking_id}


def _book_held() -> Any:
    booked = booking_held().cte("booked")
    return select(select(func.count()).select_from(booked).scalar_subquery(), slots_in_range())


_BOOK_HELD = InTransaction(_book_held)


async def book_held(
    session: AsyncSession, booking_id: int, resource_id: int, starts_at: datetime, ends_at: datetime
) -> tuple[int, int]:
    """Turn the slots held by `booking_id` into booked ones: (booked, slots overlapping
    [starts_at, ends_at)), in one statement. The count reads the statement's snapshot,
    from before the update, which changes no slot's range."""
    params = booking_held_params(booking_id, resource_id, starts_at, ends_at)
    row = await _BOOK_HELD.fetchrow(session, **params)
    return int(row[0]), int(row[1])


def releasing() -> ReturningUpdate[tuple[datetime]]:
    """The UPDATE freeing the held or booked slots of `p_booking_id` that start at or after
    `p_not_before`, returning their starts."""
    return (
        update(TimeSlot.__table__)  # type: ignore[arg-type]
        .where(
            TimeSlot.booking_id == _BOOKING,
            # Not IN (...): a prepared statement cannot expand a list parameter.
            or_(TimeSlot.status == SLOT_HELD, TimeSlot.status == SLOT_BOOKED),
            TimeSlot.starts_at >= param("p_not_before", _AT),
        )
        .values(status=SLOT_AVAILABLE, booking_id=None, hold_expires_at=None)
        .returning(TimeSlot.starts_at)
    )


def releasing_params(booking_id: int, not_before: datetime) -> dict[str, Any]:
    return {"p_booking_id": booking_id, "p_not_before": not_before}


_RELEASE_EXCLUSIVE = InTransaction(releasing)


async def release_exclusive(
    session: AsyncSession, booking_id: int, *, not_before: datetime
) -> list[datetime]:
    """Free the held/booked slots of a booking that start at or after `not_before`.

    Past slots keep their status: they record what was used. Returns the freed starts.
    """
    rows = await _RELEASE_EXCLUSIVE.fetch(session, **releasing_params(booking_id, not_before))
    return [row[0] for row in rows]


_RETURN_SEATS = (
    update(TimeSlot)
    .where(*_in_range(), TimeSlot.seats_taken >= _SEATS)
    .values(seats_taken=TimeSlot.seats_taken - _SEATS)
    .returning(TimeSlot.starts_at)
)


async def return_seats(
    session: AsyncSession,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    seats: int,
    *,
    not_before: datetime,
) -> list[datetime]:
    """Give back `seats` in the slots of the range that start at or after `not_before`."""
    params = {**_range(resource_id, max(starts_at, not_before), ends_at), "p_seats": seats}
    return list((await session.execute(_RETURN_SEATS, params)).scalars().all())


def _add_seat_hold() -> Any:
    expires = param("p_expires_at", SeatHold.expires_at.type)
    return (
        insert(SeatHold)
        .values(
            booking_id=_BOOKING,
            resource_id=_RESOURCE,
            starts_at=param("p_starts_at", _AT),
            ends_at=param("p_ends_at", _AT),
            seats=_SEATS,
            expires_at=expires,
        )
        .on_conflict_do_update(
            index_elements=[SeatHold.booking_id], set_={"seats": _SEATS, "expires_at": expires}
        )
    )


_ADD_SEAT_HOLD = _add_seat_hold()


async def add_seat_hold(session: AsyncSession, claim: SlotClaim, expires_at: datetime) -> None:
    """Record that the claim's seats are only held, until `expires_at`."""
    params = _range(claim.resource_id, claim.starts_at, claim.ends_at)
    params.update(p_booking_id=claim.booking_id, p_seats=claim.party_size, p_expires_at=expires_at)
    await session.execute(_ADD_SEAT_HOLD, params)


_DROP_SEAT_HOLD = delete(SeatHold).where(SeatHold.booking_id == _BOOKING)


async def drop_seat_hold(session: AsyncSession, booking_id: int) -> None:
    """The booking's seats are no longer a hold: confirmed, or given back."""
    await session.execute(_DROP_SEAT_HOLD, {"p_booking_id": booking_id})
