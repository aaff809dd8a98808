from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

Day = date  # a field named `date` must not shadow the type in its own annotation


class AvailableSlotRead(BaseModel):
    id: int = Field(examples=[4211])
    starts_at: datetime = Field(examples=["2030-01-08T07:00:00Z"])
    ends_at: datetime = Field(examples=["2030-01-08T08:00:00Z"])
    seats_left: int = Field(
        ge=0, examples=[1], description="Seats still free (1 for an exclusive resource)"
    )


class AvailabilityRead(BaseModel):
    """The available slots of one local day of the resource, times in UTC."""

    resource_id: int = Field(examples=[1])
    date: Day = Field(description="The local day of the resource")
    timezone: str = Field(examples=["Europe/Berlin"])
    slots: list[AvailableSlotRead]
