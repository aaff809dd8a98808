"""Resources: the bookable things. Owns the transaction of each admin command (R-20).

Every command writes its audit row in its transaction (R-31) and invalidates, after commit,
the cached availability of the days it touched and the cached resource list (R-21).
Listing and the admin slot commands live in private modules, re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.prepared import Reader
from roomtime.core.redis.cache import Cache
from roomtime.domains.audit import service as audit
from roomtime.domains.resources import repository
from roomtime.domains.resources._common import (
    calendar_of,
    invalidate_on_commit,
    load_for_update,
    read_of_row,
    to_read,
    touch,
)
from roomtime.domains.resources._hidden import HiddenSpec as HiddenSpec
from roomtime.domains.resources._hidden import close_hidden_resource as close_hidden_resource
from roomtime.domains.resources._hidden import create_hidden_resource as create_hidden_resource
from roomtime.domains.resources._hidden import hidden_file_urls as hidden_file_urls
from roomtime.domains.resources._hidden import hidden_seats_taken as hidden_seats_taken
from roomtime.domains.resources._hidden import update_hidden_resource as update_hidden_resource
from roomtime.domains.resources._horizon import extend_horizons
from roomtime.domains.resources._listing import list_resources
from roomtime.domains.resources._slot_admin import add_slots, block_slots, unblock_slots
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.models import OpeningHours, Resource
from roomtime.domains.resources.schemas import (
    OpeningHoursItem,
    ResourceCreate,
    ResourceFacts,
    ResourceRead,
    ResourceUpdate,
    minute_of_day,
)
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.calendar import SlotRange
from roomtime.domains.slots.schemas import SlotCalendar

__all__ = [
    "add_resource",
    "add_slots",
    "block_slots",
    "calendar_of",
    "create_resource",
    "deactivate_resource",
    "extend_horizons",
    "find_by_name",
    "get_facts",
    "get_resource",
    "list_resource_ids",
    "list_resources",
    "read_resource",
    "to_read",
    "unblock_slots",
    "update_resource",
]

_SCALAR_FIELDS = (
    "name",
    "location",
    "capacity",
    "description",
    "timezone",
    "slot_minutes",
    "hold_ttl_seconds",
    "max_hold_slots",
    "booking_mode",
    "cancel_deadline_minutes",
)


def _opening_hours(items: list[OpeningHoursItem]) -> list[OpeningHours]:
    return [
        OpeningHours(
            weekday=h.weekday,
            opens_minute=minute_of_day(h.opens),
            closes_minute=minute_of_day(h.closes),
        )
        for h in items
    ]


async def create_resource(
    session: AsyncSession,
    data: ResourceCreate,
    *,
    actor_user_id: int | None,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
    cache: Cache | None = None,
) -> Resource:
    """Create a resource and its slots for the rolling horizon, in one transaction."""
    async with tx.transactional(session):
        return await add_resource(
            session,
            data,
            actor_user_id=actor_user_id,
            now=now,
            default_hold_ttl=default_hold_ttl,
            horizon_days=horizon_days,
            cache=cache,
        )


async def add_resource(
    session: AsyncSession,
    data: ResourceCreate,
    *,
    actor_user_id: int | None,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
    cache: Cache | None = None,
) -> Resource:
    """`create_resource` inside the caller's transaction: for a domain whose own row is
    created together with its calendar (a specialist), so neither exists without the other."""
    fields = data.model_dump(exclude={"opening_hours", "hold_ttl_seconds"})
    resource = Resource(
        **fields,
        hold_ttl_seconds=data.hold_ttl_seconds or default_hold_ttl,
        opening_hours=_opening_hours(data.opening_hours),
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, resource)
    generated = await slots_service.fill_horizon(session, calendar_of(resource), now, horizon_days)
    await audit.record(
        session,
        action="resource.created",
        entity="resource",
        entity_id=resource.id,
        actor_user_id=actor_user_id,
        meta={"name": resource.name, "slots_created": generated.created},
    )
    invalidate_on_commit(session, cache, resource.id, listing=True)
    return resource


async def get_resource(
    session: AsyncSession, resource_id: int, *, include_inactive: bool = False
) -> Resource:
    """The resource; a deactivated one exists only for callers allowed to see it (admins)."""
    resource = await repository.get(session, resource_id)
    if resource is None or not (resource.is_active or include_inactive):
        raise ResourceNotFoundError(f"Resource {resource_id} does not exist")
    return resource


async def read_resource(
    session: Reader, resource_id: int, *, include_inactive: bool = False
) -> ResourceRead:
    """The resource as GET /resources/{id} answers it (the same 404s as `get_resource`)."""
    row = await repository.get_read_row(session, resource_id)
    if row is None or not (row["is_active"] or include_inactive):
        raise ResourceNotFoundError(f"Resource {resource_id} does not exist")
    return read_of_row(row)


async def get_facts(
    session: Reader, resource_id: int, *, include_inactive: bool = False
) -> ResourceFacts:
    """What a booking needs to know about the resource (the same 404s as `get_resource`),
    read in one statement: the write path's lookup."""
    row = await repository.get_facts(session, resource_id)
    if row is None:
        raise _not_found(resource_id)
    return _facts(row, resource_id, include_inactive=include_inactive)


async def get_facts_and_spans(
    session: Reader, resource_id: int, starts_at: datetime, ends_at: datetime
) -> tuple[ResourceFacts, list[SlotRange]]:
    """`get_facts` of an active resource and its slots overlapping [starts_at, ends_at),
    by start, in one statement: a hold's look before it takes its lock."""
    row = await repository.get_facts_and_spans(session, resource_id, starts_at, ends_at)
    if row is None:
        raise _not_found(resource_id)
    return _facts(row, resource_id, include_inactive=False), slots_service.spans_in(row)


