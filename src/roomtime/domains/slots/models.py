from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base
from roomtime.domains.slots.constants import SLOT_STATUSES


class TimeSlot(Base):
    """A bookable unit of a resource's calendar, stored in UTC.

    `capacity`/`seats_taken` carry R-13 for shared resources: the CHECK makes the database
    refuse any update that would sell more seats than the slot has.
    """

    __tablename__ = "time_slot"
    __table_args__ = (
        UniqueConstraint("resource_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint(f"status IN {SLOT_STATUSES!r}", name="status"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"
        ),
        # Confirm and cancel find a booking's slots by booking_id; most slots have none.
        Index(
            "ix_time_slot_booking_id",
            "booking_id",
            postgresql_where=text("booking_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), server_default="available")
    capacity: Mapped[int] = mapped_column(server_default="1")
    seats_taken: Mapped[int] = mapped_column(server_default="0")
    # The pending or confirmed booking of an exclusive resource that holds this slot.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL", use_alter=True)
    )
    # When the hold behind a held slot lapses: from then on the slot counts as free,
    # before the release job returns it. NULL unless the slot is held.
    hold_expires_at: Mapped[datetime | None]


class SeatHold(Base):
    """Seats of a shared resource taken by a hold that is not yet confirmed, and when that
    hold lapses: availability counts them as free from then on (R-14). Written and removed
    with the seats themselves, in the booking's transaction."""

    __tablename__ = "seat_hold"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        Index(None, "resource_id", "starts_at"),
    )

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    seats: Mapped[int]
    expires_at: Mapped[datetime]
