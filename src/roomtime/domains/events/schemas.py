from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from roomtime.core.dates import Instant
from roomtime.core.text import StorableText, Text
from roomtime.domains.events.constants import (
    MAX_EVENT_DAYS,
    MAX_SEATS_PER_BOOKING,
    MAX_TOTAL_SEATS,
    MAX_TTL_MINUTES,
)

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), StorableText]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), StorableText
]
TotalSeats = Annotated[
    int | None,
    Field(ge=1, le=MAX_TOTAL_SEATS, description="Seats on sale; null means no limit"),
]
TtlMinutes = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_TTL_MINUTES,
        description="Minutes a booking stays pending (unpaid) before it expires",
    ),
]

CREATE_EXAMPLE: dict[str, Any] = {
    "name": "Go Conference",
    "short_description": "A day of talks about Go",
    "description": "Talks, workshops and a hallway track.",
    "starts_at": "2030-03-01T09:00:00+01:00",
    "ends_at": "2030-03-01T18:00:00+01:00",
    "location": "Berlin, Hall 2",
    "total_seats": 50,
    "booking_ttl_minutes": 15,
    "payment_info": "Pay 30 EUR at the door or by bank transfer, then confirm.",
}


def _check_range(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is None or ends_at is None:
        return
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if ends_at - starts_at > timedelta(days=MAX_EVENT_DAYS):
        raise ValueError(f"an event lasts at most {MAX_EVENT_DAYS} days")


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CREATE_EXAMPLE]})

    name: Name
    short_description: Text | None = Field(None, max_length=500)
    description: Text | None = Field(None, max_length=10_000)
    starts_at: Instant
    ends_at: Instant
    location: Text | None = Field(None, max_length=200)
    total_seats: TotalSeats = Field(...)
    booking_ttl_minutes: TtlMinutes
    payment_info: Text | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _ordered(self) -> EventCreate:
        _check_range(self.starts_at, self.ends_at)
        return self


_NOT_NULL = frozenset({"name", "starts_at", "ends_at", "booking_ttl_minutes"})


class EventUpdate(BaseModel):
    """PATCH body: the fields sent are replaced, the others kept. `total_seats: null` lifts
    the seat limit; lowering it below the seats booked is 409 `seats_below_booked`; moving
    the event's time is refused while it has live bookings (409 `event_has_bookings`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"total_seats": 60, "booking_ttl_minutes": 30}]},
    )

    name: Name | None = None
    short_description: Text | None = Field(None, max_length=500)
    description: Text | None = Field(None, max_length=10_000)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    location: Text | None = Field(None, max_length=200)
    total_seats: TotalSeats = None
    booking_ttl_minutes: TtlMinutes | None = None
    payment_info: Text | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _valid(self) -> EventUpdate:
        nulled = sorted(f for f in self.model_fields_set & _NOT_NULL if getattr(self, f) is None)
        if nulled:
            raise ValueError(f"these fields cannot be null: {', '.join(nulled)}")
        _check_range(self.starts_at, self.ends_at)
        return self

    def changes(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.model_fields_set}


class EventRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **CREATE_EXAMPLE,
                    "id": 3,
                    "available_seats": 48,
                    "status": "scheduled",
                    "image_url": None,
                    "created_at": "2030-01-10T12:00:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    short_description: str | None
    description: str | None
    starts_at: datetime
    ends_at: datetime
    location: str | None
    total_seats: int | None
    available_seats: int | None = Field(description="Seats left now; null when unlimited")
    booking_ttl_minutes: int
    payment_info: str | None
    status: Literal["scheduled", "cancelled"]
    image_url: str | None
    created_at: datetime


class BookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seats": 2}]})

    seats: int | None = Field(
        None,
        ge=1,
        le=MAX_SEATS_PER_BOOKING,
        description="Seats to book (default 1); events without a seat limit take only 1",
    )


class EventCancel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "The speaker is ill"}]}
    )

    reason: Reason


class ParticipantRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "booking_id": 42,
                    "user_id": 7,
                    "email": "ana@example.com",
                    "full_name": "Ana Lima",
                    "status": "confirmed",
                    "seats": 2,
                    "expires_at": None,
                    "confirmed_at": "2030-02-20T10:05:00Z",
                    "created_at": "2030-02-20T10:00:00Z",
                }
            ]
        }
    )

    booking_id: int
    user_id: int
    email: str
    full_name: str | None
    status: str
    seats: int
    expires_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime
