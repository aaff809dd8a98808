from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin


class Specialist(CreatedAtMixin, Base):
    """A user whose working hours are booked. Their calendar (time zone, slot length,
    opening hours, slots) is the resource `resource_id`; nothing of it is copied here."""

    __tablename__ = "specialist"
    __table_args__ = (CheckConstraint("length(btrim(display_name)) > 0", name="name"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="RESTRICT"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(200))


class SpecialistService(CreatedAtMixin, Base):
    __tablename__ = "specialist_service"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 1440", name="duration"),
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        Index(None, "specialist_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialist.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    price_cents: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(server_default="true")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
