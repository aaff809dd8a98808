"""extend-slots: every active resource gets slots up to SLOT_HORIZON_DAYS; cached days of
the new slots are invalidated; inactive resources wait; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.core.redis.keys import Keys
from roomtime.domains.resources.tasks import extend_slots_job
from roomtime.infrastructure import infra_of
from tests.factories.resources import make_resource
from tests.integration.jobs.conftest import scalar

COUNT = "SELECT count(*) FROM time_slot WHERE resource_id = :r"


async def test_horizon_is_kept_full(
    ctx: dict[str, Any], session: AsyncSession, clock: FrozenClock, redis: Redis
) -> None:
    horizon = infra_of(ctx).settings.booking.slot_horizon_days
    room = (await make_resource(session, clock, horizon_days=2)).id
    closed = (await make_resource(session, clock, horizon_days=2)).id
    await session.execute(
        text("UPDATE resource SET is_active = false WHERE id = :r"), {"r": closed}
    )
    await session.commit()
    assert await scalar(session, COUNT, r=room) == 2 * 12
    last_day = (clock() + timedelta(days=horizon - 1)).date()
    generation = Keys(infra_of(ctx).settings.redis.redis_key_prefix).availability_generation(
        room, last_day
    )

    report = await extend_slots_job(ctx)

    assert report == {"resources_extended": 1, "slots_created": (horizon - 2) * 12}
    assert await scalar(session, COUNT, r=room) == horizon * 12
    assert await scalar(session, COUNT, r=closed) == 2 * 12
    assert int(await redis.get(generation) or 0) == 1  # a cached empty day is forgotten

    assert await extend_slots_job(ctx) == {"resources_extended": 0, "slots_created": 0}

    clock.advance(days=1)  # a day later the horizon has moved on by one day
    assert await extend_slots_job(ctx) == {"resources_extended": 1, "slots_created": 12}
