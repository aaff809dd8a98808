"""Regenerated slots never overlap the slots that were kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from roomtime.domains.slots.calendar import SlotRange, drop_overlapping, local_days

pytestmark = pytest.mark.unit

T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def _r(start_min: int, end_min: int) -> SlotRange:
    return SlotRange(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min))


def test_half_hour_slots_skip_a_kept_booked_hour() -> None:
    new = [_r(m, m + 30) for m in range(0, 240, 30)]
    kept = [_r(60, 120)]  # booked 09:00-10:00 under the old 60-minute length
    result = drop_overlapping(new, kept)
    assert _r(60, 90) not in result and _r(90, 120) not in result
    assert result == [_r(0, 30), _r(30, 60), *[_r(m, m + 30) for m in range(120, 240, 30)]]


def test_longer_slots_skip_every_kept_slot_they_would_cover() -> None:
    new = [_r(0, 120), _r(120, 240)]
    kept = [_r(150, 165)]
    assert drop_overlapping(new, kept) == [_r(0, 120)]


def test_touching_ranges_do_not_overlap() -> None:
    new = [_r(0, 60), _r(60, 120), _r(120, 180)]
    assert drop_overlapping(new, [_r(60, 120)]) == [_r(0, 60), _r(120, 180)]


def test_nothing_kept_keeps_everything() -> None:
    new = [_r(0, 60), _r(60, 120)]
    assert drop_overlapping(new, []) == new


def test_local_days_follow_the_time_zone() -> None:
    late = datetime(2030, 1, 7, 23, 30, tzinfo=UTC)  # already 8 January in Berlin
    assert local_days([late], ZoneInfo("Europe/Berlin")) == {date(2030, 1, 8)}
    assert local_days([late], ZoneInfo("UTC")) == {date(2030, 1, 7)}
