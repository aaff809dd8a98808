"""Issuing, rotating and revoking token pairs: one refresh-token family per login (RFC 9700
§4.14.2).

Every write to a user's refresh tokens (issue, rotate, revoke) runs after taking that user's
row lock (users_service.lock_user), always before touching token rows. Under READ COMMITTED a
plain `UPDATE … SET revoked_at` does not see a successor token that a concurrent rotation has
inserted but not yet committed, so without the lock that successor would outlive a logout or
a password reset. With it, the two run one after the other, and the single lock order (user
row, then tokens) cannot deadlock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth.models import RefreshToken
from roomtime.domains.auth.schemas import TokenPair
from roomtime.domains.users import service as users_service
from roomtime.domains.users.models import User
from roomtime.settings import Settings


async def issue_pair(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    now: datetime,
    family_id: uuid.UUID | None = None,
    family_expires_at: datetime | None = None,
    parent: RefreshToken | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> TokenPair:
    """A new access token and refresh token. Rotation keeps the family and its absolute
    expiry; each token also expires after REFRESH_IDLE_TTL_SECONDS unused."""
    auth = settings.auth
    family_expires_at = family_expires_at or now + timedelta(seconds=auth.refresh_token_ttl_seconds)
    raw = tokens.new_opaque_token()
    row = await repository.add_refresh(
        session,
        RefreshToken(
            user_id=user.id,
            token_hash=tokens.token_hash(raw),
            family_id=family_id or uuid.uuid4(),
            parent_id=parent.id if parent else None,
            expires_at=min(
                now + timedelta(seconds=auth.refresh_idle_ttl_seconds), family_expires_at
            ),
            family_expires_at=family_expires_at,
            ip=ip,
            user_agent=(user_agent or "")[:400] or None,
        ),
    )
    if parent is not None:
        parent.replaced_by_id = row.id
    access = tokens.issue_access_token(
        tokens.jwt_config(settings), user_id=user.id, role=user.role, now=now
    )
    return TokenPair(
        access_token=access, refresh_token=raw, expires_in=auth.access_token_ttl_seconds
    )


async def revoke_user_sessions(session: AsyncSession, user_id: int, now: datetime) -> int:
    """Revoke every refresh token of the user, inside the caller's transaction."""
    await users_service.lock_user(session, user_id)
    return await repository.revoke_all_for_user(session, user_id, now)


async def revoke_session(
    session: AsyncSession, user_id: int, family_id: uuid.UUID, now: datetime
) -> int:
    """Revoke one refresh-token family of the user, inside the caller's transaction."""
    await users_service.lock_user(session, user_id)
    return await repository.revoke_family(session, family_id, now)
