"""The infrastructure of one process: built and closed the same way by the API (lifespan),
the job worker (startup/shutdown) and `roomtime job run`.

Everything here is shared by every request or job of the process and holds no request
state: the engine and its session factory, the Redis client and what is built on it, the
notifier that sends mail after commit, the settings and the clock (frozen by tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomtime.core.clock import Clock, utcnow
from roomtime.core.db import create_engine, create_read_engine, create_sessionmaker
from roomtime.core.redis.autopipeline import AutoPipeline
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.client import Redis, create_redis
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.core.replica import ReadReplica, wal_position
from roomtime.core.s3storage import S3Storage, open_s3_client
from roomtime.core.storage import LocalStorage, Storage
from roomtime.domains.notifications.service import Notifier, build_notifier
from roomtime.domains.resources.facts_memo import FactsMemo
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
    # The cache's, hold locks' and in-flight markers' commands, sent together when
    # concurrent requests issue them in the same loop turn (core.redis.autopipeline).
    redis_commands: AutoPipeline
    limiter: RateLimiter
    cache: RedisCache
    notifier: Notifier
    hold_locks: HoldLocks
    markers: InFlightMarkers
    storage: Storage
    # DATABASE_READ_URL's replica, for reads that tolerate staleness (core.replica).
    replica: ReadReplica | None = None
    # What availability misses need of their resources, while its cache generation holds.
    resource_facts: FactsMemo = field(default_factory=FactsMemo)


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    """The configured file storage (STORAGE); a bucket's client lives until the exit."""
    disk = LocalStorage(settings.upload_dir)
    files = settings.files
    if files.storage != "s3" or not files.s3_bucket:
        yield disk
        return

    def client_for(endpoint_url: str | None) -> AbstractAsyncContextManager[Any]:
        return open_s3_client(
            endpoint_url=endpoint_url,
            region=files.s3_region,
            access_key_id=files.s3_access_key_id,
            secret_access_key=files.s3_secret_access_key,
            path_style=files.s3_path_style,
        )

    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(client_for(files.s3_endpoint_url))
        presigner = (
            await stack.enter_async_context(client_for(files.s3_public_endpoint_url))
            if files.s3_public_endpoint_url
            else None
        )
        yield S3Storage(
            client,
            files.s3_bucket,
            disk,
            serve=files.s3_serve,
            presign_seconds=files.s3_presign_seconds,
            presigner=presigner,
        )


@asynccontextmanager
async def open_infrastructure(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Infrastructure]:
    """Build the process's infrastructure; on exit wait for mail deliveries started after a
    commit (the outbox covers any that never finish), then close Redis and the pool."""
    clock = clock or utcnow
    stack = AsyncExitStack()
    storage = await stack.enter_async_context(open_storage(settings))
    engine = create_engine(settings)
    read_engine = create_read_engine(settings)
    replica = (
        None
        if read_engine is None
        else ReadReplica(read_engine, wait_seconds=settings.database.database_read_wait_ms / 1000)
    )
    redis = create_redis(settings)
    commands = AutoPipeline(redis)
    sessionmaker = create_sessionmaker(engine)
    infra = Infrastructure(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        redis=redis,
        redis_commands=commands,
        limiter=RateLimiter(
            settings.redis.redis_url or "",
            prefix=settings.redis.redis_key_prefix,
            socket_timeout=settings.redis.redis_socket_timeout_seconds,
        ),
        # Fences cost a query after every change, so they are raised only where a replica is
        # configured; every process that changes data (API, worker, CLI) must therefore be
        # given the same DATABASE_READ_URL, or its invalidations would not guard the API's
        # replica reads (docs/operations.md says so).
        cache=RedisCache(
            redis,
            Keys(settings.redis.redis_key_prefix),
            wal_position=(lambda: wal_position(engine)) if read_engine is not None else None,
            commands=commands,
        ),
        notifier=build_notifier(sessionmaker, settings, clock),
        hold_locks=HoldLocks(redis, commands=commands),
        markers=InFlightMarkers(redis, commands=commands),
        storage=storage,
        replica=replica,
    )
    try:
        yield infra
    finally:
        await infra.notifier.drain()
        await commands.aclose()
        await redis.aclose()
        await engine.dispose()
        if replica is not None:
            await replica.dispose()
        await stack.aclose()


def infra_of(ctx: MutableMapping[str, Any]) -> Infrastructure:
    """The Infrastructure of a job's context (arq passes jobs a plain dict)."""
    infra = ctx.get(JOB_CONTEXT_KEY)
    if not isinstance(infra, Infrastructure):
        raise TypeError("the job context carries no Infrastructure (see domains.jobs.context)")
    return infra
