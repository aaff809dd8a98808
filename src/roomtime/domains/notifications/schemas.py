from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[42])
    title: str = Field(examples=["Booking #7 confirmed: Room A"])
    body: str = Field(
        examples=["Your booking #7 is confirmed:\nRoom A, Mon 07 Jan 2030 10:00 (UTC) – 11:00\n"]
    )
    cta_url: str | None = Field(
        None, description="A path within the app (PUBLIC_BASE_URL)", examples=["/bookings/7"]
    )
    cta_label: str | None = Field(None, examples=["View booking"])
    created_at: datetime = Field(examples=["2030-01-07T09:00:00Z"])
    acked_at: datetime | None = Field(None, examples=[None])


class UnreadCount(BaseModel):
    unread: int = Field(ge=0, examples=[3])
