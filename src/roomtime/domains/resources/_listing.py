"""GET /resources: filters, sort, pagination, and the cached plain public list (R-22).

Only the plain list (no filter, no `include_inactive`) is cached, per sort/limit/offset, for
LIST_CACHE_TTL_SECONDS; every resource change bumps one generation counter that retires all
cached pages at once. Filtered and admin lists always come from PostgreSQL.

Both may be read from the replica (core.replica): the cached list once the replica has
replayed the list's fence (read with its stamp), a filtered list once it has replayed that
and, for a signed-in viewer, the fence of their own bookings (the `available_*` filters
must not show a range they have just booked as free).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import Page, PageParams, Sort
from roomtime.core.redis.cache import Cache, Cached
from roomtime.core.replica import Reads
from roomtime.domains.auth.errors import AdminRequiredError
from roomtime.domains.resources import repository
from roomtime.domains.resources._common import read_of_row
from roomtime.domains.resources.constants import LIST_CACHE_TTL_SECONDS
from roomtime.domains.resources.models import Resource
from roomtime.domains.resources.schemas import ResourceListQuery, ResourceRead
from roomtime.domains.slots import service as slots_service

ResourcePage = Page[ResourceRead]


def list_conditions(query: ResourceListQuery, now: datetime) -> list[ColumnElement[bool]]:
    """The SQL conditions of the filters (the availability one comes from the slots domain)."""
    extra = []
    if query.available_from is not None and query.available_to is not None:
        extra.append(
            slots_service.covers_range(Resource.id, query.available_from, query.available_to, now)
        )
    return repository.filters(query, extra)


async def _query(
    session: AsyncSession, query: ResourceListQuery, page: PageParams, sort: Sort, now: datetime
) -> ResourcePage:
    conditions = list_conditions(query, now)
    rows, total = await repository.list_page(session, conditions, sort, page.limit, page.offset)
    return page.page([read_of_row(r) for r in rows], total)


async def list_resources(
    reads: Reads,
    cache: Cache,
    query: ResourceListQuery,
    page: PageParams,
    sort: Sort,
    *,
    viewer_id: int | None,
    viewer_is_admin: bool,
    now: datetime,
) -> Cached[ResourcePage]:
    """One page of resources; deactivated ones only for admins who ask for them."""
    if query.include_inactive and not viewer_is_admin:
        raise AdminRequiredError("Only administrators can list deactivated resources")

    async def run(session: AsyncSession) -> ResourcePage:
        return await _query(session, query, page, sort, now)

    keys = cache.keys
    if not query.is_plain:
        generations = [keys.resource_list_generation()]
        if viewer_id is not None:
            generations.append(keys.user_bookings_generation(viewer_id))
        return Cached(await reads.run(await cache.fence(generations), run), hit=None)
    key = keys.resource_list(f"{sort}:{page.limit}:{page.offset}")
    lookup = await cache.read(key, [keys.resource_list_generation()])
    if lookup.hit:
        return Cached(ResourcePage.model_validate(lookup.value), hit=True)
    result = await reads.run(lookup.fence, run)
    await cache.write(key, result.model_dump(mode="json"), LIST_CACHE_TTL_SECONDS, lookup.stamp)
    return Cached(result, hit=False)
