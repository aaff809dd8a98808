from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.addresses import rate_limit_key
from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.auth.errors import TooManyAttemptsError
from roomtime.domains.notifications.service import Notifier
from roomtime.settings import Settings

log = structlog.get_logger(__name__)


class AuthBase:
    """What every auth use case works with; built per request by the router dependency."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        clock: Clock,
        limiter: RateLimiter,
        notifier: Notifier,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.limiter = limiter
        self.notifier = notifier

    @property
    def hash_concurrency(self) -> int:
        return self.settings.auth.password_hash_concurrency

    async def limit_client(
        self, rule: str, scope: str, ip: str, *key: str, message: str = "Too many requests"
    ) -> None:
        """Count one request of client `ip` (its /64 for IPv6) against `rule`; 429 beyond it."""
        decision = await self.limiter.hit(rule, scope, rate_limit_key(ip), *key)
        if not decision.allowed:
            log.warning("rate_limited", scope=scope, ip=ip)
            raise TooManyAttemptsError(f"{message}; retry later", retry_after=decision.retry_after)
