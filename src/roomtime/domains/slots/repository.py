"""SQL for time slots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots.calendar import SlotRange
from roomtime.domains.slots.constants import SLOT_AVAILABLE
from roomtime.domains.slots.models import TimeSlot

_INSERT_BATCH = 2000


async def insert_missing(
    session: AsyncSession, resource_id: int, capacity: int, ranges: Sequence[SlotRange]
) -> int:
    """Insert the slots that do not exist yet; existing ones (any status) stay untouched."""
    inserted = 0
    for offset in range(0, len(ranges), _INSERT_BATCH):
        rows = [
            {
                "resource_id": resource_id,
                "starts_at": r.starts_at,
                "ends_at": r.ends_at,
                "capacity": capacity,
                "status": SLOT_AVAILABLE,
            }
            for r in ranges[offset : offset + _INSERT_BATCH]
        ]
        stmt = (
            insert(TimeSlot)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["resource_id", "starts_at"])
            .returning(TimeSlot.id)
        )
        inserted += len((await session.execute(stmt)).all())
    return inserted


async def list_between(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> Sequence[TimeSlot]:
    stmt = (
        select(TimeSlot)
        .where(
            TimeSlot.resource_id == resource_id,
            TimeSlot.starts_at >= start,
            TimeSlot.starts_at < end,
        )
        .order_by(TimeSlot.starts_at)
    )
    return (await session.execute(stmt)).scalars().all()
