"""Where a service fits among a day's free slots (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from roomtime.domains.specialists.errors import DurationNotOnGridError
from roomtime.domains.specialists.slot_finder import fitting_starts, slots_needed

pytestmark = pytest.mark.unit

DAY = datetime(2030, 1, 7, tzinfo=UTC)


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime


def free(*hours: float, minutes: int = 30) -> list[Slot]:
    return [
        Slot(DAY + timedelta(hours=h), DAY + timedelta(hours=h, minutes=minutes)) for h in hours
    ]


def starts(found: list[tuple[datetime, datetime]]) -> list[float]:
    return [(s - DAY).total_seconds() / 3600 for s, _ in found]


def test_a_90_minute_service_needs_three_free_slots_in_a_row() -> None:
    found = fitting_starts(free(8, 8.5, 9, 9.5, 10, 10.5, 11, 11.5), timedelta(minutes=90))
    assert starts(found) == [8, 8.5, 9, 9.5, 10, 10.5]
    assert all(e - s == timedelta(minutes=90) for s, e in found)


def test_a_taken_slot_in_the_middle_removes_every_start_crossing_it() -> None:
    # 09:30 is taken: no 90-minute range may cross it.
    found = fitting_starts(free(8, 8.5, 9, 10, 10.5, 11, 11.5), timedelta(minutes=90))
    assert starts(found) == [8, 10, 10.5]


def test_a_service_as_long_as_a_slot_fits_every_free_slot() -> None:
    assert starts(fitting_starts(free(8, 9, 11), timedelta(minutes=30))) == [8, 9, 11]


def test_nothing_fits_a_day_shorter_than_the_service() -> None:
    assert fitting_starts(free(8, 8.5), timedelta(minutes=90)) == []
    assert fitting_starts([], timedelta(minutes=30)) == []


@pytest.mark.parametrize(("duration", "slot", "needed"), [(90, 30, 3), (30, 30, 1), (60, 15, 4)])
def test_slots_needed_on_the_grid(duration: int, slot: int, needed: int) -> None:
    assert slots_needed(duration, slot) == needed


@pytest.mark.parametrize(("duration", "slot"), [(45, 30), (20, 30), (0, 30)])
def test_a_duration_off_the_grid_is_refused(duration: int, slot: int) -> None:
    with pytest.raises(DurationNotOnGridError):
        slots_needed(duration, slot)
