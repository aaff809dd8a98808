"""Helpers shared by the event service modules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.contention import set_lock_timeout
from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.events import repository
from roomtime.domains.events.constants import UNLIMITED_SEATS
from roomtime.domains.events.errors import EventNotFoundError
from roomtime.domains.events.models import Event
from roomtime.domains.events.schemas import EventRead
from roomtime.domains.resources import service as resources_service


def capacity_of(total_seats: int | None) -> int:
    return UNLIMITED_SEATS if total_seats is None else total_seats


def hidden_spec(event: Event) -> resources_service.HiddenSpec:
    return resources_service.HiddenSpec(
        name=event.name,
        location=event.location or "",
        capacity=capacity_of(event.total_seats),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        hold_ttl_seconds=event.booking_ttl_minutes * 60,
    )


async def get_event(session: AsyncSession, event_id: int) -> Event:
    event = await repository.get(session, event_id)
    if event is None:
        raise EventNotFoundError(f"Event {event_id} does not exist")
    return event


async def lock_event(session: AsyncSession, event_id: int) -> Event:
    await set_lock_timeout(session)
    event = await repository.get_for_update(session, event_id)
    if event is None:
        raise EventNotFoundError(f"Event {event_id} does not exist")
    return event


def to_read(event: Event, seats_taken: int, image_url: str | None = None) -> EventRead:
    available = None
    if event.total_seats is not None:
        available = max(0, event.total_seats - seats_taken)
    return EventRead.model_validate(
        {
            **{f: getattr(event, f) for f in EventRead.model_fields if hasattr(event, f)},
            "available_seats": available,
            "image_url": image_url,
        }
    )


async def read_events(session: AsyncSession, events: list[Event], now: datetime) -> list[EventRead]:
    """The events as the API shows them, seats left counted from the live bookings now."""
    taken = await bookings_service.live_seats_by_event(session, [e.id for e in events], now)
    images = await resources_service.hidden_file_urls(session, [e.resource_id for e in events])
    return [to_read(e, taken.get(e.id, 0), images.get(e.resource_id)) for e in events]
