"""Slot arithmetic across time zones and daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from roomtime.domains.slots.calendar import (
    OpenInterval,
    day_bounds,
    local_days_between,
    slots_for_day,
    slots_for_range,
)

pytestmark = pytest.mark.unit

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = date(2026, 3, 29)  # clocks go 02:00 → 03:00
AUTUMN = date(2026, 10, 25)  # clocks go 03:00 → 02:00


def _all_day(day: date) -> list[OpenInterval]:
    return [OpenInterval(day.weekday(), 0, 1440)]


@pytest.mark.parametrize(("day", "expected"), [(SPRING, 23), (AUTUMN, 25), (date(2026, 6, 1), 24)])
def test_round_the_clock_resource_has_one_slot_per_real_hour(day: date, expected: int) -> None:
    slots = list(slots_for_day(day, _all_day(day), 60, BERLIN))
    assert len(slots) == expected
    assert all(s.starts_at.tzinfo is UTC for s in slots)
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)
    assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(slots))
    start, end = day_bounds(day, BERLIN)
    assert slots[0].starts_at == start and slots[-1].ends_at == end


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_office_hours_keep_local_wall_times_on_dst_days(day: date) -> None:
    hours = [OpenInterval(day.weekday(), 8 * 60, 20 * 60)]
    slots = list(slots_for_day(day, hours, 60, BERLIN))
    assert len(slots) == 12
    local_starts = [s.starts_at.astimezone(BERLIN).hour for s in slots]
    assert local_starts == list(range(8, 20))


def test_utc_offsets_change_with_the_season() -> None:
    winter = next(slots_for_day(date(2026, 1, 5), [OpenInterval(0, 480, 540)], 60, BERLIN))
    summer = next(slots_for_day(date(2026, 7, 6), [OpenInterval(0, 480, 540)], 60, BERLIN))
    assert winter.starts_at == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    assert summer.starts_at == datetime(2026, 7, 6, 6, 0, tzinfo=UTC)


def test_only_the_matching_weekday_opens_and_split_shifts_work() -> None:
    monday = date(2026, 1, 5)
    hours = [OpenInterval(0, 9 * 60, 12 * 60), OpenInterval(0, 14 * 60, 16 * 60)]
    slots = slots_for_range(monday, monday + timedelta(days=6), hours, 30, ZoneInfo("UTC"))
    assert len(slots) == 6 + 4
    assert {s.starts_at.date() for s in slots} == {monday}


def test_a_partial_trailing_slot_is_not_created() -> None:
    slots = list(slots_for_day(date(2026, 1, 5), [OpenInterval(0, 540, 610)], 60, ZoneInfo("UTC")))
    assert len(slots) == 1


def test_local_days_between_is_half_open_and_local() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:00-01:00 UTC on 7 Jan is 00:00-02:00 on 8 Jan in Berlin: one local day.
    start = datetime(2030, 1, 7, 23, 0, tzinfo=UTC)
    assert local_days_between(start, start + timedelta(hours=2), berlin) == [date(2030, 1, 8)]
    # Ending exactly at local midnight does not touch the next day.
    evening = datetime(2030, 1, 8, 21, 0, tzinfo=UTC)
    assert local_days_between(evening, evening + timedelta(hours=2), berlin) == [date(2030, 1, 8)]
    # Across midnight: both days, in order; across several days: every one of them.
    assert local_days_between(evening, evening + timedelta(hours=3), berlin) == [
        date(2030, 1, 8),
        date(2030, 1, 9),
    ]
    assert len(local_days_between(evening, evening + timedelta(days=3), berlin)) == 4
