"""A hold's look at a resource: its facts and the slots of the range, in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.models import Resource
from roomtime.domains.slots import service as slots_service
from tests.factories.resources import every_day, make_resource

pytestmark = pytest.mark.integration


async def test_only_the_resources_own_slots_of_the_range_by_start(
    session: AsyncSession, clock: FrozenClock
) -> None:
    hours = every_day("08:00", "18:00")
    hourly = await make_resource(session, clock, horizon_days=3, opening_hours=hours)
    halves = await make_resource(
        session, clock, horizon_days=3, opening_hours=hours, slot_minutes=30
    )
    await session.commit()
    day = clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = day + timedelta(days=1, hours=10), day + timedelta(days=1, hours=12)

    facts, spans = await resources_service.get_facts_and_spans(session, hourly.id, start, end)
    assert facts == await resources_service.get_facts(session, hourly.id)
    assert spans == await slots_service.spans_in_range(session, hourly.id, start, end)
    assert [(s.starts_at, s.ends_at) for s in spans] == [
        (start, start + timedelta(hours=1)),
        (start + timedelta(hours=1), end),
    ]
    _, halves_spans = await resources_service.get_facts_and_spans(session, halves.id, start, end)
    assert len(halves_spans) == 4

    # A range without slots (the night) reads the facts and no slot.
    night = day + timedelta(days=1, hours=2)
    facts, spans = await resources_service.get_facts_and_spans(
        session, hourly.id, night, night + timedelta(hours=1)
    )
    assert facts.id == hourly.id and spans == []


async def test_an_inactive_or_missing_resource_is_not_found(
    session: AsyncSession, clock: FrozenClock
) -> None:
    room = await make_resource(session, clock, horizon_days=1)
    await session.execute(update(Resource).where(Resource.id == room.id).values(is_active=False))
    await session.commit()
    start = datetime(2030, 1, 8, 10, tzinfo=UTC)
    for resource_id in (room.id, room.id + 1000):
        with pytest.raises(ResourceNotFoundError):
            await resources_service.get_facts_and_spans(
                session, resource_id, start, start + timedelta(hours=1)
            )
