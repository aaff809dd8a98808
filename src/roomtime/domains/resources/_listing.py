"""GET /resources: filters, sort, pagination, and the cached plain public list (R-22).

Only the plain list (no filter, no `include_inactive`) is cached, per sort/limit/offset, for
LIST_CACHE_TTL_SECONDS; every resource change bumps one generation counter that retires all
cached pages at once. Filtered and admin lists always come from PostgreSQL.

Both may be read from the replica (core.replica): the cached list once the replica has
replayed the list's fence (read with its stamp), a filtered list once it has replayed that
and, for a signed-in viewer, the fence of their own bookings (the `available_*` filters
must not show a range they have just booked as free).

A list's statements are compiled once per shape (which filters, which sort) and run raw
(core.prepared); the filters' values, the page and the clock are their parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Integer

from roomtime.core.pagination import Page, PageParams, Sort
from roomtime.core.prepared import Prepared, Reader, Shapes, param, with_values
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

# 32 filter combinations times 6 sorts: the common shapes stay, and the bound is explicit.
_SHAPES_KEPT = 128
_WHEN = DateTime(timezone=True)


@dataclass(frozen=True, slots=True)
class _Shape:
    filters: repository.ListShape
    available: bool
    sort: Sort

    @classmethod
    def of(cls, query: ResourceListQuery, sort: Sort) -> _Shape:
        available = query.available_from is not None and query.available_to is not None
        return cls(repository.ListShape.of(query), available, sort)


def _conditions(filters: repository.ListShape, available: bool) -> list[ColumnElement[bool]]:
    """The SQL conditions of the filters (the availability one comes from the slots domain),
    their values as parameters (`_params`)."""
    extra = []
    if available:
        extra.append(
            slots_service.covers_range(
                Resource.id,
                param("available_from", _WHEN),
                param("available_to", _WHEN),
                param("now", _WHEN),
                param("available_seconds", Integer()),
            )
        )
    return repository.filters(filters, extra)


def _params(query: ResourceListQuery, now: datetime) -> dict[str, Any]:
    params = repository.filter_params(query)
    if query.available_from is not None and query.available_to is not None:
        params["available_from"] = query.available_from
        params["available_to"] = query.available_to
        params["now"] = now
        params["available_seconds"] = slots_service.range_seconds(
            query.available_from, query.available_to
        )
    return params


def list_conditions(query: ResourceListQuery, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions of a list with the query's values in place of the parameters: the
    SQL the listing runs, as a statement of its own (to read its plan, say)."""
    shape = _Shape.of(query, Sort("name"))
    params = _params(query, now)
    return [with_values(c, params) for c in _conditions(shape.filters, shape.available)]


_STATEMENTS: Shapes[_Shape, tuple[Prepared, Prepared]] = Shapes(
    lambda shape: repository.prepared_list(_conditions(shape.filters, shape.available), shape.sort),
    _SHAPES_KEPT,
)


def list_statements(query: ResourceListQuery, sort: Sort) -> tuple[Prepared, Prepared]:
    """The page and count statements of the query's shape (see `list_params`)."""
    return _STATEMENTS[_Shape.of(query, sort)]


def list_params(query: ResourceListQuery, now: datetime, page: PageParams) -> dict[str, Any]:
    """The parameters of `list_statements` for this query and page."""
    return {**_params(query, now), "limit": page.limit, "offset": page.offset}


async def _query(
    session: Reader, query: ResourceListQuery, page: PageParams, sort: Sort, now: datetime
) -> ResourcePage:
    statements = list_statements(query, sort)
    rows, total = await repository.list_page(session, statements, list_params(query, now, page))
    return page.page([read_of_row(r) for r in rows], total)


async def list_resources(
    reads: Reads[Any],
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

    async def run(session: Reader) -> ResourcePage:
        return await _query(session, query, page, sort, now)

    keys = cache.keys
    if not query.is_plain:
        generations = [keys.resource_list_generation()]
        if viewer_id is not None:
            generations.append(keys.user_bookings_generation(viewer_id))
        return Cached(await reads.run_fenced(lambda: cache.fence(generations), run), hit=None)
    key = keys.resource_list(f"{sort}:{page.limit}:{page.offset}")
    lookup = await cache.read(key, [keys.resource_list_generation()])
    if lookup.hit:
        return Cached(ResourcePage.model_validate(lookup.value), hit=True)
    result = await reads.run(lookup.fence, run)
    await cache.write(key, result.model_dump(mode="json"), LIST_CACHE_TTL_SECONDS, lookup.stamp)
    return Cached(result, hit=False)
