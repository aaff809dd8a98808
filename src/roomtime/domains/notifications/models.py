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
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin


class OutboxMessage(CreatedAtMixin, Base):
    """A notification written in the same transaction as the change it reports.

    Delivery happens after commit (at once, and again by the worker until it succeeds), so a
    crash right after commit delays a message but never loses it.
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'telegram')", name="channel"),
        Index(
            "ix_notification_outbox_due",
            "available_at",
            postgresql_where=text("sent_at IS NULL"),
        ),
        # The hourly per-account cap counts a user's recent messages on every enqueue.
        Index("ix_notification_outbox_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(16), server_default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # A body holding a secret (a reset link) is erased once delivered.
    sensitive: Mapped[bool] = mapped_column(server_default="false")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    available_at: Mapped[datetime] = mapped_column(server_default=func.now())
    attempts: Mapped[int] = mapped_column(server_default="0")
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class InAppNotification(CreatedAtMixin, Base):
    """A message kept for its user to read in the app (R-37), beside the mail that carries it.

    Written by the outbox's enqueue path in the same transaction as the change it reports,
    so the inbox never shows a change that rolled back.
    """

    __tablename__ = "notification"
    __table_args__ = (
        # The inbox lists a user's messages newest first.
        Index("ix_notification_user_created", "user_id", "created_at"),
        # The unread badge counts a user's unacknowledged messages on every page.
        Index("ix_notification_unread", "user_id", postgresql_where=text("acked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    cta_url: Mapped[str | None] = mapped_column(String(500))
    cta_label: Mapped[str | None] = mapped_column(String(100))
    # The outbox's dedupe key: a message queued twice is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    acked_at: Mapped[datetime | None]
