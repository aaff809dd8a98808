"""Rate limits (R-30) on Redis with the `limits` library's moving window.

When Redis is unavailable: the limiter falls back to an in-process moving window, so
requests keep being served and still limited per instance (a client spreading requests over
N instances gets at most N times the limit while Redis is down). After a Redis failure the
limiter stays on the fallback for a few seconds instead of paying a timeout per request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

_REDIS_RETRY_AFTER_FAILURE_SECONDS = 5.0
_FAILURES = (StorageError, RedisError, OSError, TimeoutError, ConnectionError)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the next request would be allowed


class RateLimiter:
    def __init__(self, redis_url: str, *, prefix: str, socket_timeout: float = 1.0) -> None:
        uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        self._redis = MovingWindowRateLimiter(
            RedisStorage(
                uri,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=f"{prefix}:rl",
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
            )
        )
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis_down_until = 0.0

    async def hit(self, rule: str | RateLimitItem, *key: str) -> Decision:
        """Count one request against `rule` for `key`; say whether it is allowed."""
        item = parse(rule) if isinstance(rule, str) else rule
        limiter = await self._pick()
        try:
            allowed = await limiter.hit(item, *key)
            stats = None if allowed else await limiter.get_window_stats(item, *key)
        except _FAILURES as exc:
            self._redis_failed(exc)
            allowed = await self._memory.hit(item, *key)
            stats = None if allowed else await self._memory.get_window_stats(item, *key)
        if allowed or stats is None:
            return Decision(True)
        return Decision(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def check(self, rule: str | RateLimitItem, *key: str) -> Decision:
        """Whether one more request under `rule` for `key` would be allowed (counts nothing)."""
        item = parse(rule) if isinstance(rule, str) else rule
        limiter = await self._pick()
        try:
            stats = await limiter.get_window_stats(item, *key)
        except _FAILURES as exc:
            self._redis_failed(exc)
            stats = await self._memory.get_window_stats(item, *key)
        if stats.remaining > 0:
            return Decision(True)
        return Decision(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def exhausted(self, rule: str | RateLimitItem, *key: str) -> bool:
        """True when `key` has no requests left under `rule` (counts nothing)."""
        item = parse(rule) if isinstance(rule, str) else rule
        limiter = await self._pick()
        try:
            return not await limiter.test(item, *key)
        except _FAILURES as exc:
            self._redis_failed(exc)
            return not await self._memory.test(item, *key)

    async def _pick(self) -> MovingWindowRateLimiter:
        return self._memory if time.monotonic() < self._redis_down_until else self._redis

    def _redis_failed(self, exc: BaseException) -> None:
        if time.monotonic() >= self._redis_down_until:
            log.warning("rate_limiter_fallback_to_memory", error=type(exc).__name__)
        self._redis_down_until = time.monotonic() + _REDIS_RETRY_AFTER_FAILURE_SECONDS
