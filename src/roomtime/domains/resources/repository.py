"""SQL for resources and their opening hours.

The hot reads (a resource's facts, a resource as read, a filtered list) are built with named
parameters (`core.prepared.param`), compiled once and run raw: a list once per shape, that
is which filters it has and its sort (`ListShape`); the filters' values are parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncpg import Record
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Integer,
    ScalarSelect,
    Select,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import Sort, ordered, page_statements
from roomtime.core.prepared import Arg, Prepared, Reader, param
from roomtime.domains.resources.models import OpeningHours, Resource
from roomtime.domains.resources.schemas import ResourceListQuery
from roomtime.domains.slots import service as slots_service

# LIMIT and OFFSET as SQLAlchemy types them when given as numbers.
_PAGE_BOUND = Integer()

# Names sort case-insensitively, the same on every server whatever its collation.
_SORTABLE = {
    "name": func.lower(Resource.name),
    "created_at": Resource.created_at,
    "capacity": Resource.capacity,
}


async def get(session: AsyncSession, resource_id: int) -> Resource | None:
    return await session.get(Resource, resource_id)


_FACTS = (
    Resource.id,
    Resource.name,
    Resource.timezone,
    Resource.booking_mode,
    Resource.capacity,
    Resource.hold_ttl_seconds,
    Resource.max_hold_slots,
    Resource.cancel_deadline_minutes,
    Resource.is_active,
)


def facts_query(resource_id: Arg[int]) -> Select[Any]:
    return select(*_FACTS).where(Resource.id == resource_id)


FACTS = Prepared(lambda: facts_query(param("resource_id", Resource.id.type)))


def _facts_and_spans() -> Select[Any]:
    at = DateTime(timezone=True)
    resource_id = param("resource_id", Resource.id.type)
    return slots_service.with_spans(
        facts_query(resource_id), resource_id, param("start", at), param("end", at)
    )


# A hold's look at the resource and at the slots of its range, in one statement.
FACTS_AND_SPANS = Prepared(_facts_and_spans)


async def get_facts_and_spans(
    session: Reader, resource_id: int, start: datetime, end: datetime
) -> Record | None:
    """`get_facts`, with the ranges of the resource's slots overlapping [start, end)
    (`slots_service.spans_in` reads them from the row)."""
    return await FACTS_AND_SPANS.fetchrow(session, resource_id=resource_id, start=start, end=end)


# How the facts are named in a statement that reads them beside another table's columns.
FACTS_PREFIX = "facts_"


def with_facts(stmt: Select[Any], resource_id: ColumnElement[int]) -> Select[Any]:
    """`stmt`, joined to the resource `resource_id` names and also reading its facts, as
    `FACTS_PREFIX` + name; `stmt`'s locks are its own (a `FOR UPDATE OF` its table)."""
    facts = (column.label(f"{FACTS_PREFIX}{column.key}") for column in _FACTS)
    table = Resource.__table__
    return stmt.join(table, table.c.id == resource_id).add_columns(*facts)


async def get_facts(session: Reader, resource_id: int) -> Record | None:
    """The columns a booking reads, in one statement: no ORM object, no opening hours
    (loading `Resource` also loads its opening hours, a second statement)."""
    return await FACTS.fetchrow(session, resource_id=resource_id)


async def get_for_update(session: AsyncSession, resource_id: int) -> Resource | None:
    # NO KEY UPDATE: bookings referencing the row (FOR KEY SHARE) are not held up by it.
    stmt = select(Resource).where(Resource.id == resource_id).with_for_update(key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_by_name(session: AsyncSession, name: str) -> Resource | None:
    stmt = select(Resource).where(Resource.name == name).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, resource: Resource) -> Resource:
    session.add(resource)
    await session.flush()
    return resource


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class ListShape:
    """Which filters of a list are present: with the sort, all its SQL depends on."""

    include_inactive: bool
    text: bool
    location: bool
    min_capacity: bool

    @classmethod
    def of(cls, query: ResourceListQuery) -> ListShape:
        return cls(
            include_inactive=query.include_inactive,
            text=bool(query.q),
            location=bool(query.location),
            min_capacity=query.min_capacity is not None,
        )


def filter_params(query: ResourceListQuery) -> dict[str, Any]:
    """The values of the parameters `filters` names, for the filters present."""
    params: dict[str, Any] = {}
    if query.q:
        params["pattern"] = f"%{_escape_like(query.q)}%"
    if query.location:
        params["location"] = query.location.lower()
    if query.min_capacity is not None:
        params["min_capacity"] = query.min_capacity
    return params


