from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from roomtime.domains.slots.calendar import OpenInterval


@dataclass(frozen=True, slots=True)
class SlotCalendar:
    """What slot generation needs to know about a resource (passed across domains)."""

    resource_id: int
    timezone: str
    slot_minutes: int
    capacity: int
    hours: tuple[OpenInterval, ...]


@dataclass(frozen=True, slots=True)
class GenerationResult:
    first_day: date
    last_day: date
    created: int
