"""The infrastructure of one process: built and closed the same way by the API (lifespan),
the job worker (startup/shutdown) and `roomtime job run`.

Everything here is shared by every request or job of the process and holds no request
state: the engine and its session factory, the Redis client and what is built on it, the
notifier that sends mail after commit, the settings and the clock (frozen by tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomtime.core.clock import Clock, utcnow
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.client import Redis, create_redis
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.notifications.service import Notifier, build_notifier
from roomtime.settings import Settings

# The key of the Infrastructure in the context dict arq hands to every job.
JOB_CONTEXT_KEY = "infra"


@dataclass(frozen=True, slots=True)
class Infrastructure:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    limiter: RateLimiter
    cache: RedisCache
    notifier: Notifier
    hold_locks: HoldLocks
    markers: InFlightMarkers


@asynccontextmanager
async def open_infrastructure(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Infrastructure]:
    """Build the process's infrastructure; on exit wait for mail deliveries started after a
    commit (the outbox covers any that never finish), then close Redis and the pool."""
    clock = clock or utcnow
    engine = create_engine(settings)
    redis = create_redis(settings)
    sessionmaker = create_sessionmaker(engine)
    infra = Infrastructure(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        redis=redis,
        limiter=RateLimiter(
            settings.redis.redis_url or "",
            prefix=settings.redis.redis_key_prefix,
            socket_timeout=settings.redis.redis_socket_timeout_seconds,
        ),
        cache=RedisCache(redis, Keys(settings.redis.redis_key_prefix)),
        notifier=build_notifier(sessionmaker, settings, clock),
        hold_locks=HoldLocks(redis),
        markers=InFlightMarkers(redis),
    )
    try:
        yield infra
    finally:
        await infra.notifier.drain()
        await redis.aclose()
        await engine.dispose()


def infra_of(ctx: MutableMapping[str, Any]) -> Infrastructure:
    """The Infrastructure of a job's context (arq passes jobs a plain dict)."""
    infra = ctx.get(JOB_CONTEXT_KEY)
    if not isinstance(infra, Infrastructure):
        raise TypeError("the job context carries no Infrastructure (see domains.jobs.context)")
    return infra
