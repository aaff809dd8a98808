"""One local day of a resource read from PostgreSQL after a cache miss, and written back.

Shared by the route (domains/resources/availability_router) and by the front that answers
anonymous requests before routing (availability_front), so both compute the same answer the
same way: the resource's facts (time zone, whether it is active) as remembered under the
generation this lookup read, then the day, written back under the lookup's stamp.
"""

from __future__ import annotations

from datetime import date

from starlette.datastructures import State

from roomtime.core.prepared import Reader
from roomtime.core.replica import Reads
from roomtime.domains.availability import service as availability_service
from roomtime.domains.availability.service import DayLookup


async def read_missed_day(
    state: State,
    session: Reader,
    lookup: DayLookup,
    resource_id: int,
    day: date,
    *,
    include_inactive: bool,
) -> bytes:
    """The day's JSON as the cache will hold it (404 problem if the resource is not
    visible: missing, or deactivated and `include_inactive` false)."""
    infra, settings, clock = state.infra, state.settings, state.clock

    async def answer(read_session: Reader) -> bytes:
        # Visibility is checked where the day is read: the replica, when it is recent.
        resource = await infra.resource_facts.get(
            read_session, resource_id, lookup.resource_generation, include_inactive=include_inactive
        )
        return await availability_service.answer_day(
            read_session,
            infra.cache,
            lookup,
            resource_id=resource.id,
            timezone=resource.timezone,
            resource_active=resource.is_active,
            day=day,
            now=clock(),
            ttl_seconds=settings.booking.availability_cache_ttl_seconds,
        )

    return await Reads(session, infra.replica).run(lookup.fence, answer)
