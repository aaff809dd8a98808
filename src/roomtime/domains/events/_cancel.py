"""Cancelling an event (R-36): the event, every live booking on it, and one message to
each participant, in one transaction."""

from __future__ import annotations

from datetime import UTC

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.events._common import lock_event, read_events
from roomtime.domains.events.constants import CANCELLED
from roomtime.domains.events.errors import EventEndedError
from roomtime.domains.events.models import Event
from roomtime.domains.events.schemas import EventRead
from roomtime.domains.notifications import templates
from roomtime.domains.resources import service as resources_service
from roomtime.domains.users import service as users_service


async def cancel_event(
    io: bookings_service.BookingIO, actor: Actor, event_id: int, reason: str
) -> EventRead:
    """Cancel the event and its live bookings; cancelling twice returns the event as is.

    The slot is closed first, under its row lock: a booking in flight commits before and is
    then cancelled with the others; one that comes later finds no seat (`event_cancelled`).
    """
    session, now = io.session, io.clock()
    async with tx.transactional(session):
        event = await lock_event(session, event_id)
        if event.status != CANCELLED:
            if event.ends_at <= now:
                raise EventEndedError(f"Event {event_id} has ended")
            await resources_service.close_hidden_resource(session, event.resource_id)
            cancelled = await bookings_service.cancel_event_bookings(io, actor, event.id, reason)
            event.status, event.cancelled_at, event.cancel_reason = CANCELLED, now, reason
            event.updated_at = now
            await session.flush()
            await audit.record(
                session,
                action="event.cancelled",
                entity="event",
                entity_id=event.id,
                actor_user_id=actor.id,
                meta={"reason": reason, "bookings_cancelled": [b.id for b in cancelled]},
            )
            await _tell_participants(io, event, cancelled, reason)
    return (await read_events(session, [event], now))[0]


async def _tell_participants(
    io: bookings_service.BookingIO,
    event: Event,
    cancelled: list[bookings_service.Booking],
    reason: str,
) -> None:
    """One message per participant (a user has at most one live booking per event; the
    dedupe key makes sure of it), by every channel they have, through the outbox."""
    told: set[int] = set()
    starts = event.starts_at.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
    for booking in cancelled:
        if booking.user_id in told:
            continue
        told.add(booking.user_id)
        user = await users_service.get_user(io.session, booking.user_id)
        await io.notifier.enqueue_email(
            io.session,
            to=user.email,
            message=templates.event_cancelled(event.name, starts, reason, booking.id),
            user_id=user.id,
            dedupe_key=f"event_cancelled:{event.id}:{user.id}",
        )
