from __future__ import annotations

import datetime as dt

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from roomtime.core.dates import IsoDay
from roomtime.core.ids import Id
from roomtime.core.pagination import Page


class UtilizationQuery(BaseModel):
    date_from: IsoDay | None = Field(None, description="First local day (YYYY-MM-DD)")
    date_to: IsoDay | None = Field(None, description="Last local day, inclusive")
    resource_id: Id | None = None

    @model_validator(mode="after")
    def _ordered(self) -> UtilizationQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class UtilizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    resource_id: int
    # Read from the row's `local_date`; FastAPI re-validates the dumped answer, hence both.
    date: dt.date = Field(
        validation_alias=AliasChoices("local_date", "date"), description="The resource's local day"
    )
    bookings: int = Field(description="Confirmed or archived bookings overlapping the day")
    booked_minutes: int = Field(description="Booked minutes (seat-minutes for shared resources)")
    open_minutes: int = Field(description="Minutes open for booking (seat-minutes if shared)")
    utilization_pct: float = Field(description="booked / open × 100, two decimals")
    computed_at: dt.datetime


UtilizationPage = Page[UtilizationRead]