def filters(
    shape: ListShape, extra: Sequence[ColumnElement[bool]] = ()
) -> list[ColumnElement[bool]]:
    """The conditions of a list of that shape, its values as parameters (`filter_params`)."""
    # Hidden resources belong to another domain (an event's seats): never listed.
    conditions: list[ColumnElement[bool]] = [*extra, Resource.is_hidden.is_(False)]
    if not shape.include_inactive:
        conditions.append(Resource.is_active.is_(True))
    if shape.text:
        pattern = param("pattern", Resource.name.type)
        conditions.append(
            or_(
                Resource.name.ilike(pattern, escape="\\"),
                Resource.location.ilike(pattern, escape="\\"),
                Resource.description.ilike(pattern, escape="\\"),
            )
        )
    if shape.location:
        conditions.append(
            func.lower(Resource.location) == param("location", Resource.location.type)
        )
    if shape.min_capacity:
        conditions.append(Resource.capacity >= param("min_capacity", Resource.capacity.type))
    return conditions


# What a reader of a resource sees (schemas.ResourceRead), as plain columns: the read paths
# build their answer from rows, without loading ORM objects (their identity map, attribute
# instrumentation and the selectin load of opening hours showed in the read profiles).
_READ_COLUMNS = (
    Resource.id,
    Resource.name,
    Resource.location,
    Resource.capacity,
    Resource.description,
    Resource.timezone,
    Resource.slot_minutes,
    Resource.hold_ttl_seconds,
    Resource.max_hold_slots,
    Resource.booking_mode,
    Resource.cancel_deadline_minutes,
    Resource.is_active,
    Resource.file_path,
    Resource.created_at,
    Resource.updated_at,
)


def _hours_of_row() -> ScalarSelect[Any]:
    """The row's opening hours as one JSON array of [weekday, opens, closes], in order:
    a correlated subquery, so a resource and its hours come back in one row."""
    item = func.json_build_array(
        OpeningHours.weekday, OpeningHours.opens_minute, OpeningHours.closes_minute
    )
    ordered_items = aggregate_order_by(item, OpeningHours.weekday, OpeningHours.opens_minute)
    hours = func.coalesce(func.json_agg(ordered_items), literal_column("'[]'::json"))
    stmt = select(type_coerce(hours, JSON)).where(OpeningHours.resource_id == Resource.id)
    return stmt.scalar_subquery()


def read_query() -> Select[Any]:
    return select(*_READ_COLUMNS, _hours_of_row().label("hours"))


def read_by_id_query(resource_id: Arg[int]) -> Select[Any]:
    return read_query().where(Resource.id == resource_id)


READ_BY_ID = Prepared(lambda: read_by_id_query(param("resource_id", Resource.id.type)))


async def get_read_row(session: Reader, resource_id: int) -> Record | None:
    """The resource as read (its columns and opening hours), in one statement."""
    return await READ_BY_ID.fetchrow(session, resource_id=resource_id)


def list_statements(
    conditions: Sequence[ColumnElement[bool]], sort: Sort, limit: Arg[int], offset: Arg[int]
) -> tuple[Select[Any], Select[tuple[int]]]:
    """The page query and the count query of a list (separate so their plans can be read)."""
    order = ordered(_SORTABLE[sort.field], sort, Resource.id)
    return page_statements(read_query().where(*conditions), order, limit, offset)


def prepared_list(
    conditions: Sequence[ColumnElement[bool]], sort: Sort
) -> tuple[Prepared, Prepared]:
    """`list_statements` of a list shape, with its page as the parameters `limit`, `offset`."""
    limit, offset = param("limit", _PAGE_BOUND), param("offset", _PAGE_BOUND)
    page, count = list_statements(conditions, sort, limit, offset)
    return Prepared(lambda: page), Prepared(lambda: count)


async def list_page(
    session: Reader, statements: tuple[Prepared, Prepared], params: Mapping[str, Any]
) -> tuple[list[Record], int]:
    """One page of a list (`prepared_list`) as read rows, and how many match."""
    page, count = statements
    rows = await page.fetch(session, **params)
    return rows, int(await count.fetchval(session, **params) or 0)


async def list_ids(session: AsyncSession, *, include_inactive: bool = False) -> list[int]:
    stmt = select(Resource.id).where(Resource.is_hidden.is_(False)).order_by(Resource.id)
    if not include_inactive:
        stmt = stmt.where(Resource.is_active.is_(True))
    return list((await session.execute(stmt)).scalars().all())


async def file_urls(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, str | None]:
    stmt = select(Resource.id, Resource.file_path).where(Resource.id.in_(resource_ids))
    return dict((await session.execute(stmt)).all())
