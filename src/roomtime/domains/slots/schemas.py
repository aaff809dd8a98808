from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from roomtime.core.dates import Instant, IsoDay
from roomtime.domains.slots.calendar import OpenInterval

MAX_RANGE_DAYS = 366


@dataclass(frozen=True, slots=True)
class SlotCalendar:
    """What slot generation needs to know about a resource (passed across domains)."""

    resource_id: int
    timezone: str
    slot_minutes: int
    capacity: int
    hours: tuple[OpenInterval, ...]


@dataclass(frozen=True, slots=True)
class SlotClaim:
    """The slots (or seats) one booking occupies, as the slots domain needs to know it."""

    booking_id: int
    resource_id: int
    starts_at: datetime
    ends_at: datetime
    party_size: int
    exclusive: bool
    # When the hold lapses, while the booking is pending; None once it is confirmed.
    hold_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveClaim:
    """A live booking's claim, as the reconcile repair needs it: its slots are booked
    (confirmed) or held (pending). The bookings domain decides which bookings are live."""

    claim: SlotClaim
    booked: bool


@dataclass(frozen=True, slots=True)
class GenerationResult:
    first_day: date
    last_day: date
    created: int


@dataclass(frozen=True, slots=True)
class SlotChange:
    """How many slots a command changed and the local days whose availability it touched."""

    changed: int
    days: frozenset[date] = field(default_factory=frozenset)


class SlotDateRange(BaseModel):
    """Local calendar days of the resource, both inclusive."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"date_from": "2030-01-07", "date_to": "2030-01-13"}]},
    )

    date_from: IsoDay
    date_to: IsoDay

    @model_validator(mode="after")
    def _ordered(self) -> SlotDateRange:
        if self.date_to < self.date_from:
            raise ValueError("date_to must not be before date_from")
        if (self.date_to - self.date_from).days >= MAX_RANGE_DAYS:
            raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days")
        return self


class SlotTimeRange(BaseModel):
    """A half-open range [starts_at, ends_at); every slot overlapping it is affected."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"starts_at": "2030-01-08T12:00:00+01:00", "ends_at": "2030-01-08T14:00:00+01:00"}
            ]
        },
    )

    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _ordered(self) -> SlotTimeRange:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > timedelta(days=MAX_RANGE_DAYS):
            raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days")
        return self


class SlotsCreated(BaseModel):
    created: int = Field(ge=0, examples=[84], description="Slots that did not exist before")


class SlotsChanged(BaseModel):
    changed: int = Field(ge=0, examples=[2], description="Slots whose status changed")
