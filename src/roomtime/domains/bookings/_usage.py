"""How much of a resource's time its bookings used, per local day (for the utilisation report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings import repository
from roomtime.domains.slots import service as slots_service


@dataclass(frozen=True, slots=True)
class DayUsage:
    bookings: int
    minutes: int  # booked minutes; seat-minutes (× party size) when counted per seat


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


async def usage_by_day(
    session: AsyncSession,
    resource_id: int,
    timezone: str,
    first_day: date,
    last_day: date,
    *,
    per_seat: bool,
) -> dict[date, DayUsage]:
    """Bookings (confirmed or archived) overlapping each local day of [first_day, last_day]
    and the minutes of the day they cover; a booking across midnight counts in both days."""
    tz = ZoneInfo(timezone)
    start, end = _day_start(first_day, tz), _day_start(last_day + timedelta(days=1), tz)
    counts: dict[date, list[int]] = {}
    for starts_at, ends_at, party_size in await repository.counted_in_window(
        session, resource_id, start, end
    ):
        for day in slots_service.local_days_of_range(timezone, starts_at, ends_at):
            if not first_day <= day <= last_day:
                continue
            lo, hi = _day_start(day, tz), _day_start(day + timedelta(days=1), tz)
            tally = counts.setdefault(day, [0, 0])
            tally[0] += 1
            tally[1] += _minutes(max(starts_at, lo), min(ends_at, hi)) * (
                party_size if per_seat else 1
            )
    return {day: DayUsage(n, minutes) for day, (n, minutes) in counts.items()}
