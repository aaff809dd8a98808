from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.notifications.service import Notifier
from roomtime.settings import Settings


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
