"""FactsMemo: a resource's facts remembered under its availability generation, on real rows."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.facts_memo import FactsMemo
from roomtime.domains.resources.models import Resource
from tests.factories import rows

pytestmark = pytest.mark.integration


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _rename_zone(session: AsyncSession, resource_id: int, zone: str) -> None:
    await session.execute(update(Resource).where(Resource.id == resource_id).values(timezone=zone))
    await session.commit()


async def test_remembered_while_the_generation_holds(session: AsyncSession) -> None:
    room = await rows.resource(session, timezone="Europe/Berlin")
    await session.commit()
    memo = FactsMemo()
    first = await memo.get(session, room.id, 3, include_inactive=False)
    await _rename_zone(session, room.id, "Asia/Tokyo")  # as if its invalidation were lost
    same = await memo.get(session, room.id, 3, include_inactive=False)
    bumped = await memo.get(session, room.id, 4, include_inactive=False)
    assert (first.timezone, same.timezone, bumped.timezone) == (
        "Europe/Berlin",
        "Europe/Berlin",
        "Asia/Tokyo",
    )


async def test_nothing_is_remembered_without_a_generation(session: AsyncSession) -> None:
    room = await rows.resource(session, timezone="Europe/Berlin")
    await session.commit()
    memo = FactsMemo()
    await memo.get(session, room.id, None, include_inactive=False)
    await _rename_zone(session, room.id, "Asia/Tokyo")
    assert (await memo.get(session, room.id, None, include_inactive=False)).timezone == "Asia/Tokyo"
    assert len(memo) == 0


async def test_entries_expire(session: AsyncSession) -> None:
    room = await rows.resource(session, timezone="Europe/Berlin")
    await session.commit()
    ticks = Ticks()
    memo = FactsMemo(max_age_seconds=60, monotonic=ticks)
    await memo.get(session, room.id, 0, include_inactive=False)
    await _rename_zone(session, room.id, "Asia/Tokyo")
    ticks.now += 59
    assert (await memo.get(session, room.id, 0, include_inactive=False)).timezone == "Europe/Berlin"
    ticks.now += 2
    assert (await memo.get(session, room.id, 0, include_inactive=False)).timezone == "Asia/Tokyo"


async def test_visibility_is_checked_per_caller(session: AsyncSession) -> None:
    room = await rows.resource(session, is_active=False)
    await session.commit()
    memo = FactsMemo()
    admin_view = await memo.get(session, room.id, 1, include_inactive=True)
    assert admin_view.is_active is False and len(memo) == 1
    with pytest.raises(ResourceNotFoundError):
        await memo.get(session, room.id, 1, include_inactive=False)
    with pytest.raises(ResourceNotFoundError):
        await memo.get(session, 987_654_321, 1, include_inactive=True)
    assert len(memo) == 1  # an unknown id is not remembered


async def test_bounded_least_recently_used_first(session: AsyncSession) -> None:
    rooms = [await rows.resource(session) for _ in range(3)]
    await session.commit()
    memo = FactsMemo(size=2)
    for room in rooms[:2]:
        await memo.get(session, room.id, 0, include_inactive=False)
    await memo.get(session, rooms[0].id, 0, include_inactive=False)  # now the most recent
    await memo.get(session, rooms[2].id, 0, include_inactive=False)
    assert len(memo) == 2
    await _rename_zone(session, rooms[0].id, "Asia/Tokyo")
    await _rename_zone(session, rooms[1].id, "Asia/Tokyo")
    kept = await memo.get(session, rooms[0].id, 0, include_inactive=False)
    dropped = await memo.get(session, rooms[1].id, 0, include_inactive=False)
    assert (kept.timezone, dropped.timezone) == ("UTC", "Asia/Tokyo")
