"""SQL for the utilisation summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import fetch_page
from roomtime.domains.reports.models import ResourceUtilizationDaily as Row

_VALUES = ("bookings", "booked_minutes", "open_minutes", "utilization_pct")


async def upsert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update the rows; returns how many were new or different. An unchanged
    row is not rewritten (not even its computed_at), so a re-run changes nothing."""
    if not rows:
        return 0
    stmt = insert(Row).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=["resource_id", "local_date"],
        set_={name: stmt.excluded[name] for name in (*_VALUES, "computed_at")},
        where=tuple_(*(getattr(Row, n) for n in _VALUES)).is_distinct_from(
            tuple_(*(stmt.excluded[n] for n in _VALUES))
        ),
    ).returning(Row.resource_id)
    return len((await session.execute(stmt)).all())


async def page(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    resource_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    conditions = []
    if date_from is not None:
        conditions.append(Row.local_date >= date_from)
    if date_to is not None:
        conditions.append(Row.local_date <= date_to)
    if resource_id is not None:
        conditions.append(Row.resource_id == resource_id)
    order = [Row.local_date.asc(), Row.resource_id.asc()]  # the primary key: a total order
    return await fetch_page(session, select(Row).where(*conditions), order, limit, offset)
