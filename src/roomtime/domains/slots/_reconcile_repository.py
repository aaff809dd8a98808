"""SQL of the reconcile repair: read the future slot rows, write compare-and-set repairs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots.constants import SLOT_BOOKED, SLOT_HELD
from roomtime.domains.slots.models import SeatHold, TimeSlot
from roomtime.domains.slots.schemas import SlotClaim

_COLUMNS = (
    TimeSlot.id,
    TimeSlot.resource_id,
    TimeSlot.starts_at,
    TimeSlot.status,
    TimeSlot.booking_id,
    TimeSlot.seats_taken,
    TimeSlot.capacity,
    TimeSlot.hold_expires_at,
)
# Ranges per statement: keeps each OR list short enough for the planner to use the index.
_CHUNK = 200


async def future_rows(
    session: AsyncSession, now: datetime, claims: Sequence[SlotClaim]
) -> list[Row[tuple[int, int, datetime, str, int | None, int, int, datetime | None]]]:
    """The future slots that say they are taken (held, booked, linked, seats counted) and
    every future slot inside one of the claims' ranges, by id."""
    taken = or_(
        TimeSlot.status.in_((SLOT_HELD, SLOT_BOOKED)),
        TimeSlot.booking_id.is_not(None),
        TimeSlot.seats_taken > 0,
    )
    found = {}
    stmt = select(*_COLUMNS).where(TimeSlot.starts_at >= now, taken)
    for row in (await session.execute(stmt)).all():
        found[row.id] = row
    for offset in range(0, len(claims), _CHUNK):
        inside = [
            and_(
                TimeSlot.resource_id == c.resource_id,
                TimeSlot.starts_at >= max(c.starts_at, now),
                TimeSlot.starts_at < c.ends_at,
            )
            for c in claims[offset : offset + _CHUNK]
        ]
        for row in (await session.execute(select(*_COLUMNS).where(or_(*inside)))).all():
            found[row.id] = row
    return [found[key] for key in sorted(found)]


async def set_link_if(
    session: AsyncSession,
    slot_id: int,
    seen: tuple[str, int | None, datetime | None],
    want: tuple[str, int | None, datetime | None],
) -> bool:
    """Set status, booking link and hold expiry only if the slot still has the state read
    before."""
    stmt = (
        update(TimeSlot)
        .where(
            TimeSlot.id == slot_id,
            TimeSlot.status == seen[0],
            TimeSlot.booking_id.is_not_distinct_from(seen[1]),
            TimeSlot.hold_expires_at.is_not_distinct_from(seen[2]),
        )
        .values(status=want[0], booking_id=want[1], hold_expires_at=want[2])
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def set_seats_if(session: AsyncSession, slot_id: int, seen: int, want: int) -> bool:
    stmt = (
        update(TimeSlot)
        .where(TimeSlot.id == slot_id, TimeSlot.seats_taken == seen)
        .values(seats_taken=want)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def sync_seat_holds(
    session: AsyncSession, now: datetime, pending: Sequence[SlotClaim]
) -> list[int]:
    """Make the seat holds of future ranges exactly those of the pending shared claims;
    returns the resource of each row added, corrected or removed."""
    want = {c.booking_id: c for c in pending if c.hold_expires_at is not None}
    rows = (
        await session.execute(
            select(SeatHold.booking_id, SeatHold.seats, SeatHold.expires_at).where(
                SeatHold.ends_at > now
            )
        )
    ).all()
    have = {row.booking_id: row for row in rows}
    changed: list[int] = []
    stale = [b for b in have if b not in want]
    if stale:
        gone = await session.execute(
            delete(SeatHold).where(SeatHold.booking_id.in_(stale)).returning(SeatHold.resource_id)
        )
        changed.extend(gone.scalars().all())
    for booking_id, claim in want.items():
        row = have.get(booking_id)
        if row is not None and (row.seats, row.expires_at) == (
            claim.party_size,
            claim.hold_expires_at,
        ):
            continue
        await session.execute(
            insert(SeatHold)
            .values(
                booking_id=booking_id,
                resource_id=claim.resource_id,
                starts_at=claim.starts_at,
                ends_at=claim.ends_at,
                seats=claim.party_size,
                expires_at=claim.hold_expires_at,
            )
            .on_conflict_do_update(
                index_elements=[SeatHold.booking_id],
                set_={"seats": claim.party_size, "expires_at": claim.hold_expires_at},
            )
        )
        changed.append(claim.resource_id)
    return changed
