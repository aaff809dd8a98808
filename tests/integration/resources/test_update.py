"""Updating a resource regenerates only the future slots that are still free."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core import contention
from roomtime.core.clock import FrozenClock
from roomtime.core.errors import BusyError
from roomtime.domains.resources import service
from roomtime.domains.resources.models import Resource
from roomtime.domains.resources.schemas import ResourceUpdate
from roomtime.domains.slots.schemas import SlotDateRange, SlotTimeRange
from tests.factories import rows
from tests.factories.resources import every_day, make_resource, occupy, slot_statuses

pytestmark = pytest.mark.integration

TOMORROW = datetime(2030, 1, 8, tzinfo=UTC)  # the clock fixture is 2030-01-07 09:00 UTC


def _at(hour: int, minute: int = 0, day: datetime = TOMORROW) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def _update(resource: Resource, **changes: object) -> ResourceUpdate:
    current = service.to_read(resource).model_dump(
        include={
            "name",
            "location",
            "capacity",
            "description",
            "timezone",
            "slot_minutes",
            "hold_ttl_seconds",
            "max_hold_slots",
            "booking_mode",
            "cancel_deadline_minutes",
            "opening_hours",
        }
    )
    return ResourceUpdate.model_validate({**current, **changes})


async def _apply(
    session: AsyncSession, resource: Resource, clock: FrozenClock, **changes: object
) -> Resource:
    return await service.update_resource(
        session,
        resource.id,
        _update(resource, **changes),
        actor_user_id=None,
        now=clock(),
        default_hold_ttl=300,
        horizon_days=30,
    )


async def _overlaps(session: AsyncSession, resource_id: int) -> int:
    return await session.scalar(
        text(
            "SELECT count(*) FROM time_slot a JOIN time_slot b ON a.resource_id = b.resource_id "
            "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE a.resource_id = :r"
        ),
        {"r": resource_id},
    )


async def test_new_slot_length_keeps_held_booked_and_blocked_slots(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock)
    user = await rows.user(session)
    booked = await occupy(
        session, user_id=user.id, resource_id=resource.id, starts_at=_at(10), ends_at=_at(11)
    )
    await occupy(
        session,
        user_id=user.id,
        resource_id=resource.id,
        starts_at=_at(12),
        ends_at=_at(13),
        status="pending",
        expires_at=clock() + timedelta(minutes=5),
    )
    await service.block_slots(
        session,
        None,
        resource.id,
        SlotTimeRange(starts_at=_at(15), ends_at=_at(16)),
        actor_user_id=None,
        now=clock(),
    )
    booked_slot_id = await session.scalar(
        text("SELECT id FROM time_slot WHERE booking_id = :b"), {"b": booked.id}
    )

    await _apply(session, resource, clock, slot_minutes=30)

    day = await slot_statuses(session, resource.id, _at(0), _at(24))
    assert day[_at(10)] == "booked" and day[_at(12)] == "held" and day[_at(15)] == "blocked"
    for kept in (10, 12, 15):
        assert _at(kept, 30) not in day  # no half-hour slot inside a kept hour
    assert day[_at(8, 30)] == "available" and day[_at(19, 30)] == "available"
    assert len(day) == 24 - 3 * 2 + 3  # 24 half hours, three hours kept whole
    assert await _overlaps(session, resource.id) == 0
    assert booked_slot_id == await session.scalar(
        text("SELECT id FROM time_slot WHERE booking_id = :b"), {"b": booked.id}
    )


async def test_past_slots_are_left_alone(session: AsyncSession, clock: FrozenClock) -> None:
    resource = await make_resource(session, clock)
    today = datetime(2030, 1, 7, tzinfo=UTC)
    before = await slot_statuses(session, resource.id, today, _at(9, day=today))

    await _apply(session, resource, clock, opening_hours=every_day("12:00", "14:00"))

    assert await slot_statuses(session, resource.id, today, _at(9, day=today)) == before
    later_today = await slot_statuses(session, resource.id, _at(9, day=today), TOMORROW)
    assert sorted(later_today) == [_at(12, day=today), _at(13, day=today)]


async def test_new_hours_regenerate_the_whole_horizon(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock)
    await _apply(session, resource, clock, opening_hours=every_day("18:00", "22:00"))
    counts = (
        await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE starts_at > :now), "
                "count(*) FILTER (WHERE (starts_at AT TIME ZONE 'UTC')::time < '18:00' "
                "AND starts_at > :now) FROM time_slot WHERE resource_id = :r"
            ),
            {"r": resource.id, "now": clock()},
        )
    ).one()
    assert counts == (30 * 4, 0)


async def test_time_zone_change_moves_the_slots_to_local_hours(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock)
    await _apply(session, resource, clock, timezone="Europe/Berlin")
    day = await slot_statuses(session, resource.id, _at(0), _at(24))
    assert min(day) == _at(7) and max(day) == _at(18)  # 08:00-20:00 CET = 07:00-19:00 UTC


async def test_slots_added_beyond_the_horizon_survive_a_rebuild(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock, horizon_days=5)
    far = SlotDateRange(
        date_from=TOMORROW.date() + timedelta(days=60), date_to=TOMORROW.date() + timedelta(days=61)
    )
    assert (
        await service.add_slots(session, None, resource.id, far, actor_user_id=None, now=clock())
        == 24
    )
    await _apply(session, resource, clock, slot_minutes=120)
    start = datetime.combine(far.date_from, datetime.min.time(), UTC)
    assert len(await slot_statuses(session, resource.id, start, start + timedelta(days=2))) == 12


async def test_capacity_of_a_shared_resource_follows_but_never_below_seats_taken(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock, booking_mode="shared", capacity=10)
    await session.execute(
        text("UPDATE time_slot SET seats_taken = 8 WHERE resource_id = :r AND starts_at = :s"),
        {"r": resource.id, "s": _at(9)},
    )
    await session.commit()

    await _apply(session, resource, clock, capacity=6)

    caps = dict(
        (
            await session.execute(
                text(
                    "SELECT starts_at, capacity FROM time_slot WHERE resource_id = :r "
                    "AND starts_at IN (:a, :b, :past)"
                ),
                {
                    "r": resource.id,
                    "a": _at(9),
                    "b": _at(10),
                    "past": _at(8, day=clock() - timedelta(hours=9)),
                },
            )
        ).all()
    )
    assert caps[_at(9)] == 8 and caps[_at(10)] == 6
    assert caps[_at(8, day=clock() - timedelta(hours=9))] == 10  # before now: history


async def test_update_is_audited_with_the_changed_fields(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock)
    clock.advance(minutes=1)
    updated = await _apply(session, resource, clock, name="Renamed", slot_minutes=30)
    assert updated.updated_at == clock()
    meta = await session.scalar(
        text("SELECT meta FROM audit_log WHERE action = 'resource.updated' AND entity_id = :id"),
        {"id": str(resource.id)},
    )
    assert set(meta["changed"]) == {"name", "slot_minutes"}
    assert meta["slots_created"] > 0 and meta["slots_deleted"] > 0


async def test_an_unchanged_update_changes_and_audits_nothing(
    session: AsyncSession, clock: FrozenClock
) -> None:
    resource = await make_resource(session, clock)
    ids_before = await session.scalar(
        text("SELECT array_agg(id ORDER BY id) FROM time_slot WHERE resource_id = :r"),
        {"r": resource.id},
    )
    await _apply(session, resource, clock)
    assert ids_before == await session.scalar(
        text("SELECT array_agg(id ORDER BY id) FROM time_slot WHERE resource_id = :r"),
        {"r": resource.id},
    )
    assert not await session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'resource.updated'")
    )


async def test_blocking_a_slot_locked_by_a_booking_in_flight_is_busy(
    session: AsyncSession,
    clock: FrozenClock,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(contention, "LOCK_TIMEOUT", "100ms")
    resource_id = (await make_resource(session, clock)).id  # the rollback expires the object
    async with engine.connect() as other:  # e.g. a hold confirming right now
        await other.execute(
            text("SELECT 1 FROM time_slot WHERE resource_id = :r AND starts_at = :s FOR UPDATE"),
            {"r": resource_id, "s": _at(10)},
        )
        with pytest.raises(BusyError) as caught:
            await service.block_slots(
                session,
                None,
                resource_id,
                SlotTimeRange(starts_at=_at(10), ends_at=_at(11)),
                actor_user_id=None,
                now=clock(),
            )
        await other.rollback()
    assert caught.value.retry_after == 1
    assert caught.value.code == "busy"
    assert (await slot_statuses(session, resource_id, _at(10), _at(11)))[_at(10)] == "available"
