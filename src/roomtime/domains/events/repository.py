"""SQL for events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.events.models import Event


async def add(session: AsyncSession, event: Event) -> Event:
    session.add(event)
    await session.flush()
    return event


async def get(session: AsyncSession, event_id: int) -> Event | None:
    stmt = select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, event_id: int) -> Event | None:
    # NO KEY UPDATE: bookings referencing the event (FOR KEY SHARE) are not held up by it.
    stmt = (
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_by_name(session: AsyncSession, name: str) -> Event | None:
    stmt = select(Event).where(Event.name == name).order_by(Event.id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listed(
    *, starts_from: datetime | None, starts_before: datetime | None, q: str | None
) -> Select[tuple[Event]]:
    """Events overlapping [starts_from, starts_before) whose text matches `q`."""
    stmt = select(Event)
    if starts_from is not None:
        stmt = stmt.where(Event.ends_at > starts_from)
    if starts_before is not None:
        stmt = stmt.where(Event.starts_at < starts_before)
    if q:
        pattern = f"%{_escape_like(q)}%"
        stmt = stmt.where(
            or_(
                Event.name.ilike(pattern, escape="\\"),
                Event.short_description.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
                Event.location.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def upcoming_first(now: datetime) -> Sequence[ColumnElement[object]]:
    """Events not yet over first, soonest first; then the past ones, latest first."""
    over = case((Event.ends_at <= now, 1), else_=0)
    upcoming_start = case((Event.ends_at > now, Event.starts_at))
    return [over.asc(), upcoming_start.asc(), Event.starts_at.desc(), Event.id.asc()]
