"""What every job gets: the context a worker builds once at startup (and `roomtime job run`
builds for one run). A plain dict, because that is what arq hands to each job.

Keys: `settings`, `clock`, `engine`, `sessionmaker`, `app_redis` (our Redis client; arq
puts its own pool under `redis`), `cache`, `limiter`, `notifier`. Jobs open their own
sessions from `sessionmaker` and ask `clock` for the time, so tests can freeze it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from roomtime.core.clock import Clock, utcnow
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.client import create_redis
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.notifications.service import build_notifier
from roomtime.settings import Settings

JobContext = dict[str, Any]


async def open_context(ctx: JobContext, settings: Settings, clock: Clock = utcnow) -> None:
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    redis = create_redis(settings)
    ctx.update(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        app_redis=redis,
        cache=RedisCache(redis, Keys(settings.redis.redis_key_prefix)),
        limiter=RateLimiter(
            settings.redis.redis_url or "",
            prefix=settings.redis.redis_key_prefix,
            socket_timeout=settings.redis.redis_socket_timeout_seconds,
        ),
        notifier=build_notifier(sessionmaker, settings, clock),
    )


async def close_context(ctx: JobContext) -> None:
    # Deliveries started after a job's commit finish first; the outbox covers the rest.
    await ctx["notifier"].drain()
    await ctx["app_redis"].aclose()
    await ctx["engine"].dispose()


@asynccontextmanager
async def job_context(settings: Settings, clock: Clock = utcnow) -> AsyncIterator[JobContext]:
    ctx: JobContext = {}
    await open_context(ctx, settings, clock)
    try:
        yield ctx
    finally:
        await close_context(ctx)
