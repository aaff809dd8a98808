"""Availability of a day from PostgreSQL through the Redis cache (R-14, R-21, R-22)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import FrozenClock
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.keys import Keys
from roomtime.domains.availability import service
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.models import Resource
from roomtime.domains.slots.schemas import SlotTimeRange
from roomtime.settings import Settings
from tests.factories import rows
from tests.factories.resources import make_resource, occupy
from tests.support.processes import closed_port

pytestmark = pytest.mark.integration

TODAY = date(2030, 1, 7)  # the clock fixture: 2030-01-07 09:00 UTC
TOMORROW = date(2030, 1, 8)
T = datetime(2030, 1, 8, tzinfo=UTC)


@pytest.fixture
def cache(redis: Redis, settings: Settings) -> RedisCache:
    return RedisCache(redis, Keys(settings.redis.redis_key_prefix))


@pytest.fixture
async def room(session: AsyncSession, clock: FrozenClock) -> Resource:
    return await make_resource(session, clock)  # UTC, every day 08:00-20:00, hourly


async def _day(
    session: AsyncSession, cache: RedisCache, resource: Resource, day: date, now: datetime
) -> tuple[list[datetime], bool | None]:
    result = await service.get_day(
        session,
        cache,
        resource_id=resource.id,
        timezone=resource.timezone,
        day=day,
        now=now,
        ttl_seconds=60,
    )
    return [s.starts_at for s in result.value.slots], result.hit


async def test_a_day_lists_its_free_slots_then_hits_the_cache(
    session: AsyncSession, cache: RedisCache, redis: Redis, room: Resource, clock: FrozenClock
) -> None:
    starts, hit = await _day(session, cache, room, TOMORROW, clock())
    assert hit is False
    assert starts == [T + timedelta(hours=h) for h in range(8, 20)]
    again, hit = await _day(session, cache, room, TOMORROW, clock())
    assert hit is True and again == starts
    key = f"rt-test:avail:{room.id}:2030-01-08"
    assert 0 < await redis.ttl(key) <= 60


async def test_slots_that_have_ended_are_not_available(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    starts, _ = await _day(session, cache, room, TODAY, clock())
    today = datetime(2030, 1, 7, tzinfo=UTC)
    # 08:00-09:00 ended at 09:00 (now); 09:00-10:00 starts now and can still be held.
    assert starts == [today + timedelta(hours=h) for h in range(9, 20)]


async def test_expired_holds_count_as_free_live_holds_and_bookings_do_not(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    user = await rows.user(session)
    now = clock()
    for hour, status, expires in (
        (9, "pending", now - timedelta(seconds=1)),  # expired: free again
        (10, "pending", now + timedelta(minutes=5)),  # live hold
        (11, "confirmed", None),
    ):
        await occupy(
            session,
            user_id=user.id,
            resource_id=room.id,
            starts_at=T + timedelta(hours=hour),
            ends_at=T + timedelta(hours=hour + 1),
            status=status,
            expires_at=expires,
        )
    starts, _ = await _day(session, cache, room, TOMORROW, now)
    assert T + timedelta(hours=9) in starts
    assert T + timedelta(hours=10) not in starts and T + timedelta(hours=11) not in starts


async def test_cache_never_outlives_a_live_hold(
    session: AsyncSession, cache: RedisCache, redis: Redis, room: Resource, clock: FrozenClock
) -> None:
    user = await rows.user(session)
    await occupy(
        session,
        user_id=user.id,
        resource_id=room.id,
        starts_at=T + timedelta(hours=10),
        ends_at=T + timedelta(hours=11),
        status="pending",
        expires_at=clock() + timedelta(seconds=20),
    )
    await _day(session, cache, room, TOMORROW, clock())
    assert 0 < await redis.ttl(f"rt-test:avail:{room.id}:2030-01-08") <= 20


async def test_cache_never_outlives_the_first_listed_slot(
    session: AsyncSession, cache: RedisCache, redis: Redis, room: Resource
) -> None:
    now = datetime(2030, 1, 7, 9, 59, 30, tzinfo=UTC)  # the first listed slot starts in 30 s
    await _day(session, cache, room, TODAY, now)
    assert 0 < await redis.ttl(f"rt-test:avail:{room.id}:2030-01-07") <= 30


async def test_a_change_is_seen_by_the_next_read(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    before, _ = await _day(session, cache, room, TOMORROW, clock())
    await resources_service.block_slots(
        session,
        cache,
        room.id,
        SlotTimeRange(starts_at=T + timedelta(hours=12), ends_at=T + timedelta(hours=13)),
        actor_user_id=None,
        now=clock(),
    )
    after, hit = await _day(session, cache, room, TOMORROW, clock())
    assert hit is False
    assert after == [s for s in before if s != T + timedelta(hours=12)]


async def test_a_read_racing_a_change_cannot_store_the_old_answer(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    key = cache.keys.availability(room.id, TOMORROW)
    generations = [
        cache.keys.availability_generation(room.id),
        cache.keys.availability_generation(room.id, TOMORROW),
    ]
    racing_reader = await cache.read(key, generations)  # misses, goes to PostgreSQL...
    await session.execute(
        text("UPDATE time_slot SET status = 'blocked' WHERE resource_id = :r"), {"r": room.id}
    )
    await session.commit()
    await service.invalidate_availability(cache, room.id, [TOMORROW])  # the writer's hook
    stale = {"resource_id": room.id, "date": "2030-01-08", "timezone": "UTC", "slots": []}
    stale["slots"] = [
        {
            "id": 1,
            "starts_at": "2030-01-08T08:00:00Z",
            "ends_at": "2030-01-08T09:00:00Z",
            "seats_left": 1,
        }
    ]
    await cache.write(key, stale, 60, racing_reader.stamp)  # ...and stores what it saw
    starts, hit = await _day(session, cache, room, TOMORROW, clock())
    assert hit is False and starts == []


async def test_invalidation_runs_after_commit_and_never_after_rollback(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    await _day(session, cache, room, TOMORROW, clock())
    with pytest.raises(RuntimeError):
        async with tx.transactional(session):
            service.invalidate_availability_on_commit(session, cache, room.id, [TOMORROW])
            raise RuntimeError("abort")
    await session.refresh(room)  # the rollback expired it
    assert (await _day(session, cache, room, TOMORROW, clock()))[1] is True
    async with tx.transactional(session):
        service.invalidate_availability_on_commit(session, cache, room.id, [TOMORROW])
    assert (await _day(session, cache, room, TOMORROW, clock()))[1] is False


async def test_resource_wide_invalidation_retires_every_day(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    for day in (TODAY, TOMORROW):
        await _day(session, cache, room, day, clock())
    await service.invalidate_availability(cache, room.id)
    for day in (TODAY, TOMORROW):
        assert (await _day(session, cache, room, day, clock()))[1] is False


async def test_shared_slots_are_available_while_seats_are_left(
    session: AsyncSession, cache: RedisCache, clock: FrozenClock
) -> None:
    yoga = await make_resource(session, clock, booking_mode="shared", capacity=3)
    await session.execute(
        text(
            "UPDATE time_slot SET seats_taken = CASE WHEN starts_at = :full THEN 3 ELSE 2 END "
            "WHERE resource_id = :r AND starts_at IN (:full, :part)"
        ),
        {"r": yoga.id, "full": T + timedelta(hours=8), "part": T + timedelta(hours=9)},
    )
    await session.commit()
    result = await service.get_day(
        session,
        cache,
        resource_id=yoga.id,
        timezone="UTC",
        day=TOMORROW,
        now=clock(),
        ttl_seconds=60,
    )
    seats = {s.starts_at: s.seats_left for s in result.value.slots}
    assert T + timedelta(hours=8) not in seats
    assert seats[T + timedelta(hours=9)] == 1 and seats[T + timedelta(hours=10)] == 3


@pytest.fixture
async def dead_cache(settings: Settings) -> AsyncIterator[RedisCache]:
    client = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_timeout=0.5)
    yield RedisCache(client, Keys(settings.redis.redis_key_prefix))
    await client.aclose()


async def test_without_redis_the_answer_comes_from_postgresql(
    session: AsyncSession, dead_cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    for _ in range(2):
        starts, hit = await _day(session, dead_cache, room, TOMORROW, clock())
        assert hit is False and len(starts) == 12


async def test_a_slot_that_has_started_is_no_longer_offered(
    session: AsyncSession, cache: RedisCache, room: Resource, clock: FrozenClock
) -> None:
    now = datetime(2030, 1, 7, 9, 30, tzinfo=UTC)  # inside the 09:00 slot
    starts, _ = await _day(session, cache, room, TODAY, now)
    assert starts[0] == datetime(2030, 1, 7, 10, 0, tzinfo=UTC)  # a hold must start later
