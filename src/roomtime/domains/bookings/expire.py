"""Expiring holds (R-14): used inline by hold and confirm, and by the release-holds sweep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, states
from roomtime.domains.bookings._effects import (
    BookingIO,
    count_on_commit,
    facts,
    free_slots,
    invalidate_on_commit,
    notify_owner,
    release_lock_on_commit,
    resource_of,
)
from roomtime.domains.bookings.constants import EXPIRED, PENDING
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates

# Every expiry here is this transition (it frees the slots); checked at import time so the
# bulk updates of the repository obey the state table too.
EXPIRY = states.transition(PENDING, EXPIRED, states.SYSTEM)


async def expire_overlapping(
    io: BookingIO, resource_id: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> None:
    """Expire the run-out holds overlapping a range, so they stop blocking it at once."""
    stale = await repository.expire_overlapping(io.session, resource_id, starts_at, ends_at, now)
    await release_expired(io, stale, reason="reclaimed_by_new_hold")


async def expire_one(io: BookingIO, booking: Booking, reason: str) -> None:
    """Expire a hold the caller has locked and found past its `expires_at`."""
    states.move(booking, EXPIRED, states.SYSTEM)
    await io.session.flush()
    await release_expired(io, [booking], reason=reason)


async def release_expired(io: BookingIO, expired: Sequence[Booking], *, reason: str) -> None:
    """Give back the slots of bookings just marked expired; audit and notify each.

    Inside the caller's transaction; caches and locks are cleared after it commits.
    """
    for booking in expired:
        resource = await resource_of(io, booking)
        await free_slots(io, booking, not_before=booking.starts_at)
        await audit.record(
            io.session,
            action="booking.expired",
            entity="booking",
            entity_id=booking.id,
            actor_user_id=None,
            meta={
                "reason": reason,
                "expires_at": booking.expires_at.isoformat() if booking.expires_at else None,
            },
        )
        await notify_owner(
            io,
            booking,
            templates.hold_expired(facts(booking, resource)),
            dedupe_key=f"hold_expired:{booking.id}",
        )
        count_on_commit(io, "expire")
        invalidate_on_commit(io, booking, resource.timezone)
        release_lock_on_commit(io, booking)
