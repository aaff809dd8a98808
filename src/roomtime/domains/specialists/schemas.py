from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from roomtime.core.dates import Instant
from roomtime.core.ids import Id
from roomtime.core.text import StorableText
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.resources.schemas import (
    OpeningHoursItem,
    ResourceBase,
    default_opening_hours,
)
from roomtime.domains.specialists.constants import DEFAULT_SLOT_MINUTES, MAX_SERVICE_MINUTES

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]
# Prices in the smallest currency unit; a 32-bit column.
PriceCents = Annotated[int, Field(ge=0, le=2_000_000_000)]
Minutes = Annotated[int, Field(ge=5, le=MAX_SERVICE_MINUTES)]


class _Calendar(ResourceBase):
    """The calendar fields a specialist is created with, validated as a resource's are."""


class SpecialistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id = Field(examples=[2])
    display_name: Name = Field(examples=["Dr. Ana Lima"])
    timezone: str = Field("UTC", examples=["Europe/Lisbon"])
    slot_minutes: int = Field(DEFAULT_SLOT_MINUTES, ge=5, le=1440)
    opening_hours: list[OpeningHoursItem] = Field(default_factory=default_opening_hours)
    location: Name | None = Field(None, examples=["Clinic, room 2"])

    @field_validator("timezone", "slot_minutes", "opening_hours", mode="after")
    @classmethod
    def _as_a_resource(cls, value: object, info: object) -> object:
        # The same rules as a resource's calendar (IANA zone, slot dividing a day, hours
        # that do not overlap): the specialist's calendar is a resource.
        name = info.field_name  # type: ignore[attr-defined]
        _Calendar.model_validate({name: value})
        return value


class SpecialistRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "user_id": 2,
                    "display_name": "Dr. Ana Lima",
                    "timezone": "Europe/Lisbon",
                    "slot_minutes": 30,
                    "resource_id": 6,
                    "opening_hours": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
                    "is_active": True,
                    "created_at": "2030-01-01T09:00:00Z",
                }
            ]
        }
    )

    id: int
    user_id: int
    display_name: str
    timezone: str
    slot_minutes: int
    resource_id: int
    opening_hours: list[OpeningHoursItem]
    is_active: bool
    created_at: datetime


class HoursUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opening_hours: list[OpeningHoursItem] = Field(
        examples=[[{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)]]
    )

    @field_validator("opening_hours", mode="after")
    @classmethod
    def _valid(cls, value: list[OpeningHoursItem]) -> list[OpeningHoursItem]:
        _Calendar.model_validate({"opening_hours": value})
        return value


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Haircut"])
    duration_minutes: Minutes = Field(examples=[90])
    price_cents: PriceCents | None = Field(None, examples=[3500])
    specialist_id: Id | None = Field(
        None, description="Admins only: whose service this is (a specialist's own otherwise)"
    )


class ServiceUpdate(BaseModel):
    """PATCH body: only the fields sent change; `price_cents: null` clears the price."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    duration_minutes: Minutes | None = None
    price_cents: PriceCents | None = None
    is_active: bool | None = None

    @field_validator("name", "duration_minutes", "is_active", mode="after")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null")
        return value


class ServiceRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "specialist_id": 1,
                    "name": "Haircut and beard",
                    "duration_minutes": 90,
                    "price_cents": 4500,
                    "is_active": True,
                }
            ]
        },
    )

    id: int
    specialist_id: int
    name: str
    duration_minutes: int
    price_cents: int | None
    is_active: bool


class StartRead(BaseModel):
    starts_at: datetime
    ends_at: datetime


class SpecialistSlots(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "specialist_id": 1,
                    "service_id": 1,
                    "date": "2030-01-08",
                    "timezone": "UTC",
                    "duration_minutes": 90,
                    "slots": [
                        {
                            "starts_at": "2030-01-08T09:00:00Z",
                            "ends_at": "2030-01-08T10:30:00Z",
                        }
                    ],
                }
            ]
        }
    )

    specialist_id: int
    service_id: int | None
    date: date
    timezone: str
    duration_minutes: int
    slots: list[StartRead]


class SpecialistQuery(BaseModel):
    q: Name | None = Field(None, description="Case-insensitive text in the display name")


class BookingCreate(BaseModel):
    """POST /bookings: a service from a start (its duration decides the range), or a range
    of any resource."""

    model_config = ConfigDict(extra="forbid")

    service_id: Id | None = Field(None, examples=[1])
    resource_id: Id | None = Field(None, examples=[None])
    starts_at: Instant = Field(examples=["2030-01-08T10:00:00+00:00"])
    ends_at: Instant | None = Field(None, description="With resource_id only")
    party_size: int | None = Field(None, ge=1, le=100_000, description="With resource_id only")

    @model_validator(mode="after")
    def _one_target(self) -> BookingCreate:
        if (self.service_id is None) == (self.resource_id is None):
            raise ValueError("give either service_id or resource_id (with ends_at), not both")
        if self.service_id is not None and (
            self.ends_at is not None or self.party_size is not None
        ):
            raise ValueError("a service booking takes only service_id and starts_at")
        if self.resource_id is not None and self.ends_at is None:
            raise ValueError("a resource booking needs ends_at")
        return self

    def as_hold(self) -> HoldRequest:
        """The range of a resource booking, as a hold would take it."""
        assert self.resource_id is not None and self.ends_at is not None
        return HoldRequest(
            resource_id=self.resource_id,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            party_size=self.party_size or 1,
        )
