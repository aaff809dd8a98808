"""Where a service fits: pure functions over a day's free slots, unit-tested on their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from roomtime.domains.specialists.errors import DurationNotOnGridError


class FreeSlot(Protocol):
    @property
    def starts_at(self) -> datetime: ...

    @property
    def ends_at(self) -> datetime: ...


def slots_needed(duration_minutes: int, slot_minutes: int) -> int:
    """How many consecutive slots a service takes; it must be a whole number of them."""
    if duration_minutes <= 0 or duration_minutes % slot_minutes:
        raise DurationNotOnGridError(
            f"A {duration_minutes}-minute service does not fit the calendar's "
            f"{slot_minutes}-minute slots; use a multiple of {slot_minutes} minutes"
        )
    return duration_minutes // slot_minutes


def fitting_starts(
    free: Sequence[FreeSlot], duration: timedelta
) -> list[tuple[datetime, datetime]]:
    """The starts whose whole `duration` is covered by free slots without a gap.

    `free` is ordered by start. A run of back-to-back free slots covers [its first start,
    its last end); a start fits when start + duration lies within the run it begins in, so a
    taken slot in the middle of a service removes every start whose range crosses it.
    """
    fits: list[tuple[datetime, datetime]] = []
    run_end_of: list[datetime] = [slot.ends_at for slot in free]
    # Walk backwards: each slot's run ends where its successor's does, if they touch.
    for i in range(len(free) - 2, -1, -1):
        if free[i].ends_at == free[i + 1].starts_at:
            run_end_of[i] = run_end_of[i + 1]
    for slot, run_end in zip(free, run_end_of, strict=True):
        end = slot.starts_at + duration
        if end <= run_end:
            fits.append((slot.starts_at, end))
    return fits
