from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from roomtime.core.db import Base, CreatedAtMixin
from roomtime.domains.users.constants import ROLES


class User(CreatedAtMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint("email = lower(btrim(email))", name="email_normalised"),
        Index("uq_user_account_email_lower", text("lower(email)"), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), server_default="user")
    full_name: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(server_default="true")
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    # Set once the owner of the address proves it (SPEC R-33): a link from the mailbox, or an
    # operator creating the account from the command line.
    email_verified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
