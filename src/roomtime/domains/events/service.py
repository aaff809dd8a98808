"""Events (R-36): dated events whose seats are sold through the one booking engine.

Each event owns a hidden shared resource with one slot covering the event; its capacity is
the event's seats (a large ceiling when unlimited), so the slot's CHECK (seats_taken <=
capacity) makes overselling impossible, and booking, confirming, cancelling and expiring
are the bookings domain's use cases. `available_seats` is counted from the live bookings
each time it is shown. Booking and cancelling live in private modules, re-exported here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.pagination import Page, PageParams, fetch_page
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.events import repository
from roomtime.domains.events._book import book_event as book_event
from roomtime.domains.events._cancel import cancel_event as cancel_event
from roomtime.domains.events._common import (
    get_event,
    hidden_spec,
    lock_event,
    read_events,
)
from roomtime.domains.events.constants import CANCELLED, SCHEDULED
from roomtime.domains.events.errors import (
    EventCancelledError,
    EventHasBookingsError,
    EventInPastError,
    InvalidEventRangeError,
    SeatsBelowBookedError,
)
from roomtime.domains.events.models import Event
from roomtime.domains.events.schemas import (
    EventCreate,
    EventRead,
    EventUpdate,
    ParticipantRead,
)
from roomtime.domains.resources import service as resources_service
from roomtime.domains.users import service as users_service

__all__ = [
    "book_event",
    "cancel_event",
    "create_event",
    "find_by_name",
    "get_event",
    "list_events",
    "list_participants",
    "read_event",
    "update_event",
]


async def create_event(
    session: AsyncSession, data: EventCreate, *, actor_user_id: int, now: datetime
) -> EventRead:
    """Create the event and its hidden resource with the one slot of seats, in one
    transaction."""
    if data.starts_at <= now:
        raise EventInPastError("starts_at must be in the future")
    async with tx.transactional(session):
        event = Event(
            **data.model_dump(),
            status=SCHEDULED,
            created_at=now,
            updated_at=now,
        )
        event.starts_at, event.ends_at = (
            data.starts_at.astimezone(UTC),
            data.ends_at.astimezone(UTC),
        )
        resource = await resources_service.create_hidden_resource(
            session, hidden_spec(event), now=now
        )
        event.resource_id = resource.id
        await repository.add(session, event)
        await audit.record(
            session,
            action="event.created",
            entity="event",
            entity_id=event.id,
            actor_user_id=actor_user_id,
            meta={"name": event.name, "total_seats": event.total_seats},
        )
    return (await read_events(session, [event], now))[0]


async def find_by_name(session: AsyncSession, name: str) -> Event | None:
    return await repository.get_by_name(session, name)


async def read_event(session: AsyncSession, event_id: int, now: datetime) -> EventRead:
    return (await read_events(session, [await get_event(session, event_id)], now))[0]


def _as_instant(value: datetime | date | None, *, end: bool) -> datetime | None:
    """A date means the whole UTC day: from its start, or up to the next day's start."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=UTC)


async def list_events(
    session: AsyncSession,
    *,
    starts_from: datetime | date | None,
    starts_to: datetime | date | None,
    q: str | None,
    page: PageParams,
    now: datetime,
) -> Page[EventRead]:
    """Events overlapping [from, to] matching `q`: upcoming ones first, soonest first."""
    stmt = repository.listed(
        starts_from=_as_instant(starts_from, end=False),
        starts_before=_as_instant(starts_to, end=True),
        q=q,
    )
    items, total = await fetch_page(
        session, stmt, repository.upcoming_first(now), page.limit, page.offset
    )
    return page.page(await read_events(session, items, now), total)


def _changed(event: Event, sent: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in sent.items():
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        if getattr(event, name) != value:
            setattr(event, name, value)
            changed.append(name)
    return changed


async def update_event(
    io: bookings_service.BookingIO, event_id: int, data: EventUpdate, *, actor_user_id: int
) -> EventRead:
    """Change the fields sent. Seats and time change the hidden slot in the same
    transaction, under its row lock: a seat-taker in flight finishes first and is counted."""
    session, now = io.session, io.clock()
    async with tx.transactional(session):
        event = await lock_event(session, event_id)
        if event.status == CANCELLED:
            raise EventCancelledError(f"Event {event_id} is cancelled")
        was = (event.starts_at, event.ends_at)
        changed = _changed(event, data.changes())
        if event.ends_at <= event.starts_at:
            raise InvalidEventRangeError("ends_at must be after starts_at")
        moved = (event.starts_at, event.ends_at) != was
        if moved and event.starts_at <= now:
            raise EventInPastError("starts_at must be in the future")
        if changed:
            await _resync_seats(io, event, was, moved, now)
            event.updated_at = now
            await audit.record(
                session,
                action="event.updated",
                entity="event",
                entity_id=event.id,
                actor_user_id=actor_user_id,
                meta={"changed": changed},
            )
    return (await read_events(session, [event], now))[0]


async def _resync_seats(
    io: bookings_service.BookingIO,
    event: Event,
    was: tuple[datetime, datetime],
    moved: bool,
    now: datetime,
) -> None:
    session = io.session
    # Holds that ran out still count in the slot until returned: return them first.
    await bookings_service.expire_overlapping(io, event.resource_id, was[0], was[1], now)
    ok = await resources_service.update_hidden_resource(
        session, event.resource_id, hidden_spec(event), now=now
    )
    if not ok:
        taken = await resources_service.hidden_seats_taken(session, event.resource_id)
        raise SeatsBelowBookedError(
            f"{taken} seats are booked or held; total_seats cannot go below that", taken=taken
        )
    if moved and await bookings_service.live_seats_by_event(session, [event.id], now):
        raise EventHasBookingsError(
            "The event has live bookings: cancel it, or keep its time, instead of moving it"
        )


async def list_participants(
    session: AsyncSession, event_id: int, page: PageParams, now: datetime
) -> Page[ParticipantRead]:
    """The live (pending or confirmed) bookings of the event and who made them."""
    await get_event(session, event_id)
    items, total = await bookings_service.list_event_bookings(
        session, event_id, now, limit=page.limit, offset=page.offset
    )
    rows = []
    for booking in items:
        user = await users_service.get_user(session, booking.user_id)
        rows.append(
            ParticipantRead(
                booking_id=booking.id,
                user_id=user.id,
                email=user.email,
                full_name=user.full_name,
                status=booking.status,
                seats=booking.party_size,
                expires_at=booking.expires_at,
                confirmed_at=booking.confirmed_at,
                created_at=booking.created_at,
            )
        )
    return page.page(rows, total)
