"""The read-through cache on the real Redis: hits, generations, TTLs, and a dead Redis."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from roomtime.core.logging import configure_logging
from roomtime.core.redis.cache import FENCE_UNKNOWN, RedisCache
from roomtime.core.redis.keys import Keys
from tests.support.processes import closed_port

pytestmark = pytest.mark.integration

KEY = "rt-test:thing:1"
GEN = "rt-test:thing:gen"


@pytest.fixture
def cache(redis: Redis) -> RedisCache:
    return RedisCache(redis, Keys("rt-test"))


@pytest.fixture
async def dead_cache() -> AsyncIterator[RedisCache]:
    # Set up before the test's call phase, where pytest attaches its log capture.
    configure_logging("INFO", "json")
    client = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_timeout=0.5)
    yield RedisCache(client, Keys("rt-test"))
    await client.aclose()


async def test_miss_then_hit(cache: RedisCache, redis: Redis) -> None:
    first = await cache.read(KEY, [GEN])
    assert not first.hit and first.stamp == (0,)
    await cache.write(KEY, {"answer": 42}, 30, first.stamp)
    second = await cache.read(KEY, [GEN])
    assert second.hit and second.value == {"answer": 42}
    assert 0 < await redis.ttl(KEY) <= 30


async def test_invalidation_retires_the_entry(cache: RedisCache, redis: Redis) -> None:
    await cache.write(KEY, [1], 30, (await cache.read(KEY, [GEN])).stamp)
    await cache.invalidate(keys=[KEY], generations=[GEN])
    assert await redis.exists(KEY) == 0
    assert int(await redis.get(GEN) or 0) == 1
    assert await redis.ttl(GEN) > 0
    assert not (await cache.read(KEY, [GEN])).hit


async def test_a_write_prepared_before_an_invalidation_is_never_served(cache: RedisCache) -> None:
    # A reader looks up (miss) and goes to the database; meanwhile a writer commits and
    # invalidates; then the reader stores what it read before the change.
    reader = await cache.read(KEY, [GEN])
    await cache.invalidate(keys=[KEY], generations=[GEN])
    await cache.write(KEY, "stale", 30, reader.stamp)
    after = await cache.read(KEY, [GEN])
    assert not after.hit
    await cache.write(KEY, "fresh", 30, after.stamp)
    assert (await cache.read(KEY, [GEN])).value == "fresh"


async def test_generation_bump_without_deleting_the_key(cache: RedisCache) -> None:
    await cache.write(KEY, "v1", 30, (await cache.read(KEY, [GEN])).stamp)
    await cache.invalidate(generations=[GEN])
    assert not (await cache.read(KEY, [GEN])).hit


async def test_unusable_ttl_or_missing_stamp_writes_nothing(
    cache: RedisCache, redis: Redis
) -> None:
    await cache.write(KEY, "x", 0, (0,))
    await cache.write(KEY, "x", 30, None)
    assert await redis.exists(KEY) == 0


async def test_garbage_in_redis_is_a_miss(cache: RedisCache, redis: Redis) -> None:
    await redis.set(KEY, b"\xff not json")
    assert not (await cache.read(KEY)).hit


async def test_dead_redis_is_a_miss_and_a_no_op_logged_once(
    dead_cache: RedisCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    lookup = await dead_cache.read(KEY, [GEN])
    assert not lookup.hit and lookup.stamp is None
    await dead_cache.write(KEY, "x", 30, (0,))
    await dead_cache.invalidate(keys=[KEY], generations=[GEN])
    await dead_cache.invalidate(keys=[KEY], generations=[GEN])
    assert not (await dead_cache.read(KEY)).hit
    events = [r.msg.get("event") for r in caplog.records if isinstance(r.msg, dict)]
    assert events.count("cache_unavailable") == 1
    assert any(
        r.levelno == logging.WARNING
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "cache_unavailable"
    )


def _positions(*values: int) -> Callable[[], Awaitable[int]]:
    """A WAL position source that answers `values` in turn (commits seen out of order)."""
    queue = list(values)

    async def position() -> int:
        return queue.pop(0)

    return position


async def test_an_invalidation_raises_the_fences_its_readers_see(redis: Redis) -> None:
    cache = RedisCache(redis, Keys("rt-test"), wal_position=_positions(500, 300))
    other = "rt-test:other:gen"
    assert (await cache.read(KEY, [GEN, other])).fence == 0
    await cache.invalidate(keys=[KEY], generations=[GEN])
    lookup = await cache.read(KEY, [GEN, other])
    assert lookup.stamp == (1, 0) and lookup.fence == 500
    # A hook of an older commit that runs late never lowers the fence.
    await cache.invalidate(generations=[GEN])
    assert (await cache.read(KEY, [GEN])).fence == 500
    assert await cache.fence([GEN, other]) == 500
    assert await redis.ttl("rt-test:thing:gen:lsn") > 0


async def test_an_unknown_position_sends_reads_to_the_primary(redis: Redis) -> None:
    async def broken() -> int:
        raise ConnectionRefusedError

    cache = RedisCache(redis, Keys("rt-test"), wal_position=broken)
    await cache.invalidate(generations=[GEN])
    assert await cache.fence([GEN]) == FENCE_UNKNOWN


async def test_without_redis_the_fence_is_unknown(dead_cache: RedisCache) -> None:
    assert (await dead_cache.read(KEY, [GEN])).fence is None
    assert await dead_cache.fence([GEN]) is None
