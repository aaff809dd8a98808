"""RoomTime's own read statements as raw SQL for asyncpg, so the baselines run the same query.

A statement is built once through the RoomTime repository function with placeholder values,
compiled for asyncpg (`$1, $2, ...`), and each placeholder position is remembered by value:
a request then passes its own values in those positions without touching SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.sql import Select

from roomtime.core.pagination import Sort
from roomtime.domains.resources import repository as resources_repository
from roomtime.domains.resources.models import Resource
from roomtime.domains.resources.schemas import ResourceListQuery
from roomtime.domains.slots import repository as slots_repository

_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]

# Placeholder values no real argument takes, told apart by value when binding.
_RESOURCE = -770001
_START = datetime(1901, 1, 1, tzinfo=UTC)
_END = datetime(1901, 1, 2, tzinfo=UTC)
_NOW = datetime(1901, 1, 3, tzinfo=UTC)
_LIMIT = 770_002
_OFFSET = 770_003
_MIN_CAPACITY = 77_004
_LONGEST_SLOT = slots_repository._LONGEST_SLOT  # the repository's own bound


@dataclass(frozen=True)
class RawStatement:
    sql: str
    slots: tuple[Any, ...]  # per position: a placeholder to replace, or a constant

    def args(self, values: dict[Any, Any]) -> list[Any]:
        return [values.get(v, v) if _hashable(v) else v for v in self.slots]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def compile_raw(stmt: Select[Any]) -> RawStatement:
    compiled = stmt.compile(dialect=_DIALECT)
    params = compiled.construct_params()
    names = compiled.positiontup or []
    return RawStatement(str(compiled), tuple(params[name] for name in names))


def day_statements() -> list[RawStatement]:
    """What an availability miss asks PostgreSQL (one statement or several)."""
    builders: Sequence[Callable[..., Select[Any]]] = _day_builders()
    return [compile_raw(build(_RESOURCE, _START, _END, _NOW)) for build in builders]


def _day_builders() -> Sequence[Callable[..., Select[Any]]]:
    combined = getattr(slots_repository, "available_day_query", None)
    if combined is not None:
        return [combined]
    return [slots_repository.available_in_day_query, slots_repository.earliest_live_hold_query]


def day_args(stmt: RawStatement, resource_id: int, start: datetime, end: datetime) -> list[Any]:
    now = datetime.now(UTC)
    values = {_RESOURCE: resource_id, _START: start, _END: end, _NOW: now}
    # The overlap probe's lower bound is derived from the start when the statement is
    # built (start minus the longest slot), so it is a value of its own to replace.
    values[_START - _LONGEST_SLOT] = start - _LONGEST_SLOT
    return stmt.args(values)


def resource_statements() -> list[RawStatement]:
    """GET /resources/{id}: the row with its opening hours as a JSON array, one statement."""
    return [compile_raw(resources_repository.read_query().where(Resource.id == _RESOURCE))]


def listing_statements() -> list[RawStatement]:
    """GET /resources?min_capacity=..: the page (rows with their opening hours) and the
    count."""
    query = ResourceListQuery(min_capacity=_MIN_CAPACITY)
    conditions = resources_repository.filters(query)
    page, count = resources_repository.list_statements(
        conditions, Sort("name", descending=False), _LIMIT, _OFFSET
    )
    return [compile_raw(page), compile_raw(count)]


def listing_args(stmt: RawStatement, min_capacity: int, limit: int, offset: int) -> list[Any]:
    return stmt.args({_MIN_CAPACITY: min_capacity, _LIMIT: limit, _OFFSET: offset})


def resource_args(stmt: RawStatement, resource_id: int) -> list[Any]:
    return stmt.args({_RESOURCE: resource_id})
