"""What a booking does to its slots: take them when held, book them when confirmed, free
them when it ends early. The booking domain calls these through slots.service; the caller
owns the transaction.

Every change is a conditional UPDATE whose row count is returned: the database, not a
prior read, decides whether a slot was still free, and the caller compares the count with
the slots it expected.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots import _claims_repository as repository
from roomtime.domains.slots import repository as slot_rows
from roomtime.domains.slots.calendar import SlotRange
from roomtime.domains.slots.schemas import SlotClaim


async def spans_in_range(
    session: AsyncSession, resource_id: int, starts_at: datetime, ends_at: datetime
) -> list[SlotRange]:
    """The resource's slots overlapping [starts_at, ends_at), by start."""
    return await slot_rows.list_spans(session, resource_id, starts_at, ends_at)


async def take(session: AsyncSession, claim: SlotClaim) -> int:
    """Hold the free slots of the claim (exclusive) or take its seats in each slot (shared);
    returns how many slots changed. The slots domain records when the hold lapses
    (`hold_expires_at`); a claim without one is about to be booked in the same transaction."""
    if claim.exclusive:
        return await repository.hold_exclusive(
            session,
            claim.resource_id,
            claim.starts_at,
            claim.ends_at,
            claim.booking_id,
            claim.hold_expires_at,
        )
    taken = await repository.take_seats(
        session, claim.resource_id, claim.starts_at, claim.ends_at, claim.party_size
    )
    if taken and claim.hold_expires_at is not None:
        await repository.add_seat_hold(session, claim, claim.hold_expires_at)
    return taken


async def book(session: AsyncSession, claim: SlotClaim) -> tuple[int, int]:
    """Turn the slots the claim holds into booked ones: (booked, slots in its range).

    Seats of a shared resource are already taken by the hold: they only stop being a hold
    that may lapse, (0, 0).
    """
    if not claim.exclusive:
        await repository.drop_seat_hold(session, claim.booking_id)
        return 0, 0
    return await repository.book_held(
        session, claim.booking_id, claim.resource_id, claim.starts_at, claim.ends_at
    )


async def free(session: AsyncSession, claim: SlotClaim, *, not_before: datetime) -> None:
    """Give back what the claim holds from `not_before` on: its slots, or its seats.

    Slots that started earlier keep their status: they record what was used.
    """
    if claim.exclusive:
        await repository.release_exclusive(session, claim.booking_id, not_before=not_before)
    else:
        await repository.drop_seat_hold(session, claim.booking_id)
        await repository.return_seats(
            session,
            claim.resource_id,
            claim.starts_at,
            claim.ends_at,
            claim.party_size,
            not_before=not_before,
        )
