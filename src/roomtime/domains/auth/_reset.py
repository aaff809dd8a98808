"""Setting a new password with a reset link (R-28): the token works once, and the reset
signs out every session of the account."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.audit import service as audit
from roomtime.domains.auth import repository, tokens
from roomtime.domains.auth._limits import limit_client
from roomtime.domains.auth._sessions import revoke_user_sessions
from roomtime.domains.auth.errors import InvalidResetTokenError
from roomtime.domains.auth.passwords import hash_new_password
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ResetDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock
    limiter: RateLimiter
    notifier: Notifier


async def reset_password(deps: ResetDeps, token: str, new_password: str, *, ip: str) -> None:
    session, auth = deps.session, deps.settings.auth
    await limit_client(
        deps.limiter, auth.reset_rate_limit, "reset", ip, message="Too many password resets"
    )
    digest = tokens.token_hash(token)
    # A bad, used or expired token is refused after one indexed read: only a live token
    # earns the (expensive) hash. The read ends before hashing so no connection idles.
    owner_id = await repository.live_reset_owner(session, digest, deps.clock())
    owner = None if owner_id is None else await users_service.find_active(session, owner_id)
    await session.commit()
    if owner is None:
        raise InvalidResetTokenError("The reset link is invalid, used or expired")
    password_hash = await hash_new_password(
        new_password, concurrency=auth.password_hash_concurrency
    )
    now = deps.clock()
    async with tx.transactional(session):
        # The claim decides: of two resets with one token only one gets here.
        user_id = await repository.claim_reset(session, digest, now)
        user = None if user_id is None else await users_service.lock_user(session, user_id)
        if user is None or not user.is_active:
            raise InvalidResetTokenError("The reset link is invalid, used or expired")
        user.password_hash = password_hash
        revoked = await revoke_user_sessions(session, user.id, now)
        await audit.record(
            session,
            action="user.password_reset",
            entity="user",
            entity_id=user.id,
            actor_user_id=user.id,
            meta={"sessions_revoked": revoked},
            ip=ip,
        )
        await deps.notifier.enqueue_email(
            session, to=user.email, message=templates.password_changed(), user_id=user.id
        )
    log.info("password_reset_completed", user_id=user.id, ip=ip)
