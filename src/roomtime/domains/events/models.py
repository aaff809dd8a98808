from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin
from roomtime.domains.events.constants import EVENT_STATUSES


class Event(CreatedAtMixin, Base):
    """A dated event with seats (R-36). Its seats are the one slot of a hidden shared
    resource (`resource_id`), so holds, confirms, cancels and expiry are the booking engine's.
    Its image is that resource's file (uploaded through the files domain, R-27)."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("total_seats IS NULL OR total_seats >= 1", name="total_seats_positive"),
        CheckConstraint("booking_ttl_minutes BETWEEN 1 AND 1440", name="booking_ttl"),
        CheckConstraint(f"status IN {EVENT_STATUSES!r}", name="status"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        UniqueConstraint("resource_id"),
        Index(None, "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_description: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200))
    total_seats: Mapped[int | None]
    booking_ttl_minutes: Mapped[int]
    payment_info: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), server_default="scheduled")
    resource_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("resource.id", ondelete="RESTRICT")
    )
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
