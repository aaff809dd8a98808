"""SQL for refresh tokens, password-reset tokens and email-verification tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.auth.models import EmailVerification, PasswordReset, RefreshToken


async def add_refresh(session: AsyncSession, token: RefreshToken) -> RefreshToken:
    session.add(token)
    await session.flush()
    return token


async def claim_refresh(
    session: AsyncSession, token_hash: str, now: datetime
) -> RefreshToken | None:
    """Mark a live token used and return it. The row lock makes this a compare-and-set: of two
    concurrent refreshes with one token, exactly one gets the row."""
    stmt = (
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
            RefreshToken.family_expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def refresh_owner(session: AsyncSession, token_hash: str) -> int | None:
    """The user id of a refresh token, whatever its state (a plain read, no lock)."""
    stmt = select(RefreshToken.user_id).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> int:
    stmt = (
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def revoke_all_for_user(session: AsyncSession, user_id: int, now: datetime) -> int:
    stmt = (
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]


async def add_reset(session: AsyncSession, reset: PasswordReset) -> None:
    session.add(reset)
    await session.flush()


async def retire_resets(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Invalidate every outstanding reset token of the user (a new request replaces them)."""
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


async def live_reset_owner(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """The user id of an unused, unexpired reset token (a plain read: claim_reset decides)."""
    stmt = select(PasswordReset.user_id).where(
        PasswordReset.token_hash == token_hash,
        PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_reset(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """Use a live reset token once; returns its user id."""
    stmt = (
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == token_hash,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordReset.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_verification(session: AsyncSession, verification: EmailVerification) -> None:
    session.add(verification)
    await session.flush()


async def retire_verifications(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Invalidate every outstanding verification link of the user."""
    await session.execute(
        update(EmailVerification)
        .where(EmailVerification.user_id == user_id, EmailVerification.used_at.is_(None))
        .values(used_at=now)
    )


async def claim_verification(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """Use a live verification token once; returns its user id. A single conditional UPDATE, so
    of two concurrent uses of one link exactly one gets the row."""
    stmt = (
        update(EmailVerification)
        .where(
            EmailVerification.token_hash == token_hash,
            EmailVerification.used_at.is_(None),
            EmailVerification.expires_at > now,
        )
        .values(used_at=now)
        .returning(EmailVerification.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
