"""The Redis hold lock: SET NX EX plus compare-and-delete release (real Redis, short TTLs)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from roomtime.core.redis.locks import HoldLocks, LockState

pytestmark = pytest.mark.integration


async def test_second_acquire_is_refused_until_release(redis: Redis) -> None:
    locks = HoldLocks(redis)
    first = await locks.acquire("t:hold:1", 30)
    second = await locks.acquire("t:hold:1", 30)
    assert first.state is LockState.ACQUIRED and second.state is LockState.TAKEN
    assert await locks.release(first)
    assert (await locks.acquire("t:hold:1", 30)).state is LockState.ACQUIRED


async def test_an_expired_owner_cannot_release_the_next_owners_lock(redis: Redis) -> None:
    locks = HoldLocks(redis)
    stale = await locks.acquire("t:hold:2", 1)
    await asyncio.sleep(1.1)
    fresh = await locks.acquire("t:hold:2", 30)
    assert fresh.state is LockState.ACQUIRED
    assert await locks.release(stale) is False  # compare-and-delete: not our token any more
    assert await redis.get("t:hold:2") == fresh.token.encode()


async def test_unreachable_redis_reports_unavailable() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    lock = await HoldLocks(dead).acquire("t:hold:3", 30)
    assert lock.state is LockState.UNAVAILABLE
    await dead.aclose()


async def test_default_isolation_is_read_committed(session: object) -> None:
    from sqlalchemy import text

    level = await session.scalar(text("SHOW transaction_isolation"))  # type: ignore[attr-defined]
    assert level == "read committed"  # the lock-then-recheck guards rely on it
