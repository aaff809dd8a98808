"""SQL for the slot changes a booking makes (R-12, R-13), reached through slots.service.

Every change is a conditional UPDATE whose row count the caller checks: the database, not
a prior read, decides whether a slot was still free.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots import repository as slot_rows
from roomtime.domains.slots.constants import SLOT_AVAILABLE, SLOT_BOOKED, SLOT_HELD
from roomtime.domains.slots.models import SeatHold, TimeSlot
from roomtime.domains.slots.schemas import SlotClaim


def _in_range(resource_id: int, starts_at: datetime, ends_at: datetime) -> list[object]:
    return [
        TimeSlot.resource_id == resource_id,
        TimeSlot.starts_at >= starts_at,
        TimeSlot.starts_at < ends_at,
    ]


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
    stmt = (
        update(TimeSlot)
        .where(
            *_in_range(resource_id, starts_at, ends_at),
            TimeSlot.status == SLOT_AVAILABLE,
            TimeSlot.booking_id.is_(None),
        )
        .values(status=SLOT_HELD, booking_id=booking_id, hold_expires_at=expires_at)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def take_seats(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime, seats: int
) -> int:
    """Take `seats` in every slot of the range that still has them (shared resources)."""
    stmt = (
        update(TimeSlot)
        .where(
            *_in_range(resource_id, starts_at, ends_at),
            TimeSlot.status == SLOT_AVAILABLE,
            TimeSlot.seats_taken + seats <= TimeSlot.capacity,
        )
        .values(seats_taken=TimeSlot.seats_taken + seats)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def book_held(
    session: AsyncSession, booking_id: int, resource_id: int, starts_at: datetime, ends_at: datetime
) -> tuple[int, int]:
    """Turn the slots held by `booking_id` into booked ones: (booked, slots overlapping
    [starts_at, ends_at)), in one statement. The count reads the statement's snapshot,
    from before the update, which changes no slot's range."""
    booked = (
        update(TimeSlot)
        .where(TimeSlot.booking_id == booking_id, TimeSlot.status == SLOT_HELD)
        .values(status=SLOT_BOOKED, hold_expires_at=None)
        .returning(TimeSlot.id)
        .cte("booked")
    )
    stmt = select(
        select(func.count()).select_from(booked).scalar_subquery(),
        slot_rows.count_overlapping(resource_id, starts_at, ends_at),
    )
    row = (await session.execute(stmt)).one()
    return int(row[0]), int(row[1])


async def release_exclusive(
    session: AsyncSession, booking_id: int, *, not_before: datetime
) -> list[datetime]:
    """Free the held/booked slots of a booking that start at or after `not_before`.

    Past slots keep their status: they record what was used. Returns the freed starts.
    """
    stmt = (
        update(TimeSlot)
        .where(
            TimeSlot.booking_id == booking_id,
            TimeSlot.status.in_((SLOT_HELD, SLOT_BOOKED)),
            TimeSlot.starts_at >= not_before,
        )
        .values(status=SLOT_AVAILABLE, booking_id=None, hold_expires_at=None)
        .returning(TimeSlot.starts_at)
    )
    return list((await session.execute(stmt)).scalars().all())


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
    stmt = (
        update(TimeSlot)
        .where(
            *_in_range(resource_id, max(starts_at, not_before), ends_at),
            TimeSlot.seats_taken >= seats,
        )
        .values(seats_taken=TimeSlot.seats_taken - seats)
        .returning(TimeSlot.starts_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def add_seat_hold(session: AsyncSession, claim: SlotClaim, expires_at: datetime) -> None:
    """Record that the claim's seats are only held, until `expires_at`."""
    await session.execute(
        insert(SeatHold)
        .values(
            booking_id=claim.booking_id,
            resource_id=claim.resource_id,
            starts_at=claim.starts_at,
            ends_at=claim.ends_at,
            seats=claim.party_size,
            expires_at=expires_at,
        )
        .on_conflict_do_update(
            index_elements=[SeatHold.booking_id],
            set_={"seats": claim.party_size, "expires_at": expires_at},
        )
    )


async def drop_seat_hold(session: AsyncSession, booking_id: int) -> None:
    """The booking's seats are no longer a hold: confirmed, or given back."""
    await session.execute(delete(SeatHold).where(SeatHold.booking_id == booking_id))
