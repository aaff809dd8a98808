"""Helpers shared by the resource service modules (re-exported by `service`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from asyncpg import Record
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from roomtime.core import tx
from roomtime.core.redis.cache import Cache
from roomtime.domains.availability import service as availability_service
from roomtime.domains.resources import repository
from roomtime.domains.resources.constants import BOOKING_MODE_SHARED
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.models import Resource
from roomtime.domains.resources.schemas import OpeningHoursItem, ResourceRead, format_minute
from roomtime.domains.slots.calendar import OpenInterval
from roomtime.domains.slots.schemas import SlotCalendar


def to_read(resource: Resource) -> ResourceRead:
    hours = [
        OpeningHoursItem(
            weekday=h.weekday,
            opens=format_minute(h.opens_minute),
            closes=format_minute(h.closes_minute),
        )
        for h in sorted(resource.opening_hours, key=lambda h: (h.weekday, h.opens_minute))
    ]
    return ResourceRead.model_validate(
        {
            **{c: getattr(resource, c) for c in ResourceRead.model_fields if hasattr(resource, c)},
            "opening_hours": hours,
            "file_url": resource.file_path,
        }
    )


def read_of_row(row: Record) -> ResourceRead:
    """A resource as read, from a row of `repository.read_query()` (its hours parsed JSON).

    Built without validation: the row's columns have the model's types, and the hours were
    valid when they were written (their columns' checks hold them so).
    """
    values = dict(row.items())
    hours = [_hours_item(w, o, c) for w, o, c in values.pop("hours")]
    values["file_url"] = values.pop("file_path")
    return ResourceRead.model_construct(**values, opening_hours=hours)


@lru_cache(maxsize=4096)
def _hours_item(weekday: int, opens: int, closes: int) -> OpeningHoursItem:
    # Weekly hours repeat across resources and requests: a page of twenty resources built
    # its 140 items anew on every request, which cost more than reading the page.
    return OpeningHoursItem.model_construct(
        weekday=weekday, opens=format_minute(opens), closes=format_minute(closes)
    )


def calendar_of(resource: Resource) -> SlotCalendar:
    return SlotCalendar(
        resource_id=resource.id,
        timezone=resource.timezone,
        slot_minutes=resource.slot_minutes,
        capacity=resource.capacity if resource.booking_mode == BOOKING_MODE_SHARED else 1,
        hours=tuple(
            OpenInterval(h.weekday, h.opens_minute, h.closes_minute) for h in resource.opening_hours
        ),
    )


def touch(resource: Resource, now: datetime) -> None:
    """Stamp a change with the injected clock rather than the database's now()."""
    resource.updated_at = now
    # Always part of the UPDATE: an unchanged value would leave the column to its onupdate
    # default, which expires the attribute (and a later read would need I/O).
    flag_modified(resource, "updated_at")


async def load_for_update(session: AsyncSession, resource_id: int) -> Resource:
    resource = await repository.get_for_update(session, resource_id)
    # A hidden resource is edited only through the domain that owns it (an event).
    if resource is None or resource.is_hidden:
        raise ResourceNotFoundError(f"Resource {resource_id} does not exist")
    return resource


def invalidate_on_commit(
    session: AsyncSession,
    cache: Cache | None,
    resource_id: int,
    *,
    days: Iterable[date] | None = None,
    listing: bool = False,
) -> None:
    """After commit: forget the availability of `days` (None = every day) and the lists."""
    if cache is None:
        return
    availability_service.invalidate_availability_on_commit(session, cache, resource_id, days)
    if listing:
        generation = cache.keys.resource_list_generation()

        async def forget_lists() -> None:
            await cache.invalidate(generations=[generation])

        tx.on_commit(session, forget_lists)
