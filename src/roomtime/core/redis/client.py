"""The Redis connection pool, created and closed by `roomtime.infrastructure`."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomtime.settings import Settings

__all__ = ["Redis", "RedisError", "create_redis", "ping"]


def create_redis(settings: Settings, url: str | None = None) -> Redis:
    dsn = url or settings.redis.redis_url
    if not dsn:
        raise RuntimeError("REDIS_URL is not set (roomtime dev starts an embedded one)")
    timeout = settings.redis.redis_socket_timeout_seconds
    # Short timeouts: every Redis concern has a fallback, so a slow Redis must fail fast
    # rather than hold a request (and its database connection) hostage.
    return Redis.from_url(
        dsn,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        decode_responses=False,
    )


async def ping(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except (RedisError, OSError):
        return False
