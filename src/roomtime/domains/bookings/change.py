"""Change (R-38): move a confirmed booking to another free range of the same resource.

One transaction: the booking's slots (or seats) are given back, its row takes the new range,
and the new slots are taken and booked. PostgreSQL decides: the exclusion constraint refuses
a range another active booking overlaps, and the conditional slot updates refuse a slot that
is no longer free. Any refusal rolls the whole transaction back, so the old slots are freed
only if the new ones are secured, and a loser keeps its booking exactly as it was.

Giving the old slots back first is what lets a booking move onto a range overlapping its own
(shifted by one slot): its own slots are free again by the time the new range is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention
from roomtime.domains.audit import service as audit
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings import repository, rules, states
from roomtime.domains.bookings._effects import (
    BookingIO,
    claim,
    facts,
    free_slots,
    notify_owner,
    overlap_refused,
    owner_generation,
    resource_of,
)
from roomtime.domains.bookings.actors import Actor, BookableResource
from roomtime.domains.bookings.constants import CONFIRMED
from roomtime.domains.bookings.errors import (
    BookingEndedError,
    BookingNotFoundError,
    BookingStartedError,
    CancelDeadlinePassedError,
    InvalidTransitionError,
)
from roomtime.domains.bookings.expire import expire_overlapping
from roomtime.domains.bookings.guards import Guards
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import ChangeRequest
from roomtime.domains.notifications import templates
from roomtime.domains.slots import service as slots_service
from roomtime.domains.users.constants import ROLE_ADMIN

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ChangeDeps:
    io: BookingIO
    guards: Guards


@dataclass(frozen=True, slots=True)
class _Range:
    starts_at: datetime
    ends_at: datetime
    party_size: int


async def change(deps: ChangeDeps, actor: Actor, booking_id: int, req: ChangeRequest) -> Booking:
    """Move `actor`'s confirmed booking (an admin's: anyone's) to `req`'s range; the booking
    keeps its id. The same range and party size again returns it unchanged."""
    io = deps.io
    now = io.clock()
    is_admin = actor.role == ROLE_ADMIN
    async with tx.transactional(io.session):
        with busy_on_contention("Too much contention on this resource"), overlap_refused():
            booking = await repository.get_for_update(
                io.session, booking_id, owner_id=None if is_admin else actor.id, bounded=True
            )
            # Someone else's booking answers 404, never revealing that it exists.
            if booking is None:
                raise BookingNotFoundError(f"Booking {booking_id} does not exist")
            resource = await resource_of(io, booking)
            _check_changeable(booking, resource, now, is_admin)
            target = _Range(
                req.starts_at.astimezone(UTC),
                req.ends_at.astimezone(UTC),
                req.party_size or booking.party_size,
            )
            if _range_of(booking) == target:
                return booking
            slot_count = await _check_target(deps, resource, target, now)
            before = _range_of(booking)
            before_facts = facts(booking, resource)
            await expire_overlapping(io, resource.id, target.starts_at, target.ends_at, now)
            who = states.ADMIN if is_admin else states.USER
            await _move(deps, booking, target, slot_count, now, who)
        await _record(deps, actor, booking, resource, before, before_facts, now, by_admin=is_admin)
    log.info("booking_changed", booking_id=booking.id, resource_id=booking.resource_id)
    return booking


def _range_of(booking: Booking) -> _Range:
    return _Range(booking.starts_at, booking.ends_at, booking.party_size)


def _check_changeable(
    booking: Booking, resource: BookableResource, now: datetime, is_admin: bool
) -> None:
    if booking.ends_at <= now:
        raise BookingEndedError(f"Booking {booking.id} has ended")
    if booking.status != CONFIRMED:
        raise InvalidTransitionError(
            f"Booking {booking.id} is {booking.status}; only confirmed bookings can be changed"
        )
    if booking.starts_at <= now:
        raise BookingStartedError(f"Booking {booking.id} has already started")
    deadline = resource.cancel_deadline_minutes
    if not is_admin and deadline and now > booking.starts_at - timedelta(minutes=deadline):
        raise CancelDeadlinePassedError(
            f"Bookings of this resource can be changed up to {deadline} minutes before start"
        )


async def _check_target(
    deps: ChangeDeps, resource: BookableResource, target: _Range, now: datetime
) -> int:
    """The same rules as a hold: future, on the slot grid, within opening hours, not longer
    than `max_hold_slots`, a party the resource can seat. Returns the range's slot count."""
    slots = await slots_service.spans_in_range(
        deps.io.session, resource.id, target.starts_at, target.ends_at
    )
    rules.check_hold_range(
        slots,
        starts_at=target.starts_at,
        ends_at=target.ends_at,
        now=now,
        max_slots=resource.max_hold_slots,
        party_size=target.party_size,
        capacity=resource.capacity,
    )
    return len(slots)


async def _move(
    deps: ChangeDeps,
    booking: Booking,
    target: _Range,
    slot_count: int,
    now: datetime,
    who: states.Who,
) -> None:
    io = deps.io
    states.move(booking, CONFIRMED, who)
    await free_slots(io, booking, not_before=now)
    booking.starts_at, booking.ends_at = target.starts_at, target.ends_at
    booking.party_size = target.party_size
    # The hold's Redis lock was released at confirm; its key named the old range.
    booking.lock_token = None
    # A reminder of the old time says nothing about the new one.
    booking.reminder_sent_at = None
    await io.session.flush()  # the exclusion constraint judges the new range here
    await deps.guards.race_window()
    taken = await slots_service.take(io.session, claim(booking))
    deps.guards.require_all(taken, slot_count, "One or more slots of the new range are taken")
    booked, to_book = await slots_service.book(io.session, claim(booking))
    deps.guards.require_all(booked, to_book, "One or more slots of the new range are taken")


async def _record(
    deps: ChangeDeps,
    actor: Actor,
    booking: Booking,
    resource: BookableResource,
    before: _Range,
    before_facts: templates.BookingFacts,
    now: datetime,
    *,
    by_admin: bool,
) -> None:
    """Audit, notify the owner and clear the caches of both ranges, in the transaction."""
    io = deps.io
    await audit.record(
        io.session,
        action="booking.changed",
        entity="booking",
        entity_id=booking.id,
        actor_user_id=actor.id,
        meta={
            "from": {
                "starts_at": before.starts_at.isoformat(),
                "ends_at": before.ends_at.isoformat(),
                "party_size": before.party_size,
            },
            "to": {
                "starts_at": booking.starts_at.isoformat(),
                "ends_at": booking.ends_at.isoformat(),
                "party_size": booking.party_size,
            },
            "by_admin": by_admin,
            "owner_user_id": booking.user_id,
        },
    )
    message = templates.booking_changed(facts(booking, resource), before_facts, by_admin=by_admin)
    # One message per change: a booking may be moved many times, and back again.
    key = f"booking_changed:{booking.id}:{before.starts_at.isoformat()}:{now.isoformat()}"
    await notify_owner(io, booking, message, dedupe_key=key)
    days = slots_service.local_days_of_range(
        resource.timezone, before.starts_at, before.ends_at
    ) | slots_service.local_days_of_range(resource.timezone, booking.starts_at, booking.ends_at)
    availability_service.invalidate_availability_on_commit(
        io.session, io.cache, booking.resource_id, days, also=[owner_generation(io, booking)]
    )
