"""A worker outlives its Redis going away: it waits for the server to come back and goes on
running the schedule (a Redis restart used to end the worker process)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.nemesis.cluster import RedisServer
from tests.services import ServiceUrls
from tests.support.workers import (
    eventually,
    expired_hold,
    migrated_database,
    sql,
    worker_env,
    workers,
)

pytestmark = pytest.mark.slow

EVERY_SECOND = "* * * * * *"


async def test_a_worker_goes_on_after_redis_restarts(services: ServiceUrls, tmp_path: Path) -> None:
    db = await migrated_database(services, "worker_redis")
    redis = RedisServer(tmp_path / "redis.log")
    redis.start()
    try:
        env = worker_env(db, redis.url, tmp_path, JOBS_RELEASE_HOLDS_CRON=EVERY_SECOND)
        with workers(1, env, tmp_path) as [log]:
            redis.kill()
            await asyncio.sleep(8)  # longer than arq's own reconnection attempts last
            await asyncio.to_thread(redis.start)  # an empty server on the same port
            booking = await expired_hold(db)

            async def expired() -> bool:
                [row] = await sql(db, "SELECT status FROM booking WHERE id = $1", booking)
                return row["status"] == "expired"

            await eventually(expired, within=30, what="release-holds after the restart")
        assert log.runs("release-holds")
    finally:
        redis.kill()
