"""Resources: the bookable things. Owns the transaction of each admin command."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.resources import repository
from roomtime.domains.resources.models import OpeningHours, Resource
from roomtime.domains.resources.schemas import (
    OpeningHoursItem,
    ResourceCreate,
    ResourceRead,
    format_minute,
    minute_of_day,
)
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.calendar import OpenInterval
from roomtime.domains.slots.schemas import SlotCalendar


def to_read(resource: Resource) -> ResourceRead:
    hours = [
        OpeningHoursItem(
            weekday=h.weekday,
            opens=format_minute(h.opens_minute),
            closes=format_minute(h.closes_minute),
        )
        for h in resource.opening_hours
    ]
    return ResourceRead.model_validate(
        {
            **{c: getattr(resource, c) for c in ResourceRead.model_fields if hasattr(resource, c)},
            "opening_hours": hours,
            "file_url": resource.file_path,
        }
    )


def calendar_of(resource: Resource) -> SlotCalendar:
    return SlotCalendar(
        resource_id=resource.id,
        timezone=resource.timezone,
        slot_minutes=resource.slot_minutes,
        capacity=resource.capacity if resource.booking_mode == "shared" else 1,
        hours=tuple(
            OpenInterval(h.weekday, h.opens_minute, h.closes_minute) for h in resource.opening_hours
        ),
    )


async def create_resource(
    session: AsyncSession,
    data: ResourceCreate,
    *,
    actor_user_id: int | None,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
) -> Resource:
    """Create a resource and its slots for the rolling horizon, in one transaction."""
    async with tx.transactional(session):
        fields = data.model_dump(exclude={"opening_hours", "hold_ttl_seconds"})
        resource = Resource(
            **fields,
            hold_ttl_seconds=data.hold_ttl_seconds or default_hold_ttl,
            opening_hours=[
                OpeningHours(
                    weekday=h.weekday,
                    opens_minute=minute_of_day(h.opens),
                    closes_minute=minute_of_day(h.closes),
                )
                for h in data.opening_hours
            ],
        )
        await repository.add(session, resource)
        generated = await slots_service.fill_horizon(
            session, calendar_of(resource), now, horizon_days
        )
        await audit.record(
            session,
            action="resource.created",
            entity="resource",
            entity_id=resource.id,
            actor_user_id=actor_user_id,
            meta={"name": resource.name, "slots_created": generated.created},
        )
    return resource


async def find_by_name(session: AsyncSession, name: str) -> Resource | None:
    return await repository.get_by_name(session, name)
