"""Hidden resources: the bookable side of something another domain owns (an event's seats).

Created inactive and hidden, so no listing shows them and no ordinary hold reaches them
(`get_resource` refuses inactive ones); the owning domain books them through the booking
engine with `include_inactive`. Their calendar is one shared slot covering the whole span.
The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.resources import repository
from roomtime.domains.resources._common import touch
from roomtime.domains.resources.constants import BOOKING_MODE_SHARED
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.models import Resource
from roomtime.domains.slots import service as slots_service


@dataclass(frozen=True, slots=True)
class HiddenSpec:
    name: str
    location: str
    capacity: int
    starts_at: datetime
    ends_at: datetime
    hold_ttl_seconds: int


async def create_hidden_resource(
    session: AsyncSession, spec: HiddenSpec, *, now: datetime
) -> Resource:
    resource = Resource(
        name=spec.name,
        location=spec.location,
        capacity=spec.capacity,
        description="",
        is_active=False,
        is_hidden=True,
        booking_mode=BOOKING_MODE_SHARED,
        hold_ttl_seconds=spec.hold_ttl_seconds,
        max_hold_slots=1,
        opening_hours=[],
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, resource)
    await slots_service.add_whole_span(
        session, resource.id, spec.starts_at, spec.ends_at, spec.capacity
    )
    return resource


async def _hidden_for_update(session: AsyncSession, resource_id: int) -> Resource:
    resource = await repository.get_for_update(session, resource_id)
    if resource is None or not resource.is_hidden:
        raise ResourceNotFoundError(f"Resource {resource_id} does not exist")
    return resource


async def update_hidden_resource(
    session: AsyncSession, resource_id: int, spec: HiddenSpec, *, now: datetime
) -> bool:
    """Bring the hidden resource and its slot in line with `spec`; False (and nothing
    changed in the slot's seats) when more seats are taken than `spec.capacity`."""
    resource = await _hidden_for_update(session, resource_id)
    if not await slots_service.resize_whole_span(session, resource_id, spec.capacity):
        return False
    await slots_service.move_whole_span(session, resource_id, spec.starts_at, spec.ends_at)
    resource.name, resource.location = spec.name, spec.location
    resource.capacity, resource.hold_ttl_seconds = spec.capacity, spec.hold_ttl_seconds
    touch(resource, now)
    await session.flush()
    return True


async def close_hidden_resource(session: AsyncSession, resource_id: int) -> None:
    """No seat of it can be taken any more (seat-takers in flight finish first)."""
    await _hidden_for_update(session, resource_id)
    await slots_service.close_whole_span(session, resource_id)


async def hidden_seats_taken(session: AsyncSession, resource_id: int) -> int:
    return await slots_service.seats_taken_in_span(session, resource_id)


async def hidden_file_urls(session: AsyncSession, resource_ids: list[int]) -> dict[int, str | None]:
    """The current file URL of each resource (an event's image), None where it has none."""
    if not resource_ids:
        return {}
    return await repository.file_urls(session, resource_ids)
