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
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin
from roomtime.domains.bookings.constants import BOOKING_STATUSES

# the database itself refuses two active bookings of an exclusive resource whose
# ranges overlap. int8range over the id stands in for btree_gist's `=` so the constraint
# needs no contrib extension; tstzrange is half-open, so touching ranges do not conflict.
NO_OVERLAP = ExcludeConstraint(
    (text("int8range(resource_id, resource_id, '[]')"), "&&"),
    (text("tstzrange(starts_at, ends_at)"), "&&"),
    name="booking_no_overlap",
    using="gist",
    where=text("status IN ('pending', 'confirmed') AND is_exclusive"),
)


class Booking(CreatedAtMixin, Base):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status"),
        CheckConstraint("party_size > 0", name="party_size_positive"),
        CheckConstraint("status <> 'pending' OR expires_at IS NOT NULL", name="pending_expires"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index(None, "starts_at", "ends_at"),
        Index(None, "user_id", "created_at"),
        Index(None, "resource_id", "starts_at"),
        Index(
            "ix_booking_pending_expires_at",
            "expires_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # A hold counts the user's live holds under their lock: an exact range.
        Index(
            "ix_booking_user_pending_expires_at",
            "user_id",
            "expires_at",
            postgresql_where=text("status = 'pending'"),
        ),
        NO_OVERLAP,
        Index(None, "event_id"),
        # at most one live booking per user and event, whatever the code before it did.
        Index(
            "uq_booking_one_live_per_event",
            "user_id",
            "event_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'confirmed') AND event_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    party_size: Mapped[int] = mapped_column(server_default="1")
    # Copied from the resource at hold time: a constraint cannot look into another table.
    is_exclusive: Mapped[bool] = mapped_column(server_default="true")
    expires_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # The random value of this hold's Redis lock, so confirm and cancel release it with a
    # compare-and-delete and never remove a lock someone else took after ours expired.
    lock_token: Mapped[str | None] = mapped_column(String(64))
    reminder_sent_at: Mapped[datetime | None]
    # The event whose seats this booking takes; null for every other booking.
    event_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("event.id", ondelete="RESTRICT")
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class IdempotencyRecord(Base):
    """The committed outcome of a request sent with an Idempotency-Key (R-24).

    Written in the same transaction as the booking it describes, so only committed results
    are replayed; kept 24 hours.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (Index(None, "expires_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(50), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    # The exact bytes sent the first time, so a replay is byte-identical (JSONB reorders).
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
