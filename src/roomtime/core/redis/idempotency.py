"""In-flight markers for `Idempotency-Key` (SPEC R-24).

Completed outcomes are NOT kept here: they are stored in PostgreSQL in the same transaction
as the booking (bookings domain), so only committed results are ever replayed and a lost
Redis forgets nothing that matters. Redis only answers "is the first request with this key
still running?" so a concurrent duplicate gets 409 instead of waiting.

When Redis is unavailable: `begin` reports UNAVAILABLE and the caller proceeds; duplicates
are then serialised by the database (row lock on the hold, unique (user_id, idempotency_key)).
"""

from __future__ import annotations

import enum

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomtime.core.redis.autopipeline import AutoPipeline

log = structlog.get_logger(__name__)


class Flight(enum.Enum):
    STARTED = "started"
    IN_PROGRESS = "in_progress"
    UNAVAILABLE = "unavailable"


class InFlightMarkers:
    def __init__(
        self, redis: Redis, ttl_seconds: int = 60, *, commands: AutoPipeline | None = None
    ) -> None:
        # Commands go through `commands` (core.redis.autopipeline), shared process-wide.
        self._commands = commands or AutoPipeline(redis)
        self._ttl = ttl_seconds

    async def begin(self, key: str) -> Flight:
        try:
            ok = await self._commands.execute("SET", key, b"1", "NX", "EX", self._ttl)
        except (RedisError, OSError) as exc:
            log.warning("idempotency_redis_unavailable", error=type(exc).__name__)
            return Flight.UNAVAILABLE
        return Flight.STARTED if ok else Flight.IN_PROGRESS

    async def end(self, key: str) -> None:
        try:
            await self._commands.execute("DEL", key)
        except (RedisError, OSError) as exc:
            # Expires by its TTL; until then a retry gets 409 and retries again.
            log.warning("idempotency_marker_not_cleared", error=type(exc).__name__)
