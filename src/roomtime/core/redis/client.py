"""The Redis connection pool, created and closed by `roomtime.infrastructure`."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from roomtime.settings import Settings

__all__ = ["Redis", "RedisError", "create_redis", "ping", "retry_until_answered"]

RECONNECT_BACKOFF_BASE_SECONDS = 0.1
RECONNECT_BACKOFF_CAP_SECONDS = 2.0  # back at most this long after Redis is


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


def retry_until_answered() -> tuple[Retry, list[type[Exception]]]:
    """A retry policy, and the errors it covers, for a client with nothing better to do than
    wait for Redis (the worker's queue connection): every call is tried again, with capped
    exponential backoff, until the server answers. Never for the API's client, whose every
    Redis concern has a fallback and must fail fast."""
    backoff = ExponentialBackoff(
        cap=RECONNECT_BACKOFF_CAP_SECONDS, base=RECONNECT_BACKOFF_BASE_SECONDS
    )
    return Retry(backoff, retries=-1), [RedisConnectionError, RedisTimeoutError, OSError]
