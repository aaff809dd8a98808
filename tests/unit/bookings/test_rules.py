"""check_hold_range: the hold validation of R-23, one test per refusal and the happy path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from roomtime.domains.bookings import errors
from roomtime.domains.bookings.rules import check_hold_range

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def _slots(*hours: int) -> list[Slot]:
    return [Slot(NOW + h * HOUR, NOW + (h + 1) * HOUR) for h in hours]


def _check(
    slots: list[Slot],
    start: int,
    end: int,
    *,
    now_offset: int = 0,
    max_slots: int = 8,
    party_size: int = 1,
    capacity: int = 1,
) -> None:
    check_hold_range(
        slots,
        starts_at=NOW + start * HOUR,
        ends_at=NOW + end * HOUR,
        now=NOW + now_offset * HOUR,
        max_slots=max_slots,
        party_size=party_size,
        capacity=capacity,
    )


def test_a_contiguous_aligned_future_run_passes() -> None:
    _check(_slots(2, 3, 4), 2, 5)  # no exception is the assertion: each refusal is below


@pytest.mark.parametrize(
    ("slots", "start", "end", "limits", "error"),
    [
        (_slots(2), 3, 3, {}, errors.InvalidRangeError),
        (_slots(2), 3, 2, {}, errors.InvalidRangeError),
        (_slots(2), 2, 3, {"now_offset": 3}, errors.StartsInPastError),
        (_slots(2), 2, 3, {"party_size": 5, "capacity": 4}, errors.PartyTooLargeError),
        ([], 2, 3, {}, errors.OutsideOpeningHoursError),
        # The range starts or ends inside a slot.
        ([Slot(NOW + 2 * HOUR - HOUR / 2, NOW + 3 * HOUR)], 2, 3, {}, errors.NotAlignedError),
        ([Slot(NOW + 2 * HOUR, NOW + 3 * HOUR + HOUR / 2)], 2, 3, {}, errors.NotAlignedError),
        # Slots exist only for part of the range.
        (_slots(2), 2, 4, {}, errors.OutsideOpeningHoursError),
        (_slots(3), 2, 4, {}, errors.OutsideOpeningHoursError),
        # A gap between slots: the range crosses a closed period.
        (_slots(2, 4), 2, 5, {}, errors.OutsideOpeningHoursError),
        (_slots(2, 3, 4), 2, 5, {"max_slots": 2}, errors.TooManySlotsError),
    ],
    ids=[
        "empty",
        "reversed",
        "past",
        "party",
        "no_slots",
        "starts_inside",
        "ends_inside",
        "tail_missing",
        "head_missing",
        "gap",
        "too_many",
    ],
)
def test_each_refusal_has_its_own_error(
    slots: list[Slot], start: int, end: int, limits: dict[str, int], error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        _check(slots, start, end, **limits)
    assert type(caught.value) is error


def test_party_equal_to_capacity_and_max_slots_exactly_pass() -> None:
    _check(_slots(2, 3), 2, 4, max_slots=2, party_size=4, capacity=4)
