from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Keeps day arithmetic (the next midnight, UTC offsets) inside what `date` can represent.
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def _iso_text(value: object) -> object:
    if not isinstance(value, str | date) or (isinstance(value, str) and not _ISO_DAY.match(value)):
        raise ValueError("date must be written YYYY-MM-DD")
    return value


def _in_range(value: date) -> date:
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise ValueError(f"date must be between {_FIRST_DAY} and {_LAST_DAY}")
    return value


Day = date  # a field named `date` must not shadow the type in its own annotation
IsoDay = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_range)]


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
