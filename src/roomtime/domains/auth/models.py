from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin


class RefreshToken(CreatedAtMixin, Base):
    """One link of a rotation chain. Only the SHA-256 of the opaque token is stored."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index(None, "family_id"), Index(None, "user_id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_token.id", ondelete="SET NULL")
    )
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_token.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime]
    family_expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(400))
    ip: Mapped[str | None] = mapped_column(String(64))


class PasswordReset(CreatedAtMixin, Base):
    __tablename__ = "password_reset"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class EmailVerification(CreatedAtMixin, Base):
    """A link that proves the mailbox of an account's address (SPEC R-33); hashed like resets."""

    __tablename__ = "email_verification"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
