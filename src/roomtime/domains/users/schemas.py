from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from roomtime.core.text import Text


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: str
    full_name: str | None
    created_at: datetime
    email_verified: bool = Field(
        description="Whether the owner of the address has proven it (SPEC R-33)"
    )


class UserAdminRead(UserRead):
    is_active: bool


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Text | None = Field(None, max_length=200)
    telegram_chat_id: str | None = Field(None, pattern=r"^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,32}$")
