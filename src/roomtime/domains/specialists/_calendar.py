"""A specialist's calendar: hours, blocked slots, the starts where a service fits, and the
range a one-step booking of a service takes (R-34, R-35). The calendar is a resource, so
every change goes through the resources service (its audit rows, slot regeneration and
cache invalidation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.redis.cache import Cache
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.schemas import ResourceUpdate
from roomtime.domains.slots.schemas import SlotDateRange, SlotTimeRange
from roomtime.domains.specialists._catalogue import get_service
from roomtime.domains.specialists._people import get_specialist, is_active
from roomtime.domains.specialists.errors import (
    ServiceInactiveError,
    ServiceNotFoundError,
    SpecialistInactiveError,
)
from roomtime.domains.specialists.models import Specialist
from roomtime.domains.specialists.schemas import HoursUpdate, SpecialistSlots, StartRead
from roomtime.domains.specialists.slot_finder import fitting_starts, slots_needed


async def set_hours(
    session: AsyncSession,
    cache: Cache | None,
    specialist: Specialist,
    hours: HoursUpdate,
    *,
    actor_user_id: int,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
) -> None:
    """Replace the opening hours; free future slots are regenerated as for any resource
    (R-20), held, booked and blocked ones are kept."""
    await resources_service.update_resource(
        session,
        specialist.resource_id,
        ResourceUpdate(opening_hours=hours.opening_hours),
        actor_user_id=actor_user_id,
        now=now,
        default_hold_ttl=default_hold_ttl,
        horizon_days=horizon_days,
        cache=cache,
    )


async def block(
    session: AsyncSession,
    cache: Cache | None,
    specialist: Specialist,
    span: SlotTimeRange,
    *,
    unblock: bool,
    actor_user_id: int,
    now: datetime,
) -> int:
    change = resources_service.unblock_slots if unblock else resources_service.block_slots
    return await change(
        session, cache, specialist.resource_id, span, actor_user_id=actor_user_id, now=now
    )


async def add_slots(
    session: AsyncSession,
    cache: Cache | None,
    specialist: Specialist,
    days: SlotDateRange,
    *,
    actor_user_id: int,
    now: datetime,
) -> int:
    return await resources_service.add_slots(
        session, cache, specialist.resource_id, days, actor_user_id=actor_user_id, now=now
    )


async def day_slots(
    session: AsyncSession,
    cache: Cache,
    specialist: Specialist,
    *,
    day: date,
    service_id: int | None,
    now: datetime,
    ttl_seconds: int,
) -> SpecialistSlots:
    """The starts on the specialist's local `day` where the service's whole duration is
    free (one slot when no service is named)."""
    calendar = await resources_service.get_resource(
        session, specialist.resource_id, include_inactive=True
    )
    minutes = calendar.slot_minutes
    if service_id is not None:
        service = await get_service(session, service_id)
        if service.specialist_id != specialist.id:
            raise ServiceNotFoundError(f"Service {service_id} is not this specialist's")
        if not service.is_active:
            raise ServiceInactiveError(f"Service {service_id} is not offered any more")
        minutes = service.duration_minutes
        slots_needed(minutes, calendar.slot_minutes)
    free = await availability_service.get_day(
        session,
        cache,
        resource_id=calendar.id,
        timezone=calendar.timezone,
        day=day,
        now=now,
        ttl_seconds=ttl_seconds,
    )
    starts = fitting_starts(free.value.slots, timedelta(minutes=minutes))
    return SpecialistSlots(
        specialist_id=specialist.id,
        service_id=service_id,
        date=day,
        timezone=calendar.timezone,
        duration_minutes=minutes,
        slots=[StartRead(starts_at=s, ends_at=e) for s, e in starts],
    )


async def booking_range(session: AsyncSession, service_id: int, starts_at: datetime) -> HoldRequest:
    """The range a one-step booking of the service from `starts_at` takes on its
    specialist's calendar; refused (4xx) for a service nobody can book now."""
    service = await get_service(session, service_id)
    if not service.is_active:
        raise ServiceInactiveError(f"Service {service_id} is not offered any more")
    specialist = await get_specialist(session, service.specialist_id, include_inactive=True)
    if not await is_active(session, specialist):
        raise SpecialistInactiveError(f"Specialist {specialist.id} is not taking bookings")
    calendar = await resources_service.get_resource(
        session, specialist.resource_id, include_inactive=True
    )
    # The calendar's slot length may have changed since the service was defined.
    slots_needed(service.duration_minutes, calendar.slot_minutes)
    starts = starts_at.astimezone(UTC)
    return HoldRequest(
        resource_id=calendar.id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=service.duration_minutes),
    )
