"""release-holds: an expired hold becomes `expired`, frees its slots, is audited and mailed,
and its Redis lock and cached availability are cleared; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.redis.keys import Keys
from roomtime.domains.bookings.hold import hold
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.bookings.tasks import release_holds_job
from roomtime.domains.jobs.registry import run_job
from roomtime.infrastructure import infra_of
from tests.factories import rows
from tests.factories.resources import make_resource, slot_statuses
from tests.integration.jobs.conftest import booking_wiring, scalar
from tests.support.smtp import Inbox


async def test_expired_hold_is_released_once(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, inbox: Inbox, redis: Redis
) -> None:
    user = await rows.user(session, email="holder@example.com")
    await session.commit()
    room = await make_resource(session, clock, horizon_days=1, hold_ttl_seconds=300)
    start = clock().replace(hour=10)
    end = start + timedelta(hours=2)
    held = await hold(
        booking_wiring(ctx, session).hold_deps(),
        user,
        HoldRequest(resource_id=room.id, starts_at=start, ends_at=end),
    )
    keys = Keys(infra_of(ctx).settings.redis.redis_key_prefix)
    lock = keys.hold_lock(room.id, start, end)
    generation = keys.availability_generation(room.id, start.date())
    assert await redis.exists(lock)
    before = int(await redis.get(generation) or 0)

    clock.advance(seconds=301)
    assert await run_job("release-holds", ctx) == {"expired": 1}

    assert await scalar(session, "SELECT status FROM booking WHERE id = :i", i=held.id) == "expired"
    assert set((await slot_statuses(session, room.id, start, end)).values()) == {"available"}
    assert (
        await scalar(session, "SELECT count(*) FROM time_slot WHERE booking_id = :i", i=held.id)
        == 0
    )
    audited = "SELECT count(*) FROM audit_log WHERE action = 'booking.expired' AND entity_id = :i"
    assert await scalar(session, audited, i=str(held.id)) == 1
    assert not await redis.exists(lock)
    assert int(await redis.get(generation) or 0) > before
    await infra_of(ctx).notifier.drain()
    [mail] = await inbox.wait_for(1)
    assert mail["To"] == "holder@example.com" and "expired" in mail["Subject"]

    assert await release_holds_job(ctx) == {"expired": 0}
    assert await scalar(session, audited, i=str(held.id)) == 1
    outbox = "SELECT count(*) FROM notification_outbox WHERE kind = 'hold_expired'"
    assert await scalar(session, outbox) == 1


async def test_live_holds_and_confirmed_bookings_are_left_alone(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock
) -> None:
    user = await rows.user(session)
    await session.commit()
    room = await make_resource(session, clock, horizon_days=1, hold_ttl_seconds=600)
    start = clock().replace(hour=10)
    held = await hold(
        booking_wiring(ctx, session).hold_deps(),
        user,
        HoldRequest(resource_id=room.id, starts_at=start, ends_at=start + timedelta(hours=1)),
    )
    clock.advance(seconds=300)
    assert await release_holds_job(ctx) == {"expired": 0}
    assert await scalar(session, "SELECT status FROM booking WHERE id = :i", i=held.id) == "pending"
