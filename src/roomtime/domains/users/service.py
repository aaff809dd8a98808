"""Users: profile and role. Credentials belong to the auth domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.users import repository
from roomtime.domains.users.constants import ROLE_USER
from roomtime.domains.users.errors import EmailTakenError, UserNotFoundError
from roomtime.domains.users.models import User


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in account a request acts for, as read on that request: what the hot routes
    (bookings, resources, availability) need of it, without an ORM object."""

    id: int
    role: str
    email: str
    email_verified: bool


async def find_active_caller(session: AsyncSession, user_id: int) -> Caller | None:
    """The active account `user_id` as a Caller, or None (unknown or deactivated): read on
    every request, so a deactivated account or a demoted admin loses access at once."""
    row = await repository.get_active_caller(session, user_id)
    if row is None:
        return None
    return Caller(row["id"], row["role"], row["email"], row["email_verified_at"] is not None)


async def get_email(session: AsyncSession, user_id: int) -> str:
    """The account's address (an account is never deleted while its bookings exist)."""
    email = await repository.get_email(session, user_id)
    if email is None:
        raise UserNotFoundError()
    return email


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise UserNotFoundError()
    return user


async def lock_user(session: AsyncSession, user_id: int) -> User | None:
    """Lock the account row for the rest of the caller's transaction and return it fresh.

    The auth domain takes this lock before it issues, rotates or revokes a user's refresh
    tokens, so a revocation and a concurrent rotation run one after the other.
    """
    return await repository.get_for_update(session, user_id)


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


async def change_role(
    session: AsyncSession,
    user: User,
    role: str,
    *,
    actor_user_id: int | None,
    meta: dict[str, object] | None = None,
) -> None:
    """Change a role inside the caller's transaction, with its audit row (plus `meta`)."""
    if user.role == role:
        return
    previous, user.role = user.role, role
    await audit.record(
        session,
        action="user.role_changed",
        entity="user",
        entity_id=user.id,
        actor_user_id=actor_user_id,
        meta={"from": previous, "to": role, **(meta or {})},
    )


async def mark_email_verified(
    session: AsyncSession,
    user: User,
    *,
    now: datetime,
    actor_user_id: int | None,
    via: str,
    ip: str | None = None,
) -> bool:
    """Record that the address is proven, inside the caller's transaction; True if it changed."""
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = now
    await audit.record(
        session,
        action="user.email_verified",
        entity="user",
        entity_id=user.id,
        actor_user_id=actor_user_id,
        meta={"via": via},
        ip=ip,
    )
    return True


async def set_active(
    session: AsyncSession, user: User, active: bool, *, actor_user_id: int | None
) -> bool:
    """Activate or deactivate inside the caller's transaction; True when it changed."""
    if user.is_active == active:
        return False
    user.is_active = active
    await audit.record(
        session,
        action="user.activated" if active else "user.deactivated",
        entity="user",
        entity_id=user.id,
        actor_user_id=actor_user_id,
    )
    return True


async def list_users(
    session: AsyncSession, *, limit: int, offset: int, role: str | None = None
) -> tuple[list[User], int]:
    return await repository.list_page(session, limit=limit, offset=offset, role=role)


async def update_profile(session: AsyncSession, user: User, changes: dict[str, object]) -> User:
    """Apply the caller's own profile changes (name, Telegram chat id), audited."""
    async with tx.transactional(session):
        for field, value in changes.items():
            setattr(user, field, value)
        await audit.record(
            session,
            action="user.profile_updated",
            entity="user",
            entity_id=user.id,
            actor_user_id=user.id,
            meta={"fields": sorted(changes)},
        )
    return user
