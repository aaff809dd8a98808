"""The hold lock of SPEC R-23: `SET key token NX EX ttl`, released by compare-and-delete.

It is a fast path that turns away a second hold of the same range cheaply, before any
database work. It is never what makes a booking correct: PostgreSQL is (conditional slot
updates and the exclusion constraint). So when Redis is unavailable the lock reports
`UNAVAILABLE` and the caller proceeds on the database guard alone.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomtime.core.redis.autopipeline import AutoPipeline

log = structlog.get_logger(__name__)

# Delete the key only if it still holds our token: after our TTL ran out someone else may
# own it, and a plain DEL would remove their lock (redis.io, "distributed locks").
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LockState(enum.Enum):
    ACQUIRED = "acquired"
    TAKEN = "taken"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Lock:
    key: str
    token: str
    state: LockState


class HoldLocks:
    """Commands go through `commands` (core.redis.autopipeline), shared process-wide."""

    def __init__(self, redis: Redis, *, commands: AutoPipeline | None = None) -> None:
        self._commands = commands or AutoPipeline(redis)

    async def acquire(self, key: str, ttl_seconds: int) -> Lock:
        token = secrets.token_hex(16)
        try:
            ok = await self._commands.execute("SET", key, token, "NX", "EX", max(1, ttl_seconds))
        except (RedisError, OSError) as exc:
            log.warning("hold_lock_redis_unavailable", error=type(exc).__name__)
            return Lock(key, token, LockState.UNAVAILABLE)
        return Lock(key, token, LockState.ACQUIRED if ok else LockState.TAKEN)

    async def release(self, lock: Lock) -> bool:
        """Release a lock we acquired; False when it had expired or belongs to someone else."""
        if lock.state is not LockState.ACQUIRED:
            return False
        return await self.release_key(lock.key, lock.token)

    async def release_key(self, key: str, token: str) -> bool:
        try:
            # EVAL, not EVALSHA: a script this short costs Redis nothing to hash, and EVAL
            # never meets NOSCRIPT (a restarted or flushed Redis forgets loaded scripts).
            return bool(await self._commands.execute("EVAL", _RELEASE, 1, key, token))
        except (RedisError, OSError) as exc:
            # The key expires by its TTL anyway; the database already holds the truth.
            log.warning("hold_lock_release_failed", error=type(exc).__name__)
            return False
