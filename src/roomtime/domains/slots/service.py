"""Time slots: generation from opening hours and status changes. Callers own the transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.slots import repository
from roomtime.domains.slots.calendar import slots_for_range
from roomtime.domains.slots.schemas import GenerationResult, SlotCalendar


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


async def generate_slots(
    session: AsyncSession, calendar: SlotCalendar, first_day: date, last_day: date
) -> GenerationResult:
    """Create the missing slots of [first_day, last_day] (local days); idempotent."""
    tz = ZoneInfo(calendar.timezone)
    ranges = slots_for_range(first_day, last_day, calendar.hours, calendar.slot_minutes, tz)
    created = await repository.insert_missing(
        session, calendar.resource_id, calendar.capacity, ranges
    )
    return GenerationResult(first_day, last_day, created)


async def fill_horizon(
    session: AsyncSession, calendar: SlotCalendar, now: datetime, horizon_days: int
) -> GenerationResult:
    """Make sure slots exist from today to today + horizon (the resource's local days)."""
    today = local_today(now, calendar.timezone)
    return await generate_slots(session, calendar, today, today + timedelta(days=horizon_days - 1))