def _facts(row: Mapping[str, Any], resource_id: int, *, include_inactive: bool) -> ResourceFacts:
    """The facts a row starts with; an inactive resource is not found unless
    `include_inactive`."""
    if not (row["is_active"] or include_inactive):
        raise _not_found(resource_id)
    return ResourceFacts(*(row[name] for name in _FACT_NAMES))


def _not_found(resource_id: int) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"Resource {resource_id} does not exist")


def with_facts(stmt: Select[Any], resource_id: ColumnElement[int]) -> Select[Any]:
    """`stmt` also reading the facts of the resource `resource_id` names (joined): for a
    use case that reads them with the row it locks, in one statement. `facts_in` takes
    them from its row."""
    return repository.with_facts(stmt, resource_id)


def facts_in(row: Mapping[str, Any]) -> ResourceFacts:
    """The facts a `with_facts` statement read, from its row."""
    prefix = repository.FACTS_PREFIX
    return ResourceFacts(*(row[f"{prefix}{name}"] for name in _FACT_NAMES))


_FACT_NAMES = tuple(field.name for field in fields(ResourceFacts))


async def _apply(
    session: AsyncSession, resource: Resource, data: ResourceUpdate, default_hold_ttl: int
) -> list[str]:
    """Replace the fields the client sent; return the names of those that changed."""
    sent = data.changes()
    wanted: dict[str, Any] = {k: v for k, v in sent.items() if k in _SCALAR_FIELDS}
    if "hold_ttl_seconds" in wanted:
        wanted["hold_ttl_seconds"] = wanted["hold_ttl_seconds"] or default_hold_ttl
    if "is_active" in sent:
        wanted["is_active"] = sent["is_active"]
    changed = [name for name, value in wanted.items() if getattr(resource, name) != value]
    for name in changed:
        setattr(resource, name, wanted[name])
    if "opening_hours" not in sent:
        return changed
    hours = _opening_hours(data.opening_hours)
    as_tuples = {(h.weekday, h.opens_minute, h.closes_minute) for h in hours}
    if as_tuples != {(h.weekday, h.opens_minute, h.closes_minute) for h in resource.opening_hours}:
        # Flush the removals first: the new rows may reuse a (weekday, opens) unique key.
        resource.opening_hours.clear()
        await session.flush()
        resource.opening_hours.extend(hours)
        changed.append("opening_hours")
    return changed


async def _resync_slots(
    session: AsyncSession,
    resource: Resource,
    changed: list[str],
    before: SlotCalendar,
    now: datetime,
    horizon_days: int,
) -> dict[str, int]:
    """Bring the future slots in line with the updated resource; say what it did."""
    after = calendar_of(resource)
    done: dict[str, int] = {}
    reshaped = {"timezone", "slot_minutes", "opening_hours"} & set(changed)
    reactivated = resource.is_active and "is_active" in changed
    if reshaped:
        rebuilt = await slots_service.rebuild_future(session, after, now, horizon_days)
        done.update(slots_deleted=rebuilt.deleted, slots_created=rebuilt.created)
    elif reactivated:
        # The daily job may have skipped it while it was inactive: catch up on the horizon.
        filled = await slots_service.fill_horizon(session, after, now, horizon_days)
        done["slots_created"] = filled.created
    if after.capacity != before.capacity:
        resized = await slots_service.set_future_capacity(session, after, now)
        done["slots_resized"] = resized.changed
    return done


async def update_resource(
    session: AsyncSession,
    resource_id: int,
    data: ResourceUpdate,
    *,
    actor_user_id: int | None,
    now: datetime,
    default_hold_ttl: int,
    horizon_days: int,
    cache: Cache | None = None,
) -> Resource:
    """Replace the editable fields; regenerate the future slots that are still free.

    Held, booked and blocked slots are never touched by a change of calendar.
    """
    async with tx.transactional(session):
        resource = await load_for_update(session, resource_id)
        before = calendar_of(resource)
        changed = await _apply(session, resource, data, default_hold_ttl)
        if changed:
            touch(resource, now)
            done = await _resync_slots(session, resource, changed, before, now, horizon_days)
            await audit.record(
                session,
                action="resource.updated",
                entity="resource",
                entity_id=resource.id,
                actor_user_id=actor_user_id,
                meta={"changed": changed, **done},
            )
            invalidate_on_commit(session, cache, resource.id, listing=True)
    return resource


async def deactivate_resource(
    session: AsyncSession,
    resource_id: int,
    *,
    actor_user_id: int | None,
    now: datetime,
    cache: Cache | None = None,
) -> None:
    """Hide the resource from users and search; its bookings stay. Idempotent."""
    async with tx.transactional(session):
        resource = await load_for_update(session, resource_id)
        if not resource.is_active:
            return
        resource.is_active = False
        touch(resource, now)
        await audit.record(
            session,
            action="resource.deactivated",
            entity="resource",
            entity_id=resource.id,
            actor_user_id=actor_user_id,
            meta={"name": resource.name},
        )
        invalidate_on_commit(session, cache, resource.id, listing=True)


async def find_by_name(session: AsyncSession, name: str) -> Resource | None:
    return await repository.get_by_name(session, name)


async def list_resource_ids(session: AsyncSession, *, include_inactive: bool = False) -> list[int]:
    return await repository.list_ids(session, include_inactive=include_inactive)
