"""Booking seats of an event (R-36): the event's rules here, then the booking engine's
hold, so the seats are taken by the same guarded transaction as every hold."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.bookings.errors import SlotsUnavailableError
from roomtime.domains.bookings.schemas import SeatHold
from roomtime.domains.events._common import get_event
from roomtime.domains.events.constants import CANCELLED
from roomtime.domains.events.errors import (
    EventCancelledError,
    EventStartedError,
    SeatsNotAllowedError,
    SoldOutError,
    TooManySeatsError,
)
from roomtime.domains.events.models import Event


def _seats(event: Event, asked: int | None) -> int:
    if event.total_seats is None:
        if asked not in (None, 1):
            raise SeatsNotAllowedError(
                "This event has no seat limit: each person books one place (omit `seats`)"
            )
        return 1
    seats = asked or 1
    if seats > event.total_seats:
        raise TooManySeatsError(
            f"seats {seats} is more than the event's {event.total_seats} seats",
            total_seats=event.total_seats,
        )
    return seats


async def book_event(
    deps: bookings_service.HoldDeps, actor: Actor, event_id: int, seats: int | None
) -> bookings_service.Booking:
    """A pending booking of `seats` seats that expires after the event's TTL."""
    session = deps.io.session
    event = await get_event(session, event_id)
    if event.status == CANCELLED:
        raise EventCancelledError(f"Event {event_id} is cancelled")
    if event.starts_at <= deps.io.clock():
        raise EventStartedError(f"Event {event_id} has started; it can no longer be booked")
    req = SeatHold(
        resource_id=event.resource_id,
        event_id=event.id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        seats=_seats(event, seats),
        ttl_seconds=event.booking_ttl_minutes * 60,
    )
    try:
        return await bookings_service.hold_seats(deps, actor, req)
    except SlotsUnavailableError as exc:
        raise await _why_refused(session, event_id) from exc


async def _why_refused(session: AsyncSession, event_id: int) -> Exception:
    # The slot took no seats: the event was cancelled meanwhile (its slot is closed), or
    # fewer seats are left than asked.
    event = await get_event(session, event_id)
    if event.status == CANCELLED:
        return EventCancelledError(f"Event {event_id} is cancelled")
    return SoldOutError(f"Not enough seats left for event {event_id}")
