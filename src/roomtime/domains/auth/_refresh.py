"""Refresh-token rotation (R-28, RFC 9700 §4.14.2): every refresh token works once, and a
second use of one revokes its whole family."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.audit import service as audit
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth._sessions import issue_pair
from roomtime.domains.auth.errors import InvalidRefreshTokenError, RefreshTokenReusedError
from roomtime.domains.auth.schemas import TokenPair
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RefreshDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock


async def refresh(deps: RefreshDeps, token: str, *, ip: str, user_agent: str | None) -> TokenPair:
    now = deps.clock()
    session = deps.session
    digest = tokens.token_hash(token)
    reused = False
    async with tx.transactional(session):
        owner_id = await repository.refresh_owner(session, digest)
        # The owner's row lock first (see _sessions.py): a logout, reset or deactivation
        # either committed before this claim or waits until its successor is visible.
        user = None if owner_id is None else await users_service.lock_user(session, owner_id)
        claimed = None
        if user is not None:
            claimed = await repository.claim_refresh(session, digest, now)
            if claimed is None:
                reused = await _detect_reuse(deps, digest, ip)
        if claimed is not None and user is not None and user.is_active:
            return await issue_pair(
                session,
                deps.settings,
                user,
                now=now,
                family_id=claimed.family_id,
                family_expires_at=claimed.family_expires_at,
                parent=claimed,
                ip=ip,
                user_agent=user_agent,
            )
        if claimed is not None:
            await repository.revoke_family(session, claimed.family_id, now)
    # The revocation above is committed before the error goes out.
    if reused:
        raise RefreshTokenReusedError("This refresh token was already used; sign in again")
    raise InvalidRefreshTokenError("The refresh token is invalid or expired")


async def _detect_reuse(deps: RefreshDeps, digest: str, ip: str) -> bool:
    known = await repository.get_refresh_by_hash(deps.session, digest)
    if known is None or known.used_at is None:
        return False  # unknown, revoked or expired: invalid, not reuse
    revoked = await repository.revoke_family(deps.session, known.family_id, deps.clock())
    await audit.record(
        deps.session,
        action="auth.refresh_token_reused",
        entity="user",
        entity_id=known.user_id,
        actor_user_id=known.user_id,
        meta={
            "family_id": str(known.family_id),
            "tokens_revoked": revoked,
            "level": "critical",
        },
        ip=ip,
    )
    log.critical(
        "refresh_token_reuse_detected",
        user_id=known.user_id,
        family_id=str(known.family_id),
        ip=ip,
    )
    return True
