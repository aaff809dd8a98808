"""Users: profile and role. Credentials belong to the auth domain."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.users import repository
from roomtime.domains.users.constants import ROLE_USER
from roomtime.domains.users.errors import EmailTakenError, UserNotFoundError
from roomtime.domains.users.models import User


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise UserNotFoundError()
    return user


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await repository.get_by_email(session, normalise_email(email))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str,
    role: str = ROLE_USER,
    full_name: str | None = None,
) -> User:
    """Insert a user inside the caller's transaction; the unique index decides races."""
    user = User(
        email=normalise_email(email), password_hash=password_hash, role=role, full_name=full_name
    )
    try:
        async with session.begin_nested():
            await repository.add(session, user)
    except IntegrityError as exc:
        if "uq_user_account_email_lower" in str(exc.orig):
            raise EmailTakenError("An account with this email already exists") from exc
        raise
    return user


async def find_active(session: AsyncSession, user_id: int) -> User | None:
    user = await repository.get(session, user_id)
    return user if user is not None and user.is_active else None
