"""Asking for a password-reset link (R-28): no account enumeration, single-use tokens.

The link is built from PUBLIC_BASE_URL, never from the request's Host header, so a forged
Host cannot send someone's token to an attacker's site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.auth import constants, repository, tokens
from roomtime.domains.auth._limits import limit_client
from roomtime.domains.auth.models import PasswordReset
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ForgotDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock
    limiter: RateLimiter
    notifier: Notifier


async def forgot(deps: ForgotDeps, email: str, *, ip: str) -> None:
    await limit_client(
        deps.limiter, constants.FORGOT_LIMIT, "forgot", ip, message="Too many reset requests"
    )
    user = await users_service.find_by_email(deps.session, email)
    if user is None or not user.is_active:
        log.info("password_reset_requested", known=False, ip=ip)
        return
    now = deps.clock()
    raw = tokens.new_opaque_token()
    ttl = deps.settings.auth.password_reset_ttl_seconds
    link = tokens.mailed_link(deps.settings, "reset", raw)
    async with tx.transactional(deps.session):
        # The mail first: when the account's hourly mail cap drops it, the link the owner
        # already holds must stay valid, so nothing else changes.
        queued = await deps.notifier.enqueue_email(
            deps.session,
            to=user.email,
            message=templates.password_reset(link, ttl // 60),
            user_id=user.id,
        )
        if queued is None:
            log.warning("password_reset_not_sent", user_id=user.id, reason="mail_cap", ip=ip)
            return
        await repository.retire_resets(deps.session, user.id, now)
        await repository.add_reset(
            deps.session,
            PasswordReset(
                user_id=user.id,
                token_hash=tokens.token_hash(raw),
                expires_at=now + timedelta(seconds=ttl),
            ),
        )
    log.info("password_reset_requested", known=True, user_id=user.id, ip=ip)
