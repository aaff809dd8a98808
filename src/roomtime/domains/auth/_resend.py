"""A new verification link for the signed-in account (SPEC R-33), limited per account."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.auth._verification_mail import send_verification
from roomtime.domains.auth.errors import TooManyAttemptsError
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.users.models import User
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ResendDeps:
    session: AsyncSession
    settings: Settings
    clock: Clock
    limiter: RateLimiter
    notifier: Notifier


async def resend_verification(deps: ResendDeps, user: User, *, ip: str) -> None:
    """The new link retires the earlier ones; nothing is sent once the address is proven."""
    decision = await deps.limiter.hit(
        deps.settings.auth.verify_resend_rate_limit, "verify-resend", str(user.id)
    )
    if not decision.allowed:
        raise TooManyAttemptsError(
            "Too many verification mails requested; retry later",
            retry_after=decision.retry_after,
        )
    if user.email_verified:
        log.info("verification_resend_skipped", user_id=user.id, reason="already_verified")
        return
    async with tx.transactional(deps.session):
        await send_verification(deps, user)
    log.info("verification_resent", user_id=user.id, ip=ip)
