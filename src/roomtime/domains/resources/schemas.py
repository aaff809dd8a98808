from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from roomtime.core.dates import Instant
from roomtime.core.text import StorableText, Text

MAX_CANCEL_DEADLINE_MINUTES = 366 * 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

NonBlank = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]


def minute_of_day(text: str) -> int:
    if not _HHMM.match(text):
        raise ValueError("time must be HH:MM (00:00–24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class OpeningHoursItem(BaseModel):
    # Frozen: read models share one item per distinct interval (resources._common).
    model_config = ConfigDict(frozen=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    opens: str = Field(examples=["08:00"])
    closes: str = Field(examples=["20:00"], description="24:00 means midnight at the day's end")

    @field_validator("opens", "closes")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        minute_of_day(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> OpeningHoursItem:
        if minute_of_day(self.opens) >= minute_of_day(self.closes):
            raise ValueError("opens must be before closes")
        return self


def default_opening_hours() -> list[OpeningHoursItem]:
    return [OpeningHoursItem(weekday=d, opens="08:00", closes="20:00") for d in range(7)]


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    # available_timezones() walks the zone directories on every call; the set does not
    # change while the process runs.
    return frozenset(available_timezones()) | {"UTC"}


def _check_timezone(value: str) -> str:
    # The list first: ZoneInfo() opens a file named by the key, so an arbitrary key can fail
    # with OSError (a name too long, an unencodable character) instead of "not found".
    if value not in _known_timezones():
        raise ValueError(f"unknown IANA time zone: {value[:100]!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone: {value!r}") from exc
    return value


def _check_hours(items: list[OpeningHoursItem]) -> list[OpeningHoursItem]:
    by_day: dict[int, list[tuple[int, int]]] = {}
    for item in items:
        by_day.setdefault(item.weekday, []).append(
            (minute_of_day(item.opens), minute_of_day(item.closes))
        )
    for intervals in by_day.values():
        intervals.sort()
        for (_, prev_close), (next_open, _) in itertools.pairwise(intervals):
            if next_open < prev_close:
                raise ValueError("opening intervals of one weekday must not overlap")
    return items


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    """The resource as the booking use cases see it (bookings.actors.BookableResource)."""

    id: int
    name: str
    timezone: str
    booking_mode: str
    capacity: int
    hold_ttl_seconds: int
    max_hold_slots: int
    cancel_deadline_minutes: int | None
    is_active: bool


class ResourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text = Field("", max_length=5000)
    timezone: str = Field("UTC", examples=["Europe/Berlin"])
    slot_minutes: int = Field(60, ge=5, le=1440)
    hold_ttl_seconds: int | None = Field(None, ge=1, le=86400)
    max_hold_slots: int = Field(8, ge=1, le=1000)
    booking_mode: Literal["exclusive", "shared"] = "exclusive"
    # At most a year: the column is a 32-bit integer, and a longer deadline means nothing.
    cancel_deadline_minutes: int | None = Field(None, ge=0, le=MAX_CANCEL_DEADLINE_MINUTES)
    opening_hours: list[OpeningHoursItem] = Field(default_factory=default_opening_hours)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("slot_minutes")
    @classmethod
    def _divides_day(cls, value: int) -> int:
        if 1440 % value:
            raise ValueError("slot_minutes must divide a day (1440 minutes)")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: list[OpeningHoursItem]) -> list[OpeningHoursItem]:
        return _check_hours(value)


class ResourceCreate(ResourceBase):
    name: NonBlank
    location: NonBlank
    capacity: int = Field(ge=1, le=100_000)


_REQUIRED_ON_UPDATE = frozenset(
    {"name", "location", "capacity", "description", "timezone", "slot_minutes",
     "max_hold_slots", "booking_mode", "opening_hours", "is_active"}
)  # fmt: skip


class ResourceUpdate(ResourceBase):
    """PUT body: the fields it names are replaced, the ones it leaves out keep their values.

    So a client may send the whole representation it read (read-only fields such as `id` or
    `created_at` are accepted and ignored) or just the fields it changes. `null` clears the
    nullable ones (`cancel_deadline_minutes`; `hold_ttl_seconds` falls back to the default).
    `is_active: true` reactivates a deactivated resource.
    """

    name: NonBlank | None = None
    location: NonBlank | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)
    is_active: bool | None = None
    # Read-only fields of ResourceRead, ignored, so a read representation can be sent back.
    id: int | None = Field(None, description="Ignored (read-only)")
    file_url: str | None = Field(None, description="Ignored (read-only)")
    created_at: Instant | None = Field(None, description="Ignored (read-only)")
    updated_at: Instant | None = Field(None, description="Ignored (read-only)")

    @model_validator(mode="after")
    def _no_null_for_required(self) -> ResourceUpdate:
        nulled = sorted(
            f for f in self.model_fields_set & _REQUIRED_ON_UPDATE if getattr(self, f) is None
        )
        if nulled:
            raise ValueError(f"these fields cannot be null: {', '.join(nulled)}")
        return self

    def changes(self) -> dict[str, Any]:
        """The editable fields the client sent."""
        read_only = {"id", "file_url", "created_at", "updated_at"}
        return {f: getattr(self, f) for f in self.model_fields_set - read_only}


MAX_AVAILABLE_RANGE = timedelta(days=31)
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]


class ResourceListQuery(BaseModel):
    """Filters of GET /resources (query parameters)."""

    q: SearchText | None = Field(
        None, description="Case-insensitive text in the name, location or description"
    )
    location: SearchText | None = Field(
        None, description="Exact location, case-insensitive", examples=["Trattoria Centrale"]
    )
    min_capacity: int | None = Field(
        None, ge=1, le=100_000, description="At least this capacity, e.g. a party size"
    )
    available_from: Instant | None = Field(
        None,
        description="With available_to: only resources whose every slot of the range is "
        "available (the range must be covered by slots without a gap)",
        examples=["2030-01-08T12:00:00+01:00"],
    )
    available_to: Instant | None = Field(None, examples=["2030-01-08T14:00:00+01:00"])
    include_inactive: bool = Field(False, description="Admins only: list deactivated ones too")

    @field_validator("q", "location", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        # An empty search box submits `q=`: that means no filter, not an error.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _range(self) -> ResourceListQuery:
        start, end = self.available_from, self.available_to
        if (start is None) != (end is None):
            raise ValueError("available_from and available_to go together")
        if start is not None and end is not None:
            if end <= start:
                raise ValueError("available_to must be after available_from")
            if end - start > MAX_AVAILABLE_RANGE:
                raise ValueError("the availability range covers at most 31 days")
        return self

    @property
    def is_plain(self) -> bool:
        """No filter at all: the reference list every visitor sees, worth caching."""
        return self == ResourceListQuery()


class ResourceRead(BaseModel):
    id: int
    name: str
    location: str
    capacity: int
    description: str
    timezone: str
    slot_minutes: int
    hold_ttl_seconds: int
    max_hold_slots: int
    booking_mode: str
    cancel_deadline_minutes: int | None
    opening_hours: list[OpeningHoursItem]
    is_active: bool
    file_url: str | None = None
    created_at: datetime
    updated_at: datetime
