"""Pure slot arithmetic: opening hours in local time → slot ranges in UTC. No I/O."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class OpenInterval:
    weekday: int  # 0 = Monday
    opens_minute: int
    closes_minute: int  # up to 1440 = midnight at the end of the day


@dataclass(frozen=True, slots=True)
class SlotRange:
    starts_at: datetime
    ends_at: datetime


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of `minute` past local midnight of `day` (1440 = next midnight).

    A wall time skipped by a spring-forward change resolves forwards, as zoneinfo does.
    """
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return wall.astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC range [start, end) of a local calendar day (23 or 25 hours on DST days)."""
    return local_instant(day, 0, tz), local_instant(day, MINUTES_PER_DAY, tz)


def slots_for_day(
    day: date, hours: Iterable[OpenInterval], slot_minutes: int, tz: ZoneInfo
) -> Iterator[SlotRange]:
    """Consecutive slots of `slot_minutes` from each opening to its closing time.

    Steps are taken in absolute time, so a day whose clocks change yields one slot fewer or
    more of real time: a 00:00–24:00 resource has 23 hourly slots in spring, 25 in autumn.
    """
    step = timedelta(minutes=slot_minutes)
    for interval in sorted(hours, key=lambda h: h.opens_minute):
        if interval.weekday != day.weekday():
            continue
        start = local_instant(day, interval.opens_minute, tz)
        close = local_instant(day, interval.closes_minute, tz)
        while start + step <= close:
            yield SlotRange(start, start + step)
            start += step


def slots_for_range(
    first_day: date,
    last_day: date,
    hours: Iterable[OpenInterval],
    slot_minutes: int,
    tz: ZoneInfo,
) -> list[SlotRange]:
    """Slots of every local day from `first_day` to `last_day` inclusive."""
    hours = list(hours)
    result: list[SlotRange] = []
    day = first_day
    while day <= last_day:
        result.extend(slots_for_day(day, hours, slot_minutes, tz))
        day += timedelta(days=1)
    return result


def drop_overlapping(ranges: Iterable[SlotRange], existing: Sequence[SlotRange]) -> list[SlotRange]:
    """The `ranges` that overlap none of the `existing` slots (sorted by start, disjoint).

    Keeps regenerated calendars from creating a slot that overlaps a kept one, e.g. a new
    30-minute slot inside an hour that is still booked under the old slot length.
    """
    starts = [slot.starts_at for slot in existing]
    kept: list[SlotRange] = []
    for candidate in ranges:
        # The last existing slot starting before the candidate ends is the only one that can
        # overlap it: the ones before it end even earlier.
        index = bisect_left(starts, candidate.ends_at) - 1
        if index >= 0 and existing[index].ends_at > candidate.starts_at:
            continue
        kept.append(candidate)
    return kept


def local_days(starts: Iterable[datetime], tz: ZoneInfo) -> set[date]:
    """The local calendar days on which the given instants fall."""
    return {instant.astimezone(tz).date() for instant in starts}


def local_days_between(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> list[date]:
    """The local calendar days touched by [starts_at, ends_at), in order."""
    first = starts_at.astimezone(tz).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
