from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base


class ResourceUtilizationDaily(Base):
    """How much of one resource's open time was booked on one of its local days.

    Written by the archive-bookings job (an upsert, so re-running it changes nothing).
    For shared resources the minutes are seat-minutes: minutes times seats.
    """

    __tablename__ = "resource_utilization_daily"
    __table_args__ = (
        CheckConstraint("utilization_pct BETWEEN 0 AND 100", name="pct_range"),
        CheckConstraint(
            "bookings >= 0 AND booked_minutes >= 0 AND open_minutes >= 0", name="counts"
        ),
        Index(None, "local_date"),
    )

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(primary_key=True)
    bookings: Mapped[int]
    booked_minutes: Mapped[int]
    open_minutes: Mapped[int]
    utilization_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    computed_at: Mapped[datetime]
