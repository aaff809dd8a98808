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
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomtime.core.db import Base, CreatedAtMixin
from roomtime.domains.resources.constants import BOOKING_MODES


class Resource(CreatedAtMixin, Base):
    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440 AND 1440 % slot_minutes = 0", name="slot_minutes"
        ),
        CheckConstraint("hold_ttl_seconds BETWEEN 1 AND 86400", name="hold_ttl"),
        CheckConstraint("max_hold_slots >= 1", name="max_hold_slots"),
        CheckConstraint(f"booking_mode IN {BOOKING_MODES!r}", name="booking_mode"),
        CheckConstraint("cancel_deadline_minutes >= 0", name="cancel_deadline"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        Index(None, "is_active", "name"),
        Index(None, "location"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    description: Mapped[str] = mapped_column(Text, server_default="")
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("file_upload.id", ondelete="SET NULL", use_alter=True)
    )
    is_active: Mapped[bool] = mapped_column(server_default="true")
    # Owned by another domain (an event's seats): never listed, never held or edited directly.
    is_hidden: Mapped[bool] = mapped_column(server_default="false")
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, server_default="60")
    hold_ttl_seconds: Mapped[int] = mapped_column(server_default="300")
    max_hold_slots: Mapped[int] = mapped_column(SmallInteger, server_default="8")
    booking_mode: Mapped[str] = mapped_column(String(16), server_default="exclusive")
    cancel_deadline_minutes: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="resource",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens_minute)",
        lazy="selectin",
    )


class OpeningHours(Base):
    """One open interval of a weekday in the resource's local time (0 = Monday).

    Minutes since local midnight rather than `time`: a closing time of 24:00 (open until
    midnight, or round the clock) has no `datetime.time` value.
    """

    __tablename__ = "resource_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "opens_minute >= 0 AND opens_minute < closes_minute AND closes_minute <= 1440",
            name="opens_before_closes",
        ),
        UniqueConstraint("resource_id", "weekday", "opens_minute"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_minute: Mapped[int] = mapped_column(SmallInteger)
    closes_minute: Mapped[int] = mapped_column(SmallInteger)

    resource: Mapped[Resource] = relationship(back_populates="opening_hours")
