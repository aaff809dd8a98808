from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from roomtime.core.text import StorableText, Text
from roomtime.domains.auth.constants import (
    COMMON_PASSWORDS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)


def _check_password(value: str) -> str:
    if value.lower() in COMMON_PASSWORDS:
        raise ValueError("this password is too common; choose another")
    return value


# Length is the rule (ASVS 6.2): 8–128 characters, spaces and any Unicode allowed, no
# composition rules, and not one of the most common passwords.
NewPassword = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    StorableText,
    AfterValidator(_check_password),
]


# An address that identifies an existing account (login, forgot). Only its shape is checked:
# accounts made by the seed or `create-admin` may use addresses a new registration would be
# refused (`admin@roomtime.local`, the documented development admin), and an unknown
# address is answered like any other (401 / 202) rather than told apart by a 422.
AccountEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    StorableText,
]


class RegisterRequest(BaseModel):
    # Unknown fields (role, is_active, id …) are ignored, so nobody can register as admin.
    model_config = ConfigDict(extra="ignore")

    email: EmailStr = Field(examples=["ada@example.com"])
    password: NewPassword = Field(examples=["correct horse battery staple"])
    full_name: Text | None = Field(None, max_length=200, examples=["Ada Lovelace"])


class LoginRequest(BaseModel):
    email: AccountEmail = Field(examples=["ada@example.com"])
    password: Text = Field(
        max_length=PASSWORD_MAX_LENGTH, examples=["correct horse battery staple"]
    )


class RefreshRequest(BaseModel):
    refresh_token: Text = Field(max_length=200)


class ForgotRequest(BaseModel):
    email: AccountEmail = Field(examples=["ada@example.com"])


class ResetRequest(BaseModel):
    token: Text = Field(max_length=200)
    new_password: NewPassword


class VerifyRequest(BaseModel):
    token: str = Field(max_length=200, description="The `token` of the link in the mail")


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type name)
    expires_in: int = Field(description="Seconds until the access token expires")


class Accepted(BaseModel):
    detail: str = "If that address belongs to an account, a reset link has been sent to it."


class VerificationAccepted(BaseModel):
    detail: str = "Unless your address is already confirmed, a new link has been sent to it."
