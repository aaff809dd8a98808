"""RoomTime's own read statements as raw SQL for asyncpg, so the baselines run the same query.

RoomTime compiles its hot reads once (roomtime.core.prepared): the baselines take those very
statements, SQL text and parameter order, and pass each request's values the way RoomTime
does, without touching SQLAlchemy per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from roomtime.core.pagination import Sort
from roomtime.core.prepared import Compiled, Prepared
from roomtime.domains.resources import repository as resources_repository
from roomtime.domains.resources._listing import list_statements
from roomtime.domains.resources.schemas import ResourceListQuery
from roomtime.domains.slots import repository as slots_repository


@dataclass(frozen=True)
class RawStatement:
    sql: str
    compiled: Compiled

    def args(self, values: dict[str, Any]) -> list[Any]:
        return self.compiled.args(values)


def _raw(prepared: Prepared) -> RawStatement:
    return RawStatement(prepared.sql, prepared.compiled)


def day_statements() -> list[RawStatement]:
    """What an availability miss asks PostgreSQL about the day (after the resource's facts)."""
    return [_raw(slots_repository.AVAILABLE_DAY)]


def day_args(stmt: RawStatement, resource_id: int, start: datetime, end: datetime) -> list[Any]:
    now = datetime.now(UTC)
    return stmt.args({"resource_id": resource_id, "start": start, "end": end, "now": now})


def resource_statements() -> list[RawStatement]:
    """GET /resources/{id}: the row with its opening hours as a JSON array, one statement."""
    return [_raw(resources_repository.READ_BY_ID)]


def resource_args(stmt: RawStatement, resource_id: int) -> list[Any]:
    return stmt.args({"resource_id": resource_id})


def listing_statements() -> list[RawStatement]:
    """GET /resources?min_capacity=..: the page (rows with their opening hours) and the
    count, of the shape RoomTime answers that query with."""
    page, count = list_statements(ResourceListQuery(min_capacity=1), Sort("name"))
    return [_raw(page), _raw(count)]


def listing_args(stmt: RawStatement, min_capacity: int, limit: int, offset: int) -> list[Any]:
    # The parameters RoomTime's `list_params` gives a query with only `min_capacity`.
    return stmt.args({"min_capacity": min_capacity, "limit": limit, "offset": offset})
