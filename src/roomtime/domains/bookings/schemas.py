from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from roomtime.core.dates import DayOrInstant, Instant
from roomtime.core.ids import Id
from roomtime.core.text import Text

BookingStatus = Literal["pending", "confirmed", "cancelled", "expired", "archived"]


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: Id = Field(examples=[1])
    starts_at: Instant = Field(examples=["2030-01-07T10:00:00+01:00"])
    ends_at: Instant = Field(examples=["2030-01-07T12:00:00+01:00"])
    party_size: int = Field(1, ge=1, le=100_000)


class ChangeRequest(BaseModel):
    """The new range of a confirmed booking, on the same resource (R-38)."""

    model_config = ConfigDict(extra="forbid")

    starts_at: Instant = Field(examples=["2030-01-07T11:00:00+01:00"])
    ends_at: Instant = Field(examples=["2030-01-07T13:00:00+01:00"])
    party_size: int | None = Field(
        None, ge=1, le=100_000, description="Left out: the booking's party size stays"
    )


@dataclass(frozen=True, slots=True)
class SeatHold:
    """A hold on seats of an event's hidden resource (R-36), as the events domain asks."""

    resource_id: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    seats: int
    ttl_seconds: int


class HoldRead(BaseModel):
    hold_id: int
    booking_id: int
    resource_id: int
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hold_id: Id


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(None, max_length=500)


class BookingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    resource_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    party_size: int
    created_at: datetime
    expires_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    event_id: int | None = Field(None, description="The event booked (R-36); null otherwise")

    @computed_field(description="Seats taken: the party size")  # type: ignore[prop-decorator]
    @property
    def seats(self) -> int:
        return self.party_size


def render_booking(booking: object) -> str:
    """The JSON of a booking as the confirm route sends it (and an idempotent replay repeats)."""
    return BookingRead.model_validate(booking).model_dump_json()


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["confirmed", "cancelled", "archived"]
    reason: Text | None = Field(None, max_length=500)


class BookingFilters(BaseModel):
    status: BookingStatus | None = None
    date_from: DayOrInstant | None = None
    date_to: DayOrInstant | None = None
    resource_id: Id | None = None
    user_id: Id | None = None
