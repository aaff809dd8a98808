"""Per-client limits of the auth use cases, counted before any expensive work."""

from __future__ import annotations

import structlog

from roomtime.core.addresses import rate_limit_key
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.auth.errors import TooManyAttemptsError

log = structlog.get_logger(__name__)


async def limit_client(
    limiter: RateLimiter,
    rule: str,
    scope: str,
    ip: str,
    *key: str,
    message: str = "Too many requests",
) -> None:
    """Count one request of client `ip` (its /64 for IPv6) against `rule`; 429 beyond it."""
    decision = await limiter.hit(rule, scope, rate_limit_key(ip), *key)
    if not decision.allowed:
        log.warning("rate_limited", scope=scope, ip=ip)
        raise TooManyAttemptsError(f"{message}; retry later", retry_after=decision.retry_after)
